"""« Mes actions »: the landing page lists each role's pending work by name, one click away."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from benchmarks.builders import DECISION_NODES, create_artifacts, create_tasks
from territories.access import Role
from tests.territories.factories import TEST_PASSWORD
from tests.workflows import scenarios
from tests.workflows.helpers import client_for
from workflows.flows import ContractApprovalFlow, CreditDelegationFlow, MilestoneReviewFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    return scenarios.demo_contract()


@pytest.fixture
def artifacts(contract):
    return create_artifacts(contract=contract, preparer=scenarios.user("manager2"))


def test_logging_in_lands_on_my_actions(contract):
    from django.test import Client

    client = Client()
    response = client.post(
        reverse("login"), {"username": "validator", "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Mes actions" in response.content.decode()


def test_the_validator_sees_the_delegation_to_decide_and_takes_it_in_one_click(contract, artifacts):
    (task,) = create_tasks(
        contract=contract, count=1, artifacts=artifacts, nodes=[CreditDelegationFlow.approve]
    )
    client = client_for("validator")
    html = client.get("/").content.decode()
    assert "Décisions à prendre" in html
    assert f"Délégation de crédits FIR {artifacts.delegation.year}" in html
    assert contract.reference in html
    assign_url = CreditDelegationFlow.approve.reverse("assign", args=[task.process_id, task.pk])
    assert assign_url in html

    response = client.post(assign_url, {"_continue": "1"})

    assert response.status_code == 302
    assert response.url == CreditDelegationFlow.approve.reverse(
        "index", args=[task.process_id, task.pk]
    )
    task.refresh_from_db()
    assert task.owner == scenarios.user("validator")
    assert task.status == STATUS.ASSIGNED
    # Taken, it stays on the page with a direct link.
    html = client.get("/").content.decode()
    assert "Reprendre" in html


def test_the_director_sees_the_milestones_to_report_late_first(contract, artifacts):
    tasks = create_tasks(
        contract=contract, count=2, artifacts=artifacts, nodes=[MilestoneReviewFlow.report]
    )
    late = tasks[1].process.contractprocess.milestone
    late.due_date = contract.start_date
    late.save(update_fields=["due_date"])

    html = client_for("director").get("/").content.decode()

    assert "Déclarations à déposer" in html
    titles = [escape(task.process.contractprocess.milestone.title) for task in tasks]
    assert all(title in html for title in titles)
    assert html.index(escape(late.title)) < html.index(titles[0])
    assert "en retard" in html


def test_the_manager_is_told_a_signature_is_to_be_recorded(contract, artifacts):
    create_tasks(contract=contract, count=1, artifacts=artifacts, nodes=[ContractApprovalFlow.sign])
    html = client_for("manager").get("/").content.decode()
    assert "Signatures à enregistrer" in html
    assert escape(contract.title) in html


def test_a_four_eyes_preparer_does_not_see_their_own_preparation(contract, artifacts):
    create_tasks(
        contract=contract, count=1, artifacts=artifacts, nodes=[CreditDelegationFlow.approve]
    )
    scenarios.give_role("manager2", Role.ARS_VALIDATOR)
    html = client_for("manager2").get("/").content.decode()
    assert "Délégation de crédits FIR" not in html


def test_an_auditor_is_told_nothing_awaits_them(contract):
    html = client_for("auditor").get("/").content.decode()
    assert "Rien ne vous attend" in html or "aucune action ne vous est demandée" in html


@pytest.mark.parametrize("own", [False, True], ids=["available", "assigned"])
def test_my_actions_costs_the_same_queries_for_1_and_50_tasks(
    own, contract, artifacts, django_assert_num_queries
):
    validator = scenarios.user("validator")
    client = client_for("validator")
    created = []

    def add(count):
        nodes = DECISION_NODES if created else DECISION_NODES[:1]
        created.extend(
            create_tasks(
                contract=contract,
                count=count,
                artifacts=artifacts,
                nodes=[node for node in nodes if node is not MilestoneReviewFlow.review],
                owner=validator if own else None,
                status=STATUS.ASSIGNED if own else STATUS.NEW,
            )
        )

    add(1)
    client.get("/")  # warm-up
    with CaptureQueriesContext(connection) as one:
        response = client.get("/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    add(49)
    with django_assert_num_queries(len(one)):
        response = client.get("/")
    assert len(response.context["rows"]) == 50
    assert Task.objects.filter(pk__in=[task.pk for task in created]).count() == 50


def test_a_long_group_shows_its_most_urgent_rows_and_links_to_the_rest(contract, artifacts):
    from workflows.home import SHOWN_PER_GROUP

    count = SHOWN_PER_GROUP + 7
    tasks = create_tasks(
        contract=contract, count=count, artifacts=artifacts, nodes=[CreditDelegationFlow.approve]
    )
    response = client_for("validator").get("/")
    html = response.content.decode()
    (decisions,) = [item for item in response.context["groups"] if item["group"].key == "decisions"]
    assert decisions["count"] == count
    assert len(decisions["rows"]) == SHOWN_PER_GROUP
    # The heading and the summary count every action; the page shows the first ones only,
    # oldest waiting first (none is late), and says where the others are.
    assert f'Décisions à prendre <span class="muted">({count})</span>' in html
    assert f"{count} actions vous attendent" in html
    assert html.count('data-task="') == SHOWN_PER_GROUP
    oldest = sorted(tasks, key=lambda task: (task.created, task.pk))[:SHOWN_PER_GROUP]
    shown = {row.task.pk for row in decisions["rows"]}
    assert shown == {task.pk for task in oldest}
    assert "et 7 autres actions de ce type, moins urgentes" in html
    assert reverse("workflow:inbox") in html and reverse("workflow:queue") in html

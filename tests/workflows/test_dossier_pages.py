"""The dossier decision pages: scope, four-eyes, and the same queries for 1 row and 50."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from calls.models import DecisionLetter, DossierReview, DossierState, DsWriteBack, Opinion
from calls.services_decisions import create_committee
from territories.access import Role
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory, paris
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory
from workflows.flows import DossierCompletenessFlow, DossierDecisionFlow
from workflows.home import my_actions

from .helpers import client_for, complete, open_task
from .scenarios import give_role, user
from .world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world()
    campaign = CampaignFactory(region=world["region"], opened=True)
    other_region = RegionFactory(code="52", name="Pays de la Loire")
    user_with_role(Role.ARS_MANAGER, region=other_region, username="ailleurs")
    user_with_role(Role.ARS_VALIDATOR, region=other_region, username="ailleurs_v")
    return {**world, "campaign": campaign, "other": other_region}


def dossier_in(campaign, *, name="Clinique", state=DossierState.ADMISSIBLE):
    dossier = DossierFactory(campaign=campaign, state=state, applicant_name=name)
    DossierActionFactory(dossier=dossier, rank=1)
    return dossier


def instructed_dossiers(campaign, count, *, instructor, start=0):
    """Create ``count`` dossiers with their review (score, proposed amount), as instructed."""
    for n in range(count):
        dossier = dossier_in(
            campaign, name=f"Centre {start + n}", state=DossierState.SUBMITTED_TO_COMMITTEE
        )
        DossierReview.objects.create(
            dossier=dossier,
            opinion=Opinion.FAVORABLE,
            comment="Avis.",
            total_score=(start + n) % 16,
            proposed_amount=Decimal("4500.00"),
            prepared_by=instructor,
            prepared_at=paris(2025, 9, 1, 9),
        )


def test_the_committee_sheet_ranks_by_score_and_costs_the_same_for_1_and_50(
    world, django_assert_num_queries
):
    campaign = world["campaign"]
    client = client_for("validator")
    url = reverse("calls:committee_sheet", args=[campaign.pk])
    instructed_dossiers(campaign, 1, instructor=user("manager"))
    client.get(url)
    with CaptureQueriesContext(connection) as one_row:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    instructed_dossiers(campaign, 49, instructor=user("manager"), start=1)
    with django_assert_num_queries(len(one_row)):
        response = client.get(url)
    rows = response.context["rows"]
    assert len(rows) == 50
    assert [row.score for row in rows] == sorted((row.score for row in rows), reverse=True)
    assert "Fiche du comité de sélection" in response.content.decode()


def test_the_committee_sheet_exports_are_formula_safe_and_journaled(world):
    campaign = world["campaign"]
    instructed_dossiers(campaign, 1, instructor=user("manager"))
    dossier = campaign.dossiers.get()
    dossier.applicant_name = '=HYPERLINK("http://x")'
    dossier.save()
    client = client_for("validator")
    response = client.get(reverse("calls:committee_export", args=[campaign.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=3).value == '\'=HYPERLINK("http://x")'
    pdf = client.get(reverse("calls:committee_export", args=[campaign.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.get(reverse("calls:committee_export", args=[campaign.pk, "csv"])).status_code == 404
    )
    assert AuditEvent.objects.filter(action="EXPORT", object_type="calls.Campaign").count() == 2


def test_another_regions_staff_never_see_the_dossiers_pages(world):
    campaign = world["campaign"]
    instructed_dossiers(campaign, 1, instructor=user("manager"))
    dossier = campaign.dossiers.get()
    for username in ("ailleurs", "ailleurs_v"):
        client = client_for(username)
        assert client.get(reverse("calls:committee_sheet", args=[campaign.pk])).status_code == 404
        assert (
            client.get(reverse("calls:committee_export", args=[campaign.pk, "xlsx"])).status_code
            == 404
        )
        assert client.get(reverse("calls:dossier_decision", args=[dossier.pk])).status_code == 404
    director = client_for("director")
    assert director.get(reverse("calls:dossier_decision", args=[dossier.pk])).status_code == 403


def test_another_regions_dossier_tasks_never_appear_and_their_urls_answer_404(world):
    campaign = world["campaign"]
    dossier = dossier_in(campaign)
    process = DossierCompletenessFlow.start.run(dossier=dossier)
    task = open_task(process, DossierCompletenessFlow.check)
    assert [action.task_pk for action in my_actions(user("manager"))] == [task.pk]
    assert my_actions(user("ailleurs")) == []
    assert my_actions(user("director")) == []
    url = DossierCompletenessFlow.check.reverse("index", args=[process.pk, task.pk])
    assert client_for("ailleurs").get(url).status_code == 404
    assert client_for("director").get(url).status_code == 404
    inbox = client_for("ailleurs").get(reverse("workflow:queue"))
    assert dossier.applicant_name not in inbox.content.decode()


def test_the_instructor_never_decides_and_the_decider_does(world):
    campaign = world["campaign"]
    give_role("manager", Role.ARS_VALIDATOR)
    dossier = dossier_in(campaign, state=DossierState.UNDER_REVIEW)
    process = DossierDecisionFlow.start.run(dossier=dossier)
    action = dossier.actions.get()
    response = complete(
        client_for("manager"),
        process,
        DossierDecisionFlow.instruct,
        {
            "opinion": "FAVORABLE",
            "comment": "Bon projet.",
            "previous_conventions": "",
            "score_mutualisation": "1",
            "score_agents": "1",
            "score_priority": "1",
            "score_innovation": "1",
            "score_timeline": "1",
            f"action_{action.pk}": "4500.00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    committee = create_committee(
        actor=user("validator"),
        campaign=campaign,
        session_date=datetime.date(2025, 9, 1),
        members="DOS",
    )
    task = open_task(process, DossierDecisionFlow.decide)
    # Not offered to the instructor, not takeable, not executable.
    assert task.pk not in [action.task_pk for action in my_actions(user("manager"))]
    assert task.pk in [action.task_pk for action in my_actions(user("validator"))]
    manager = client_for("manager")
    manager.post(DossierDecisionFlow.decide.reverse("assign", args=[process.pk, task.pk]))
    task.refresh_from_db()
    assert task.owner_id is None
    form = {
        "committee": committee.pk,
        "outcome": "SELECTED",
        "reasons": "Retenu.",
        f"action_{action.pk}": "4500.00",
    }
    refused = manager.post(
        DossierDecisionFlow.decide.reverse("execute", args=[process.pk, task.pk]), form
    )
    assert refused.status_code in (302, 403, 404)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED_TO_COMMITTEE
    response = complete(client_for("validator"), process, DossierDecisionFlow.decide, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SELECTED
    page = client_for("manager").get(reverse("calls:dossier_decision", args=[dossier.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Retenu" in content and "Notifier la décision" in content


def test_a_refused_decision_keeps_what_was_typed(world):
    campaign = world["campaign"]
    dossier = dossier_in(campaign, state=DossierState.UNDER_REVIEW)
    process = DossierDecisionFlow.start.run(dossier=dossier)
    action = dossier.actions.get()
    response = complete(
        client_for("manager"),
        process,
        DossierDecisionFlow.instruct,
        {
            "opinion": "FAVORABLE",
            "comment": "Motivation gardée.",
            "previous_conventions": "",
            "score_mutualisation": "1",
            "score_agents": "1",
            "score_priority": "1",
            "score_innovation": "1",
            "score_timeline": "1",
            f"action_{action.pk}": "4500.01",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "dépasse le plafond" in content
    assert "Motivation gardée." in content


def test_the_home_page_costs_the_same_for_1_and_5_dossier_tasks(world, django_assert_num_queries):
    campaign = world["campaign"]
    client = client_for("manager")

    def add(count):
        for _ in range(count):
            DossierCompletenessFlow.start.run(dossier=dossier_in(campaign))

    add(1)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        response = client.get("/")
    assert len(response.context["rows"]) == 1
    add(4)
    with django_assert_num_queries(len(one)):
        response = client.get("/")
    assert len(response.context["rows"]) == 5
    assert "Dossiers de candidature à traiter" in response.content.decode()


@pytest.mark.parametrize("page", ["process_list", "task_list", "index"])
def test_the_dossier_flow_lists_cost_the_same_for_1_and_20_processes(
    world, page, django_assert_num_queries
):
    campaign = world["campaign"]
    client = client_for("manager")
    url = DossierCompletenessFlow.instance.reverse(page)

    def add(count):
        for _ in range(count):
            DossierCompletenessFlow.start.run(dossier=dossier_in(campaign))

    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    assert response.status_code == 200
    add(19)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.status_code == 200
    if page == "process_list":
        assert response.content.count(b"Clinique") >= 20
    assert client_for("ailleurs").get(url).content.count(b"Clinique") == 0


def test_the_decision_page_costs_the_same_for_1_and_5_letters_and_writes(
    world, django_assert_num_queries
):
    campaign = world["campaign"]
    dossier = dossier_in(campaign)
    client = client_for("manager")
    url = reverse("calls:dossier_decision", args=[dossier.pk])

    def add(count):
        for n in range(count):
            letter = DecisionLetter(
                dossier=dossier,
                sha256="0" * 64,
                letter_date=datetime.date(2025, 9, 16),
                generated_by=user("manager"),
                generated_at=paris(2025, 9, 16, 9, n),
            )
            letter.file.save(f"lettre-{n}.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
            DsWriteBack.objects.create(
                dossier=dossier, kind="ACCEPT", body="Retenu.", status="DISABLED"
            )

    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    assert response.status_code == 200
    add(4)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count("(PDF)") == 5


def test_a_complements_deadline_beyond_2099_is_refused_next_to_the_field(world):
    """Its timer fires the day after: a date at the end of the calendar would overflow."""
    dossier = dossier_in(world["campaign"])
    process = DossierCompletenessFlow.start.run(dossier=dossier)
    response = complete(
        client_for("manager"),
        process,
        DossierCompletenessFlow.check,
        {"outcome": "INCOMPLETE", "message": "Joindre le devis.", "deadline_date": "9999-12-31"},
    )
    assert response.status_code in (200, 400)
    content = response.content.decode()
    assert "Indiquez une date avant le 31/12/2099." in content
    assert "Joindre le devis." in content
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ADMISSIBLE


def test_the_lists_write_a_dossier_process_as_its_flows_template_would(world):
    from django.template import Context, Template

    from workflows.flows import DossierDecisionFlow
    from workflows.lists import process_brief
    from workflows.models import DossierDecisionProcess

    dossier = dossier_in(world["campaign"])
    process = DossierDecisionProcess(flow_class=DossierDecisionFlow, dossier=dossier)
    template = Template(DossierDecisionFlow.process_summary_template)
    expected = template.render(Context({"process": process, "flow_class": DossierDecisionFlow}))
    assert str(dossier.ds_number) in expected
    assert process_brief(process) == expected


def test_a_dossier_whose_complements_are_overdue_comes_first_and_late(world):
    """The page orders every action by what ``_urgency`` reads in one narrow query: a
    dossier waiting for complements past their deadline is late and listed first."""
    import datetime

    from django.utils import timezone
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from calls.models import ComplementRequest

    campaign = world["campaign"]
    manager = user("manager")
    DossierCompletenessFlow.start.run(dossier=dossier_in(campaign, name="Clinique du lac"))
    waiting = dossier_in(campaign, name="Centre des collines")
    process = DossierCompletenessFlow.start.run(dossier=waiting)
    process.complement = ComplementRequest.objects.create(
        dossier=waiting,
        message="Pièces manquantes.",
        deadline_date=timezone.localdate() - datetime.timedelta(days=3),
        requested_by=manager,
        requested_at=timezone.now() - datetime.timedelta(days=20),
    )
    process.save()
    waiting_task = Task.objects.get(process=process, finished__isnull=True)
    Task.objects.filter(pk=waiting_task.pk).update(
        flow_task=DossierCompletenessFlow.await_complements, status=STATUS.ASSIGNED, owner=manager
    )
    actions = my_actions(manager)
    assert len(actions) == 2
    first = actions[0]
    assert first.task_pk == waiting_task.pk
    assert first.is_late and first.due_date == process.complement.deadline_date
    assert not actions[1].is_late
    html = client_for("manager").get("/").content.decode()
    assert "dont 1 en retard" in html
    assert html.index("Centre des collines") < html.index("Clinique du lac")

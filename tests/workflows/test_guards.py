"""The two framework guards every flow relies on (VIEWFLOW_NOTES traps 2 and 3)."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.urls import NoReverseMatch
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts import services
from contracts.models import Contract, ContractStatus
from territories.access import Role
from tests.workflows.world import build_world
from workflows.flows import ContractApprovalFlow, CreditDelegationFlow

from .helpers import client_for, open_task, start

TASK_URL_NAMES = [
    "index",
    "detail",
    "assign",
    "unassign",
    "execute",
    "cancel",
    "undo",
    "revive",
]


def submitted_contracts(count=2):
    """Return ``count`` approval processes waiting at the ``approve`` node."""
    build_world()
    first = Contract.objects.get()
    contracts = [first]
    for index in range(1, count):
        contracts.append(copy_contract(first, f"CAT-COPY-{index}"))
    manager = client_for("manager")
    return [start(manager, ContractApprovalFlow.start, {"contract": c.pk})[1] for c in contracts]


def copy_contract(contract, reference):
    """Create a second draft contract, ready to submit: one funded line, one milestone."""
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager")
    copy = services.create_contract(
        actor=manager,
        reference=reference,
        title="Copie",
        hospital_group=contract.hospital_group,
        start_date=date(2025, 9, 1),
        end_date=date(2028, 8, 31),
        envelope_amount=Decimal("1000.00"),
        axes=[services.AxisInput(1, "Axe")],
    )
    services.add_funding_line(
        actor=manager,
        axis=copy.axes.get(),
        code="1",
        scheme="OTHER",
        label="Mesure",
        beneficiary=contract.carrier_establishment,
        amounts_by_year={2026: Decimal("1000.00")},
    )
    services.add_milestone(
        actor=manager,
        axis=copy.axes.get(),
        title="Jalon",
        due_date=date(2027, 6, 30),
        indicator_label="Indicateur",
        target_value=Decimal("1"),
    )
    return copy


def url_for(node, name, process_pk, task_pk):
    try:
        return node.reverse(name, args=[process_pk, task_pk])
    except NoReverseMatch:
        return None


@pytest.mark.django_db
class TestTaskUrlGuard:
    def test_answers_404_when_the_task_belongs_to_another_node(self):
        process, _ = submitted_contracts()
        start_task = Task.objects.get(process=process, flow_task=ContractApprovalFlow.start)
        validator = client_for("validator")
        checked = 0
        for name in TASK_URL_NAMES:
            url = url_for(ContractApprovalFlow.approve, name, process.pk, start_task.pk)
            if url is None:
                continue
            assert validator.get(url).status_code == 404, url
            assert validator.post(url).status_code == 404, url
            checked += 1
        assert checked >= 6

    def test_answers_404_when_the_task_belongs_to_another_process(self):
        first, second = submitted_contracts()
        task_of_second = open_task(second, ContractApprovalFlow.approve)
        validator = client_for("validator")
        for name in TASK_URL_NAMES:
            url = url_for(ContractApprovalFlow.approve, name, first.pk, task_of_second.pk)
            if url is None:
                continue
            assert validator.get(url).status_code == 404, url
            assert validator.post(url).status_code == 404, url
        task_of_second.refresh_from_db()
        assert task_of_second.status == STATUS.NEW

    def test_answers_404_when_the_task_belongs_to_another_flow(self):
        process, _ = submitted_contracts()
        task = open_task(process, ContractApprovalFlow.approve)
        url = url_for(CreditDelegationFlow.approve, "assign", process.pk, task.pk)
        assert client_for("validator").post(url).status_code == 404

    def test_lets_the_matching_url_through(self):
        process, _ = submitted_contracts()
        task = open_task(process, ContractApprovalFlow.approve)
        validator = client_for("validator")
        response = validator.post(
            ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk])
        )
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.owner.username == "validator"


@contextmanager
def lock_that_is_always_held(flow_class):
    @contextmanager
    def held(flow, process_pk):
        raise FlowLockFailed(f"Lock failed for {flow}")
        yield  # pragma: no cover

    original = flow_class.lock_impl
    flow_class.lock_impl = held
    try:
        yield
    finally:
        flow_class.lock_impl = original


@pytest.mark.django_db
class TestHeldLock:
    def test_becomes_a_409_retry_page_and_changes_nothing(self):
        process, _ = submitted_contracts()
        task = open_task(process, ContractApprovalFlow.approve)
        url = ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk])
        with lock_that_is_always_held(ContractApprovalFlow):
            response = client_for("validator").post(url)
        assert response.status_code == 409
        assert response["Retry-After"] == "5"
        assert "agit en ce moment sur ce dossier" in response.content.decode()
        task.refresh_from_db()
        assert task.owner_id is None

    def test_becomes_a_json_409_for_api_clients(self):
        process, _ = submitted_contracts()
        task = open_task(process, ContractApprovalFlow.approve)
        url = ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk])
        with lock_that_is_always_held(ContractApprovalFlow):
            response = client_for("validator").post(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        assert "réessayez" in response.json()["detail"]
        assert response.json()["status"] == 409
        assert response["Retry-After"] == "5"


ALREADY_HANDLED = "Cette tâche vient d&#x27;être traitée par une autre personne."


class TestATaskAlreadyCompletedBySomeoneElse:
    """The loser of a race arrives once the winner's step has gone through."""

    def completed_approval(self):
        process, task = assigned_approval()
        url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
        assert client_for("validator").post(url, {"decision": "APPROVED"}).status_code == 302
        return process, url

    def test_gets_a_409_page_in_french_with_a_link_to_the_contract(self, db):
        process, url = self.completed_approval()

        response = client_for("validator").post(url, {"decision": "APPROVED"})

        assert response.status_code == 409
        html = response.content.decode()
        assert ALREADY_HANDLED in html
        assert f'href="/contracts/{process.contract_id}/"' in html
        assert "no transition" not in html
        assert not response.has_header("Retry-After")
        assert (
            Task.objects.filter(process=process, flow_task=ContractApprovalFlow.sign).count() == 1
        )

    def test_gets_problem_details_when_it_accepts_json(self, db):
        process, url = self.completed_approval()

        response = client_for("validator").post(
            url, {"decision": "APPROVED"}, HTTP_ACCEPT="application/json"
        )

        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 409
        assert problem["detail"] == "Cette tâche vient d'être traitée par une autre personne."
        assert problem["instance"] == url
        assert problem["where_it_stands"] == f"/contracts/{process.contract_id}/"
        assert not response.has_header("Retry-After")

    def test_taking_a_task_another_person_just_took_gets_a_409(self, db):
        process, task = assigned_approval()
        other = scenarios_validator()
        url = ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk])

        response = client_for(other.username).post(url)

        assert response.status_code == 409
        assert "prise en charge par une autre personne" in response.content.decode()
        task.refresh_from_db()
        assert task.owner.username == "validator"

    def test_a_plain_refusal_stays_a_403(self, db):
        process, task = assigned_approval()
        url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
        # The manager may see the process but holds no approval permission.
        assert client_for("manager").get(url).status_code == 403


def scenarios_validator():
    """Return a second validator of the demo region."""
    from demo.loader import GRAND_EST_CODE
    from territories.models import Region
    from tests.contracts.factories import user_with_role

    return user_with_role(Role.ARS_VALIDATOR, region=Region.objects.get(code=GRAND_EST_CODE))


def assigned_approval():
    process, _ = submitted_contracts()
    task = open_task(process, ContractApprovalFlow.approve)
    validator = client_for("validator")
    validator.post(ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk]))
    return process, task


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRowLockOnPostgres:
    def test_a_lock_held_by_another_connection_gets_the_retry_answer(self):
        process, task = assigned_approval()
        url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
        # The flow lock is a row lock on the process table of the flow.
        locked_table = ContractApprovalFlow.process_class._meta.db_table
        with connection.cursor() as cursor:
            # A regression would block instead of answering: fail fast rather than hang.
            cursor.execute("SET lock_timeout = '15s'")
        holder = connections.create_connection("default")
        try:
            with holder.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    f"SELECT 1 FROM {locked_table} WHERE process_ptr_id = %s FOR UPDATE",
                    [process.pk],
                )
                response = client_for("validator").post(url, {"decision": "APPROVED"})
                cursor.execute("ROLLBACK")
        finally:
            holder.close()
        assert response.status_code == 409
        task.refresh_from_db()
        assert task.status == STATUS.ASSIGNED
        assert Contract.objects.get(pk=process.contract_id).status == ContractStatus.SUBMITTED

    def test_a_completion_while_the_lock_is_held_gets_the_retry_answer(self, monkeypatch):
        process, task = assigned_approval()
        url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
        approve = services.approve_contract
        lock_held, loser_answered = threading.Event(), threading.Event()

        def approve_holding_the_lock(**kwargs):
            # Hold the process lock until the other request has given up on it.
            result = approve(**kwargs)
            lock_held.set()
            loser_answered.wait(timeout=60)
            return result

        monkeypatch.setattr(services, "approve_contract", approve_holding_the_lock)
        responses = {}

        def post(name):
            try:
                responses[name] = client_for("validator").post(url, {"decision": "APPROVED"})
            finally:
                if name == "loser":
                    loser_answered.set()
                connection.close()

        winner = threading.Thread(target=post, args=["winner"])
        winner.start()
        assert lock_held.wait(timeout=60)
        loser = threading.Thread(target=post, args=["loser"])
        loser.start()
        loser.join()
        winner.join()

        assert responses["winner"].status_code == 302
        assert responses["loser"].status_code == 409
        assert responses["loser"]["Retry-After"] == "5"
        assert "réessayez" in responses["loser"].content.decode()
        assert (
            Task.objects.filter(process=process, flow_task=ContractApprovalFlow.sign).count() == 1
        )
        assert Contract.objects.get(pk=process.contract_id).status == ContractStatus.APPROVED

    def test_two_simultaneous_completions_give_one_success_and_one_409_in_french(self):
        process, task = assigned_approval()
        url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
        barrier = threading.Barrier(2)
        responses = []

        def post():
            client = client_for("validator")
            try:
                barrier.wait(timeout=30)
                responses.append(client.post(url, {"decision": "APPROVED"}))
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [302, 409]
        (loser,) = [response for response in responses if response.status_code == 409]
        html = loser.content.decode()
        assert ALREADY_HANDLED in html
        assert f'href="/contracts/{process.contract_id}/"' in html
        assert not loser.has_header("Retry-After")
        assert (
            Task.objects.filter(process=process, flow_task=ContractApprovalFlow.sign).count() == 1
        )
        assert Contract.objects.get(pk=process.contract_id).status == ContractStatus.APPROVED

"""Every action on a human task is journaled in its own transaction (assign → revive)."""

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.journal import AuditAction, AuditEvent
from tests.territories.factories import UserFactory
from tests.workflows.helpers import client_for, open_task, start
from tests.workflows.world import build_world
from workflows.flows import ContractApprovalFlow

pytestmark = pytest.mark.django_db

approve = ContractApprovalFlow.approve
sign = ContractApprovalFlow.sign


@pytest.fixture
def submitted():
    """Return the demo contract's approval process, waiting at ``approve``."""
    build_world()
    _, process = start(
        client_for("manager"), ContractApprovalFlow.start, {"contract": _demo_contract_pk()}
    )
    return process


def _demo_contract_pk():
    from contracts.models import Contract, ContractStatus

    return Contract.objects.get(status=ContractStatus.DRAFT).pk


def events_since(count):
    return list(AuditEvent.objects.order_by("id")[count:])


def superuser_client(client):
    client.force_login(UserFactory(superuser=True))
    return client


class TestTaskActionsAreJournaled:
    def test_assign_and_unassign_write_one_event_each_naming_actor_and_task(self, submitted):
        task = open_task(submitted, approve)
        validator = client_for("validator")
        count = AuditEvent.objects.count()

        assigned = validator.post(approve.reverse("assign", args=[submitted.pk, task.pk]))
        unassigned = validator.post(approve.reverse("unassign", args=[submitted.pk, task.pk]))

        assert (assigned.status_code, unassigned.status_code) == (302, 302)
        first, second = events_since(count)
        assert (first.action, second.action) == (AuditAction.ASSIGN, AuditAction.UNASSIGN)
        for event in (first, second):
            assert event.actor_name == "validator"
            assert event.contract_id == submitted.contract_id
            assert (event.object_type, event.object_id) == ("viewflow.Task", str(task.pk))
            assert "Valider le contrat" in event.summary
        assert first.changes == {"owner": {"before": None, "after": "validator"}}
        assert second.changes == {"owner": {"before": "validator", "after": None}}

    def test_cancel_undo_and_revive_are_journaled_with_the_reason(self, submitted, client):
        task = open_task(submitted, approve)
        validator = client_for("validator")
        validator.post(approve.reverse("assign", args=[submitted.pk, task.pk]))
        validator.post(
            approve.reverse("execute", args=[submitted.pk, task.pk]), {"decision": "APPROVED"}
        )
        sign_task = open_task(submitted, sign)
        admin = superuser_client(client)
        count = AuditEvent.objects.count()

        cancelled = admin.post(
            sign.reverse("cancel", args=[submitted.pk, sign_task.pk]),
            {"reason": "Signature en double"},
        )
        # The gateway between them is a machine step: undone first, not journaled.
        gateway = Task.objects.get(process=submitted, flow_task=ContractApprovalFlow.is_approved)
        admin.post(
            ContractApprovalFlow.is_approved.reverse("undo", args=[submitted.pk, gateway.pk])
        )
        undone = admin.post(approve.reverse("undo", args=[submitted.pk, task.pk]))
        revived = admin.post(sign.reverse("revive", args=[submitted.pk, sign_task.pk]))

        assert [r.status_code for r in (cancelled, undone, revived)] == [302, 302, 302]
        cancel, undo, revive = events_since(count)
        assert [cancel.action, undo.action, revive.action] == [
            AuditAction.CANCEL,
            AuditAction.UNDO,
            AuditAction.REVIVE,
        ]
        assert cancel.reason == "Signature en double"
        assert cancel.object_id == str(sign_task.pk)
        assert undo.object_id == str(task.pk)
        new_task = Task.objects.get(process=submitted, flow_task=sign, status=STATUS.NEW)
        assert revive.object_id == str(new_task.pk)
        assert revive.changes == {"revived_task": {"before": sign_task.pk, "after": new_task.pk}}
        admin_id = int(admin.session["_auth_user_id"])
        assert {cancel.actor_id, undo.actor_id, revive.actor_id} == {admin_id}

    def test_a_refused_action_writes_nothing(self, submitted):
        task = open_task(submitted, approve)
        count = AuditEvent.objects.count()

        response = client_for("manager").post(
            approve.reverse("assign", args=[submitted.pk, task.pk])
        )

        assert response.status_code == 403
        assert AuditEvent.objects.count() == count

    def test_the_action_rolls_back_when_its_event_cannot_be_written(self, submitted, monkeypatch):
        task = open_task(submitted, approve)

        def broken(**kwargs):
            raise RuntimeError("journal indisponible")

        monkeypatch.setattr("workflows.nodes.record_event", broken)
        with pytest.raises(RuntimeError):
            client_for("validator").post(approve.reverse("assign", args=[submitted.pk, task.pk]))

        task.refresh_from_db()
        assert (task.status, task.owner_id) == (STATUS.NEW, None)

"""Every entry point journals its writes in their transaction, and the chain stays valid."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from audit.journal import AuditAction, AuditEvent
from audit.verify import verify_journal
from contracts import services
from contracts.imports import export_contract_file
from contracts.models import Contract, ContractStatus, Milestone
from tests.territories.factories import UserFactory
from tests.workflows.helpers import client_for, complete, open_task, start
from tests.workflows.world import build_world
from workflows.flows import ContractApprovalFlow

pytestmark = pytest.mark.django_db


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("id").last()


@pytest.fixture
def demo():
    build_world()
    return Contract.objects.get()


class TestEachEntryPoint:
    def test_a_flow_step_journals_the_decision_with_its_actor(self, demo):
        _, process = start(client_for("manager"), ContractApprovalFlow.start, {"contract": demo.pk})
        submitted = last_event()
        complete(
            client_for("validator"), process, ContractApprovalFlow.approve, {"decision": "APPROVED"}
        )
        approved = AuditEvent.objects.filter(action=AuditAction.TRANSITION).order_by("id").last()
        assert (submitted.action, submitted.actor_name) == (AuditAction.TRANSITION, "manager")
        assert (approved.summary, approved.actor_name) == ("Contrat approuvé", "validator")
        assert approved.changes["status"] == {"before": "SUBMITTED", "after": "APPROVED"}
        assert verify_journal().is_valid

    def test_an_admin_change_is_journaled_with_before_and_after(self, demo, client):
        client.force_login(UserFactory(superuser=True))
        milestone = Milestone.objects.filter(axis__contract=demo).first()
        client.post(
            reverse("admin:contracts_milestone_change", args=[milestone.pk]),
            {"title": "Intitulé revu", "indicator_label": "Postes", "indicator_unit": "postes"},
        )
        event = last_event()
        assert (event.action, event.contract_id) == (AuditAction.CHANGE, demo.pk)
        assert event.changes["title"] == {"before": milestone.title, "after": "Intitulé revu"}
        assert verify_journal().is_valid

    def test_a_contract_data_import_writes_an_import_event(self, demo, tmp_path):
        manager = get_user_model().objects.get(username="manager")
        exported = export_contract_file(
            actor=manager, contract=demo, kind="lines", file_format="csv"
        )
        path = tmp_path / "lignes.csv"
        path.write_bytes(exported.content)
        call_command(
            "import_contract_data",
            demo.reference,
            str(path),
            "--username",
            "manager",
            "--wet-run",
            stdout=None,
        )
        event = last_event()
        assert (event.action, event.actor_name, event.contract_id) == (
            AuditAction.IMPORT,
            "manager",
            demo.pk,
        )
        assert verify_journal().is_valid


class TestAStepWhoseEventCannotBeWritten:
    def test_is_rolled_back_whole(self, demo, monkeypatch):
        _, process = start(client_for("manager"), ContractApprovalFlow.start, {"contract": demo.pk})
        events = AuditEvent.objects.count()

        def broken(**kwargs):
            raise RuntimeError("journal indisponible")

        monkeypatch.setattr(services.contract, "record_event", broken)
        with pytest.raises(RuntimeError):
            complete(
                client_for("validator"),
                process,
                ContractApprovalFlow.approve,
                {"decision": "APPROVED"},
            )

        demo.refresh_from_db()
        assert demo.status == ContractStatus.SUBMITTED
        assert open_task(process, ContractApprovalFlow.approve).status in ("NEW", "ASSIGNED")
        # Only the assignment (its own transaction, journaled by the node) went through.
        assert AuditEvent.objects.count() - events <= 1

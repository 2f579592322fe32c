import pytest
from django.urls import reverse

from audit.journal import AuditAction, AuditEvent
from contracts.imports import export_contract_file
from contracts.models import FundingLine, Milestone
from tests.territories.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(superuser=True)


class TestAdmin:
    def test_the_journal_cannot_be_added_changed_or_deleted(self, client, superuser, contract):
        client.force_login(superuser)
        export_contract_file(actor=superuser, contract=contract, kind="lines", file_format="csv")
        # The superuser's own creation is journaled too (a rights event): take the export's.
        event = AuditEvent.objects.get(action=AuditAction.EXPORT)
        assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
        change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
        assert client.post(change_url, {"summary": "falsifié"}).status_code == 403
        delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
        assert AuditEvent.objects.get(pk=event.pk).summary == event.summary
        assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200

    def test_money_and_status_are_read_only(self, client, superuser, contract):
        client.force_login(superuser)
        response = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
        assert response.status_code == 200
        assert 'name="envelope_amount"' not in response.content.decode()
        line = FundingLine.objects.filter(axis__contract=contract).first()
        response = client.get(reverse("admin:contracts_fundingline_change", args=[line.pk]))
        assert 'name="label"' in response.content.decode()
        assert 'name="allocations-0-allocated_amount"' not in response.content.decode()

    def test_a_wording_change_is_journaled(self, client, superuser, contract):
        client.force_login(superuser)
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        response = client.post(
            reverse("admin:contracts_milestone_change", args=[milestone.pk]),
            {"title": "Nouvel intitulé", "indicator_label": "Postes", "indicator_unit": "postes"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        event = AuditEvent.objects.last()
        assert (event.action, event.contract_id) == (AuditAction.CHANGE, contract.pk)
        assert event.changes["title"]["after"] == "Nouvel intitulé"

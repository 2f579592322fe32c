"""The auditor's timeline, search and exports: scoped, read-only, journaled, constant queries."""

import io

import openpyxl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.journal import AuditAction, AuditEvent, record_event
from contracts.models import Contract, Milestone
from territories.access import Role
from tests.audit.builders import append_events
from tests.contracts.factories import ContractFactory, user_with_role
from tests.workflows.helpers import client_for, start
from tests.workflows.world import build_world
from workflows.flows import ContractApprovalFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_contract():
    """The demo contract, submitted through the approval flow (events and tasks)."""
    build_world()
    contract = Contract.objects.get()
    start(client_for("manager"), ContractApprovalFlow.start, {"contract": contract.pk})
    return contract


def timeline_url(contract, **query):
    url = reverse("audit:timeline", args=[contract.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def export_url(contract, file_format, query=""):
    return reverse("audit:timeline_export", args=[contract.pk, file_format]) + query


class TestTheUrls:
    def test_resolve_in_the_audit_namespace(self):
        assert reverse("audit:timeline", args=[7]).endswith("/contracts/7/")
        assert reverse("audit:timeline_export", args=[7, "csv"]).endswith("/7/export.csv")
        assert reverse("audit:search").endswith("/search/")


class TestTheTimeline:
    def test_merges_journal_events_and_workflow_tasks_newest_first(self, demo_contract):
        response = client_for("auditor").get(timeline_url(demo_contract))
        assert response.status_code == 200
        entries = response.context["entries"]
        sources = {entry.source for entry in entries}
        assert sources == {"journal", "workflow"}
        assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
        page = response.content.decode()
        assert "Contrat soumis à validation" in page
        assert "Valider le contrat" in page  # the open task, by its node title

    def test_opening_it_as_an_auditor_is_journaled(self, demo_contract):
        client_for("auditor").get(timeline_url(demo_contract, actor="manager"))
        event = AuditEvent.objects.order_by("id").last()
        assert (event.action, event.actor_name, event.contract_id) == (
            AuditAction.VIEW,
            "auditor",
            demo_contract.pk,
        )
        assert event.changes == {"filters": {"actor": "manager"}}

    def test_opening_it_as_an_ars_validator_is_not_a_view_event(self, demo_contract):
        count = AuditEvent.objects.count()
        assert client_for("validator").get(timeline_url(demo_contract)).status_code == 200
        assert AuditEvent.objects.count() == count

    def test_filters_by_action_actor_object_type_and_dates(self, demo_contract):
        auditor = client_for("auditor")
        tasks = auditor.get(timeline_url(demo_contract, action="TASK")).context["entries"]
        assert tasks and {e.source for e in tasks} == {"workflow"}
        submitted = auditor.get(timeline_url(demo_contract, action="TRANSITION")).context["entries"]
        assert submitted and {e.action for e in submitted} == {AuditAction.TRANSITION}
        by_manager = auditor.get(timeline_url(demo_contract, actor="manag")).context["entries"]
        assert by_manager and {e.actor for e in by_manager} == {"manager"}
        lines = auditor.get(
            timeline_url(demo_contract, object_type="contracts.FundingLine")
        ).context["entries"]
        assert lines and {e.object_type for e in lines} == {"contracts.FundingLine"}
        none = auditor.get(
            timeline_url(demo_contract, date_from="2000-01-01", date_to="2000-12-31")
        ).context["entries"]
        assert none == []

    def test_is_paginated_fifty_per_page(self, demo_contract):
        append_events(60, contract=demo_contract)
        auditor = client_for("validator")  # an auditor's reading would add an event
        first = auditor.get(timeline_url(demo_contract)).context
        assert len(first["entries"]) == 50
        assert first["page_obj"].paginator.num_pages >= 2
        second = auditor.get(timeline_url(demo_contract, page=2)).context["entries"]
        assert second
        assert not {(e.source, e.entry_id) for e in second} & {
            (e.source, e.entry_id) for e in first["entries"]
        }

    def test_takes_the_same_number_of_queries_for_1_and_50_events(self):
        contract = ContractFactory()
        auditor = user_with_role(Role.AUDITOR, national=True)

        def queries_with(count):
            append_events(count, contract=contract)
            client = self.client_for(auditor)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(timeline_url(contract)).status_code == 200
            return len(captured)

        assert queries_with(1) == queries_with(49)

    @staticmethod
    def client_for(user):
        from django.test import Client

        client = Client()
        client.force_login(user)
        return client

    def test_is_a_404_outside_the_scope(self, demo_contract):
        elsewhere = ContractFactory()
        assert client_for("validator").get(timeline_url(elsewhere)).status_code == 404
        assert client_for("validator").get(export_url(elsewhere, "csv")).status_code == 404

    def test_is_a_403_without_the_journal_permission(self, demo_contract):
        assert client_for("director").get(timeline_url(demo_contract)).status_code == 403

    def test_changes_nothing_and_refuses_every_write_method(self, demo_contract):
        auditor = client_for("auditor")
        for url in (
            timeline_url(demo_contract),
            export_url(demo_contract, "csv"),
            reverse("audit:search"),
        ):
            assert auditor.post(url).status_code == 405
            assert auditor.delete(url).status_code == 405


class TestTheExport:
    def add_formula_event(self, contract):
        with transaction.atomic():
            record_event(
                actor=None,
                action=AuditAction.CHANGE,
                contract=contract,
                summary='=HYPERLINK("http://evil.invalid","clic")',
                reason="+33 6 00 00 00 00",
            )

    def test_csv_holds_the_filtered_timeline_with_neutralised_cells(self, demo_contract):
        self.add_formula_event(demo_contract)
        response = client_for("auditor").get(export_url(demo_contract, "csv", "?action=CHANGE"))
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('-historique.csv"')
        text = response.content.decode("utf-8-sig")
        assert "'=HYPERLINK" in text
        assert "'+33 6" in text
        assert "Contrat soumis" not in text  # filtered out: a TRANSITION

    def test_xlsx_cells_are_neutralised_too(self, demo_contract):
        self.add_formula_event(demo_contract)
        response = client_for("auditor").get(export_url(demo_contract, "xlsx"))
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
        assert any(str(v).startswith("'=HYPERLINK") for v in values)
        assert not any(str(v).startswith("=") for v in values)

    def test_is_journaled(self, demo_contract):
        client_for("validator").get(export_url(demo_contract, "xlsx"))
        event = AuditEvent.objects.order_by("id").last()
        assert (event.action, event.actor_name) == (AuditAction.EXPORT, "validator")
        assert event.changes["format"] == "xlsx"

    def test_an_unknown_format_is_a_404(self, demo_contract):
        assert client_for("auditor").get(export_url(demo_contract, "pdf")).status_code == 404


class TestTheSearch:
    def test_finds_text_in_summaries_reasons_and_actors_within_the_scope(self, demo_contract):
        elsewhere = ContractFactory()
        with transaction.atomic():
            for contract in (demo_contract, elsewhere):
                record_event(
                    actor=None,
                    action=AuditAction.CHANGE,
                    contract=contract,
                    summary="Montant revu",
                    reason="aiguille dans la botte",
                )
        auditor = client_for("auditor").get(reverse("audit:search") + "?q=aiguille")
        validator = client_for("validator").get(reverse("audit:search") + "?q=aiguille")
        assert {e.contract_id for e in auditor.context["entries"]} == {
            demo_contract.pk,
            elsewhere.pk,
        }
        assert {e.contract_id for e in validator.context["entries"]} == {demo_contract.pk}
        assert reverse("audit:timeline", args=[demo_contract.pk]) in validator.content.decode()

    def test_is_a_403_without_the_journal_permission(self, demo_contract):
        assert client_for("director").get(reverse("audit:search")).status_code == 403


class TestAnAuditor:
    def test_cannot_write_through_the_contract_pages_or_the_admin(self, demo_contract):
        auditor = client_for("auditor")
        milestone = Milestone.objects.filter(axis__contract=demo_contract).first()
        before = (Milestone.objects.values_list("due_date", "title").get(pk=milestone.pk),)
        responses = [
            auditor.post(
                reverse("contracts:milestone_reschedule", args=[demo_contract.pk, milestone.pk]),
                {"due_date": "2030-01-01", "reason": "x"},
            ),
            auditor.post(reverse("contracts:line_add", args=[demo_contract.pk]), {}),
            auditor.post(
                reverse("admin:contracts_milestone_change", args=[milestone.pk]),
                {"title": "Changé"},
            ),
        ]
        assert [r.status_code for r in responses][:2] == [403, 403]
        assert responses[2].status_code in (302, 403)  # not staff: sent to the admin login
        assert (Milestone.objects.values_list("due_date", "title").get(pk=milestone.pk),) == before


class TestTheBeforeAndAfterValues:
    def test_are_shown_to_the_auditor_for_each_changed_field(self, demo_contract):
        append_events(1, contract=demo_contract)
        response = client_for("auditor").get(timeline_url(demo_contract, action="CHANGE"))
        (entry,) = response.context["entries"]
        assert [(c.field, c.before, c.after) for c in entry.changes] == [("amount", "1.00", "2.00")]
        page = response.content.decode()
        assert '<th scope="row">amount</th><td>1.00</td><td>2.00</td>' in page

    def test_are_exported_in_their_own_column(self, demo_contract):
        append_events(1, contract=demo_contract)
        response = client_for("auditor").get(export_url(demo_contract, "csv", "?action=CHANGE"))
        text = response.content.decode("utf-8-sig")
        assert "avant_apres" in text.splitlines()[0]
        assert "amount : 1.00 → 2.00" in text

    def test_of_a_workflow_task_are_empty(self, demo_contract):
        response = client_for("auditor").get(timeline_url(demo_contract, action="TASK"))
        assert response.context["entries"]
        assert all(entry.changes == () for entry in response.context["entries"])


class TestACodedValue:
    def test_reads_as_its_french_label(self, demo_contract):
        response = client_for("auditor").get(timeline_url(demo_contract, action="TRANSITION"))
        changes = [c for entry in response.context["entries"] for c in entry.changes]
        status = next(c for c in changes if c.field == "status")
        assert (status.before, status.after) == ("Brouillon", "Soumis à validation")
        assert "SUBMITTED" not in response.content.decode()

"""Actions through the API: the same services, inside the flow and its lock, four-eyes and
scope as the pages, journaled with the token's owner and the channel "api"."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from contracts.models import Contract, CreditDelegation, Milestone
from territories.access import Role
from tests.api.conftest import token_client
from tests.api.world import demo_user
from tests.workflows import scenarios
from tests.workflows.test_guards import copy_contract
from workflows.flows import ConsumptionClosingFlow, ContractApprovalFlow, MilestoneReviewFlow
from workflows.models import ContractProcess

pytestmark = pytest.mark.django_db

FOUR_EYES = (
    "Contrôle à quatre yeux : vous avez préparé ce que cette étape décide ; "
    "une autre personne doit la faire."
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def contract():
    return scenarios.active_demo_contract()


def api(username: str):
    return token_client(demo_user(username))


def api_events(**lookup):
    return AuditEvent.objects.filter(changes__channel="api", **lookup)


class TestDirectorFilesAMilestoneReport:
    @pytest.fixture
    def milestone(self, contract):
        milestone = Milestone.objects.get(
            axis__contract=contract, title="Maison des internes ouverte"
        )
        MilestoneReviewFlow.start.run(milestone=milestone)
        return milestone

    def test_the_report_is_filed_with_its_evidence(self, milestone):
        response = api("director").post(
            f"/api/v1/milestones/{milestone.pk}/report/",
            {
                "actual_value": "1",
                "comment": "Ouverte le 2 mars.",
                "evidence": SimpleUploadedFile("pv.pdf", b"%PDF-1.4", "application/pdf"),
                "evidence_description": "Procès-verbal d'ouverture",
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        milestone.refresh_from_db()
        assert (milestone.status, milestone.actual_value) == ("SUBMITTED", Decimal("1.00"))
        assert milestone.submitted_by == demo_user("director")
        assert [e.description for e in milestone.evidence.all()] == ["Procès-verbal d'ouverture"]
        process = ContractProcess.objects.get(milestone=milestone)
        assert (
            Task.objects.get(process=process, flow_task=MilestoneReviewFlow.review).status == "NEW"
        )

    def test_the_report_appears_on_the_progress_page_and_in_the_journal(self, milestone):
        api("director").post(
            f"/api/v1/milestones/{milestone.pk}/report/", {"actual_value": "1"}, format="json"
        )
        page = Client()
        page.force_login(demo_user("manager"))
        response = page.get(reverse("progress:contract", args=[milestone.axis.contract_id]))
        shown = {
            entry.milestone.pk: (entry.milestone.status, entry.milestone.actual_value)
            for axis in response.context["progress"].axes
            for entry in axis.milestones
        }
        assert shown[milestone.pk] == ("SUBMITTED", Decimal("1.00"))
        events = api_events(object_type="contracts.Milestone", object_id=str(milestone.pk))
        assert [(e.actor_name, e.changes["channel"]) for e in events] == [("director", "api")]
        assert api_events(object_type="viewflow.Task", actor_name="director").exists()

    def test_the_api_progress_has_the_figures_of_the_progress_page(self, milestone):
        client = api("manager")
        api("director").post(
            f"/api/v1/milestones/{milestone.pk}/report/", {"actual_value": "1"}, format="json"
        )
        contract_id = milestone.axis.contract_id
        body = client.get(f"/api/v1/contracts/{contract_id}/progress/").json()
        page = Client()
        page.force_login(demo_user("manager"))
        progress = page.get(reverse("progress:contract", args=[contract_id])).context["progress"]
        assert body["total"]["allocated"] == str(progress.total.allocated)
        assert body["total"]["delegated"] == str(progress.total.delegated)
        assert [a["figures"]["allocated"] for a in body["axes"]] == [
            str(a.figures.allocated) for a in progress.axes
        ]
        assert [[m["state"] for m in a["milestones"]] for a in body["axes"]] == [
            [m.state for m in a.milestones] for a in progress.axes
        ]

    def test_a_missing_value_is_a_400_naming_the_field(self, milestone):
        response = api("director").post(
            f"/api/v1/milestones/{milestone.pk}/report/", {"comment": "?"}, format="json"
        )
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {"field": "actual_value", "message": "Ce champ est obligatoire."}
        ]
        milestone.refresh_from_db()
        assert milestone.status == "PLANNED"

    def test_a_read_only_role_writes_nothing(self, milestone):
        response = api("auditor").post(
            f"/api/v1/milestones/{milestone.pk}/report/", {"actual_value": "1"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "Votre rôle ou votre périmètre ne permet pas de faire cette étape."
        )
        milestone.refresh_from_db()
        assert milestone.status == "PLANNED"

    def test_a_step_that_is_not_open_is_a_409(self, milestone):
        client = api("director")
        url = f"/api/v1/milestones/{milestone.pk}/report/"
        assert client.post(url, {"actual_value": "1"}, format="json").status_code == 200
        response = client.post(url, {"actual_value": "2"}, format="json")
        assert response.status_code == 409
        assert "Déclarer l'avancement" in response.json()["detail"]

    def test_the_reporter_cannot_validate_their_own_report(self, milestone):
        scenarios.give_role("director", Role.ARS_MANAGER)
        client = api("director")
        client.post(
            f"/api/v1/milestones/{milestone.pk}/report/", {"actual_value": "1"}, format="json"
        )
        response = client.post(
            f"/api/v1/milestones/{milestone.pk}/review/", {"decision": "APPROVED"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["detail"] == FOUR_EYES
        milestone.refresh_from_db()
        assert milestone.status == "SUBMITTED"

    def test_the_task_list_points_to_the_action(self, milestone):
        rows = api("director").get("/api/v1/tasks/").json()["results"]
        assert [(r["node"], r["action"]) for r in rows] == [
            ("report", f"/api/v1/milestones/{milestone.pk}/report/")
        ]


class TestDirectorFilesAConsumptionStatement:
    def test_the_statement_is_filed_in_the_closing_process(self, contract):
        allocation = scenarios.delegated_allocation(contract)
        page = scenarios.client_for("manager")
        _, process = scenarios.start(
            page, ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )
        response = api("director").post(
            f"/api/v1/contracts/{contract.pk}/statements/",
            {"line": "4.2", "year": 2025, "consumed_amount": "3000.00", "comment": "Bilan"},
            format="json",
        )
        assert response.status_code == 200, response.content
        process.refresh_from_db()
        assert process.statement.consumed_amount == Decimal("3000.00")
        assert process.statement.submitted_by == demo_user("director")
        assert api_events(object_type="contracts.ConsumptionStatement").exists()

    def test_an_unknown_line_is_a_400_naming_the_field(self, contract):
        response = api("director").post(
            f"/api/v1/contracts/{contract.pk}/statements/",
            {"line": "9.9", "year": 2025, "consumed_amount": "1.00"},
            format="json",
        )
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["line"]


class TestContractApproval:
    @pytest.fixture
    def draft(self, contract):
        return copy_contract(contract, "CAT-GE-2025-COPIE")

    def test_a_manager_submits_and_a_validator_approves(self, draft):
        response = api("manager").post(f"/api/v1/contracts/{draft.pk}/submit/")
        assert response.status_code == 201, response.content
        process = ContractProcess.objects.get(pk=response.json()["process"])
        assert process.flow_class is ContractApprovalFlow
        draft.refresh_from_db()
        assert draft.status == "SUBMITTED"
        response = api("validator").post(
            f"/api/v1/contracts/{draft.pk}/decision/", {"decision": "APPROVED"}, format="json"
        )
        assert response.status_code == 200, response.content
        draft.refresh_from_db()
        assert (draft.status, draft.approved_by) == ("APPROVED", demo_user("validator"))
        assert (
            Task.objects.get(process=process, flow_task=ContractApprovalFlow.sign).status == "NEW"
        )

    def test_returning_needs_a_reason_and_the_manager_resubmits(self, draft):
        api("manager").post(f"/api/v1/contracts/{draft.pk}/submit/")
        client = api("validator")
        url = f"/api/v1/contracts/{draft.pk}/decision/"
        response = client.post(url, {"decision": "RETURNED"}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "reason", "message": "Indiquez le motif du renvoi."}
        ]
        response = client.post(
            url, {"decision": "RETURNED", "reason": "Axe 2 flou."}, format="json"
        )
        assert response.status_code == 200
        draft.refresh_from_db()
        assert draft.status == "DRAFT"
        assert api("manager").post(f"/api/v1/contracts/{draft.pk}/submit/").status_code == 200
        draft.refresh_from_db()
        assert draft.status == "SUBMITTED"

    def test_the_submitter_cannot_approve_even_with_the_validator_role(self, draft):
        scenarios.give_role("manager", Role.ARS_VALIDATOR)
        client = api("manager")
        client.post(f"/api/v1/contracts/{draft.pk}/submit/")
        response = client.post(
            f"/api/v1/contracts/{draft.pk}/decision/", {"decision": "APPROVED"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["detail"] == FOUR_EYES
        draft.refresh_from_db()
        assert draft.status == "SUBMITTED"

    def test_a_director_cannot_submit(self, draft):
        response = api("director").post(f"/api/v1/contracts/{draft.pk}/submit/")
        assert response.status_code == 403
        assert Contract.objects.get(pk=draft.pk).status == "DRAFT"


class TestCreditDelegation:
    def test_a_manager_prepares_and_a_validator_approves(self, contract):
        response = api("manager").post(
            f"/api/v1/contracts/{contract.pk}/delegations/", {"year": 2026}, format="json"
        )
        assert response.status_code == 201, response.content
        delegation = CreditDelegation.objects.get(contract=contract, year=2026)
        assert delegation.prepared_by == demo_user("manager")
        response = api("validator").post(
            f"/api/v1/delegations/{delegation.pk}/decision/",
            {
                "decision": "APPROVED",
                "decision_reference": "DEL-2026-001",
                "decision_date": "2026-09-15",
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        delegation.refresh_from_db()
        assert (delegation.status, delegation.decision_reference) == ("APPROVED", "DEL-2026-001")
        events = api_events(object_type="contracts.CreditDelegation").order_by("id")
        # The last one is the GHT's notification, a system step run in the same call.
        assert [e.actor_name for e in events] == ["manager", "validator", ""]

    def test_approving_needs_a_reference_and_a_date(self, contract):
        process = scenarios.prepared_delegation(contract, year=2026)
        response = api("validator").post(
            f"/api/v1/delegations/{process.delegation_id}/decision/",
            {"decision": "APPROVED"},
            format="json",
        )
        assert response.status_code == 400
        assert {e["field"] for e in response.json()["errors"]} == {
            "decision_reference",
            "decision_date",
        }

    def test_the_preparer_gets_403_with_the_reason(self, contract):
        process = scenarios.prepared_delegation(contract, year=2026)
        scenarios.give_role("manager", Role.ARS_VALIDATOR)
        response = api("manager").post(
            f"/api/v1/delegations/{process.delegation_id}/decision/",
            {"decision": "APPROVED", "decision_reference": "D", "decision_date": "2026-09-15"},
            format="json",
        )
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == FOUR_EYES
        process.delegation.refresh_from_db()
        assert process.delegation.status == "PREPARED"

    def test_a_year_out_of_bounds_is_a_400(self, contract):
        response = api("manager").post(
            f"/api/v1/contracts/{contract.pk}/delegations/", {"year": 1999}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "year"


def test_the_curl_session_of_the_documentation(contract, settings, tmp_path):
    """docs/API.md: create a token on the page, list my contracts, file a milestone report."""
    milestone = Milestone.objects.get(axis__contract=contract, title="Maison des internes ouverte")
    MilestoneReviewFlow.start.run(milestone=milestone)
    page = Client()
    page.force_login(demo_user("director"))
    created = page.post(reverse("api_tokens:index"), {"name": "SI du GHT", "lifetime_days": "90"})
    key = created.context["issued"].key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    contracts = client.get("/api/v1/contracts/", {"status": "ACTIVE", "ordering": "reference"})
    assert [c["reference"] for c in contracts.json()["results"]] == [contract.reference]
    task = client.get("/api/v1/tasks/").json()["results"][0]
    response = client.post(
        task["action"],
        {
            "actual_value": "1",
            "comment": "Maison des internes ouverte le 2 mars.",
            "evidence": SimpleUploadedFile("proces-verbal.pdf", b"%PDF-1.4"),
            "evidence_description": "Procès-verbal d'ouverture",
        },
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["detail"] == "L'étape « Déclarer l'avancement » est terminée."


class TestRecoveryAndAmendmentDecisions:
    def test_a_validator_approves_a_recovery(self, contract):
        process = scenarios.prepared_recovery(contract)
        response = api("validator").post(
            f"/api/v1/recoveries/{process.recovery_id}/decision/",
            {"decision": "APPROVED"},
            format="json",
        )
        assert response.status_code == 200, response.content
        process.recovery.refresh_from_db()
        assert (process.recovery.status, process.recovery.approved_by) == (
            "APPROVED",
            demo_user("validator"),
        )

    def test_a_validator_returns_an_amendment_with_a_reason(self, contract):
        process = scenarios.drafted_amendment(contract)
        response = api("validator").post(
            f"/api/v1/amendments/{process.amendment_id}/decision/",
            {"decision": "RETURNED", "reason": "Montants à revoir."},
            format="json",
        )
        assert response.status_code == 200, response.content
        process.amendment.refresh_from_db()
        assert process.amendment.status == "REJECTED"

    def test_the_drafter_cannot_approve_their_amendment(self, contract):
        process = scenarios.drafted_amendment(contract)
        scenarios.give_role("manager", Role.ARS_VALIDATOR)
        response = api("manager").post(
            f"/api/v1/amendments/{process.amendment_id}/decision/",
            {"decision": "APPROVED"},
            format="json",
        )
        assert response.status_code == 403
        assert response.json()["detail"] == FOUR_EYES
        process.amendment.refresh_from_db()
        assert process.amendment.status == "PREPARED"

"""Every decision page shows, on its GET, the facts it decides on."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.credits import recoverable
from contracts.models import Milestone
from contracts.money import format_euros
from contracts.selectors import contract_figures
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)

from . import scenarios
from .helpers import client_for, complete, open_task

pytestmark = pytest.mark.django_db


def task_page(username, process, node) -> str:
    task = open_task(process, node)
    client = client_for(username)
    if task.owner_id is None:
        client.post(node.reverse("assign", args=[process.pk, task.pk]))
    response = client.get(node.reverse("execute", args=[process.pk, task.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_contract_approval_shows_the_summary_and_per_axis_totals():
    contract = scenarios.demo_contract()
    process = scenarios.submitted_approval(contract)

    page = task_page("validator", process, ContractApprovalFlow.approve)

    figures = contract_figures(contract)
    assert contract.reference in page
    assert format_euros(contract.envelope_amount) in page
    assert format_euros(figures.total.allocated) in page
    for axis in contract.axes.all():
        assert axis.title in page
        assert format_euros(figures.axis(axis.pk).allocated) in page
    assert "Valider le contrat" in page


def test_delegation_approval_shows_amounts_per_line_and_the_total():
    contract = scenarios.active_demo_contract()
    process = scenarios.prepared_delegation(contract)

    page = task_page("validator", process, CreditDelegationFlow.approve)

    lines = list(process.delegation.lines.select_related("allocation__funding_line"))
    assert lines
    for line in lines:
        assert line.allocation.funding_line.code in page
        assert format_euros(line.amount) in page
    assert "Total de la délégation" in page
    assert format_euros(sum(line.amount for line in lines)) in page
    assert "crédits FIR" in page


def test_delegation_revision_shows_the_proposed_amounts_to_the_preparer():
    contract = scenarios.active_demo_contract()
    process = scenarios.prepared_delegation(contract)
    response = complete(
        client_for("validator"),
        process,
        CreditDelegationFlow.approve,
        {"decision": "RETURNED", "reason": "Revoir la ligne 4.2."},
    )
    assert response.status_code == 302

    page = task_page("manager", process, CreditDelegationFlow.revise)

    assert "Total de la délégation" in page
    assert "4.2" in page


def test_recovery_approval_shows_delegated_declared_non_compliant_and_recovery():
    contract = scenarios.active_demo_contract()
    process = scenarios.prepared_recovery(contract)
    process.refresh_from_db()
    recovery = process.recovery

    page = task_page("validator", process, ConsumptionClosingFlow.approve_recovery)

    assert format_euros(process.allocation.delegated_amount) in page
    assert format_euros(process.statement.consumed_amount) in page
    assert format_euros(recovery.amount) in page
    assert "Récupération calculée" in page
    assert "Dont non conforme" in page


def test_closing_check_shows_the_computed_recovery_before_deciding():
    contract = scenarios.active_demo_contract()
    allocation = scenarios.delegated_allocation(contract)
    _response, process = scenarios.start(
        client_for("manager"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
    )
    response = complete(
        client_for("director"),
        process,
        ConsumptionClosingFlow.declare,
        {"consumed_amount": "3000.00", "non_compliant_amount": "500.00", "comment": ""},
    )
    assert response.status_code == 302
    allocation.refresh_from_db()

    page = task_page("manager", process, ConsumptionClosingFlow.check)

    unused = allocation.delegated_amount - 3000
    assert format_euros(allocation.delegated_amount) in page
    assert format_euros(3000) in page
    assert format_euros(500) in page
    assert format_euros(unused + 500) in page
    assert recoverable(allocation) is not None


def test_milestone_validation_shows_declared_value_target_due_date_and_evidence():
    contract = scenarios.active_demo_contract()
    milestone = Milestone.objects.get(
        axis__contract=contract, title="Assistant spécialiste en poste"
    )
    process = MilestoneReviewFlow.start.run(milestone=milestone)
    response = complete(
        client_for("director"),
        process,
        MilestoneReviewFlow.report,
        {
            "actual_value": "1",
            "comment": "En poste.",
            "evidence": SimpleUploadedFile(
                "arrete.pdf",
                b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
                content_type="application/pdf",
            ),
            "evidence_description": "Arrêté de nomination",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    milestone.refresh_from_db()

    page = task_page("manager", process, MilestoneReviewFlow.review)

    document = milestone.evidence.get()
    assert milestone.title in page
    assert milestone.indicator_label in page
    assert milestone.due_date.strftime("%d/%m/%Y") in page
    assert "Valeur déclarée" in page
    assert "Arrêté de nomination" in page
    assert reverse("contracts:evidence_download", args=[contract.pk, document.pk]) in page


def test_report_form_recalls_the_indicator_target_and_due_date():
    contract = scenarios.active_demo_contract()
    milestone = Milestone.objects.get(
        axis__contract=contract, title="Assistant spécialiste en poste"
    )
    process = MilestoneReviewFlow.start.run(milestone=milestone)

    page = task_page("director", process, MilestoneReviewFlow.report)

    assert milestone.indicator_label in page
    assert milestone.due_date.strftime("%d/%m/%Y") in page
    assert "Cible" in page


def test_amendment_decision_shows_the_diff_and_the_checks_it_triggers():
    contract = scenarios.active_demo_contract()
    process = scenarios.drafted_amendment(contract)

    page = task_page("validator", process, AmendmentFlow.approve)

    assert format_euros(contract.envelope_amount) in page
    assert format_euros(950000) in page
    assert "Enveloppe" in page
    assert "Période du contrat" in page
    assert "Valider l'avenant" in page

"""Checks at the field, server-side, in French: bad input is refused next to its field,
kept in the form, and nothing is written (rows and journal)."""

import html
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.journal import AuditEvent
from calls.models import AwardKind, IndividualAward
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    CreditDelegation,
    FundingLine,
    Milestone,
)
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
)
from workflows.models import ContractProcess

from . import scenarios
from .helpers import client_for, complete, start

pytestmark = pytest.mark.django_db

LONG_TEXT = "x" * 6000


def counts(*models):
    return [model.objects.count() for model in models] + [
        AuditEvent.objects.count(),
        ContractProcess.objects.count(),
    ]


def refused(response, field, message):
    """Assert a 400 re-rendered form with ``message`` on ``field``; return the page."""
    assert response.status_code == 400, response.status_code
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    return html.unescape(response.content.decode())


class TestTheStatement:
    def test_non_compliant_above_declared_is_refused(self):
        contract = scenarios.active_demo_contract()
        allocation = scenarios.delegated_allocation(contract)
        _response, process = start(
            client_for("manager"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )
        complete(client_for("director"), process, ConsumptionClosingFlow.declare, {})  # takes it
        before = counts(ConsumptionStatement)

        response = complete(
            client_for("director"),
            process,
            ConsumptionClosingFlow.declare,
            {"consumed_amount": "3000.00", "non_compliant_amount": "4500.00", "comment": "Vu."},
        )

        page = refused(response, "non_compliant_amount", "ne peuvent pas dépasser")
        assert 'value="4500.00"' in page
        assert 'value="3000.00"' in page
        assert counts(ConsumptionStatement) == before


class TestTheDelegationDecision:
    def post(self, decision_date):
        contract = scenarios.active_demo_contract()
        process = scenarios.prepared_delegation(contract)
        self.before = counts(CreditDelegation)
        return complete(
            client_for("validator"),
            process,
            CreditDelegationFlow.approve,
            {
                "decision": "APPROVED",
                "decision_reference": "DEL-1999",
                "decision_date": decision_date.isoformat(),
            },
        )

    def test_a_date_in_1999_is_refused(self):
        response = self.post(date(1999, 3, 1))

        page = refused(response, "decision_date", "ne peut pas précéder")
        assert 'value="1999-03-01"' in page
        assert 'value="DEL-1999"' in page
        # The assignment was journalled before; nothing after it.
        assert counts(CreditDelegation)[0] == self.before[0]
        assert CreditDelegation.objects.filter(status="APPROVED").count() == 0

    def test_a_date_in_the_future_is_refused(self):
        response = self.post(timezone.localdate() + timedelta(days=3))

        refused(response, "decision_date", "dans le futur")
        assert CreditDelegation.objects.filter(status="APPROVED").count() == 0


class TestTheAmendment:
    def draft(self, contract, data):
        return start(
            client_for("manager"),
            AmendmentFlow.start,
            {"contract": contract.pk, "reason": "Avenant de test.", **data},
            query=f"?contract={contract.pk}",
        )

    def test_a_total_over_the_envelope_is_refused(self):
        contract = scenarios.active_demo_contract()
        allocation = contract.axes.first().lines.first().allocations.first()
        before = counts(Amendment)
        name = f"allocation_{allocation.funding_line_id}_{allocation.year}"
        over = allocation.allocated_amount + contract.envelope_amount

        response, process = self.draft(contract, {name: str(over)})

        page = refused(response, "envelope_amount", "dépasse l'enveloppe")
        assert f'value="{over}"' in page
        assert process is None
        assert counts(Amendment) == before

    def test_a_milestone_after_the_contract_end_is_refused(self):
        contract = scenarios.active_demo_contract()
        milestone = Milestone.objects.filter(axis__contract=contract).first()
        late = contract.end_date + timedelta(days=30)
        before = counts(Amendment)

        response, process = self.draft(contract, {f"milestone_{milestone.pk}": late.isoformat()})

        page = refused(response, f"milestone_{milestone.pk}", "période du contrat")
        assert f'value="{late.isoformat()}"' in page
        assert counts(Amendment) == before

    def test_amounts_typed_on_a_line_owned_by_its_awards_are_refused_next_to_the_field(self):
        contract = scenarios.active_demo_contract()
        line = FundingLine.objects.get(axis__contract=contract, code="3.1")  # IPA
        IndividualAward.objects.create(
            kind=AwardKind.IPA,
            region=contract.region,
            funding_line=line,
            identifier="IPA-1",
            last_name="Durand",
            first_name="Léa",
            start_date=date(2025, 9, 1),
            months=24,
            total_amount=Decimal("20000.00"),
            created_by=scenarios.user("manager"),
        )
        before = counts(Amendment)
        name = f"allocation_{line.pk}_2026"

        response, process = self.draft(contract, {name: "60000.00"})

        page = refused(response, name, "somme de ses attributions individuelles")
        assert "Les montants de la ligne 3.1" in page
        assert 'value="60000.00"' in page and "Avenant de test." in page
        assert process is None
        assert counts(Amendment) == before


def test_a_milestone_moved_after_the_contract_end_is_refused_next_to_its_date():
    contract = scenarios.active_demo_contract()
    milestone = Milestone.objects.filter(axis__contract=contract).first()
    late = contract.end_date + timedelta(days=1)
    before = counts(Milestone)

    response = client_for("manager").post(
        reverse("contracts:milestone_reschedule", args=[contract.pk, milestone.pk]),
        {"due_date": late.isoformat(), "reason": "Report demandé."},
    )

    page = refused(response, "due_date", "période du contrat")
    assert "Report demandé." in page
    milestone.refresh_from_db()
    assert milestone.due_date != late
    assert counts(Milestone) == before


def test_a_6000_character_reason_is_refused_with_a_clear_message():
    contract = scenarios.demo_contract()
    process = scenarios.submitted_approval(contract)
    client = client_for("validator")
    complete(client, process, ContractApprovalFlow.approve, {})  # takes the task
    before = counts(Amendment)

    response = complete(
        client, process, ContractApprovalFlow.approve, {"decision": "RETURNED", "reason": LONG_TEXT}
    )

    page = refused(response, "reason", "trop long")
    assert "2000 caractères au plus" in page
    assert LONG_TEXT in page
    assert counts(Amendment) == before
    contract.refresh_from_db()
    assert contract.status == "SUBMITTED"

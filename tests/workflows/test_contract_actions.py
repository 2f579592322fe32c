"""The contract page offers the flows its user may start, each leading to a prefilled form."""

import html
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from contracts import services
from contracts.actions import contract_actions
from contracts.credits import delegable_years
from contracts.exceptions import BusinessRuleError
from contracts.models import CreditDelegation, DecisionStatus
from tests.contracts.factories import ContractFactory, FundingLineFactory
from workflows.flows import CreditDelegationFlow

from . import scenarios
from .helpers import client_for, complete

pytestmark = pytest.mark.django_db


def page(username, contract):
    response = client_for(username).get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert response.status_code == 200
    return response


READING = {"Suivi de l'avancement", "Historique"}


def labels(response) -> list[str]:
    """The workflow actions offered (the reading links are checked on their own)."""
    return [a.label for a in response.context["contract_actions"] if a.label not in READING]


class TestTheReadingLinks:
    @pytest.mark.parametrize(
        ("username", "expected"),
        [
            ("manager", ["Suivi de l'avancement", "Historique"]),
            ("auditor", ["Suivi de l'avancement", "Historique"]),
            ("director", ["Suivi de l'avancement"]),
        ],
    )
    def test_lead_to_progress_and_to_the_history_for_those_who_may_read_it(
        self, username, expected
    ):
        contract = scenarios.demo_contract()
        actions = [
            a for a in page(username, contract).context["contract_actions"] if a.label in READING
        ]
        assert [a.label for a in actions] == expected
        for action in actions:
            assert client_for(username).get(action.url).status_code == 200


class TestADraftContract:
    def test_offers_the_manager_to_submit_it(self):
        contract = scenarios.demo_contract()
        response = page("manager", contract)
        assert labels(response) == ["Soumettre pour validation"]
        assert "Soumettre pour validation" in response.content.decode()

    @pytest.mark.parametrize("username", ["director", "auditor", "validator"])
    def test_offers_nothing_to_the_other_roles(self, username):
        contract = scenarios.demo_contract()
        response = page(username, contract)
        assert labels(response) == []
        assert "Soumettre pour validation" not in response.content.decode()

    def test_leads_to_the_submission_form_with_the_contract_chosen(self):
        contract = scenarios.demo_contract()
        [action] = [
            a
            for a in page("manager", contract).context["contract_actions"]
            if a.label not in READING
        ]
        response = client_for("manager").get(action.url)
        assert response.status_code == 200
        assert str(response.context["form"]["contract"].value()) == str(contract.pk)

    def test_is_not_offered_again_once_submitted(self):
        contract = scenarios.demo_contract()
        scenarios.submitted_approval(contract)
        assert labels(page("manager", contract)) == []


class TestAnActiveContract:
    def test_offers_the_manager_each_delegation_and_an_amendment(self):
        contract = scenarios.active_demo_contract()
        assert labels(page("manager", contract)) == [
            *(f"Préparer la délégation {year}" for year in contract.years),
            "Rédiger un avenant",
        ]

    @pytest.mark.parametrize("username", ["director", "auditor", "validator"])
    def test_offers_nothing_to_the_other_roles(self, username):
        contract = scenarios.active_demo_contract()
        assert labels(page(username, contract)) == []

    def test_drops_a_year_being_delegated(self):
        contract = scenarios.active_demo_contract()
        scenarios.prepared_delegation(contract, year=2026)
        assert "Préparer la délégation 2026" not in labels(page("manager", contract))
        assert "Préparer la délégation 2027" in labels(page("manager", contract))

    def test_leads_to_prefilled_delegation_and_amendment_forms(self):
        contract = scenarios.active_demo_contract()
        manager = client_for("manager")
        actions = {a.label: a.url for a in page("manager", contract).context["contract_actions"]}
        delegation = manager.get(actions["Préparer la délégation 2026"]).context["form"]
        assert str(delegation["contract"].value()) == str(contract.pk)
        assert str(delegation["year"].value()) == "2026"
        amendment = manager.get(actions["Rédiger un avenant"])
        assert amendment.status_code == 200
        assert "choose_contract" not in (amendment.context or {})
        assert html.escape(contract.reference) in amendment.content.decode()

    def test_are_the_same_through_the_registry(self):
        contract = scenarios.active_demo_contract()
        offered = contract_actions(scenarios.user("director"), contract)
        assert [a.label for a in offered if a.label not in READING] == []


def test_the_page_with_its_actions_costs_the_same_for_1_and_50_lines(django_assert_num_queries):
    demo = scenarios.demo_contract()
    contract = ContractFactory(signed=True, hospital_group=demo.hospital_group)
    axis = contract.axes.create(number=1, title="Axe unique")
    FundingLineFactory(axis=axis, amounts={2025: Decimal("10.00")})
    client = client_for("manager")
    url = reverse("contracts:contract_detail", args=[contract.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one_line:
        response = client.get(url)
    assert "Rédiger un avenant" in labels(response)
    for index in range(49):
        FundingLineFactory(axis=axis, code=f"X{index}", amounts={2026: Decimal("10.00")})
    with django_assert_num_queries(len(one_line)):
        response = client.get(url)
    assert "Préparer la délégation 2026" in labels(response)


class TestAYearRaisedByAnAmendmentAfterItsDelegation:
    """Issue 11: the extra credits of an amended year could never be delegated."""

    def raise_2025(self, contract, allocation, extra):
        amendment = services.draft_amendment(
            actor=scenarios.user("manager"),
            contract=contract,
            reason="Marque employeur : campagne de plus.",
            proposal=services.AmendmentProposal(
                envelope_amount=contract.envelope_amount + extra,
                allocations={
                    allocation.funding_line_id: {2025: allocation.allocated_amount + extra}
                },
            ),
        )
        services.approve_amendment(actor=scenarios.user("validator"), amendment=amendment)

    def test_gets_a_complementary_delegation_of_the_extra_credits(self):
        contract = scenarios.active_demo_contract()
        allocation = scenarios.delegated_allocation(contract, code="1.1", year=2025)
        delegated_before = allocation.delegated_amount
        assert "Préparer la délégation 2025" not in labels(page("manager", contract))

        self.raise_2025(contract, allocation, Decimal("5000.00"))
        contract.refresh_from_db()
        assert "Préparer la délégation 2025" in labels(page("manager", contract))

        process = scenarios.prepared_delegation(contract, year=2025)
        assert [(line.allocation_id, line.amount) for line in process.delegation.lines.all()] == [
            (allocation.pk, Decimal("5000.00"))
        ]
        response = complete(
            client_for("validator"),
            process,
            CreditDelegationFlow.approve,
            {
                "decision": "APPROVED",
                "decision_reference": "DEL-2025-002",
                "decision_date": "2025-11-15",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]

        process.refresh_from_db()
        allocation.refresh_from_db()
        assert process.status == PROCESS.DONE
        assert process.delegation.status == DecisionStatus.APPROVED
        assert allocation.delegated_amount == delegated_before + Decimal("5000.00")
        assert allocation.delegated_amount == allocation.allocated_amount
        assert (
            CreditDelegation.objects.filter(
                contract=contract, year=2025, status=DecisionStatus.APPROVED
            ).count()
            == 2
        )
        assert delegable_years(contract) == [year for year in contract.years if year != 2025]
        assert "Préparer la délégation 2025" not in labels(page("manager", contract))

    def test_one_delegation_of_a_year_is_prepared_at_a_time(self):
        contract = scenarios.active_demo_contract()
        scenarios.prepared_delegation(contract, year=2026)
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditDelegation.objects.create(
                contract=contract, year=2026, prepared_by=scenarios.user("manager2")
            )
        with pytest.raises(BusinessRuleError, match="déjà en préparation"):
            services.prepare_credit_delegation(
                actor=scenarios.user("manager2"), contract=contract, year=2026
            )

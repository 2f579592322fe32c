"""A PECH line is delegated by its two instalments (seeds/004: « versée en 2 fois : à la
signature de la convention, puis après la réussite au concours et la prise de poste »)."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from contracts import services
from contracts.credits import delegation_refusal, proposed_delegation_amounts
from contracts.exceptions import BusinessRuleError
from contracts.models import FundingLine, YearlyAllocation
from contracts.schemes import SchemeCode, pech_due_amount

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory

pytestmark = pytest.mark.django_db

D = Decimal
APPOINTMENT = datetime.date(2026, 3, 1)


def on(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False)


@pytest.fixture
def pech():
    """A 30,000 € PECH line of a contract in force, all of it allocated to 2025."""
    contract = ContractFactory(signed=True)
    return FundingLineFactory(
        axis=StrategicAxisFactory(contract=contract, number=1),
        scheme=SchemeCode.PECH,
        details={"practitioners": 1, "appointment_date": APPOINTMENT.isoformat()},
        amounts={2025: D("30000.00")},
    )


def allocation(line) -> YearlyAllocation:
    return line.allocations.get(year=2025)


class TestPechDueAmount:
    def test_half_at_signature_the_rest_at_the_appointment(self):
        details = {"appointment_date": "2026-03-01"}
        assert pech_due_amount(D("30000.00"), details, datetime.date(2026, 2, 28)) == D("15000")
        assert pech_due_amount(D("30000.00"), details, APPOINTMENT) == D("30000.00")
        assert pech_due_amount(D("30000.01"), {}, APPOINTMENT) == D("15000.01")


class TestTheDelegationProposalOfAPechLine:
    def test_proposes_the_first_instalment_before_the_appointment(self, pech):
        with on(datetime.date(2025, 9, 1)):
            proposal = proposed_delegation_amounts(pech.axis.contract, 2025)
        assert proposal[allocation(pech).pk] == D("15000.00")

    def test_proposes_nothing_more_until_the_appointment(self, pech):
        YearlyAllocation.objects.filter(pk=allocation(pech).pk).update(
            delegated_amount=D("15000.00")
        )
        contract = pech.axis.contract
        with on(datetime.date(2026, 2, 28)):
            assert proposed_delegation_amounts(contract, 2025)[allocation(pech).pk] == 0
            assert delegation_refusal(contract, 2025) is not None
        with on(APPOINTMENT):
            assert proposed_delegation_amounts(contract, 2025)[allocation(pech).pk] == D("15000.00")
            assert delegation_refusal(contract, 2025) is None

    def test_without_an_appointment_date_only_the_first_is_due(self, pech):
        FundingLine.objects.filter(pk=pech.pk).update(details={"practitioners": 1})
        with on(datetime.date(2030, 1, 1)):
            proposal = proposed_delegation_amounts(pech.axis.contract, 2025)
        assert proposal[allocation(pech).pk] == D("15000.00")

    def test_the_service_refuses_the_second_instalment_before_the_appointment(self, pech, manager):
        with on(datetime.date(2025, 9, 1)), pytest.raises(BusinessRuleError):
            services.prepare_credit_delegation(
                actor=manager,
                contract=pech.axis.contract,
                year=2025,
                amounts={allocation(pech).pk: D("30000.00")},
            )

    def test_instalments_spread_over_years_take_the_earliest_first(self, pech):
        YearlyAllocation.objects.filter(pk=allocation(pech).pk).update(
            allocated_amount=D("10000.00")
        )
        YearlyAllocation.objects.create(
            funding_line=pech, year=2026, allocated_amount=D("20000.00")
        )
        contract = pech.axis.contract
        with on(datetime.date(2025, 9, 1)):
            assert proposed_delegation_amounts(contract, 2025)[allocation(pech).pk] == D("10000.00")
            # 15,000 due at signature: 10,000 on 2025, the other 5,000 on 2026.
            [left_2026] = proposed_delegation_amounts(contract, 2026).values()
        assert left_2026 == D("5000.00")

    def test_other_schemes_are_not_held_back(self):
        contract = ContractFactory(signed=True)
        line = FundingLineFactory(
            axis=StrategicAxisFactory(contract=contract, number=1),
            amounts={2025: D("30000.00")},
        )
        proposal = proposed_delegation_amounts(contract, 2025)
        assert proposal[line.allocations.get().pk] == D("30000.00")


class TestTheContractPage:
    def test_shows_the_two_instalments_of_a_pech_line(self, client, contract, manager):
        FundingLineFactory(
            axis=contract.axes.get(number=1),
            code="1.7",
            scheme=SchemeCode.PECH,
            details={"practitioners": 1, "appointment_date": APPOINTMENT.isoformat()},
            amounts={2025: D("15000.00"), 2026: D("15000.01")},
        )
        client.force_login(manager)
        page = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
        text = page.content.decode()
        assert page.status_code == 200
        shown = " ".join(unescape(text).replace("\u202f", " ").replace("\xa0", " ").split())
        assert "Versée en 2 fois : 15 000,01 € à la signature, 15 000,00 € à la prise" in shown
        assert "à la prise de poste (01/03/2026)" in text
        assert text.count("Versée en 2 fois") == 1

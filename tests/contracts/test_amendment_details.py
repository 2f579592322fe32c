"""An amendment may change a line's scheme parameters with its amounts (e.g. its students)."""

import datetime
from decimal import Decimal

import pytest

from contracts import services
from contracts.amendments import amendment_diff
from contracts.exceptions import BusinessRuleError
from contracts.models import ContractStatus, YearlyAllocation
from contracts.schemes import SchemeCode

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(db):
    return ContractFactory(
        status=ContractStatus.ACTIVE,
        signature_date=datetime.date(2024, 12, 15),
        envelope_amount=Decimal("900000.00"),
    )


@pytest.fixture
def ipa_line(contract):
    line = FundingLineFactory(
        axis=StrategicAxisFactory(contract=contract, number=1),
        scheme=SchemeCode.IPA,
        details={"students": 1},
    )
    YearlyAllocation.objects.create(
        funding_line=line, year=2025, allocated_amount=Decimal("70000.00")
    )
    return line


def proposal(line, amount, students):
    return services.AmendmentProposal(
        allocations={line.pk: {2025: Decimal(amount)}}, details={line.pk: {"students": students}}
    )


def test_a_second_student_is_approved_with_the_amount_and_shown_in_the_diff(
    contract, ipa_line, manager, validator
):
    amendment = services.draft_amendment(
        actor=manager,
        contract=contract,
        reason="Deuxième étudiante IPA",
        proposal=proposal(ipa_line, "140000.00", 2),
    )

    rows = [row for row in amendment_diff(amendment) if row.year is None]
    assert [(row.before, row.after) for row in rows] == [("students : 1", "students : 2")]
    services.approve_amendment(actor=validator, amendment=amendment)
    ipa_line.refresh_from_db()
    assert ipa_line.details == {"students": 2}
    assert ipa_line.allocations.get(year=2025).allocated_amount == Decimal("140000.00")


def test_the_new_parameters_still_hold_the_scheme_rules(contract, ipa_line, manager):
    with pytest.raises(BusinessRuleError, match="plafond"):
        services.draft_amendment(
            actor=manager,
            contract=contract,
            reason="Trop pour deux",
            proposal=proposal(ipa_line, "210000.00", 2),
        )

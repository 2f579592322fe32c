"""Four-eyes covers the drafter: whoever wrote a contract's figures cannot approve it."""

import datetime
from decimal import Decimal

import pytest

from contracts import services
from contracts.exceptions import FourEyesError
from contracts.models import Contract, ContractStatus
from contracts.schemes import SchemeCode
from territories.access import Role

from .factories import hospital_group_with_support, make_ready, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    hospital_group = hospital_group_with_support()
    region = hospital_group.region
    drafter = user_with_role(Role.ARS_MANAGER, region=region)
    drafter.groups.add(*user_with_role(Role.ARS_VALIDATOR, region=region).groups.all())
    return {
        "hospital_group": hospital_group,
        "drafter": drafter,
        "colleague": user_with_role(Role.ARS_MANAGER, region=region),
        "validator": user_with_role(Role.ARS_VALIDATOR, region=region),
    }


def drafted_contract(team, *, by) -> Contract:
    contract = services.create_contract(
        actor=by,
        reference="CAT-DRAFT-1",
        title="Contrat rédigé",
        hospital_group=team["hospital_group"],
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        envelope_amount=Decimal("100000.00"),
        axes=[services.AxisInput(1, "Axe unique")],
    )
    return contract


def add_line(team, contract, *, by):
    services.add_funding_line(
        actor=by,
        axis=contract.axes.get(number=1),
        code="1.1",
        scheme=SchemeCode.OTHER,
        label="Mesure",
        beneficiary=contract.carrier_establishment,
        amounts_by_year={2025: Decimal("10000.00")},
    )


class TestAManagerValidatorWhoDraftedTheFigures:
    def test_cannot_approve_when_a_colleague_submits(self, team):
        contract = drafted_contract(team, by=team["drafter"])
        add_line(team, contract, by=team["drafter"])
        services.submit_contract(actor=team["colleague"], contract=make_ready(contract))

        with pytest.raises(FourEyesError, match="rédigé des éléments chiffrés"):
            services.approve_contract(actor=team["drafter"], contract=contract)
        with pytest.raises(FourEyesError):
            services.return_contract(actor=team["drafter"], contract=contract, reason="Non.")

        contract.refresh_from_db()
        assert contract.status == ContractStatus.SUBMITTED
        services.approve_contract(actor=team["validator"], contract=contract)
        contract.refresh_from_db()
        assert contract.status == ContractStatus.APPROVED

    def test_who_only_added_a_line_cannot_approve_either(self, team):
        contract = drafted_contract(team, by=team["colleague"])
        add_line(team, contract, by=team["drafter"])
        services.submit_contract(actor=team["colleague"], contract=make_ready(contract))

        assert contract.drafter_ids() == {team["colleague"].pk, team["drafter"].pk}
        with pytest.raises(FourEyesError):
            services.approve_contract(actor=team["drafter"], contract=contract)

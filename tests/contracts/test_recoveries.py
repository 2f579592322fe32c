"""Unused credits are recovered once: recoverable = delegated − eligible consumption −
recovered − prepared (issue 11, "Unused credits recovered twice")."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from contracts import credits, services
from contracts.exceptions import BusinessRuleError
from contracts.models import DecisionStatus, Recovery, RecoveryMode, YearlyAllocation
from territories.access import Role

from .factories import ContractFactory, FundingLineFactory, StrategicAxisFactory, user_with_role

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def people(db):
    contract = ContractFactory(signed=True)
    return {
        "contract": contract,
        "manager": user_with_role(Role.ARS_MANAGER, region=contract.region),
        "manager2": user_with_role(Role.ARS_MANAGER, region=contract.region),
        "validator": user_with_role(Role.ARS_VALIDATOR, region=contract.region),
        "director": user_with_role(Role.GHT_DIRECTOR, hospital_group=contract.hospital_group),
    }


@pytest.fixture
def allocation_2026(people):
    """A 1,000 EUR line in 2026, fully delegated."""
    contract = people["contract"]
    line = FundingLineFactory(
        axis=StrategicAxisFactory(contract=contract, number=1), amounts={2026: D("1000.00")}
    )
    delegation = services.prepare_credit_delegation(
        actor=people["manager"], contract=contract, year=2026
    )
    services.approve_credit_delegation(
        actor=people["validator"],
        delegation=delegation,
        decision_reference="DEL-2026-001",
        decision_date=datetime.date(2026, 3, 1),
    )
    return YearlyAllocation.objects.get(funding_line=line, year=2026)


def checked_statement(people, allocation, consumed):
    statement = services.submit_consumption_statement(
        actor=people["director"], allocation=allocation, consumed_amount=D(consumed)
    )
    return services.check_consumption_statement(actor=people["manager"], statement=statement)


class TestASecondClosingOfTheSameCredits:
    def test_cannot_prepare_a_second_recovery_while_one_waits(self, people, allocation_2026):
        checked_statement(people, allocation_2026, "800.00")
        first = services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        assert first.amount == D("200.00")
        checked_statement(people, allocation_2026, "800.00")

        with pytest.raises(BusinessRuleError, match="attend déjà son approbation"):
            services.prepare_recovery(
                actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
            )

        services.approve_recovery(actor=people["validator"], recovery=first)
        allocation_2026.refresh_from_db()
        assert allocation_2026.recovered_amount == D("200.00")
        assert credits.recoverable(allocation_2026).amount == D("0.00")
        with pytest.raises(BusinessRuleError, match="Aucun crédit à reprendre"):
            services.prepare_recovery(
                actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
            )

    def test_recoverable_counts_what_is_prepared(self, people, allocation_2026):
        checked_statement(people, allocation_2026, "800.00")
        allocation_2026.refresh_from_db()
        assert credits.recoverable(allocation_2026).amount == D("200.00")
        services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        assert credits.recoverable(allocation_2026).amount == D("0.00")

    def test_two_prepared_recoveries_are_refused_by_the_database(self, people, allocation_2026):
        checked_statement(people, allocation_2026, "800.00")
        services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Recovery.objects.create(
                allocation=allocation_2026,
                unused_amount=D("200.00"),
                amount=D("200.00"),
                mode=RecoveryMode.RECOVER,
                prepared_by=people["manager2"],
            )


class TestApprovingARecovery:
    def test_recomputes_and_refuses_more_than_what_is_left(self, people, allocation_2026):
        checked_statement(people, allocation_2026, "800.00")
        recovery = services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        # A corrected statement: 900 consumed, only 100 is left unused.
        checked_statement(people, allocation_2026, "900.00")

        with pytest.raises(BusinessRuleError, match="renvoyez-la"):
            services.approve_recovery(actor=people["validator"], recovery=recovery)

        allocation_2026.refresh_from_db()
        assert allocation_2026.recovered_amount == D("0.00")
        assert Recovery.objects.get(pk=recovery.pk).status == DecisionStatus.PREPARED

    def test_sent_back_then_computed_again_recovers_the_difference_only(
        self, people, allocation_2026
    ):
        checked_statement(people, allocation_2026, "800.00")
        recovery = services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        checked_statement(people, allocation_2026, "900.00")
        services.reject_recovery(
            actor=people["validator"], recovery=recovery, reason="État corrigé."
        )
        again = services.prepare_recovery(
            actor=people["manager"], allocation=allocation_2026, mode=RecoveryMode.RECOVER
        )
        services.approve_recovery(actor=people["validator"], recovery=again)
        allocation_2026.refresh_from_db()
        assert (again.amount, allocation_2026.recovered_amount) == (D("100.00"), D("100.00"))

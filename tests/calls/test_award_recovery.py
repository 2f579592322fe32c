"""A decided CAE breach prepares the recovery of its repayment, decided by a third person."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from audit.verify import verify_journal
from calls import awards
from calls.models import AwardKind, AwardStatus
from contracts.exceptions import FourEyesError
from contracts.models import DecisionStatus, Recovery, RecoveryBasis, YearlyAllocation
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("900000.00"))


@pytest.fixture
def line(contract):
    axis = StrategicAxisFactory(contract=contract, number=1)
    return FundingLineFactory(axis=axis, scheme=SchemeCode.CAE, details={"students": 1, "years": 1})


@pytest.fixture
def validator2(contract):
    return user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="lucie")


def broken_cae(manager, validator, line, delegated=None):
    """A 12-month CAE of 6,000 €/year from 1 Sep 2025, hired 1 Sep 2026, broken after 6 months."""
    award = awards.create_award(
        actor=manager,
        kind=AwardKind.CAE,
        funding_line=line,
        identifier="ETU-2025-0042",
        last_name="Petit",
        first_name="Inès",
        start_date=datetime.date(2025, 9, 1),
        months=12,
        yearly_amount=Decimal("6000.00"),
        commitment_start_date=datetime.date(2026, 9, 1),
    )
    for year, amount in (delegated or {}).items():
        YearlyAllocation.objects.filter(funding_line=line, year=year).update(
            delegated_amount=Decimal(amount)
        )
    awards.record_cae_breach(
        actor=manager,
        award=award,
        breach_date=datetime.date(2027, 3, 1),
        served_months=6,
        reason="Démission",
    )
    return awards.decide_cae_breach(actor=validator, award=award, approve=True)


def test_the_decided_repayment_is_prepared_as_a_recovery_then_decided_by_another(
    manager, validator, validator2, line
):
    award = broken_cae(manager, validator, line, delegated={2025: "2000.00", 2026: "4000.00"})
    # 12 months × 500 €: 2,000 € paid in 2025 (Sep–Dec), 4,000 € in 2026.
    assert dict(
        YearlyAllocation.objects.filter(funding_line=line).values_list("year", "allocated_amount")
    ) == {2025: Decimal("2000.00"), 2026: Decimal("4000.00")}

    # 6,000 € paid, 24 months committed, 6 served: 18/24 = 4,500 € repaid, taken back from
    # the years that paid it, latest first: 4,000 € on 2026, 500 € on 2025.
    assert award.status == AwardStatus.BROKEN
    assert award.recovery_amount == Decimal("4500.00")
    assert awards.recovery_split(award) == {2026: Decimal("4000.00"), 2025: Decimal("500.00")}
    recoveries = awards.award_recoveries(award)
    assert [(r.allocation.year, r.amount) for r in recoveries] == [
        (2025, Decimal("500.00")),
        (2026, Decimal("4000.00")),
    ]
    for recovery in recoveries:
        assert recovery.non_compliant_amount == recovery.amount
        assert recovery.unused_amount == Decimal("0.00")
        assert recovery.basis == RecoveryBasis.AWARD_BREACH
        assert recovery.prepared_by == validator
        assert recovery.status == DecisionStatus.PREPARED
        assert recovery.award_link.award == award
    assert award.recovery_refusal == ""

    # Whoever prepared it (the breach's decider) cannot approve it.
    with pytest.raises(FourEyesError):
        awards.decide_award_recovery(actor=validator, award=award, approve=True)
    # A manager is no validator.
    with pytest.raises(PermissionDenied):
        awards.decide_award_recovery(actor=manager, award=award, approve=True)

    awards.decide_award_recovery(actor=validator2, award=award, approve=True)
    for recovery in recoveries:
        recovery.refresh_from_db()
        assert recovery.status == DecisionStatus.APPROVED
        assert recovery.approved_by == validator2
    assert dict(
        YearlyAllocation.objects.filter(funding_line=line).values_list("year", "recovered_amount")
    ) == {2025: Decimal("500.00"), 2026: Decimal("4000.00")}

    summaries = list(
        AuditEvent.objects.filter(object_type="contracts.Recovery", object_id=str(recoveries[1].pk))
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Reprise calculée : 4\u202f000,00 €",
        "Reprise approuvée : 4\u202f000,00 € (Récupération par titre de recette)",
    ]
    assert AuditEvent.objects.filter(
        object_type="calls.IndividualAward",
        object_id=str(award.pk),
        summary__startswith="Reprise du reversement préparée",
    ).exists()
    assert verify_journal().is_valid


def test_a_repayment_beyond_what_the_year_delegated_is_refused_with_the_reason(
    manager, validator, line
):
    # 2026 delegated only 3,000 € of its 4,000 €: its 4,000 € share cannot come back.
    award = broken_cae(manager, validator, line, delegated={2025: "2000.00", 2026: "3000.00"})

    assert award.status == AwardStatus.BROKEN  # the student owes it either way
    assert awards.award_recoveries(award) == []
    assert "dépasse ce que" in award.recovery_refusal
    assert "3\u202f000,00 €" in award.recovery_refusal
    assert not Recovery.objects.exists()
    assert verify_journal().is_valid


def test_a_refused_or_sent_back_recovery_is_prepared_again(manager, validator, validator2, line):
    award = broken_cae(manager, validator, line)
    assert awards.award_recoveries(award) == [] and award.recovery_refusal

    for year, amount in {2025: "2000.00", 2026: "4000.00"}.items():
        YearlyAllocation.objects.filter(funding_line=line, year=year).update(
            delegated_amount=Decimal(amount)
        )
    award = awards.prepare_award_recovery(actor=manager, award=award)
    assert {r.prepared_by for r in awards.award_recoveries(award)} == {manager}
    assert award.recovery_refusal == ""
    with pytest.raises(ValidationError):
        awards.prepare_award_recovery(actor=manager, award=award)

    awards.decide_award_recovery(
        actor=validator, award=award, approve=False, reason="Titre à émettre en 2026"
    )
    assert {r.status for r in awards.award_recoveries(award)} == {DecisionStatus.REJECTED}

    award = awards.prepare_award_recovery(actor=validator2, award=award)
    assert len(awards.pending_award_recoveries(award)) == 2
    with pytest.raises(PermissionDenied):
        awards.decide_award_recovery(actor=manager, award=award, approve=True)
    with pytest.raises(FourEyesError):
        awards.decide_award_recovery(actor=validator2, award=award, approve=True)
    awards.decide_award_recovery(actor=validator, award=award, approve=True)
    assert [r.status for r in awards.pending_award_recoveries(award)] == [
        DecisionStatus.APPROVED,
        DecisionStatus.APPROVED,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_preparing_the_recovery_at_once_prepare_it_once():
    import threading

    from django.db import connection

    contract = ContractFactory(envelope_amount=Decimal("900000.00"))
    line = FundingLineFactory(
        axis=StrategicAxisFactory(contract=contract, number=1),
        scheme=SchemeCode.CAE,
        details={"students": 1, "years": 1},
    )
    manager = user_with_role(Role.ARS_MANAGER, region=contract.region, username="claire")
    validator = user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="paul")
    award = broken_cae(manager, validator, line)  # nothing delegated: refused, to retry
    assert awards.award_recoveries(award) == []
    for year, amount in {2025: "2000.00", 2026: "4000.00"}.items():
        YearlyAllocation.objects.filter(funding_line=line, year=year).update(
            delegated_amount=Decimal(amount)
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def prepare(actor):
        try:
            barrier.wait()
            awards.prepare_award_recovery(actor=actor, award=award)
            outcomes.append("prepared")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=prepare, args=(user,)) for user in (manager, validator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [
        "La reprise de ce reversement est déjà préparée ou validée.",
        "prepared",
    ]
    assert Recovery.objects.count() == 2  # 4,000 € on 2026 and 500 € on 2025, once
    assert sum(r.amount for r in Recovery.objects.all()) == Decimal("4500.00")

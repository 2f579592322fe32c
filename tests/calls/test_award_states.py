"""Each kind of award follows its own lifecycle (seeds 000 and 004), checked by one table."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from calls import award_states, awards
from calls.models import AwardKind, AwardStatus
from contracts.models import YearlyAllocation
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.calls.test_awards import LINE_DETAILS, cae, ipa, pet
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("900000.00"))


@pytest.fixture
def line_of(contract):
    axis = StrategicAxisFactory(contract=contract, number=1)

    def make(scheme):
        return FundingLineFactory(axis=axis, scheme=scheme, details=dict(LINE_DETAILS[scheme]))

    return make


def allocations(line):
    return dict(
        YearlyAllocation.objects.filter(funding_line=line).values_list("year", "allocated_amount")
    )


def pech(manager, line, **extra):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.PECH,
        funding_line=line,
        identifier="10004567890",
        last_name="Bernard",
        first_name="Marc",
        start_date=D(2025, 10, 1),
        locally_scarce=True,
        nationally_scarce=True,
        **extra,
    )


def astp(manager, line):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.ASTP,
        funding_line=line,
        identifier="10007654321",
        last_name="Roux",
        first_name="Anne",
        start_date=D(2025, 11, 1),
        yearly_amount=Decimal("60000.00"),
    )


def advance(manager, award, event, day):
    return awards.advance_award(actor=manager, award=award, event=event, date=day)


def test_every_kind_starts_in_its_first_state(manager, line_of):
    assert ipa(manager, line_of(SchemeCode.IPA)).status == AwardStatus.YEAR_1
    assert cae(manager, line_of(SchemeCode.CAE)).status == AwardStatus.IN_TRAINING
    assert pet(manager, line_of(SchemeCode.PET), "2").status == AwardStatus.PAYING
    assert astp(manager, line_of(SchemeCode.ASTP)).status == AwardStatus.YEAR_1
    assert pech(manager, line_of(SchemeCode.PECH)).status == AwardStatus.SIGNED


def test_the_table_allows_only_its_steps():
    events = {
        kind: {
            status: [t.event for t in award_states.allowed_transitions(kind, status)]
            for status in states
        }
        for kind, states in award_states.STATES.items()
    }
    assert events[SchemeCode.IPA] == {
        "YEAR_1": ["validate_year_1", "drop_out"],
        "YEAR_2": ["graduate", "drop_out"],
        "GRADUATED": [],
        "DROPPED_OUT": [],
    }
    assert events[SchemeCode.PECH] == {
        "SIGNED": ["pay_first", "interrupt"],
        "FIRST_PAID": ["appoint", "interrupt"],
        "APPOINTED": ["pay_second"],
        "SECOND_PAID": ["fulfil"],
        "FULFILLED": [],
        "INTERRUPTED": [],
    }
    assert events[SchemeCode.CAE]["IN_COMMITMENT"] == ["fulfil", "record_breach"]
    assert events[SchemeCode.ASTP]["YEAR_1"] == ["second_year", "interrupt"]


class TestIpa:
    def test_year_2_only_once_year_1_is_validated_then_graduated(self, manager, line_of):
        award = ipa(manager, line_of(SchemeCode.IPA))  # 20,000 + 50,000 = 70,000 € (seed 000)

        with pytest.raises(ValidationError) as error:
            advance(manager, award, "graduate", D(2027, 6, 30))
        assert "« 1re année »" in error.value.message_dict["event"][0]

        award = advance(manager, award, "validate_year_1", D(2026, 7, 1))
        assert award.status == AwardStatus.YEAR_2
        assert award.status_date == D(2026, 7, 1)
        award = advance(manager, award, "graduate", D(2027, 6, 30))
        assert award.status == AwardStatus.GRADUATED
        assert award.total_amount == Decimal("70000.00")  # the schedule is unchanged
        with pytest.raises(ValidationError):
            advance(manager, award, "drop_out", D(2027, 7, 1))
        assert list(
            AuditEvent.objects.filter(
                object_type="calls.IndividualAward", object_id=str(award.pk), action="TRANSITION"
            ).values_list("summary", flat=True)
        ) == [
            "Attribution IPA : Valider la 1re année le 01/07/2026",
            "Attribution IPA : Enregistrer l'obtention du diplôme le 30/06/2027",
        ]

    def test_a_step_dated_before_the_training_is_refused_next_to_the_date(self, manager, line_of):
        award = ipa(manager, line_of(SchemeCode.IPA))
        with pytest.raises(ValidationError) as error:
            advance(manager, award, "drop_out", D(2025, 8, 31))
        assert error.value.message_dict["date"] == [
            "La date ne peut pas précéder le 01/09/2025 pour cette étape."
        ]


class TestPech:
    def test_two_halves_at_signature_and_at_appointment_then_three_years(self, manager, line_of):
        line = line_of(SchemeCode.PECH)
        # Locally and nationally scarce: 20,000 + 10,000 = the 30,000 € cap (seed 004).
        award = pech(manager, line)
        assert award.total_amount == Decimal("30000.00")
        assert allocations(line) == {2025: Decimal("30000.00")}

        award = advance(manager, award, "pay_first", D(2025, 10, 15))
        assert award.status == AwardStatus.FIRST_PAID
        with pytest.raises(ValidationError):
            advance(manager, award, "pay_second", D(2027, 1, 15))

        award = advance(manager, award, "appoint", D(2027, 1, 1))
        assert award.status == AwardStatus.APPOINTED
        assert award.appointment_date == D(2027, 1, 1)
        assert [(i.due_date, i.amount) for i in award.instalments.order_by("number")] == [
            (D(2025, 10, 1), Decimal("15000.00")),
            (D(2027, 1, 1), Decimal("15000.00")),
        ]
        # The second half now falls in 2027: the line follows.
        assert allocations(line) == {2025: Decimal("15000.00"), 2027: Decimal("15000.00")}

        with pytest.raises(ValidationError) as error:
            advance(manager, award, "pay_second", D(2026, 12, 31))
        assert "01/01/2027" in error.value.message_dict["date"][0]
        award = advance(manager, award, "pay_second", D(2027, 1, 20))
        assert award.status == AwardStatus.SECOND_PAID

        with pytest.raises(ValidationError) as error:
            advance(manager, award, "fulfil", D(2029, 12, 31))
        assert "01/01/2030" in error.value.message_dict["date"][0]
        award = advance(manager, award, "fulfil", D(2030, 1, 1))
        assert award.status == AwardStatus.FULFILLED

    def test_without_appointment_the_second_half_is_not_paid(self, manager, line_of):
        line = line_of(SchemeCode.PECH)
        award = advance(manager, pech(manager, line), "pay_first", D(2025, 10, 15))
        award = advance(manager, award, "interrupt", D(2026, 9, 30))

        assert award.status == AwardStatus.INTERRUPTED
        assert award.total_amount == Decimal("15000.00")
        assert allocations(line) == {2025: Decimal("15000.00")}


class TestCae:
    def test_hire_starts_the_commitment_then_fulfilled(self, manager, line_of):
        award = cae(manager, line_of(SchemeCode.CAE), months=24)  # 6,000 €/year (seed 000)
        assert award.total_amount == Decimal("12000.00")

        award = advance(manager, award, "start_commitment", D(2027, 9, 1))
        assert award.status == AwardStatus.IN_COMMITMENT
        assert award.commitment_start_date == D(2027, 9, 1)
        assert award.commitment_end_date == D(2031, 8, 31)  # 2 × 24 months

        with pytest.raises(ValidationError):
            advance(manager, award, "fulfil", D(2031, 8, 30))
        award = advance(manager, award, "fulfil", D(2031, 8, 31))
        assert award.status == AwardStatus.FULFILLED

    def test_the_breach_goes_through_its_own_four_eyes_page(self, manager, line_of):
        award = cae(manager, line_of(SchemeCode.CAE), commitment_start_date=D(2027, 9, 1))
        with pytest.raises(ValidationError) as error:
            advance(manager, award, "record_breach", D(2028, 1, 1))
        assert error.value.message_dict["event"] == ["Cette étape s'enregistre sur sa propre page."]


class TestPetAndAstp:
    def test_an_interrupted_pet_stops_its_monthly_payments(self, manager, line_of):
        line = line_of(SchemeCode.PET)
        award = pet(manager, line, "2")  # 450 €/month × 12 from Jan 2025 (seed 004 grid)
        assert award.total_amount == Decimal("5400.00")

        award = advance(manager, award, "interrupt", D(2025, 7, 1))
        assert award.status == AwardStatus.INTERRUPTED
        assert award.instalments.count() == 6
        assert award.total_amount == Decimal("2700.00")
        assert allocations(line) == {2025: Decimal("2700.00")}

    def test_a_pet_ends_at_its_term_not_before(self, manager, line_of):
        award = pet(manager, line_of(SchemeCode.PET), "2")
        with pytest.raises(ValidationError):
            advance(manager, award, "end", D(2025, 12, 30))
        assert advance(manager, award, "end", D(2025, 12, 31)).status == AwardStatus.COMPLETED

    def test_astp_year_2_from_its_first_anniversary_then_completed(self, manager, line_of):
        award = astp(manager, line_of(SchemeCode.ASTP))  # two years (seed 004)
        assert award.end_date == D(2027, 10, 31)
        with pytest.raises(ValidationError) as error:
            advance(manager, award, "second_year", D(2026, 10, 31))
        assert "01/11/2026" in error.value.message_dict["date"][0]
        award = advance(manager, award, "second_year", D(2026, 11, 1))
        assert award.status == AwardStatus.YEAR_2
        with pytest.raises(ValidationError):
            advance(manager, award, "second_year", D(2026, 11, 2))
        award = advance(manager, award, "end", D(2027, 10, 31))
        assert award.status == AwardStatus.COMPLETED


def test_only_a_manager_of_the_region_advances_an_award(manager, validator, line_of, contract):
    award = ipa(manager, line_of(SchemeCode.IPA))
    elsewhere = ContractFactory()
    other = user_with_role(Role.ARS_MANAGER, region=elsewhere.region, username="autre")
    for actor in (validator, other):
        with pytest.raises(PermissionDenied):
            advance(actor, award, "validate_year_1", D(2026, 7, 1))
    award.refresh_from_db()
    assert award.status == AwardStatus.YEAR_1


def test_the_database_refuses_a_state_of_another_kind(manager, line_of):
    from django.db import IntegrityError, transaction

    award = ipa(manager, line_of(SchemeCode.IPA))
    award.status = AwardStatus.SIGNED
    with pytest.raises(IntegrityError), transaction.atomic():
        award.save()

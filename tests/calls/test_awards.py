"""Individual awards: amounts from the seeds' rules, the line as their sum, breach four-eyes."""

import datetime
import json
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from calls import awards
from calls.models import AwardKind, AwardStatus, IndividualAward
from contracts import services as contract_services
from contracts.exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from contracts.models import Amendment, ContractStatus, YearlyAllocation
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.calls.factories import CampaignFactory, DossierFactory
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

LINE_DETAILS = {
    SchemeCode.IPA: {"students": 1},
    SchemeCode.PET: {"half_days": "1", "months": 1, "distance_km": "35"},
    SchemeCode.PECH: {"practitioners": 1},
    SchemeCode.CAE: {"students": 1, "years": 1},
    SchemeCode.ASTP: {"years": 2, "sites": 2},
}


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("900000.00"))


@pytest.fixture
def axis(contract):
    return StrategicAxisFactory(contract=contract, number=1)


@pytest.fixture
def line_of(axis):
    def make(scheme):
        return FundingLineFactory(axis=axis, scheme=scheme, details=dict(LINE_DETAILS[scheme]))

    return make


def allocations(line):
    return dict(
        YearlyAllocation.objects.filter(funding_line=line).values_list("year", "allocated_amount")
    )


def pet(manager, line, half_days, other_sites=1, months=12, **extra):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.PET,
        funding_line=line,
        identifier="10001234567",
        last_name="Martin",
        first_name="Léa",
        start_date=datetime.date(2025, 1, 1),
        months=months,
        half_days=Decimal(half_days),
        other_sites=other_sites,
        distance_km=Decimal("35"),
        **extra,
    )


def ipa(manager, line, tuition="20000.00", replacement="50000.00", **extra):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.IPA,
        funding_line=line,
        identifier="10009876543",
        last_name="Durand",
        first_name="Paul",
        start_date=extra.pop("start_date", datetime.date(2025, 9, 1)),
        tuition_amount=Decimal(tuition),
        replacement_amount=Decimal(replacement),
        **extra,
    )


def cae(manager, line, months=24, **extra):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.CAE,
        funding_line=line,
        identifier="ETU-2025-0042",
        last_name="Petit",
        first_name="Inès",
        start_date=datetime.date(2025, 9, 1),
        months=months,
        yearly_amount=Decimal("6000.00"),
        **extra,
    )


class TestThePetAward:
    @pytest.mark.parametrize(
        ("half_days", "other_sites", "monthly"),
        [
            ("1", 1, "250.00"),
            ("2", 1, "450.00"),
            ("3.5", 1, "700.00"),
            ("4", 1, "700.00"),
            ("4", 2, "1000.00"),
            ("5", 1, "1000.00"),
        ],
    )
    def test_is_paid_monthly_by_the_grid_from_the_half_days_declared(
        self, manager, line_of, half_days, other_sites, monthly
    ):
        award = pet(manager, line_of(SchemeCode.PET), half_days, other_sites, months=12)

        instalments = list(award.instalments.order_by("number"))
        assert len(instalments) == 12
        assert {i.amount for i in instalments} == {Decimal(monthly)}
        assert instalments[0].due_date == datetime.date(2025, 1, 1)
        assert instalments[-1].due_date == datetime.date(2025, 12, 1)
        assert award.total_amount == Decimal(monthly) * 12
        assert award.end_date == datetime.date(2025, 12, 31)

    def test_is_refused_below_one_half_day(self, manager, line_of):
        with pytest.raises(ValidationError) as error:
            pet(manager, line_of(SchemeCode.PET), "0.5")

        assert "half_days" in error.value.message_dict

    def test_is_refused_closer_than_20_km_without_a_derogation(self, manager, line_of):
        line = line_of(SchemeCode.PET)
        with pytest.raises(ValidationError) as error:
            awards.create_award(
                actor=manager,
                kind=AwardKind.PET,
                funding_line=line,
                identifier="1",
                last_name="A",
                first_name="B",
                start_date=datetime.date(2025, 1, 1),
                months=6,
                half_days=Decimal("2"),
                other_sites=1,
                distance_km=Decimal("12"),
            )

        assert "20 km" in " ".join(error.value.message_dict["distance_km"])
        assert not IndividualAward.objects.exists()


class TestThePechAward:
    def test_is_paid_in_two_halves_at_signature_and_at_appointment(self, manager, line_of):
        award = awards.create_award(
            actor=manager,
            kind=AwardKind.PECH,
            funding_line=line_of(SchemeCode.PECH),
            identifier="10005550001",
            last_name="Bernard",
            first_name="Anne",
            start_date=datetime.date(2025, 3, 1),
            locally_scarce=True,
            nationally_scarce=True,
        )

        first, second = award.instalments.order_by("number")
        assert award.total_amount == Decimal("30000.00")
        assert (first.amount, first.due_date) == (Decimal("15000.00"), datetime.date(2025, 3, 1))
        assert (second.amount, second.due_date) == (Decimal("15000.00"), None)

    def test_second_half_is_dated_by_the_appointment_as_ph(self, manager, line_of):
        line = line_of(SchemeCode.PECH)
        award = awards.create_award(
            actor=manager,
            kind=AwardKind.PECH,
            funding_line=line,
            identifier="10005550001",
            last_name="Bernard",
            first_name="Anne",
            start_date=datetime.date(2025, 3, 1),
            nationally_scarce=True,
            working_time_ratio=Decimal("0.50"),
        )

        awards.change_award(actor=manager, award=award, appointment_date=datetime.date(2026, 10, 1))

        award.refresh_from_db()
        assert [(i.amount, i.due_date) for i in award.instalments.order_by("number")] == [
            (Decimal("2500.00"), datetime.date(2025, 3, 1)),
            (Decimal("2500.00"), datetime.date(2026, 10, 1)),
        ]
        assert allocations(line) == {2025: Decimal("2500.00"), 2026: Decimal("2500.00")}


class TestTheCaeAward:
    def test_commits_the_student_for_twice_the_funded_duration(self, manager, line_of):
        award = cae(
            manager,
            line_of(SchemeCode.CAE),
            months=24,
            commitment_start_date=datetime.date(2027, 9, 1),
        )

        assert award.commitment_months == 48
        assert award.commitment_end_date == datetime.date(2031, 8, 31)
        assert award.total_amount == Decimal("12000.00")
        assert award.instalments.count() == 24

    def test_a_breach_is_repaid_pro_rata_once_another_person_decides_it(
        self, manager, validator, line_of, contract
    ):
        award = cae(
            manager,
            line_of(SchemeCode.CAE),
            months=12,
            commitment_start_date=datetime.date(2026, 9, 1),
        )

        awards.record_cae_breach(
            actor=manager,
            award=award,
            breach_date=datetime.date(2027, 3, 1),
            served_months=6,
            reason="Démission",
        )
        award.refresh_from_db()
        assert award.status == AwardStatus.BREACH_RECORDED
        # 6,000 € paid, 24 months committed, 6 served: 18/24 repaid.
        assert award.recovery_amount == Decimal("4500.00")

        awards.decide_cae_breach(actor=validator, award=award, approve=True)
        award.refresh_from_db()
        assert award.status == AwardStatus.BROKEN
        assert award.breach_decided_by == validator

    def test_whoever_recorded_the_breach_cannot_decide_it(self, manager, line_of, contract):
        both = user_with_role(Role.ARS_MANAGER, region=contract.region, username="double")
        both.groups.add(*user_with_role(Role.ARS_VALIDATOR, region=contract.region).groups.all())
        award = cae(
            both,
            line_of(SchemeCode.CAE),
            months=12,
            commitment_start_date=datetime.date(2026, 9, 1),
        )
        awards.record_cae_breach(
            actor=both,
            award=award,
            breach_date=datetime.date(2027, 3, 1),
            served_months=6,
            reason="Démission",
        )

        with pytest.raises(FourEyesError):
            awards.decide_cae_breach(actor=both, award=award, approve=True)
        with pytest.raises(PermissionDenied):
            awards.decide_cae_breach(actor=manager, award=award, approve=True)
        award.refresh_from_db()
        assert award.status == AwardStatus.BREACH_RECORDED


class TestTheIpaAward:
    def test_funds_up_to_70000_euros_per_student(self, manager, line_of):
        award = ipa(manager, line_of(SchemeCode.IPA), "20000.00", "50000.00")

        assert award.total_amount == Decimal("70000.00")

    def test_refuses_a_cent_more(self, manager, line_of):
        with pytest.raises(ValidationError) as error:
            ipa(manager, line_of(SchemeCode.IPA), "20000.01", "50000.00")

        assert "plafond de 70\u202f000,00 € par étudiant" in " ".join(error.value.messages)


class TestTheLineIsTheSumOfItsAwards:
    def test_a_draft_line_follows_its_awards_year_by_year(self, manager, line_of):
        line = line_of(SchemeCode.IPA)
        YearlyAllocation.objects.create(
            funding_line=line, year=2027, allocated_amount=Decimal("70000.00")
        )

        ipa(manager, line)
        ipa(manager, line, "10000.00", "30000.00", start_date=datetime.date(2026, 1, 5))

        assert allocations(line) == {
            2025: Decimal("70000.00"),
            2026: Decimal("40000.00"),
            2027: Decimal("0.00"),
        }
        line.refresh_from_db()
        assert line.details["students"] == 2

    def test_a_pet_line_sums_the_monthly_grid_of_each_practitioner(self, manager, line_of):
        line = line_of(SchemeCode.PET)

        pet(manager, line, "1", months=12)
        pet(manager, line, "4", other_sites=2, months=6)

        assert allocations(line) == {2025: Decimal("9000.00")}

    def test_a_signed_contracts_line_changes_through_an_amendment(
        self, manager, validator, line_of, contract
    ):
        line = line_of(SchemeCode.IPA)
        YearlyAllocation.objects.create(
            funding_line=line, year=2025, allocated_amount=Decimal("70000.00")
        )
        contract.status = ContractStatus.ACTIVE
        contract.signature_date = datetime.date(2024, 12, 15)
        contract.save()

        ipa(manager, line, "10000.00", "30000.00")

        assert allocations(line) == {2025: Decimal("70000.00")}
        amendment = Amendment.objects.get(contract=contract)
        contract_services.approve_amendment(actor=validator, amendment=amendment)
        assert allocations(line) == {2025: Decimal("40000.00")}

    def test_a_second_award_waits_for_the_pending_amendment_then_both_are_carried(
        self, manager, validator, line_of, contract
    ):
        line = line_of(SchemeCode.IPA)
        contract.status = ContractStatus.ACTIVE
        contract.signature_date = datetime.date(2024, 12, 15)
        contract.save()
        ipa(manager, line, "10000.00", "30000.00")

        with pytest.raises(BusinessRuleError, match="avenant n° 1 attend la décision"):
            ipa(manager, line)
        assert IndividualAward.objects.count() == 1

        contract_services.approve_amendment(
            actor=validator, amendment=Amendment.objects.get(number=1)
        )
        ipa(manager, line, "20000.00", "50000.00", start_date=datetime.date(2026, 9, 1))
        second = Amendment.objects.get(number=2)
        contract_services.approve_amendment(actor=validator, amendment=second)
        assert allocations(line) == {2025: Decimal("40000.00"), 2026: Decimal("70000.00")}

    def test_a_contract_under_validation_refuses_awards(self, manager, line_of, contract):
        line = line_of(SchemeCode.IPA)
        contract.status = ContractStatus.SUBMITTED
        contract.save()

        with pytest.raises(WrongStatusError):
            ipa(manager, line)
        assert not IndividualAward.objects.exists()

    def test_an_award_beyond_the_envelope_is_refused_and_nothing_is_kept(
        self, manager, line_of, contract
    ):
        contract.envelope_amount = Decimal("100000.00")
        contract.save()
        line = line_of(SchemeCode.IPA)
        ipa(manager, line)

        with pytest.raises(BusinessRuleError, match="enveloppe"):
            ipa(manager, line)

        assert IndividualAward.objects.count() == 1
        assert allocations(line) == {2025: Decimal("70000.00")}

    def test_an_award_of_another_scheme_has_no_place_on_the_line(self, manager, line_of):
        with pytest.raises(BusinessRuleError, match="PET"):
            ipa(manager, line_of(SchemeCode.PET))


class TestAwardsUnderADossier:
    def test_an_ipa_award_under_a_dossier_reads_the_campaigns_figures(self, manager, contract):
        campaign = CampaignFactory(
            region=contract.region,
            scheme=SchemeCode.IPA,
            opened=True,
            parameters={"ipa_cap_per_student": "60000"},
        )
        dossier = DossierFactory(campaign=campaign)

        with pytest.raises(ValidationError) as error:
            awards.create_award(
                actor=manager,
                kind=AwardKind.IPA,
                dossier=dossier,
                identifier="1",
                last_name="A",
                first_name="B",
                start_date=datetime.date(2025, 9, 1),
                tuition_amount=Decimal("20000.00"),
                replacement_amount=Decimal("50000.00"),
            )

        assert "plafond de 60\u202f000,00 €" in " ".join(error.value.messages)


class TestWhoMayRecordAwards:
    def test_a_manager_of_another_region_may_not(self, line_of):
        other = user_with_role(Role.ARS_MANAGER, region=ContractFactory().region)

        with pytest.raises(PermissionDenied):
            ipa(other, line_of(SchemeCode.IPA))

    def test_a_validator_or_a_ght_director_may_not(self, validator, director, line_of):
        for user in (validator, director):
            with pytest.raises(PermissionDenied):
                ipa(user, line_of(SchemeCode.IPA))


class TestTheJournal:
    def test_keeps_the_figures_but_never_the_persons_name_or_identifier(self, manager, line_of):
        award = ipa(manager, line_of(SchemeCode.IPA))
        awards.change_award(actor=manager, award=award, last_name="Durand-Leroy")

        events = AuditEvent.objects.filter(object_type="calls.IndividualAward")
        assert events.count() == 2
        text = json.dumps([list(events.values("summary", "object_label", "changes"))])
        assert "Durand" not in text and "10009876543" not in text and "Paul" not in text
        change = events.order_by("sequence").last().changes
        assert change["last_name"]["after"] == "(donnée personnelle) modifiée"
        created = events.order_by("sequence").first().changes
        assert created["total_amount"]["after"] == "70000.00"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_adding_awards_at_once_leave_the_line_at_their_sum():
    from django.db import connection

    contract = ContractFactory(envelope_amount=Decimal("900000.00"))
    line = FundingLineFactory(
        axis=StrategicAxisFactory(contract=contract, number=1),
        scheme=SchemeCode.IPA,
        details={"students": 1},
    )
    managers = [
        user_with_role(Role.ARS_MANAGER, region=contract.region, username=name)
        for name in ("claire", "hugo")
    ]
    barrier = threading.Barrier(2)
    errors = []

    def add(manager, tuition):
        try:
            barrier.wait()
            ipa(manager, line, tuition, "50000.00")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=add, args=(manager, tuition))
        for manager, tuition in zip(managers, ("20000.00", "10000.00"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert IndividualAward.objects.filter(funding_line=line).count() == 2
    assert allocations(line) == {2025: Decimal("130000.00")}
    line.refresh_from_db()
    assert line.details["students"] == 2


class TestTheAstpAward:
    def test_funds_two_years_of_salary_share_and_the_assistants_pet_month_by_month(
        self, manager, line_of
    ):
        award = awards.create_award(
            actor=manager,
            kind=AwardKind.ASTP,
            funding_line=line_of(SchemeCode.ASTP),
            identifier="10300000001",
            last_name="Nguyen",
            first_name="Lina",
            start_date=datetime.date(2025, 11, 1),
            yearly_amount=Decimal("44000.00"),
            half_days=Decimal("2"),
            other_sites=1,
        )

        # seeds/004: a two-year convention; 2 × 44,000 + 24 × 450 (PET grid, 2 half-days).
        assert award.end_date == datetime.date(2027, 10, 31)
        assert award.total_amount == Decimal("98800.00")
        assert award.instalments.count() == 24
        # The cents of 88,000 / 24 go to the first months; the years add up to the total.
        assert allocations(award.funding_line) == {
            2025: Decimal("8233.34"),
            2026: Decimal("49400.04"),
            2027: Decimal("41166.62"),
        }

    def test_needs_the_salary_share_while_the_campaign_has_no_average_cost(self, manager, line_of):
        with pytest.raises(ValidationError) as error:
            awards.create_award(
                actor=manager,
                kind=AwardKind.ASTP,
                funding_line=line_of(SchemeCode.ASTP),
                identifier="1",
                last_name="A",
                first_name="B",
                start_date=datetime.date(2025, 11, 1),
            )

        assert "yearly_amount" in error.value.message_dict


class TestALineWithAwards:
    def test_refuses_amounts_typed_by_hand_but_accepts_a_new_wording(self, manager, line_of):
        line = line_of(SchemeCode.IPA)
        ipa(manager, line)

        with pytest.raises(BusinessRuleError, match="somme de ses attributions"):
            contract_services.change_funding_line(
                actor=manager, line=line, amounts_by_year={2025: Decimal("50000.00")}
            )
        contract_services.change_funding_line(
            actor=manager,
            line=line,
            label="Formation IPA",
            amounts_by_year={2025: Decimal("70000.00")},
        )

        line.refresh_from_db()
        assert line.label == "Formation IPA"
        assert allocations(line) == {2025: Decimal("70000.00")}

    def test_refuses_an_amendment_typed_by_hand(self, manager, line_of, contract):
        line = line_of(SchemeCode.IPA)
        ipa(manager, line)
        contract.status = ContractStatus.ACTIVE
        contract.signature_date = datetime.date(2024, 12, 15)
        contract.save()

        with pytest.raises(BusinessRuleError, match="somme de ses attributions"):
            contract_services.draft_amendment(
                actor=manager,
                contract=contract,
                reason="Hausse",
                proposal=contract_services.AmendmentProposal(
                    allocations={line.pk: {2025: Decimal("60000.00")}}
                ),
            )

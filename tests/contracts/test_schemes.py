import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.schemes import (
    DEFAULT_PARAMETERS,
    CaeProfession,
    ClactAction,
    ClactDocument,
    ClactExclusion,
    IpaBeneficiaryKind,
    PetDerogation,
    RuleViolation,
    SchemeCode,
    SchemeParameters,
    astp_campaign_period,
    astp_convention_period,
    astp_funding,
    cae_commitment_months,
    check_astp_sites,
    check_cae_eligibility,
    check_cae_yearly_amount,
    check_clact_dossier,
    check_ipa_amount,
    check_ipa_beneficiary,
    check_pet_eligibility,
    check_pet_site_distance,
    check_tutor_training,
    clact_consumption_deadline,
    clact_fir_subsidy,
    clact_start_deadline,
    ipa_internship_support,
    ipa_max_amount,
    pech_amount,
    pech_instalments,
    pet_monthly_amount,
    validate_funding_line,
)

NNBSP = "\u202f"
ALL_CLACT_DOCUMENTS = set(ClactDocument.values)
CLACT_2024_DEADLINE = datetime.date(2024, 5, 10)


def make_action(**overrides) -> ClactAction:
    fields = {
        "label": "Lève-personne",
        "cost": Decimal("10000.00"),
        "ars_amount": Decimal("5000.00"),
        "has_quote": True,
    }
    fields.update(overrides)
    return ClactAction(**fields)


def check_dossier(**overrides) -> None:
    arguments = {
        "actions": [make_action()],
        "provided_documents": ALL_CLACT_DOCUMENTS,
        "submitted_on": CLACT_2024_DEADLINE,
        "deadline": CLACT_2024_DEADLINE,
    }
    arguments.update(overrides)
    check_clact_dossier(**arguments)


class TestSchemeCode:
    def test_has_uppercase_codes_and_french_labels(self):
        assert SchemeCode.IPA.label == "Infirmier en pratique avancée (IPA)"
        assert SchemeCode.TUTORING.label == "Tutorat et formation"
        assert all(code == code.upper() for code in SchemeCode.values)


class TestSchemeParameters:
    def test_default_to_the_seed_figures(self):
        assert DEFAULT_PARAMETERS.ipa_cap_per_student == Decimal("70000")
        assert DEFAULT_PARAMETERS.clact_fir_share == Decimal("0.5")
        assert DEFAULT_PARAMETERS.clact_max_actions == 5
        assert DEFAULT_PARAMETERS.pet_min_distance_km == Decimal("20")
        assert DEFAULT_PARAMETERS.astp_yearly_ars_amount == Decimal("63000")
        assert DEFAULT_PARAMETERS.pech_cap == Decimal("30000")
        assert DEFAULT_PARAMETERS.cae_commitment_multiplier == 2

    def test_are_immutable(self):
        with pytest.raises(AttributeError):
            DEFAULT_PARAMETERS.ipa_cap_per_student = Decimal("1")  # type: ignore[misc]


class TestRuleViolation:
    def test_is_a_value_error_listing_every_problem(self):
        violation = RuleViolation(["premier problème", "second problème"])

        assert isinstance(violation, ValueError)
        assert violation.errors == ["premier problème", "second problème"]
        assert str(violation) == "premier problème\nsecond problème"

    def test_accepts_a_single_message(self):
        assert RuleViolation("seul problème").errors == ["seul problème"]


class TestPetMonthlyAmount:
    @pytest.mark.parametrize(
        ("half_days", "other_sites", "expected"),
        [
            ("0", 0, "0.00"),
            ("0.5", 1, "0.00"),
            ("0.99", 1, "0.00"),
            ("1", 1, "250.00"),
            ("1.01", 1, "450.00"),
            ("1.5", 1, "450.00"),
            ("3", 1, "450.00"),
            ("3.5", 1, "700.00"),
            ("3.5", 2, "700.00"),
            ("4", 1, "700.00"),
            ("4", 2, "1000.00"),
            ("4", 3, "1000.00"),
            ("4.5", 1, "1000.00"),
            ("10", 1, "1000.00"),
        ],
    )
    def test_follows_the_grid(self, half_days, other_sites, expected):
        amount = pet_monthly_amount(Decimal(half_days), other_sites)

        assert amount == Decimal(expected)

    def test_returns_amounts_to_the_cent(self):
        assert str(pet_monthly_amount(Decimal("1"), 1)) == "250.00"

    def test_refuses_negative_half_days(self):
        with pytest.raises(RuleViolation, match="négatif"):
            pet_monthly_amount(Decimal("-1"), 1)

    def test_refuses_half_days_without_another_site(self):
        with pytest.raises(RuleViolation, match="au moins un site"):
            pet_monthly_amount(Decimal("2"), 0)

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            pet_monthly_amount(1.5, 1)

    def test_uses_the_given_grid(self):
        params = SchemeParameters(pet_base_amount=Decimal("300.00"))

        assert pet_monthly_amount(Decimal("1"), 1, params) == Decimal("300.00")

    @given(
        low=st.decimals(min_value=0, max_value=12, places=2),
        high=st.decimals(min_value=0, max_value=12, places=2),
        other_sites=st.integers(min_value=1, max_value=5),
    )
    def test_never_decreases_when_half_days_grow(self, low, high, other_sites):
        low, high = sorted((low, high))

        assert pet_monthly_amount(low, other_sites) <= pet_monthly_amount(high, other_sites)


class TestCheckPetSiteDistance:
    def test_refuses_19_9_km_without_derogation(self):
        with pytest.raises(RuleViolation, match="19,9 km"):
            check_pet_site_distance(Decimal("19.9"), None)

    def test_accepts_20_km(self):
        check_pet_site_distance(Decimal("20"), None)

    def test_accepts_5_km_with_a_mental_health_derogation(self):
        check_pet_site_distance(Decimal("5"), PetDerogation.MENTAL_HEALTH)

    @pytest.mark.parametrize("derogation", PetDerogation.values)
    def test_accepts_any_granted_derogation(self, derogation):
        check_pet_site_distance(Decimal("1"), derogation)

    def test_refuses_an_unknown_derogation(self):
        with pytest.raises(RuleViolation, match="dérogation PET reconnue"):
            check_pet_site_distance(Decimal("5"), "CONVENIENCE")

    def test_refuses_a_negative_distance(self):
        with pytest.raises(RuleViolation):
            check_pet_site_distance(Decimal("-1"), None)

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            check_pet_site_distance(20.0, None)


class TestCheckPetEligibility:
    def test_accepts_a_practitioner_under_tripartite_convention(self):
        check_pet_eligibility(is_hospital_clinician=False)

    def test_excludes_hospital_clinicians(self):
        with pytest.raises(RuleViolation, match="cliniciens hospitaliers"):
            check_pet_eligibility(is_hospital_clinician=True)

    def test_requires_a_tripartite_convention(self):
        with pytest.raises(RuleViolation, match="convention tripartite"):
            check_pet_eligibility(is_hospital_clinician=False, has_tripartite_convention=False)

    def test_lists_both_problems_at_once(self):
        with pytest.raises(RuleViolation) as raised:
            check_pet_eligibility(is_hospital_clinician=True, has_tripartite_convention=False)

        assert len(raised.value.errors) == 2


class TestCheckIpaAmount:
    def test_accepts_70_000_per_student(self):
        check_ipa_amount(Decimal("70000.00"), 1)

    def test_refuses_70_000_01_per_student(self):
        with pytest.raises(RuleViolation, match="plafond"):
            check_ipa_amount(Decimal("70000.01"), 1)

    def test_explains_the_cap_in_french(self):
        with pytest.raises(RuleViolation) as raised:
            check_ipa_amount(Decimal("75000"), 1)

        assert str(raised.value) == (
            f"Le montant IPA de 75{NNBSP}000,00 € dépasse le plafond de 70{NNBSP}000,00 € "
            "par étudiant (appel à candidatures IPA 2025)."
        )

    def test_refuses_a_zero_amount(self):
        with pytest.raises(RuleViolation, match="positif"):
            check_ipa_amount(Decimal("0"), 1)

    def test_refuses_zero_students(self):
        with pytest.raises(RuleViolation, match="au moins 1"):
            check_ipa_amount(Decimal("1000"), 0)

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            check_ipa_amount(70000.0, 1)

    def test_uses_a_regional_cap(self):
        params = SchemeParameters(ipa_cap_per_student=Decimal("60000"))

        with pytest.raises(RuleViolation):
            check_ipa_amount(Decimal("60000.01"), 1, params)


class TestIpaMaxAmount:
    def test_multiplies_the_cap_by_the_students(self):
        assert ipa_max_amount(3) == Decimal("210000.00")


class TestCheckIpaBeneficiary:
    @pytest.mark.parametrize(
        "kind",
        [
            IpaBeneficiaryKind.HEALTH_ESTABLISHMENT,
            IpaBeneficiaryKind.MEDICO_SOCIAL_ESTABLISHMENT,
            IpaBeneficiaryKind.MSP,
            IpaBeneficiaryKind.CPTS,
            IpaBeneficiaryKind.HEALTH_CENTRE,
        ],
    )
    def test_accepts_structures_without_further_condition(self, kind):
        check_ipa_beneficiary(kind)

    def test_refuses_a_self_employed_nurse_without_the_doctors_commitment(self):
        with pytest.raises(RuleViolation, match="engagement écrit"):
            check_ipa_beneficiary(IpaBeneficiaryKind.SELF_EMPLOYED_NURSE)

    def test_accepts_a_self_employed_nurse_with_the_doctors_commitment(self):
        check_ipa_beneficiary(IpaBeneficiaryKind.SELF_EMPLOYED_NURSE, has_doctors_commitment=True)

    def test_refuses_an_unknown_kind(self):
        with pytest.raises(RuleViolation, match="n'est pas un bénéficiaire éligible"):
            check_ipa_beneficiary("PHARMACY")


class TestClactFirSubsidy:
    @pytest.mark.parametrize(
        ("cost", "expected"),
        [
            ("1000.00", "500.00"),
            ("1000.01", "500.01"),
            ("1000.03", "500.02"),
            ("0.01", "0.01"),
            ("0.03", "0.02"),
        ],
    )
    def test_is_half_the_cost_rounded_half_up(self, cost, expected):
        assert clact_fir_subsidy(Decimal(cost)) == Decimal(expected)

    def test_refuses_a_zero_cost(self):
        with pytest.raises(RuleViolation):
            clact_fir_subsidy(Decimal("0"))

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            clact_fir_subsidy(1000.01)


class TestCheckClactDossier:
    def test_accepts_a_complete_dossier_with_5_actions_on_the_deadline(self):
        check_dossier(actions=[make_action(label=f"Action {n}") for n in range(5)])

    def test_declares_a_6_action_dossier_irrecevable(self):
        with pytest.raises(RuleViolation, match="irrecevable") as raised:
            check_dossier(actions=[make_action() for _ in range(6)])

        assert "6 actions" in str(raised.value)

    def test_lists_every_missing_document(self):
        provided = {ClactDocument.SIGNED_CONTRACT, ClactDocument.BANK_DETAILS}

        with pytest.raises(RuleViolation, match="incomplet") as raised:
            check_dossier(provided_documents=provided)

        message = str(raised.value)
        for document in ALL_CLACT_DOCUMENTS - provided:
            assert ClactDocument(document).label in message
        assert ClactDocument.BANK_DETAILS.label not in message

    def test_declares_a_late_dossier_irrecevable(self):
        with pytest.raises(RuleViolation, match="après la date limite du 10/05/2024"):
            check_dossier(submitted_on=datetime.date(2024, 5, 11))

    def test_refuses_an_action_without_a_quote(self):
        with pytest.raises(RuleViolation, match="devis est manquant"):
            check_dossier(actions=[make_action(has_quote=False)])

    @pytest.mark.parametrize("exclusion", ClactExclusion.values)
    def test_refuses_excluded_expenses(self, exclusion):
        action = make_action(exclusions=frozenset({ClactExclusion(exclusion)}))

        with pytest.raises(RuleViolation, match="dépense exclue"):
            check_dossier(actions=[action])

    def test_accepts_an_ars_share_of_exactly_half(self):
        check_dossier(actions=[make_action(cost=Decimal("1000.01"), ars_amount=Decimal("500.01"))])

    def test_refuses_an_ars_share_above_half_the_cost(self):
        action = make_action(cost=Decimal("1000.00"), ars_amount=Decimal("500.01"))

        with pytest.raises(RuleViolation, match="dépasse 50 % du coût"):
            check_dossier(actions=[action])

    def test_refuses_a_dossier_without_actions(self):
        with pytest.raises(RuleViolation, match="aucune action"):
            check_dossier(actions=[])

    def test_lists_every_problem_at_once(self):
        actions = [make_action(has_quote=False)] + [make_action() for _ in range(5)]

        with pytest.raises(RuleViolation) as raised:
            check_dossier(
                actions=actions,
                provided_documents=set(),
                submitted_on=datetime.date(2024, 6, 1),
            )

        errors = raised.value.errors
        assert len(errors) == 4
        assert any("date limite" in error for error in errors)
        assert any("6 actions" in error for error in errors)
        assert any("pièces manquantes" in error for error in errors)
        assert any("Action 1" in error and "devis" in error for error in errors)


class TestClactDeadlines:
    def test_consumption_ends_on_31_december_2026_for_the_2024_campaign(self):
        assert clact_consumption_deadline() == datetime.date(2026, 12, 31)

    def test_consumption_deadline_follows_the_campaign(self):
        params = SchemeParameters(clact_consumption_deadline=datetime.date(2027, 12, 31))

        assert clact_consumption_deadline(params) == datetime.date(2027, 12, 31)

    def test_start_deadline_is_24_months_after_notification(self):
        assert clact_start_deadline(datetime.date(2024, 10, 9)) == datetime.date(2026, 10, 9)

    def test_start_deadline_from_29_february_is_28_february(self):
        assert clact_start_deadline(datetime.date(2024, 2, 29)) == datetime.date(2026, 2, 28)

    def test_start_deadline_crosses_31_december(self):
        params = SchemeParameters(clact_start_within_months=1)

        assert clact_start_deadline(datetime.date(2024, 12, 31), params) == datetime.date(
            2025, 1, 31
        )


class TestAstp:
    def test_convention_runs_two_years_end_inclusive(self):
        assert astp_convention_period(datetime.date(2025, 11, 1)) == (
            datetime.date(2025, 11, 1),
            datetime.date(2027, 10, 31),
        )

    def test_convention_from_29_february_ends_on_28_february(self):
        assert astp_convention_period(datetime.date(2024, 2, 29)) == (
            datetime.date(2024, 2, 29),
            datetime.date(2026, 2, 28),
        )

    def test_convention_from_1_march_ends_on_29_february_of_a_leap_year(self):
        assert astp_convention_period(datetime.date(2026, 3, 1))[1] == datetime.date(2028, 2, 29)

    def test_campaign_starts_on_1_november(self):
        assert astp_campaign_period(2025) == (
            datetime.date(2025, 11, 1),
            datetime.date(2027, 10, 31),
        )

    def test_funding_covers_two_years_by_default(self):
        assert astp_funding() == Decimal("126000.00")

    def test_funding_for_one_year(self):
        assert astp_funding(1) == Decimal("63000.00")

    def test_funding_uses_the_campaign_share(self):
        params = SchemeParameters(astp_yearly_ars_amount=Decimal("65000"))

        assert astp_funding(2, params) == Decimal("130000.00")

    @pytest.mark.parametrize("years", [0, 3])
    def test_funding_refuses_years_outside_the_convention(self, years):
        with pytest.raises(RuleViolation, match="2 ans"):
            astp_funding(years)

    def test_accepts_two_sites(self):
        check_astp_sites(2)

    def test_refuses_a_single_site(self):
        with pytest.raises(RuleViolation, match="au moins 2 sites"):
            check_astp_sites(1)


class TestPechAmount:
    def test_is_20_000_for_a_locally_scarce_specialty(self):
        assert pech_amount(locally_scarce=True, nationally_scarce=False) == Decimal("20000.00")

    def test_is_30_000_for_a_locally_and_nationally_scarce_specialty(self):
        assert pech_amount(locally_scarce=True, nationally_scarce=True) == Decimal("30000.00")

    def test_is_10_000_for_a_nationally_scarce_specialty_only(self):
        assert pech_amount(locally_scarce=False, nationally_scarce=True) == Decimal("10000.00")

    def test_is_capped(self):
        params = SchemeParameters(pech_nationally_scarce_amount=Decimal("15000"))

        assert pech_amount(locally_scarce=True, nationally_scarce=True, params=params) == Decimal(
            "30000.00"
        )

    def test_is_pro_rata_for_part_time(self):
        amount = pech_amount(
            locally_scarce=True, nationally_scarce=True, working_time_ratio=Decimal("0.5")
        )

        assert amount == Decimal("15000.00")

    def test_rounds_part_time_to_the_cent(self):
        amount = pech_amount(
            locally_scarce=True, nationally_scarce=False, working_time_ratio=Decimal("0.33333")
        )

        assert amount == Decimal("6666.60")

    def test_refuses_a_specialty_not_in_tension(self):
        with pytest.raises(RuleViolation, match="spécialités en tension"):
            pech_amount(locally_scarce=False, nationally_scarce=False)

    @pytest.mark.parametrize("ratio", ["0", "1.1", "-0.5"])
    def test_refuses_a_working_time_ratio_out_of_range(self, ratio):
        with pytest.raises(RuleViolation, match="quotité"):
            pech_amount(
                locally_scarce=True, nationally_scarce=False, working_time_ratio=Decimal(ratio)
            )

    def test_refuses_a_float_working_time_ratio(self):
        with pytest.raises(TypeError):
            pech_amount(locally_scarce=True, nationally_scarce=False, working_time_ratio=0.5)


class TestPechInstalments:
    def test_are_two_halves(self):
        assert pech_instalments(Decimal("30000.00")) == (Decimal("15000.00"), Decimal("15000.00"))

    def test_give_the_odd_cent_to_the_first_instalment(self):
        first, second = pech_instalments(Decimal("15000.01"))

        assert (first, second) == (Decimal("7500.01"), Decimal("7500.00"))
        assert first + second == Decimal("15000.01")

    def test_refuse_a_zero_amount(self):
        with pytest.raises(RuleViolation):
            pech_instalments(Decimal("0"))

    @given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2))
    def test_always_add_up_to_the_amount(self, amount):
        first, second = pech_instalments(amount)

        assert first + second == amount
        assert abs(first - second) <= Decimal("0.01")


class TestCae:
    def test_commitment_is_twice_the_funded_duration(self):
        assert cae_commitment_months(12) == 24

    def test_commitment_multiplier_is_configurable(self):
        params = SchemeParameters(cae_commitment_multiplier=3)

        assert cae_commitment_months(10, params) == 30

    def test_commitment_refuses_a_zero_duration(self):
        with pytest.raises(RuleViolation):
            cae_commitment_months(0)

    @pytest.mark.parametrize("amount", ["6000", "7000", "8000"])
    def test_yearly_amount_accepts_the_range_bounds(self, amount):
        check_cae_yearly_amount(Decimal(amount))

    @pytest.mark.parametrize("amount", ["5999.99", "8000.01"])
    def test_yearly_amount_refuses_outside_the_range(self, amount):
        with pytest.raises(RuleViolation, match="compris entre"):
            check_cae_yearly_amount(Decimal(amount))

    @pytest.mark.parametrize(
        ("profession", "study_year"),
        [
            (CaeProfession.NURSING_ASSISTANT, 1),
            (CaeProfession.NURSE, 2),
            (CaeProfession.NURSE, 3),
            (CaeProfession.RADIOGRAPHER, 2),
            (CaeProfession.OCCUPATIONAL_THERAPIST, 3),
            (CaeProfession.PSYCHOMOTOR_THERAPIST, 2),
            (CaeProfession.PHYSIOTHERAPIST, 3),
            (CaeProfession.PHYSIOTHERAPIST, 4),
            (CaeProfession.MIDWIFE, 4),
            (CaeProfession.MIDWIFE, 5),
        ],
    )
    def test_eligibility_accepts_the_listed_years(self, profession, study_year):
        check_cae_eligibility(profession=profession, study_year=study_year)

    @pytest.mark.parametrize(
        ("profession", "study_year"),
        [
            (CaeProfession.NURSE, 1),
            (CaeProfession.RADIOGRAPHER, 1),
            (CaeProfession.OCCUPATIONAL_THERAPIST, 1),
            (CaeProfession.PSYCHOMOTOR_THERAPIST, 1),
            (CaeProfession.PHYSIOTHERAPIST, 2),
            (CaeProfession.PHYSIOTHERAPIST, 5),
            (CaeProfession.MIDWIFE, 3),
        ],
    )
    def test_eligibility_refuses_other_years(self, profession, study_year):
        with pytest.raises(RuleViolation, match="années d'études sont éligibles"):
            check_cae_eligibility(profession=profession, study_year=study_year)

    def test_eligibility_refuses_an_unlisted_profession(self):
        with pytest.raises(RuleViolation, match="n'est pas éligible"):
            check_cae_eligibility(profession="PHARMACIST", study_year=2)

    @pytest.mark.parametrize(
        ("situation", "expected"),
        [
            ("is_apprentice", "apprentissage"),
            ("in_continuing_training", "formation continue"),
            ("has_similar_contract", "contrat similaire"),
            ("has_regional_grant", "bourse régionale"),
        ],
    )
    def test_eligibility_refuses_excluded_situations(self, situation, expected):
        with pytest.raises(RuleViolation, match=expected):
            check_cae_eligibility(profession=CaeProfession.NURSE, study_year=2, **{situation: True})

    def test_eligibility_lists_every_problem_at_once(self):
        with pytest.raises(RuleViolation) as raised:
            check_cae_eligibility(
                profession=CaeProfession.NURSE,
                study_year=1,
                is_apprentice=True,
                has_regional_grant=True,
            )

        assert len(raised.value.errors) == 3


class TestTutoring:
    def test_training_of_4_days_and_28_hours_is_enough(self):
        check_tutor_training(Decimal("4"), Decimal("28"))

    def test_training_of_3_5_days_is_too_short(self):
        with pytest.raises(RuleViolation, match="3,5 jours"):
            check_tutor_training(Decimal("3.5"), Decimal("28"))

    def test_training_of_27_hours_is_too_short(self):
        with pytest.raises(RuleViolation, match="27 heures"):
            check_tutor_training(Decimal("4"), Decimal("27"))

    def test_training_lists_both_shortfalls(self):
        with pytest.raises(RuleViolation) as raised:
            check_tutor_training(Decimal("2"), Decimal("14"))

        assert len(raised.value.errors) == 2

    @pytest.mark.parametrize(("months", "expected"), [(2, "1000.00"), (4, "1500.00")])
    def test_ipa_internship_support_by_duration(self, months, expected):
        assert ipa_internship_support(months) == Decimal(expected)

    @pytest.mark.parametrize("months", [0, 1, 3, 6])
    def test_ipa_internship_support_refuses_other_durations(self, months):
        with pytest.raises(RuleViolation, match="2 mois ou 4 mois"):
            ipa_internship_support(months)


class TestValidateFundingLine:
    @pytest.mark.parametrize("scheme", SchemeCode.values)
    @pytest.mark.parametrize("amount", ["0", "-1"])
    def test_refuses_a_non_positive_amount_for_every_scheme(self, scheme, amount):
        with pytest.raises(RuleViolation, match="positif"):
            validate_funding_line(scheme=scheme, amount=Decimal(amount), details={})

    def test_refuses_a_float_amount(self):
        with pytest.raises(TypeError):
            validate_funding_line(scheme=SchemeCode.OTHER, amount=100.0, details={})

    def test_refuses_a_float_detail(self):
        with pytest.raises(TypeError):
            validate_funding_line(
                scheme=SchemeCode.CLACT, amount=Decimal("100"), details={"project_cost": 1000.0}
            )

    def test_refuses_an_unknown_scheme(self):
        with pytest.raises(RuleViolation, match="dispositif connu"):
            validate_funding_line(scheme="LOTTERY", amount=Decimal("100"), details={})

    def test_accepts_a_new_measure_without_details(self):
        validate_funding_line(scheme=SchemeCode.OTHER, amount=Decimal("45000"), details={})

    def test_ignores_unknown_detail_keys(self):
        validate_funding_line(
            scheme=SchemeCode.IPA, amount=Decimal("70000"), details={"colour": "blue"}
        )

    def test_ipa_accepts_the_cap_times_the_students(self):
        validate_funding_line(
            scheme=SchemeCode.IPA, amount=Decimal("140000"), details={"students": 2}
        )

    def test_ipa_refuses_more_than_the_cap_for_one_student_by_default(self):
        with pytest.raises(RuleViolation, match="plafond"):
            validate_funding_line(scheme=SchemeCode.IPA, amount=Decimal("70000.01"), details={})

    def test_ipa_checks_the_beneficiary_when_given(self):
        with pytest.raises(RuleViolation, match="infirmier libéral"):
            validate_funding_line(
                scheme=SchemeCode.IPA,
                amount=Decimal("70000"),
                details={"beneficiary_kind": IpaBeneficiaryKind.SELF_EMPLOYED_NURSE},
            )

    def test_pet_accepts_twelve_months_of_the_grid(self):
        validate_funding_line(
            scheme=SchemeCode.PET,
            amount=Decimal("5400"),
            details={"half_days": Decimal("2"), "other_sites": 1, "months": 12},
        )

    def test_pet_refuses_more_than_the_grid(self):
        with pytest.raises(RuleViolation, match="grille"):
            validate_funding_line(
                scheme=SchemeCode.PET,
                amount=Decimal("250.01"),
                details={"half_days": Decimal("1"), "other_sites": 1},
            )

    def test_pet_refuses_less_than_one_half_day(self):
        with pytest.raises(RuleViolation, match="pas due"):
            validate_funding_line(
                scheme=SchemeCode.PET,
                amount=Decimal("100"),
                details={"half_days": Decimal("0.5"), "other_sites": 1},
            )

    def test_pet_checks_the_distance_and_the_status_together(self):
        with pytest.raises(RuleViolation) as raised:
            validate_funding_line(
                scheme=SchemeCode.PET,
                amount=Decimal("250"),
                details={"distance_km": Decimal("10"), "is_hospital_clinician": True},
            )

        assert len(raised.value.errors) == 2

    def test_pet_accepts_a_short_distance_with_a_derogation(self):
        validate_funding_line(
            scheme=SchemeCode.PET,
            amount=Decimal("250"),
            details={"distance_km": Decimal("5"), "derogation": PetDerogation.PRISON_HEALTH},
        )

    def test_clact_refuses_more_than_5_actions(self):
        with pytest.raises(RuleViolation, match="irrecevable"):
            validate_funding_line(
                scheme=SchemeCode.CLACT, amount=Decimal("1000"), details={"actions": 6}
            )

    def test_clact_counts_a_sequence_of_actions(self):
        validate_funding_line(
            scheme=SchemeCode.CLACT,
            amount=Decimal("1000"),
            details={"actions": [make_action() for _ in range(5)]},
        )

    def test_clact_accepts_half_the_project_cost(self):
        validate_funding_line(
            scheme=SchemeCode.CLACT,
            amount=Decimal("500.01"),
            details={"project_cost": Decimal("1000.01")},
        )

    def test_clact_refuses_more_than_half_the_project_cost(self):
        with pytest.raises(RuleViolation, match="50 %"):
            validate_funding_line(
                scheme=SchemeCode.CLACT,
                amount=Decimal("500.02"),
                details={"project_cost": Decimal("1000.01")},
            )

    def test_astp_accepts_two_years_for_two_assistants(self):
        validate_funding_line(
            scheme=SchemeCode.ASTP, amount=Decimal("252000"), details={"assistants": 2}
        )

    def test_astp_refuses_more_than_the_yearly_share(self):
        with pytest.raises(RuleViolation, match="ASTP"):
            validate_funding_line(
                scheme=SchemeCode.ASTP, amount=Decimal("63000.01"), details={"years": 1}
            )

    def test_astp_refuses_a_single_site(self):
        with pytest.raises(RuleViolation, match="au moins 2 sites"):
            validate_funding_line(
                scheme=SchemeCode.ASTP, amount=Decimal("63000"), details={"sites": 1}
            )

    def test_pech_accepts_the_cap(self):
        validate_funding_line(scheme=SchemeCode.PECH, amount=Decimal("30000"), details={})

    def test_pech_refuses_more_than_the_cap(self):
        with pytest.raises(RuleViolation, match="plafonnée"):
            validate_funding_line(scheme=SchemeCode.PECH, amount=Decimal("30000.01"), details={})

    def test_pech_refuses_more_than_the_part_time_amount(self):
        with pytest.raises(RuleViolation, match="15\u202f000,00 €"):
            validate_funding_line(
                scheme=SchemeCode.PECH,
                amount=Decimal("20000"),
                details={
                    "locally_scarce": True,
                    "nationally_scarce": True,
                    "working_time_ratio": Decimal("0.5"),
                },
            )

    def test_cae_accepts_the_yearly_range_per_student(self):
        validate_funding_line(
            scheme=SchemeCode.CAE, amount=Decimal("24000"), details={"students": 3}
        )

    @pytest.mark.parametrize("amount", ["17999.99", "24000.01"])
    def test_cae_refuses_outside_the_range_per_student(self, amount):
        with pytest.raises(RuleViolation, match="compris entre"):
            validate_funding_line(
                scheme=SchemeCode.CAE, amount=Decimal(amount), details={"students": 3}
            )

    def test_cae_refuses_below_the_range_for_one_student_by_default(self):
        with pytest.raises(RuleViolation, match="compris entre"):
            validate_funding_line(scheme=SchemeCode.CAE, amount=Decimal("5000"), details={})

    def test_tutoring_accepts_the_internship_support_per_team(self):
        validate_funding_line(
            scheme=SchemeCode.TUTORING,
            amount=Decimal("3000"),
            details={"internship_months": 4, "teams": 2},
        )

    def test_tutoring_refuses_more_than_the_internship_support(self):
        with pytest.raises(RuleViolation, match="stagiaires IPA"):
            validate_funding_line(
                scheme=SchemeCode.TUTORING,
                amount=Decimal("1000.01"),
                details={"internship_months": 2},
            )

    def test_tutoring_checks_the_training_length(self):
        with pytest.raises(RuleViolation, match="formation des tuteurs"):
            validate_funding_line(
                scheme=SchemeCode.TUTORING,
                amount=Decimal("5000"),
                details={"training_days": Decimal("3"), "training_hours": Decimal("21")},
            )

    def test_uses_the_given_parameters(self):
        params = SchemeParameters(ipa_cap_per_student=Decimal("80000"))

        validate_funding_line(
            scheme=SchemeCode.IPA, amount=Decimal("80000"), details={}, params=params
        )


class TestDetailsTypedByUsers:
    """Details come from forms and files as text: a bad count is the user's mistake."""

    @pytest.mark.parametrize(
        ("scheme", "details"),
        [
            (SchemeCode.IPA, {"students": "deux"}),
            (SchemeCode.PECH, {"practitioners": "1,5"}),
            (SchemeCode.CAE, {"students": "1.5"}),
        ],
    )
    def test_a_count_that_is_not_a_whole_number_is_a_rule_violation(self, scheme, details):
        with pytest.raises(RuleViolation, match="doit être un nombre entier"):
            validate_funding_line(scheme=scheme, amount=Decimal("1000.00"), details=details)

    def test_a_count_written_as_text_counts(self):
        with pytest.raises(RuleViolation, match="70"):
            validate_funding_line(
                scheme=SchemeCode.IPA, amount=Decimal("140000.01"), details={"students": " 2 "}
            )
        validate_funding_line(
            scheme=SchemeCode.IPA, amount=Decimal("140000.00"), details={"students": "2"}
        )

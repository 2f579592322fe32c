import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.schemes import (
    DEFAULT_PARAMETERS,
    REQUIRED_DETAILS,
    CaeProfession,
    ClactAction,
    ClactDocument,
    ClactExclusion,
    IpaBeneficiaryKind,
    PetDerogation,
    RuleViolation,
    SchemeCode,
    SchemeParameters,
    ars_share,
    astp_campaign_period,
    astp_convention_period,
    astp_funding,
    cae_commitment_months,
    check_astp_sites,
    check_cae_eligibility,
    check_cae_yearly_amount,
    check_clact_dossier,
    check_clact_start,
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
    scheme_parameter_defaults,
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
        assert SchemeCode.IPA.label == "Formation d'infirmiers en pratique avancée (IPA)"
        assert SchemeCode.TUTORING.label == "Formation et tutorat"
        assert SchemeCode.OTHER.label == "Mesure spécifique au contrat"
        assert all(code == code.upper() for code in SchemeCode.values)


class TestSchemeParameters:
    def test_default_to_the_seed_figures(self):
        assert DEFAULT_PARAMETERS.ipa_cap_per_student == Decimal("70000")
        assert DEFAULT_PARAMETERS.clact_fir_share == Decimal("0.5")
        assert DEFAULT_PARAMETERS.clact_max_actions == 5
        assert DEFAULT_PARAMETERS.pet_min_distance_km == Decimal("20")
        assert DEFAULT_PARAMETERS.pech_cap == Decimal("30000")
        assert DEFAULT_PARAMETERS.cae_commitment_multiplier == 2

    def test_carry_no_figure_that_no_source_gives(self):
        # seeds/004 gives no ASTP average cost, seeds/000 no CAE amount, no seed a campaign day.
        assert DEFAULT_PARAMETERS.astp_average_yearly_cost is None
        assert DEFAULT_PARAMETERS.cae_max_yearly_amount is None
        assert DEFAULT_PARAMETERS.astp_campaign_start is None

    def test_name_a_source_for_every_configurable_figure(self):
        for scheme in SchemeCode.values:
            for name, spec in scheme_parameter_defaults(scheme).items():
                assert spec["source"], name

    def test_record_the_ars_share_of_each_scheme(self):
        # seeds/001: FIR « à hauteur de 50 % » ; seeds/004: « finance 100% » (PET, ASTP, PECH).
        assert ars_share(SchemeCode.CLACT) == Decimal("0.50")
        assert ars_share(SchemeCode.PET) == Decimal("1")
        assert ars_share(SchemeCode.ASTP) == Decimal("1")
        assert ars_share(SchemeCode.PECH) == Decimal("1")
        assert ars_share(SchemeCode.CAE) is None

    def test_read_stored_values_into_their_kinds(self):
        params = DEFAULT_PARAMETERS.with_values(
            {
                "clact_consumption_deadline": "2027-12-31",
                "clact_max_actions": "4",
                "astp_average_yearly_cost": "44166.67",
                "ipa_internship_support": {"2": "1100", "4": "1600"},
            }
        )

        assert params.clact_consumption_deadline == datetime.date(2027, 12, 31)
        assert params.clact_max_actions == 4
        assert params.astp_average_yearly_cost == Decimal("44166.67")
        assert params.ipa_internship_support == ((2, Decimal("1100.00")), (4, Decimal("1600.00")))

    @pytest.mark.parametrize(
        "values",
        [{"colour": "1"}, {"clact_fir_share": "moitié"}, {"clact_fir_share": "-0.5"}],
    )
    def test_refuse_unknown_or_malformed_values(self, values):
        with pytest.raises(RuleViolation):
            DEFAULT_PARAMETERS.with_values(values)

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
    """seeds/004: « praticiens et assistants dans les hôpitaux publics », convention tripartite."""

    def test_accepts_a_public_hospital_practitioner_under_tripartite_convention(self):
        check_pet_eligibility()

    def test_refuses_a_practitioner_outside_public_hospitals(self):
        with pytest.raises(RuleViolation, match="hôpitaux publics"):
            check_pet_eligibility(is_public_hospital_practitioner=False)

    def test_requires_a_tripartite_convention(self):
        with pytest.raises(RuleViolation, match="convention tripartite"):
            check_pet_eligibility(has_tripartite_convention=False)

    def test_lists_both_problems_at_once(self):
        with pytest.raises(RuleViolation) as raised:
            check_pet_eligibility(
                is_public_hospital_practitioner=False, has_tripartite_convention=False
            )

        assert len(raised.value.errors) == 2

    def test_has_no_exclusion_of_hospital_clinicians(self):
        # No seed contains « cliniciens hospitaliers »: no rule may rest on it.
        with pytest.raises(TypeError):
            check_pet_eligibility(is_hospital_clinician=True)  # type: ignore[call-arg]


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
            ("100.01", "50.00"),
            ("1000.01", "500.00"),
            ("1000.03", "500.01"),
            ("0.01", "0.00"),
            ("0.03", "0.01"),
        ],
    )
    def test_is_half_the_cost_rounded_down(self, cost, expected):
        assert clact_fir_subsidy(Decimal(cost)) == Decimal(expected)

    @pytest.mark.parametrize("cost", ["100.01", "0.01", "0.03", "120000.00", "999999.99"])
    def test_leaves_the_establishment_at_least_half(self, cost):
        # seeds/001: « cofinancement des projets à hauteur de 50% au minimum ».
        cost = Decimal(cost)
        establishment_share = cost - clact_fir_subsidy(cost)

        assert establishment_share * 2 >= cost

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

    def test_accepts_an_ars_share_of_half_rounded_down(self):
        check_dossier(actions=[make_action(cost=Decimal("100.01"), ars_amount=Decimal("50.00"))])

    def test_refuses_an_ars_share_of_half_rounded_up(self):
        # seeds/001: the establishment co-finances « à hauteur de 50% au minimum ».
        with pytest.raises(RuleViolation, match="maximum 50,00"):
            check_dossier(
                actions=[make_action(cost=Decimal("100.01"), ars_amount=Decimal("50.01"))]
            )

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

    def test_start_deadline_is_one_year_after_the_funding_agreement(self):
        # seeds/001: « débutant dans l'année suivant l'accord de financement »; the 2024
        # campaign's conventions start « à compter du 11 octobre 2024 ».
        assert clact_start_deadline(datetime.date(2024, 10, 11)) == datetime.date(2025, 10, 11)

    def test_start_deadline_is_not_24_months(self):
        # « 24 mois » in seeds/001 is a selection priority on completion, not a start deadline.
        assert clact_start_deadline(datetime.date(2024, 10, 11)) < datetime.date(2026, 10, 11)

    def test_start_deadline_from_29_february_is_28_february(self):
        assert clact_start_deadline(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)

    def test_an_action_starting_on_the_deadline_is_accepted(self):
        check_clact_start(
            agreed_on=datetime.date(2024, 10, 11), starts_on=datetime.date(2025, 10, 11)
        )

    def test_an_action_starting_13_months_after_the_agreement_is_refused(self):
        with pytest.raises(RuleViolation, match="dans l'année suivant l'accord de financement"):
            check_clact_start(
                agreed_on=datetime.date(2024, 10, 11), starts_on=datetime.date(2025, 11, 11)
            )

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

    def test_campaign_period_runs_from_the_stored_first_day(self):
        params = SchemeParameters(astp_campaign_start=datetime.date(2025, 11, 1))

        assert astp_campaign_period(params) == (
            datetime.date(2025, 11, 1),
            datetime.date(2027, 10, 31),
        )

    def test_campaign_period_needs_a_stored_first_day(self):
        with pytest.raises(RuleViolation, match="n'est pas paramétrée"):
            astp_campaign_period()

    def test_funding_has_no_ceiling_by_default(self):
        # seeds/004: « 120 postes financés à 100 % en 2020 […] pour 5.3 millions d'€ » is a
        # budget, not a ceiling: no average cost is given.
        assert astp_funding() is None

    def test_funding_uses_the_campaign_average_cost(self):
        params = SchemeParameters(astp_average_yearly_cost=Decimal("44166.67"))

        assert astp_funding(1, params) == Decimal("44166.67")
        assert astp_funding(2, params) == Decimal("88333.34")

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

    @pytest.mark.parametrize("amount", ["5000", "5999.99", "8000.01", "12000"])
    def test_yearly_amount_has_no_range_by_default(self, amount):
        # seeds/000 gives no CAE amount.
        check_cae_yearly_amount(Decimal(amount))

    def test_yearly_amount_refuses_zero(self):
        with pytest.raises(RuleViolation, match="positif"):
            check_cae_yearly_amount(Decimal("0"))

    def test_yearly_amount_respects_a_campaign_ceiling(self):
        params = SchemeParameters(cae_max_yearly_amount=Decimal("7000"))

        check_cae_yearly_amount(Decimal("7000"), params)
        with pytest.raises(RuleViolation, match="plafond de la campagne"):
            check_cae_yearly_amount(Decimal("7000.01"), params)

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


# The smallest details that let each scheme's rules run (REQUIRED_DETAILS).
BASE_DETAILS = {
    SchemeCode.IPA: {"students": 1},
    SchemeCode.CLACT: {"actions": 1, "project_cost": "1000000000"},
    SchemeCode.PET: {"half_days": "5", "months": 1000, "distance_km": "20"},
    SchemeCode.ASTP: {"years": 2, "sites": 2},
    SchemeCode.PECH: {"practitioners": 1000},
    SchemeCode.CAE: {"students": 1, "years": 1},
}


def check_line(scheme, amount, params=DEFAULT_PARAMETERS, **details):
    merged = {**BASE_DETAILS.get(scheme, {}), **details}
    validate_funding_line(scheme=scheme, amount=Decimal(amount), details=merged, params=params)


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
            check_line(SchemeCode.CLACT, "100", project_cost=1000.0)

    def test_refuses_an_unknown_scheme(self):
        with pytest.raises(RuleViolation, match="dispositif connu"):
            validate_funding_line(scheme="LOTTERY", amount=Decimal("100"), details={})

    def test_accepts_a_new_measure_without_details(self):
        validate_funding_line(scheme=SchemeCode.OTHER, amount=Decimal("45000"), details={})

    def test_ignores_unknown_detail_keys(self):
        check_line(SchemeCode.IPA, "70000", colour="blue")

    def test_refuses_a_1_000_000_euro_clact_line_without_details(self):
        with pytest.raises(RuleViolation) as raised:
            validate_funding_line(scheme=SchemeCode.CLACT, amount=Decimal("1000000.00"), details={})

        assert raised.value.errors == [
            "Dispositif CLACT : le détail « actions » (nombre d'actions) est obligatoire.",
            "Dispositif CLACT : le détail « project_cost » (coût total du projet) est obligatoire.",
        ]

    @pytest.mark.parametrize("scheme", sorted(REQUIRED_DETAILS))
    def test_requires_each_required_detail(self, scheme):
        for key, _label in REQUIRED_DETAILS[scheme]:
            details = {k: v for k, v in BASE_DETAILS[scheme].items() if k != key}
            with pytest.raises(RuleViolation, match=f"« {key} » .* est obligatoire"):
                validate_funding_line(scheme=scheme, amount=Decimal("1"), details=details)

    def test_ipa_accepts_the_cap_times_the_students(self):
        check_line(SchemeCode.IPA, "140000", students=2)

    def test_ipa_refuses_more_than_the_cap_for_one_student(self):
        with pytest.raises(RuleViolation, match="plafond"):
            check_line(SchemeCode.IPA, "70000.01")

    def test_ipa_checks_the_beneficiary_when_given(self):
        with pytest.raises(RuleViolation, match="infirmier libéral"):
            check_line(
                SchemeCode.IPA, "70000", beneficiary_kind=IpaBeneficiaryKind.SELF_EMPLOYED_NURSE
            )

    def test_pet_accepts_twelve_months_of_the_grid(self):
        check_line(SchemeCode.PET, "5400", half_days=Decimal("2"), other_sites=1, months=12)

    def test_pet_refuses_more_than_the_grid(self):
        with pytest.raises(RuleViolation, match="grille"):
            check_line(SchemeCode.PET, "250.01", half_days=Decimal("1"), months=1)

    def test_pet_refuses_less_than_one_half_day(self):
        with pytest.raises(RuleViolation, match="pas due"):
            check_line(SchemeCode.PET, "100", half_days=Decimal("0.5"))

    def test_pet_checks_the_distance_and_the_convention_together(self):
        with pytest.raises(RuleViolation) as raised:
            check_line(
                SchemeCode.PET, "250", distance_km=Decimal("10"), tripartite_convention=False
            )

        assert len(raised.value.errors) == 2

    def test_pet_accepts_a_short_distance_with_a_derogation(self):
        check_line(
            SchemeCode.PET,
            "250",
            distance_km=Decimal("5"),
            derogation=PetDerogation.PRISON_HEALTH,
        )

    def test_clact_refuses_more_than_5_actions(self):
        with pytest.raises(RuleViolation, match="irrecevable"):
            check_line(SchemeCode.CLACT, "1000", actions=6)

    def test_clact_counts_a_sequence_of_actions(self):
        check_line(SchemeCode.CLACT, "1000", actions=[make_action() for _ in range(5)])

    def test_clact_accepts_half_the_project_cost_rounded_down(self):
        check_line(SchemeCode.CLACT, "50.00", project_cost=Decimal("100.01"))

    def test_clact_refuses_half_the_project_cost_rounded_up(self):
        # seeds/001: ARS « à hauteur de 50 % », establishment « 50% au minimum ».
        with pytest.raises(RuleViolation, match="50 %"):
            check_line(SchemeCode.CLACT, "50.01", project_cost=Decimal("100.01"))

    def test_clact_accepts_a_start_within_the_year_after_the_agreement(self):
        check_line(SchemeCode.CLACT, "1000", agreement_date="2024-10-11", start_date="2025-10-11")

    def test_clact_refuses_a_start_more_than_a_year_after_the_agreement(self):
        with pytest.raises(RuleViolation, match="dans l'année suivant"):
            check_line(
                SchemeCode.CLACT, "1000", agreement_date="2024-10-11", start_date="2025-10-12"
            )

    def test_astp_with_its_pet_is_accepted_without_a_campaign_cost(self):
        # seeds/004 funds 100 % of the salary (average cost, not given) + 100 % of the PET.
        check_line(SchemeCode.ASTP, "136800", pet_half_days="2", pet_months=24)

    def test_astp_with_its_pet_fits_a_campaign_average_cost(self):
        params = SchemeParameters(astp_average_yearly_cost=Decimal("63000"))

        check_line(SchemeCode.ASTP, "136800", params, pet_half_days="2", pet_months=24)
        with pytest.raises(RuleViolation, match="coût moyen de la campagne"):
            check_line(SchemeCode.ASTP, "136800.01", params, pet_half_days="2", pet_months=24)

    def test_astp_accepts_two_years_for_two_assistants(self):
        check_line(SchemeCode.ASTP, "252000", assistants=2)

    def test_astp_refuses_a_single_site(self):
        with pytest.raises(RuleViolation, match="au moins 2 sites"):
            check_line(SchemeCode.ASTP, "63000", sites=1)

    def test_pech_accepts_the_cap(self):
        check_line(SchemeCode.PECH, "30000", practitioners=1)

    def test_pech_refuses_more_than_the_cap(self):
        with pytest.raises(RuleViolation, match="plafonnée"):
            check_line(SchemeCode.PECH, "30000.01", practitioners=1)

    def test_pech_refuses_more_than_the_part_time_amount(self):
        with pytest.raises(RuleViolation, match="15\u202f000,00 €"):
            check_line(
                SchemeCode.PECH,
                "20000",
                practitioners=1,
                locally_scarce=True,
                nationally_scarce=True,
                working_time_ratio=Decimal("0.5"),
            )

    def test_cae_accepts_5000_euros(self):
        # seeds/000 gives no CAE amount: no 6,000-8,000 range.
        check_line(SchemeCode.CAE, "5000")

    def test_cae_respects_a_campaign_ceiling_per_student_and_year(self):
        params = SchemeParameters(cae_max_yearly_amount=Decimal("8000"))

        check_line(SchemeCode.CAE, "48000", params, students=3, years=2)
        with pytest.raises(RuleViolation, match="plafond de la campagne"):
            check_line(SchemeCode.CAE, "48000.06", params, students=3, years=2)

    def test_cae_requires_twice_the_funded_duration(self):
        # seeds/000: « une durée équivalente au double de la durée financée ».
        check_line(SchemeCode.CAE, "5000", funded_months=12, commitment_months=24)
        with pytest.raises(RuleViolation, match="24 mois"):
            check_line(SchemeCode.CAE, "5000", funded_months=12, commitment_months=23)

    def test_cae_checks_the_profession_and_study_year(self):
        with pytest.raises(RuleViolation, match="2e et 3e"):
            check_line(SchemeCode.CAE, "5000", profession=CaeProfession.NURSE, study_year=1)

    def test_tutoring_accepts_the_internship_support_per_team(self):
        check_line(SchemeCode.TUTORING, "3000", internship_months=4, teams=2)

    def test_tutoring_refuses_more_than_the_internship_support(self):
        with pytest.raises(RuleViolation, match="stagiaires IPA"):
            check_line(SchemeCode.TUTORING, "1000.01", internship_months=2)

    def test_tutoring_checks_the_training_length(self):
        with pytest.raises(RuleViolation, match="formation des tuteurs"):
            check_line(
                SchemeCode.TUTORING,
                "5000",
                training_days=Decimal("3"),
                training_hours=Decimal("21"),
            )

    def test_uses_the_given_parameters(self):
        params = SchemeParameters(ipa_cap_per_student=Decimal("80000"))

        check_line(SchemeCode.IPA, "80000", params)


class TestDetailsTypedByUsers:
    """Details come from forms and files as text: a bad count is the user's mistake."""

    @pytest.mark.parametrize(
        ("scheme", "details"),
        [
            (SchemeCode.IPA, {"students": "deux"}),
            (SchemeCode.PECH, {"practitioners": "1,5"}),
            (SchemeCode.CAE, {"students": "1.5", "years": 1}),
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


class TestCaeRecoveryAmount:
    def test_is_the_unserved_share_of_the_allowance(self):
        from contracts.schemes import cae_recovery_amount

        # 24 months committed for 12 funded; 6 served: 18/24 of 9,000 € paid.
        amount = cae_recovery_amount(
            paid_amount=Decimal("9000.00"), commitment_months=24, served_months=6
        )

        assert amount == Decimal("6750.00")

    def test_is_nothing_once_the_commitment_is_served(self):
        from contracts.schemes import cae_recovery_amount

        assert cae_recovery_amount(
            paid_amount=Decimal("9000.00"), commitment_months=24, served_months=24
        ) == Decimal("0.00")

    def test_rounds_half_up_to_the_cent(self):
        from contracts.schemes import cae_recovery_amount

        # 1,000 × 2/3 = 666.666… → 666.67
        assert cae_recovery_amount(
            paid_amount=Decimal("1000.00"), commitment_months=3, served_months=1
        ) == Decimal("666.67")

    def test_refuses_more_months_served_than_committed(self):
        from contracts.schemes import RuleViolation, cae_recovery_amount

        with pytest.raises(RuleViolation, match="entre 0 et 24 mois"):
            cae_recovery_amount(
                paid_amount=Decimal("9000.00"), commitment_months=24, served_months=25
            )

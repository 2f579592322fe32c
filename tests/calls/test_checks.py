"""The checks as pure functions, with the seeds' figures."""

import datetime
from decimal import Decimal

from calls.checks import (
    COMMITMENT_LETTER_REASON,
    ActionFacts,
    DocumentFacts,
    DossierFacts,
    Outcome,
    check_dossier,
    state_after_checks,
)
from calls.models import DossierState
from contracts.schemes import DEFAULT_PARAMETERS, SchemeCode
from tests.calls.factories import paris

VALID_SIRET = "44198375600012"
VALID_FINESS = "680363306"
PIECES = ["SIGNED_CONTRACT", "DUERP_AND_PREVENTION_PLAN"]
CLACT_2024_DEADLINE = paris(2024, 5, 10, 23, 59, 59)


def facts(**changes):
    return DossierFacts(
        **{
            "submitted_at": paris(2024, 5, 9, 12, 0),
            "applicant_siret": VALID_SIRET,
            "applicant_finess": VALID_FINESS,
            "partner_sirets": [],
            "actions": [ActionFacts(1, "RPS", Decimal("100.01"), Decimal("50.00"), True)],
            "documents": [DocumentFacts(kind, "PENDING") for kind in PIECES],
            "planned_end_date": datetime.date(2026, 6, 30),
            "in_registry": True,
            **changes,
        }
    )


def run(scheme=SchemeCode.CLACT, deadline_at=CLACT_2024_DEADLINE, **changes):
    return check_dossier(
        scheme=scheme,
        params=DEFAULT_PARAMETERS,
        deadline_at=deadline_at,
        required_documents=PIECES,
        consumption_deadline_date=datetime.date(2026, 12, 31),
        facts=facts(**changes),
    )


def outcome(results, code):
    return next(r.outcome for r in results if r.code == code)


def test_a_complete_dossier_is_admissible():
    assert state_after_checks(run()) == DossierState.ADMISSIBLE


def test_the_ars_share_is_rounded_down_so_the_establishment_pays_at_least_half():
    over = [ActionFacts(1, "RPS", Decimal("100.01"), Decimal("50.01"), True)]
    assert outcome(run(actions=over), "ARS_SHARE") == Outcome.INADMISSIBLE


def test_the_cae_deadline_at_midnight_ends_on_12_september_2025():
    midnight = paris(2025, 9, 12, 23, 59, 59)
    on_time = run(SchemeCode.CAE, midnight, submitted_at=paris(2025, 9, 12, 23, 59, 59))
    late = run(SchemeCode.CAE, midnight, submitted_at=paris(2025, 9, 13, 0, 0, 0))
    assert outcome(on_time, "DEADLINE") == Outcome.OK
    assert outcome(late, "DEADLINE") == Outcome.INADMISSIBLE


def test_a_commitment_letter_instead_of_the_duerp_is_inadmissible():
    documents = [
        DocumentFacts("SIGNED_CONTRACT", "ACCEPTED"),
        DocumentFacts("DUERP_AND_PREVENTION_PLAN", "REFUSED", COMMITMENT_LETTER_REASON),
    ]
    assert state_after_checks(run(documents=documents)) == DossierState.INADMISSIBLE


def test_another_refused_piece_makes_it_incomplete():
    documents = [
        DocumentFacts("SIGNED_CONTRACT", "REFUSED", "non signé"),
        DocumentFacts("DUERP_AND_PREVENTION_PLAN", "PENDING"),
    ]
    assert state_after_checks(run(documents=documents)) == DossierState.INCOMPLETE


def test_an_action_without_a_quote_makes_it_incomplete():
    actions = [ActionFacts(1, "RPS", Decimal("100.00"), Decimal("50.00"), False)]
    assert state_after_checks(run(actions=actions)) == DossierState.INCOMPLETE


def test_an_invalid_partner_siret_makes_it_incomplete():
    assert outcome(run(partner_sirets=["12345678901234"]), "SIRET") == Outcome.INCOMPLETE


def test_an_end_after_the_consumption_deadline_is_flagged_without_changing_the_state():
    results = run(planned_end_date=datetime.date(2027, 1, 1))
    assert outcome(results, "CONSUMPTION_DEADLINE") == Outcome.WARNING
    assert state_after_checks(results) == DossierState.ADMISSIBLE


def test_an_establishment_missing_from_the_registry_is_only_flagged():
    results = run(in_registry=False)
    assert outcome(results, "REGISTRY") == Outcome.WARNING
    assert state_after_checks(results) == DossierState.ADMISSIBLE


# CLACT 2024: notification from 09/10/2024, the presumed grant date of the campaign.
GRANT = datetime.date(2024, 10, 9)


def run_granted(**changes):
    return check_dossier(
        scheme=SchemeCode.CLACT,
        params=DEFAULT_PARAMETERS,
        deadline_at=CLACT_2024_DEADLINE,
        required_documents=PIECES,
        consumption_deadline_date=datetime.date(2026, 12, 31),
        facts=facts(**changes),
        grant_date=GRANT,
    )


def result(results, code):
    return next(r for r in results if r.code == code)


def test_an_action_starting_within_the_year_after_the_grant_is_on_time():
    results = run_granted(planned_start_date=datetime.date(2025, 10, 9))
    assert outcome(results, "START_WINDOW") == Outcome.OK


def test_an_action_starting_a_day_after_the_year_is_flagged_without_changing_the_state():
    results = run_granted(planned_start_date=datetime.date(2025, 10, 10))
    start = result(results, "START_WINDOW")
    assert start.outcome == Outcome.WARNING
    assert "au plus tard le 09/10/2025" in start.message
    assert "début trop tardif" in start.message
    assert state_after_checks(results) == DossierState.ADMISSIBLE


def test_completion_within_24_months_of_the_grant_is_on_time():
    results = run_granted(planned_end_date=datetime.date(2026, 10, 9))
    assert outcome(results, "COMPLETION_WINDOW") == Outcome.OK


def test_completion_after_24_months_loses_the_priority_as_a_warning():
    results = run_granted(planned_end_date=datetime.date(2026, 10, 10))
    end = result(results, "COMPLETION_WINDOW")
    assert end.outcome == Outcome.WARNING
    assert "au plus tard le 09/10/2026" in end.message
    assert "24 mois" in end.source
    assert state_after_checks(results) == DossierState.ADMISSIBLE


def test_without_a_grant_date_the_windows_are_not_checked():
    codes = {r.code for r in run(planned_start_date=datetime.date(2030, 1, 1))}
    assert not codes & {"START_WINDOW", "COMPLETION_WINDOW"}


def test_a_payroll_or_opco_funded_action_is_flagged_as_a_possible_excluded_expense():
    actions = [
        ActionFacts(1, "Rémunération d'un psychologue", Decimal("100"), Decimal("50"), True),
        ActionFacts(2, "Formation prise en charge par l'ANFH", Decimal("100"), Decimal("50"), True),
    ]
    excluded = result(run(actions=actions), "EXCLUDED_EXPENSES")
    assert excluded.outcome == Outcome.WARNING
    assert "action 1 : rémunérations et charges de personnel" in excluded.message
    assert "action 2 : projet remboursable par un opco" in excluded.message


def test_an_ordinary_action_has_no_excluded_expense():
    assert outcome(run(), "EXCLUDED_EXPENSES") == Outcome.OK


class TestTheSeedsFigures:
    """The dates and figures of seeds/000 and seeds/001, one test each."""

    def test_clact_2024_closes_on_10_may_2024_at_23_59_59_paris_time(self):
        assert CLACT_2024_DEADLINE.isoformat() == "2024-05-10T23:59:59+02:00"
        last_second = run(submitted_at=paris(2024, 5, 10, 23, 59, 59))
        assert outcome(last_second, "DEADLINE") == Outcome.OK

    def test_a_clact_2024_dossier_filed_at_00_00_01_on_11_may_is_inadmissible_not_rejected(self):
        late = run(submitted_at=paris(2024, 5, 11, 0, 0, 1))
        deadline = result(late, "DEADLINE")
        assert deadline.outcome == Outcome.INADMISSIBLE
        assert "irrecevable (non rejeté)" in deadline.message
        assert state_after_checks(late) == DossierState.INADMISSIBLE

    def test_the_same_second_read_in_utc_from_ds_is_late_too(self):
        utc = datetime.datetime(2024, 5, 10, 22, 0, 1, tzinfo=datetime.UTC)
        assert outcome(run(submitted_at=utc), "DEADLINE") == Outcome.INADMISSIBLE

    def test_five_actions_are_admissible_and_six_are_not(self):
        def actions(count):
            return [
                ActionFacts(rank, "RPS", Decimal("1000.00"), Decimal("500.00"), True)
                for rank in range(1, count + 1)
            ]

        assert outcome(run(actions=actions(5)), "MAX_ACTIONS") == Outcome.OK
        six = run(actions=actions(6))
        assert outcome(six, "MAX_ACTIONS") == Outcome.INADMISSIBLE
        assert "6 action(s) pour 5 au plus" in result(six, "MAX_ACTIONS").message

    def test_the_ars_funds_at_most_50_percent_rounded_down(self):
        half = [ActionFacts(1, "RPS", Decimal("100.01"), Decimal("50.00"), True)]
        assert outcome(run(actions=half), "ARS_SHARE") == Outcome.OK
        sixty = [ActionFacts(1, "RPS", Decimal("18000.00"), Decimal("10800.00"), True)]
        share = result(run(actions=sixty), "ARS_SHARE")
        assert share.outcome == Outcome.INADMISSIBLE
        assert "Part ARS au-delà de 50 %" in share.message

    def test_credits_are_consumed_by_31_december_2026(self):
        on_time = run(planned_end_date=datetime.date(2026, 12, 31))
        assert outcome(on_time, "CONSUMPTION_DEADLINE") == Outcome.OK
        late = result(run(planned_end_date=datetime.date(2027, 1, 1)), "CONSUMPTION_DEADLINE")
        assert "au plus tard le 31/12/2026" in late.message

    def test_actions_start_within_the_year_after_the_grant_and_end_within_24_months(self):
        results = run_granted(
            planned_start_date=datetime.date(2025, 10, 9),
            planned_end_date=datetime.date(2026, 10, 9),
        )
        assert outcome(results, "START_WINDOW") == Outcome.OK
        assert outcome(results, "COMPLETION_WINDOW") == Outcome.OK
        results = run_granted(
            planned_start_date=datetime.date(2025, 10, 10),
            planned_end_date=datetime.date(2026, 10, 10),
        )
        assert outcome(results, "START_WINDOW") == Outcome.WARNING
        assert outcome(results, "COMPLETION_WINDOW") == Outcome.WARNING

    def test_the_cae_2025_deadline_is_the_end_of_friday_12_september_2025(self):
        deadline = paris(2025, 9, 12, 23, 59, 59)
        assert deadline.strftime("%A") == "Friday"
        filed = run(SchemeCode.CAE, deadline, submitted_at=paris(2025, 9, 12, 23, 59, 59))
        late = run(SchemeCode.CAE, deadline, submitted_at=paris(2025, 9, 13, 0, 0, 1))
        assert outcome(filed, "DEADLINE") == Outcome.OK
        assert outcome(late, "DEADLINE") == Outcome.INADMISSIBLE

    def test_ipa_funds_up_to_70_000_euros_per_student(self):
        students = [
            ActionFacts(1, "Mention psychiatrie", Decimal("70000.00"), Decimal("70000.00"), True),
            ActionFacts(2, "Mention urgences", Decimal("45000.00"), Decimal("45000.00"), True),
        ]
        within = run(SchemeCode.IPA, actions=students)
        assert outcome(within, "IPA_CAP") == Outcome.OK
        assert "70 000,00 €" in result(within, "IPA_CAP").message.replace("\u202f", " ")

    def test_ipa_above_70_000_euros_per_student_is_capped_not_refused(self):
        students = [
            ActionFacts(1, "Mention oncologie", Decimal("70000.01"), Decimal("70000.01"), True)
        ]
        above = run(SchemeCode.IPA, actions=students)
        cap = result(above, "IPA_CAP")
        assert cap.outcome == Outcome.WARNING
        assert "ligne 1" in cap.message and "plafonnée" in cap.message
        assert "seeds/000" in cap.source
        assert state_after_checks(above) == DossierState.ADMISSIBLE

    def test_the_clact_figures_are_not_applied_to_an_ipa_dossier(self):
        codes = {r.code for r in run(SchemeCode.IPA)}
        assert "MAX_ACTIONS" not in codes and "ARS_SHARE" not in codes

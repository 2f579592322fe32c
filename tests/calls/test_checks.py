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

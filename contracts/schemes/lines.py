"""A funding line of a contract checked against its scheme's rules and required details."""

import datetime
from collections.abc import Mapping, Sized
from decimal import Decimal

from django.utils.translation import gettext as _

from ..money import ZERO, format_euros, round_cents
from ._common import (
    _CAE_SOURCE,
    _CLACT_SOURCE,
    _IPA_SOURCE,
    _PET_SOURCE,
    RuleViolation,
    _check_at_most,
    _collect,
    _to_decimal,
    _to_int,
)
from .astp import astp_funding, check_astp_sites
from .cae import cae_commitment_months, check_cae_eligibility, check_cae_yearly_amount
from .clact import _percent, check_clact_start, clact_fir_subsidy
from .codes import SchemeCode
from .ipa import check_ipa_beneficiary, ipa_internship_support, ipa_max_amount
from .parameters import DEFAULT_PARAMETERS, SchemeParameters
from .pech import pech_amount
from .pet import check_pet_eligibility, check_pet_site_distance, pet_monthly_amount
from .tutoring import check_tutor_training


def _validate_ipa_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    students = _to_int(details.get("students", 1), "Le nombre d'étudiants IPA")
    try:
        ceiling = ipa_max_amount(students, params)
    except RuleViolation as violation:
        return violation.errors
    if amount > ceiling:
        errors.append(
            f"Le montant IPA de {format_euros(amount)} dépasse le plafond de "
            f"{format_euros(params.ipa_cap_per_student)} par étudiant, soit "
            f"{format_euros(ceiling)} pour {students} étudiant(s) ({_IPA_SOURCE})."
        )
    if "beneficiary_kind" in details:
        _collect(
            errors,
            check_ipa_beneficiary,
            details["beneficiary_kind"],
            bool(details.get("has_doctors_commitment", False)),
        )
    return errors


def _validate_clact_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "agreement_date" in details and "start_date" in details:
        try:
            agreed_on = datetime.date.fromisoformat(str(details["agreement_date"]))
            starts_on = datetime.date.fromisoformat(str(details["start_date"]))
        except ValueError:
            errors.append(_("Les dates d'accord et de début doivent être au format AAAA-MM-JJ."))
        else:
            _collect(
                errors, check_clact_start, agreed_on=agreed_on, starts_on=starts_on, params=params
            )
    if "actions" in details:
        actions = details["actions"]
        count = (
            len(actions) if isinstance(actions, Sized) else _to_int(actions, "Le nombre d'actions")
        )
        if count > params.clact_max_actions:
            errors.append(
                f"Le dossier comporte {count} actions : au-delà de {params.clact_max_actions} "
                f"actions, le dossier est irrecevable ({_CLACT_SOURCE})."
            )
    if "project_cost" in details:
        try:
            subsidy = clact_fir_subsidy(details["project_cost"], params)
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            _check_at_most(
                errors,
                amount,
                subsidy,
                f"la part FIR de {_percent(params.clact_fir_share)} du coût du projet",
            )
    return errors


def _validate_pet_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "half_days" in details:
        months = _to_int(details.get("months", 1), "Le nombre de mois")
        try:
            monthly = pet_monthly_amount(
                details["half_days"], details.get("other_sites", 1), params
            )
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            if monthly == ZERO:
                errors.append(
                    "En dessous d'une demi-journée hebdomadaire en moyenne hors du site "
                    f"principal, la prime d'exercice territorial n'est pas due ({_PET_SOURCE})."
                )
            else:
                _check_at_most(
                    errors,
                    amount,
                    round_cents(monthly * months),
                    f"la grille de la prime d'exercice territorial pour {months} mois",
                )
    if "distance_km" in details:
        _collect(
            errors,
            check_pet_site_distance,
            details["distance_km"],
            details.get("derogation"),
            params,
        )
    if "tripartite_convention" in details or "public_hospital_practitioner" in details:
        _collect(
            errors,
            check_pet_eligibility,
            is_public_hospital_practitioner=bool(details.get("public_hospital_practitioner", True)),
            has_tripartite_convention=bool(details.get("tripartite_convention", True)),
        )
    return errors


def _validate_astp_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    assistants = _to_int(details.get("assistants", 1), "Le nombre d'assistants")
    try:
        salary = astp_funding(details.get("years"), params)
        years = _to_int(details.get("years", params.astp_duration_years), "La durée ASTP")
        pet = ZERO
        if "pet_half_days" in details:
            # seeds/004: the ARS also funds 100 % of the PET the assistant earns.
            months = _to_int(details.get("pet_months", years * 12), "Le nombre de mois de PET")
            pet = (
                pet_monthly_amount(
                    details["pet_half_days"], details.get("pet_other_sites", 1), params
                )
                * months
            )
    except RuleViolation as violation:
        errors.extend(violation.errors)
    else:
        if salary is not None:
            _check_at_most(
                errors,
                amount,
                round_cents((salary + pet) * assistants),
                _("le financement ASTP (coût moyen de la campagne et PET)"),
            )
    if "sites" in details:
        _collect(errors, check_astp_sites, details["sites"], params)
    return errors


def _validate_pech_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    practitioners = _to_int(details.get("practitioners", 1), "Le nombre de praticiens")
    ceiling = params.pech_cap * practitioners
    if "locally_scarce" in details or "nationally_scarce" in details:
        try:
            ceiling = practitioners * pech_amount(
                locally_scarce=bool(details.get("locally_scarce", False)),
                nationally_scarce=bool(details.get("nationally_scarce", False)),
                working_time_ratio=details.get("working_time_ratio", Decimal(1)),
                params=params,
            )
        except RuleViolation as violation:
            return violation.errors
    _check_at_most(errors, amount, round_cents(ceiling), "la prime d'engagement plafonnée")
    return errors


def _validate_cae_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    students = _to_int(details.get("students", 1), "Le nombre d'étudiants")
    years = _to_int(details.get("years", 1), "Le nombre d'années")
    allowances = students * years
    if allowances < 1:
        return ["Le nombre d'étudiants et d'années financées doit être d'au moins 1."]
    errors: list[str] = []
    _collect(errors, check_cae_yearly_amount, round_cents(amount / allowances), params)
    if "funded_months" in details and "commitment_months" in details:
        try:
            required = cae_commitment_months(details["funded_months"], params)
            committed = _to_int(details["commitment_months"], "La durée d'engagement")
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            if committed < required:
                errors.append(
                    _(
                        "L'étudiant doit s'engager à travailler %(required)s mois, le double de "
                        "la durée financée (reçu : %(committed)s mois) (%(source)s)."
                    )
                    % {"required": required, "committed": committed, "source": _CAE_SOURCE}
                )
    if "profession" in details:
        _collect(
            errors,
            check_cae_eligibility,
            profession=details["profession"],
            study_year=details.get("study_year", 1),
            params=params,
        )
    return errors


def _validate_tutoring_line(
    amount: Decimal, details: Mapping[str, object], params: SchemeParameters
) -> list[str]:
    errors: list[str] = []
    if "internship_months" in details:
        teams = _to_int(details.get("teams", 1), "Le nombre d'équipes")
        try:
            support = ipa_internship_support(details["internship_months"], params)
        except RuleViolation as violation:
            errors.extend(violation.errors)
        else:
            _check_at_most(
                errors,
                amount,
                round_cents(support * teams),
                "l'aide à l'accueil de stagiaires IPA",
            )
    if "training_days" in details or "training_hours" in details:
        _collect(
            errors,
            check_tutor_training,
            details.get("training_days", 0),
            details.get("training_hours", 0),
            params,
        )
    return errors


# The details a line of each scheme must carry for its rules to be checked at all.
REQUIRED_DETAILS: dict[str, tuple[tuple[str, str], ...]] = {
    SchemeCode.IPA: (("students", "nombre d'étudiants"),),
    SchemeCode.CLACT: (
        ("actions", "nombre d'actions"),
        ("project_cost", "coût total du projet"),
    ),
    SchemeCode.PET: (
        ("half_days", "nombre moyen de demi-journées hebdomadaires hors site principal"),
        ("months", "nombre de mois"),
        ("distance_km", "distance entre les sites (km)"),
    ),
    SchemeCode.ASTP: (
        ("years", "durée financée (années)"),
        ("sites", "nombre de sites"),
    ),
    SchemeCode.PECH: (("practitioners", "nombre de praticiens"),),
    SchemeCode.CAE: (("students", "nombre d'étudiants"), ("years", "nombre d'années")),
}


def missing_details(scheme: str, details: Mapping[str, object]) -> list[str]:
    """Return a French message for each detail ``scheme`` requires that ``details`` lacks."""
    return [
        _("Dispositif %(scheme)s : le détail « %(key)s » (%(description)s) est obligatoire.")
        % {"scheme": scheme, "key": key, "description": _(description)}
        for key, description in REQUIRED_DETAILS.get(scheme, ())
        if details.get(key) in (None, "")
    ]


_LINE_VALIDATORS = {
    SchemeCode.IPA: _validate_ipa_line,
    SchemeCode.CLACT: _validate_clact_line,
    SchemeCode.PET: _validate_pet_line,
    SchemeCode.ASTP: _validate_astp_line,
    SchemeCode.PECH: _validate_pech_line,
    SchemeCode.CAE: _validate_cae_line,
    SchemeCode.TUTORING: _validate_tutoring_line,
}


def validate_funding_line(
    *,
    scheme: str,
    amount: Decimal,
    details: Mapping[str, object] | None = None,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every scheme rule a funding line breaks.

    ``amount`` must be positive for every scheme, and the details of ``REQUIRED_DETAILS``
    present. The ``details`` keys read, per scheme (any other key is ignored; counts are
    ``int``, figures ``Decimal``, ``int`` or ``str``, dates ISO text):

    - IPA: ``students``: amount <= cap per student × students; ``beneficiary_kind`` and
      ``has_doctors_commitment``: beneficiary eligibility.
    - CLACT: ``actions`` (a count or a sequence): at most 5; ``project_cost``: amount <=
      50 % of it, rounded down; ``agreement_date`` and ``start_date``: start within the
      year following the funding agreement.
    - PET: ``half_days``, ``other_sites`` (default 1) and ``months``: amount <= grid amount
      × months; ``distance_km`` and ``derogation``: the 20 km rule;
      ``tripartite_convention`` / ``public_hospital_practitioner``: eligibility.
    - ASTP: ``years``, ``assistants`` (default 1) and ``sites`` (at least 2); once the
      campaign stores an average cost, amount <= (average cost × years + the PET given by
      ``pet_half_days``, ``pet_other_sites``, ``pet_months``) × assistants.
    - PECH: ``practitioners``: amount <= cap × practitioners; when ``locally_scarce`` or
      ``nationally_scarce`` is given (with ``working_time_ratio``, default 1), amount <= the
      computed PECH × practitioners.
    - CAE: ``students`` and ``years``: amount positive and, once the campaign stores a
      ceiling, within it × students × years; ``funded_months`` and ``commitment_months``:
      twice the funded duration; ``profession`` and ``study_year``: eligibility.
    - TUTORING: ``internship_months`` and ``teams`` (default 1): amount <= IPA internship
      support × teams; ``training_days`` / ``training_hours``: tutor training length.
    - OTHER: no scheme rule beyond a positive amount.
    """
    if scheme not in SchemeCode.values:
        raise RuleViolation(f"« {scheme} » n'est pas un dispositif connu.")
    amount = _to_decimal(amount, "Le montant de la ligne")
    if amount <= ZERO:
        raise RuleViolation(
            f"Le montant d'une ligne de financement doit être positif "
            f"(reçu : {format_euros(amount)})."
        )
    details = details or {}
    errors = missing_details(scheme, details)
    if errors:
        raise RuleViolation(errors)
    validator = _LINE_VALIDATORS.get(SchemeCode(scheme))
    errors = validator(amount, details, params) if validator else []
    if errors:
        raise RuleViolation(errors)

"""CAE: study allowances against a commitment to work (seed 000)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from ..money import ZERO, format_euros, round_cents
from ._common import _CAE_SOURCE, RuleViolation, _to_decimal, _to_int
from .codes import CaeProfession
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def cae_commitment_months(funded_months: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> int:
    """Return how many months the student commits to work for ``funded_months`` of allowance."""
    funded_months = _to_int(funded_months, "La durée financée")
    if funded_months < 1:
        raise RuleViolation(
            f"La durée financée d'un CAE doit être d'au moins un mois (reçu : {funded_months})."
        )
    return funded_months * params.cae_commitment_multiplier


def check_cae_yearly_amount(amount: Decimal, params: SchemeParameters = DEFAULT_PARAMETERS) -> None:
    """Raise ``RuleViolation`` unless the yearly allowance is positive and within the ceiling.

    seeds/000 gives no amount: the ceiling applies only once a campaign stores one.
    """
    amount = _to_decimal(amount, "Le montant annuel du CAE")
    if amount <= ZERO:
        raise RuleViolation(
            _("Le montant annuel du CAE doit être positif (reçu : %(amount)s).")
            % {"amount": format_euros(amount)}
        )
    ceiling = params.cae_max_yearly_amount
    if ceiling is not None and amount > ceiling:
        raise RuleViolation(
            _(
                "Le montant annuel du CAE de %(amount)s dépasse le plafond de la campagne (%(ceiling)s)."
            )
            % {"amount": format_euros(amount), "ceiling": format_euros(ceiling)}
        )


def check_cae_eligibility(
    *,
    profession: str,
    study_year: int,
    is_apprentice: bool = False,
    in_continuing_training: bool = False,
    has_similar_contract: bool = False,
    has_regional_grant: bool = False,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every reason the student cannot sign a CAE."""
    errors: list[str] = []
    study_year = _to_int(study_year, "L'année d'études")
    eligible_years = dict(params.cae_eligible_years)
    if profession not in eligible_years:
        errors.append(f"La profession « {profession} » n'est pas éligible au CAE ({_CAE_SOURCE}).")
    else:
        years = eligible_years[profession]
        label = (
            CaeProfession(profession).label if profession in CaeProfession.values else profession
        )
        if study_year < 1:
            errors.append(f"L'année d'études doit être d'au moins 1 (reçu : {study_year}).")
        elif years is not None and study_year not in years:
            listed = " et ".join(f"{year}e" for year in sorted(years))
            errors.append(
                f"Profession {label} : seules les {listed} années d'études sont éligibles au "
                f"CAE (reçu : {study_year}e année) ({_CAE_SOURCE})."
            )
    if is_apprentice:
        errors.append("Les étudiants en apprentissage ne sont pas éligibles au CAE.")
    if in_continuing_training:
        errors.append("Les salariés en formation continue ne sont pas éligibles au CAE.")
    if has_similar_contract:
        errors.append(
            "Les étudiants déjà engagés dans un contrat similaire ou un pré-recrutement ne sont "
            "pas éligibles au CAE."
        )
    if has_regional_grant:
        errors.append("Le CAE n'est pas cumulable avec une bourse régionale.")
    if errors:
        raise RuleViolation(errors)


def cae_recovery_amount(
    *, paid_amount: Decimal, commitment_months: int, served_months: int
) -> Decimal:
    """Return what a student who breaks the commitment repays: the unserved share, to the cent.

    seeds/000 sets the commitment (« le double de la durée financée ») but no repayment;
    CALLS.md 3.9 asks for a repayment « pro rata » and says the rule must come from the CAE
    convention. Until a convention says otherwise: the allowance paid × the months of the
    commitment not served ÷ the months committed (nothing to repay once it is served).
    """
    paid = _to_decimal(paid_amount, "Le montant versé")
    committed = _to_int(commitment_months, "La durée d'engagement")
    served = _to_int(served_months, "La durée d'engagement effectuée")
    if paid < ZERO:
        raise RuleViolation(_("Le montant versé ne peut pas être négatif."))
    if committed < 1:
        raise RuleViolation(_("La durée d'engagement doit être d'au moins un mois."))
    if not 0 <= served <= committed:
        raise RuleViolation(
            _(
                "La durée d'engagement effectuée doit être comprise entre 0 et %(committed)s mois "
                "(reçu : %(served)s)."
            )
            % {"committed": committed, "served": served}
        )
    return round_cents(paid * (committed - served) / committed)

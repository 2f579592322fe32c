"""PET: the territorial practice allowance (seed 004, arrêté du 14 mars 2017)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from ..money import ZERO, round_cents
from ._common import (
    _PET_SEED_SOURCE,
    _PET_SOURCE,
    RuleViolation,
    _format_number,
    _to_decimal,
    _to_int,
)
from .codes import PetDerogation
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def pet_monthly_amount(
    half_days_per_week: Decimal,
    other_sites: int,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> Decimal:
    """Return the monthly PET for an average of weekly half-days outside the main site.

    Grid (arrêté of 14 March 2017 as amended, annex XVI): 1 half-day -> 250; more than 1 up
    to 3 included -> 450; more than 3 up to 4 included -> 700; 4 half-days on at least 2
    sites other than the main one, or more than 4 -> 1,000. seeds/004 says the bonus starts
    at "une demi-journée", so an average below one half-day earns nothing (zero, not an
    error): the practitioner is simply not eligible.
    """
    half_days = _to_decimal(half_days_per_week, "Le nombre moyen de demi-journées")
    other_sites = _to_int(other_sites, "Le nombre de sites d'exercice")
    if half_days < 0:
        raise RuleViolation(
            "Le nombre moyen hebdomadaire de demi-journées ne peut pas être négatif "
            f"(reçu : {_format_number(half_days)})."
        )
    if other_sites < 0 or (half_days > 0 and other_sites < 1):
        raise RuleViolation(
            "Une prime d'exercice territorial suppose au moins un site d'exercice autre que "
            f"le site principal (reçu : {other_sites})."
        )
    if half_days < params.pet_min_half_days:
        return ZERO
    if half_days == params.pet_min_half_days:
        return round_cents(params.pet_base_amount)
    if half_days <= params.pet_middle_max_half_days:
        return round_cents(params.pet_middle_amount)
    if half_days < params.pet_high_max_half_days or (
        half_days == params.pet_high_max_half_days and other_sites < params.pet_top_min_other_sites
    ):
        return round_cents(params.pet_high_amount)
    return round_cents(params.pet_top_amount)


def check_pet_site_distance(
    distance_km: Decimal,
    derogation: PetDerogation | None = None,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise ``RuleViolation`` when the host site is too close without a derogation.

    seeds/004: the host site is at least 20 km from the main site, unless the ARS director
    grants a derogation (mental health, prison health units, radiology, others case by case).
    """
    distance = _to_decimal(distance_km, "La distance entre les sites")
    if distance < 0:
        raise RuleViolation("La distance entre les sites ne peut pas être négative.")
    if derogation is not None and derogation not in PetDerogation.values:
        raise RuleViolation(f"« {derogation} » n'est pas une dérogation PET reconnue.")
    if distance < params.pet_min_distance_km and derogation is None:
        raise RuleViolation(
            f"Le site d'accueil est à {_format_number(distance)} km du site principal, moins "
            f"que les {_format_number(params.pet_min_distance_km)} km requis pour la prime "
            "d'exercice territorial, sans dérogation du directeur général de l'ARS "
            f"({_PET_SOURCE})."
        )


def check_pet_eligibility(
    *, is_public_hospital_practitioner: bool = True, has_tripartite_convention: bool = True
) -> None:
    """Raise ``RuleViolation`` when the practitioner cannot receive the PET.

    seeds/004: the PET « s'adresse aux praticiens et assistants dans les hôpitaux publics »
    under « une convention tripartite conclue entre l'établissement d'origine,
    l'établissement d'accueil et le praticien ».
    """
    errors: list[str] = []
    if not is_public_hospital_practitioner:
        errors.append(
            _(
                "La prime d'exercice territorial s'adresse aux praticiens et assistants des "
                "hôpitaux publics (%(source)s)."
            )
            % {"source": _PET_SEED_SOURCE}
        )
    if not has_tripartite_convention:
        errors.append(
            _(
                "La prime d'exercice territorial exige une convention tripartite entre "
                "l'établissement d'origine, l'établissement d'accueil et le praticien "
                "(%(source)s)."
            )
            % {"source": _PET_SEED_SOURCE}
        )
    if errors:
        raise RuleViolation(errors)

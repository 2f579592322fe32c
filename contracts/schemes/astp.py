"""ASTP: shared specialist assistant posts (seed 004)."""

import calendar
import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from ..money import round_cents
from ._common import _ASTP_SOURCE, RuleViolation, _to_int
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def astp_convention_period(
    start: datetime.date, params: SchemeParameters = DEFAULT_PARAMETERS
) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (inclusive) of an ASTP convention starting on ``start``.

    The end is the day before the anniversary, e.g. 2025-11-01 -> 2027-10-31. A convention
    starting on 29 Feb has its anniversary on 1 March of a common year, so it ends on
    28 Feb and lasts the full two years.
    """
    year = start.year + params.astp_duration_years
    if start.month == 2 and start.day == 29 and not calendar.isleap(year):
        anniversary = datetime.date(year, 3, 1)
    else:
        anniversary = start.replace(year=year)
    return start, anniversary - datetime.timedelta(days=1)


def astp_campaign_period(
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> tuple[datetime.date, datetime.date]:
    """Return the convention period of the campaign's ASTP, from its stored first day.

    No seed gives the first day of a campaign: until a campaign stores it, there is none.
    """
    if params.astp_campaign_start is None:
        raise RuleViolation(
            _("La date de début de la campagne ASTP n'est pas paramétrée pour cette campagne.")
        )
    return astp_convention_period(params.astp_campaign_start, params)


def astp_funding(
    years: int | None = None, params: SchemeParameters = DEFAULT_PARAMETERS
) -> Decimal | None:
    """Return the salary funding of one ASTP for ``years`` years (default: whole convention).

    seeds/004: the ARS funds 100 % of the salary « sur la base d'un coût moyen » set by
    each campaign (the PET the assistant earns comes on top); ``None`` while the campaign
    has not stored that average cost: no ceiling applies then.
    """
    years = params.astp_duration_years if years is None else _to_int(years, "La durée ASTP")
    if not 1 <= years <= params.astp_duration_years:
        raise RuleViolation(
            f"Une convention ASTP dure {params.astp_duration_years} ans : la durée financée "
            f"doit être comprise entre 1 et {params.astp_duration_years} ans (reçu : {years})."
        )
    if params.astp_average_yearly_cost is None:
        return None
    return round_cents(params.astp_average_yearly_cost * years)


def check_astp_sites(site_count: int, params: SchemeParameters = DEFAULT_PARAMETERS) -> None:
    """Raise ``RuleViolation`` unless the ASTP post is shared between enough sites."""
    site_count = _to_int(site_count, "Le nombre de sites ASTP")
    if site_count < params.astp_min_sites:
        raise RuleViolation(
            f"Un poste d'assistant spécialiste à temps partagé doit être partagé entre au moins "
            f"{params.astp_min_sites} sites (reçu : {site_count}) ({_ASTP_SOURCE})."
        )

"""PECH: the hospital career commitment allowance (seed 004, arrêté du 14 mars 2017)."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from ..money import ZERO, format_euros, round_cents, split_evenly
from ._common import _PECH_SOURCE, RuleViolation, _format_number, _to_decimal
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


def pech_amount(
    *,
    locally_scarce: bool,
    nationally_scarce: bool,
    working_time_ratio: Decimal = Decimal(1),
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> Decimal:
    """Return the PECH due to a practitioner, pro rata of the working time, to the cent.

    Arrêté of 14 March 2017: 20,000 for a specialty locally scarce in the establishment,
    10,000 for a specialty nationally scarce (anaesthesia, psychiatry, radiology since
    January 2024), both cumulative up to 30,000; part-time practitioners get a pro rata.
    """
    ratio = _to_decimal(working_time_ratio, "La quotité de travail")
    if not ZERO < ratio <= 1:
        raise RuleViolation(
            "La quotité de travail doit être comprise entre 0 (exclu) et 1 "
            f"(reçu : {_format_number(ratio)})."
        )
    full_time = ZERO
    if locally_scarce:
        full_time += params.pech_locally_scarce_amount
    if nationally_scarce:
        full_time += params.pech_nationally_scarce_amount
    if full_time == ZERO:
        raise RuleViolation(
            "La prime d'engagement de carrière hospitalière ne concerne que les spécialités en "
            f"tension, au niveau de l'établissement ou au niveau national ({_PECH_SOURCE})."
        )
    return round_cents(min(full_time, params.pech_cap) * ratio)


def pech_instalments(amount: Decimal) -> tuple[Decimal, Decimal]:
    """Return the two PECH instalments (at signature, at appointment as PH).

    Arrêté of 14 March 2017, article 6: two payments of half the amount each; an odd cent
    goes to the first so that they add up exactly to ``amount``.
    """
    amount = _to_decimal(amount, "Le montant de la PECH")
    if amount <= ZERO:
        raise RuleViolation(
            f"Le montant de la PECH doit être positif (reçu : {format_euros(amount)})."
        )
    at_signature, at_appointment = (round_cents(part) for part in split_evenly(amount, 2))
    return at_signature, at_appointment


def pech_due_amount(
    amount: Decimal, details: Mapping[str, object], today: datetime.date
) -> Decimal:
    """Return how much of a PECH line of ``amount`` its instalments make payable by ``today``.

    seeds/004 « Elle est versée en 2 fois : à la signature de la convention, puis après la
    réussite au concours et la prise de poste »: the first instalment once the contract is in
    force, the second once the line's ``appointment_date`` (prise de poste as PH) is reached.
    """
    if amount <= ZERO:
        return ZERO
    at_signature, _at_appointment = pech_instalments(amount)
    appointment = details.get("appointment_date")
    if appointment:
        if isinstance(appointment, str):
            try:
                appointment = datetime.date.fromisoformat(appointment)
            except ValueError:
                return at_signature
        if isinstance(appointment, datetime.date) and appointment <= today:
            return amount
    return at_signature

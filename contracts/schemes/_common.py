"""What every rule module shares: the sources' names, the violation, numbers typed as text."""

import calendar
import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

from ..money import format_euros

_IPA_SOURCE = "appel à candidatures IPA 2025"
_CLACT_SOURCE = "cahier des charges CLACT 2024"
_PET_SOURCE = "arrêté du 14 mars 2017 modifié"
_ASTP_SOURCE = "plan d'attractivité médicale de l'ARS Grand Est"
_PET_SEED_SOURCE = "plan d'attractivité médicale de l'ARS Grand Est"
_PECH_SOURCE = "arrêté du 14 mars 2017"
_CAE_SOURCE = "appel à candidatures CAE 2025"
_TUTORING_SOURCE = "instruction n° DGOS/RH1/2016/330 du 4 novembre 2016"
_IPA_INTERNSHIP_SOURCE = "plan régional Pays de la Loire"


class RuleViolation(ValueError):
    """A scheme rule is broken; ``errors`` lists every problem, in French."""

    def __init__(self, errors: str | Iterable[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


def _to_decimal(value: object, label: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; refuse floats, which cannot hold cents."""
    if isinstance(value, float):
        raise TypeError(f"{label} ne peut pas être un nombre flottant : utilisez Decimal.")
    if isinstance(value, bool):
        raise TypeError(f"{label} doit être un nombre, pas un booléen.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise RuleViolation(f"{label} n'est pas un nombre valide : « {value} ».") from None
    else:
        raise TypeError(f"{label} doit être un Decimal, pas {type(value).__name__}.")
    if not number.is_finite():
        raise RuleViolation(f"{label} n'est pas un nombre fini.")
    return number


def _to_int(value: object, label: str) -> int:
    """Return ``value`` as a whole number: an ``int`` or its text (from a form or a file).

    Text that is not a whole number is the user's mistake (``RuleViolation``); a float, a
    bool or another type is the caller's (``TypeError``).
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise RuleViolation(f"{label} doit être un nombre entier (reçu : « {value} »).")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label} doit être un nombre entier.")
    return value


def _format_number(value: Decimal) -> str:
    """Return ``value`` with a French decimal comma and no trailing zeros, e.g. ``19,9``."""
    return number_format(value.normalize())


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """Return ``day`` moved by ``months``, clamped to the month's last day (29 Feb -> 28 Feb)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _collect(errors: list[str], check: Callable[..., None], *args, **kwargs) -> None:
    """Run ``check`` and append its problems to ``errors`` instead of stopping."""
    try:
        check(*args, **kwargs)
    except RuleViolation as violation:
        errors.extend(violation.errors)


def _check_at_most(errors: list[str], amount: Decimal, ceiling: Decimal, what: str) -> None:
    if amount > ceiling:
        errors.append(
            f"Le montant de la ligne ({format_euros(amount)}) dépasse {what} "
            f"({format_euros(ceiling)})."
        )

"""Money helpers: every amount is a ``Decimal`` in euros, rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.formats import number_format

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The one money column: numeric(14, 2) in PostgreSQL.
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
MAX_AMOUNT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) - CENT


def round_cents(amount: Decimal | int | str) -> Decimal:
    """Return ``amount`` rounded half-up to the cent (never accepts a float)."""
    if isinstance(amount, float):
        raise TypeError("Les montants ne peuvent pas être des nombres flottants.")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` amounts to the cent that add up exactly to it.

    The remainder cents go to the first parts, so the split is deterministic.
    """
    if parts <= 0:
        raise ValueError("Le nombre de parts doit être positif.")
    total = round_cents(total)
    cents = int(total * 100)
    base, remainder = divmod(cents, parts)
    return [Decimal(base + (1 if index < remainder else 0)) / 100 for index in range(parts)]


def format_euros(amount: Decimal | None) -> str:
    """Return ``amount`` in the French display form, e.g. ``900 000,00 €``."""
    if amount is None:
        return "—"
    return f"{number_format(round_cents(amount), 2, force_grouping=True)} €"


class MoneyField(models.DecimalField):
    """The one definition of a money column: euros, 14 digits, 2 decimals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs


def money_sum(expression) -> Coalesce:
    """Return the SQL sum of an amount expression: zero when there is no row, to the cent."""
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Sum(expression, output_field=money), ZERO, output_field=money)

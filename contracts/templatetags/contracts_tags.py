"""Template filters of the contract pages."""

from decimal import Decimal

from django import template

from contracts.money import format_euros

register = template.Library()


@register.filter
def euros(amount: Decimal | None) -> str:
    """Return ``amount`` in the French display form, e.g. ``900 000,00 €`` (``—`` if empty)."""
    if amount in (None, ""):
        return format_euros(None)
    return format_euros(Decimal(amount))

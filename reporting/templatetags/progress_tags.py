"""Template helpers of the progress pages."""

from django import template

from reporting.charts import format_number, format_percent
from reporting.selectors import has_regional_view

register = template.Library()


@register.filter
def regional_view(user) -> bool:
    """Return whether ``user`` may open the regional overview."""
    return has_regional_view(user)


@register.filter
def percent(value) -> str:
    """Return a percentage in French form, e.g. ``75 %`` (``—`` if unknown)."""
    return format_percent(value)


@register.filter
def number(value) -> str:
    """Return a decimal without useless zeros, in French form, e.g. ``12,5``."""
    return format_number(value)

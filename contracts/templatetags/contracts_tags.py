"""Template filters of the contract pages."""

import datetime
from decimal import Decimal

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from contracts import schemes
from contracts.money import format_euros

register = template.Library()


@register.filter
def euros(amount: Decimal | None) -> str:
    """Return ``amount`` in the French display form, e.g. ``900 000,00 €`` (``—`` if empty)."""
    if amount in (None, ""):
        return format_euros(None)
    return format_euros(Decimal(amount))


@register.simple_tag
def pech_schedule(line, allocated: Decimal) -> str:
    """Return the two PECH instalments of ``line`` for the contract page, or nothing.

    seeds/004: « versée en 2 fois : à la signature de la convention, puis après la
    réussite au concours et la prise de poste » (``schemes.pech_instalments``); the
    delegation proposal follows the same schedule (``credits.left_to_delegate``).
    """
    if line.scheme != schemes.SchemeCode.PECH or not allocated or allocated <= 0:
        return ""
    at_signature, at_appointment = schemes.pech_instalments(allocated)
    appointment = (line.details or {}).get("appointment_date")
    if appointment:
        try:
            when = date_format(datetime.date.fromisoformat(str(appointment)), "d/m/Y")
        except ValueError:
            when = str(appointment)
        second = _("%(amount)s à la prise de poste (%(date)s)") % {
            "amount": format_euros(at_appointment),
            "date": when,
        }
    else:
        second = _("%(amount)s à la prise de poste (date à renseigner)") % {
            "amount": format_euros(at_appointment)
        }
    return format_html(
        '<br><span class="muted">{}</span>',
        _("Versée en 2 fois : %(first)s à la signature, %(second)s.")
        % {"first": format_euros(at_signature), "second": second},
    )


@register.simple_tag
def line_links(links_by_line: dict, line) -> str:
    """Return the links other layers offer under ``line`` (``actions.line_links``), or nothing."""
    items = (links_by_line or {}).get(line.pk, [])
    return format_html_join(
        "",
        '<br><span class="ars-line-link">{}</span>',
        (
            (format_html('<a href="{}">{}</a>', item.url, item.label) if item.url else item.label,)
            for item in items
        ),
    )

"""Plain French for the values viewflow's process and task cards print as stored."""

import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import PROCESS, STATUS

register = template.Library()

DECISIONS = {"APPROVED": _("Validé"), "RETURNED": _("Renvoyé pour correction")}
HIDDEN_FIELDS = frozenset(
    {
        "parent_task",
        "data",
        "flow_class",
        "artifact_object_id",
        "artifact_content_type",
        "seed_object_id",
        "seed_content_type",
        "process",
        "task",
    }
)


@register.filter
def shown_field(field) -> bool:
    """Return whether a row of viewflow's object data is meant for people."""
    return field.name not in HIDDEN_FIELDS


@register.filter
def plain_value(value, field):
    """Return ``value`` of ``field`` as people read it (labels, not codes; dates in French)."""
    if field.name == "decision":
        return DECISIONS.get(value, value)
    if field.name == "status":
        for choices in (PROCESS, STATUS):
            if value in choices.values:
                return choices(value).label
    if isinstance(value, datetime.datetime):
        aware = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(aware, "d/m/Y H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "d/m/Y")
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, dict | list):
        return ""
    return value

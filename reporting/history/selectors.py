"""Reads of the audit trail, filtered in SQL to what the user may see.

A contract's timeline merges two sources in one ``UNION`` query, ordered and paginated
by the database: the journal's events about the contract and the workflow tasks of the
contract's processes (viewflow keeps their dates, status and owner, not what happened).
"""

import datetime
import json
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.fields import import_task_by_ref
from viewflow.workflow.models import Task

from audit import search
from audit.journal import AuditAction, AuditEvent
from contracts.models import Contract
from contracts.selectors import visible_contracts
from territories.access import has_national_scope, visible_hospital_group_ids
from territories.sql import AnyOf
from workflows.models import ContractProcess

TASK_ACTION = "TASK"
TASK_OBJECT_TYPE = "viewflow.Task"
JOURNAL, WORKFLOW = "journal", "workflow"

ACTION_CHOICES = [*AuditAction.choices, (TASK_ACTION, gettext_lazy("Tâche de workflow"))]
OBJECT_TYPE_CHOICES = [
    ("contracts.Contract", gettext_lazy("Contrat")),
    ("contracts.StrategicAxis", gettext_lazy("Axe stratégique")),
    ("contracts.FundingLine", gettext_lazy("Ligne de financement")),
    ("contracts.Milestone", gettext_lazy("Jalon")),
    ("contracts.CreditDelegation", gettext_lazy("Délégation de crédits")),
    ("contracts.ConsumptionStatement", gettext_lazy("État récapitulatif")),
    ("contracts.Recovery", gettext_lazy("Reprise de crédits")),
    ("contracts.Amendment", gettext_lazy("Avenant")),
    (TASK_OBJECT_TYPE, gettext_lazy("Tâche de workflow")),
]
TASK_STATUS_LABELS = {
    "NEW": gettext_lazy("à prendre"),
    "ASSIGNED": gettext_lazy("prise en charge"),
    "STARTED": gettext_lazy("en cours"),
    "DONE": gettext_lazy("terminée"),
    "CANCELED": gettext_lazy("annulée"),
    "ERROR": gettext_lazy("en erreur"),
    "REVIVED": gettext_lazy("reprise"),
    "SCHEDULED": gettext_lazy("planifiée"),
}
# The merged columns, in the same order in both halves of the UNION.
COLUMNS = [
    "e_at",
    "e_source",
    "e_id",
    "e_actor",
    "e_action",
    "e_type",
    "e_object_id",
    "e_label",
    "e_summary",
    "e_reason",
    "e_contract",
    "e_contract_ref",
    "e_changes",
]


@dataclass(frozen=True)
class TimelineFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    text: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    source: str
    entry_id: int
    actor: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_label: str
    summary: str
    reason: str
    contract_id: int | None
    contract_reference: str
    changes: tuple["FieldChange", ...] = ()


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after a journaled change, as the auditor reads it."""

    field: str
    before: str
    after: str


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=512)
def _choice_labels(object_type: str, field_name: str) -> dict:
    """Return the labels of a field with choices (``status`` → « Validé… »), else ``{}``."""
    try:
        field = apps.get_model(object_type)._meta.get_field(field_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return {}
    return {str(code): str(label) for code, label in field.flatchoices}


def parse_changes(text: str | None, object_type: str = "") -> tuple[FieldChange, ...]:
    """Return the journaled ``{field: {"before", "after"}}`` as rows, fields in order.

    A coded value (a status, a mode) reads as its French label, as on the pages.
    """
    if not text:
        return ()
    changes = json.loads(text) if isinstance(text, str) else text
    rows = []
    for field_name in sorted(changes):
        value = changes[field_name]
        labels = _choice_labels(object_type, field_name) if object_type else {}

        def shown(item, labels=labels):
            return labels.get(item, _display(item)) if isinstance(item, str) else _display(item)

        if isinstance(value, dict) and ("before" in value or "after" in value):
            rows.append(
                FieldChange(field_name, shown(value.get("before")), shown(value.get("after")))
            )
        else:
            rows.append(FieldChange(field_name, "—", shown(value)))
    return tuple(rows)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _date_range(filters: TimelineFilters, field: str) -> Q:
    condition = Q()
    if filters.date_from:
        condition &= Q(**{f"{field}__gte": _day_start(filters.date_from)})
    if filters.date_to:
        # Inclusive end day: everything before the next midnight.
        next_day = filters.date_to + datetime.timedelta(days=1)
        condition &= Q(**{f"{field}__lt": _day_start(next_day)})
    return condition


def _filtered_events(
    events: QuerySet, filters: TimelineFilters, *, hospital_group_ids=None
) -> QuerySet:
    if filters.action == TASK_ACTION:
        # Not ``none()``: an empty half would change the UNION's shape; match no row instead.
        return events.filter(id__lt=0)
    if filters.actor:
        events = events.filter(actor_name__icontains=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.text:
        events = search.matching(events, filters.text, hospital_group_ids=hospital_group_ids)
    return events.filter(_date_range(filters, "occurred_at"))


def _event_columns(events: QuerySet) -> QuerySet:
    return events.annotate(
        e_at=F("occurred_at"),
        e_source=Value(JOURNAL, output_field=CharField()),
        e_id=F("id"),
        e_actor=F("actor_name"),
        e_action=F("action"),
        e_type=F("object_type"),
        e_object_id=F("object_id"),
        e_label=F("object_label"),
        e_summary=F("summary"),
        e_reason=F("reason"),
        e_contract=F("contract_id"),
        e_contract_ref=Subquery(
            Contract.objects.filter(pk=OuterRef("contract_id")).values("reference")[:1]
        ),
        e_changes=Cast("changes", output_field=TextField()),
    ).values(*COLUMNS)


def _contract_tasks(contract, filters: TimelineFilters) -> QuerySet:
    tasks = Task.objects.filter(
        process_id__in=ContractProcess.objects.filter(contract=contract).values("pk")
    ).annotate(
        e_at=Coalesce("finished", "created"),
        e_source=Value(WORKFLOW, output_field=CharField()),
        e_id=F("id"),
        e_actor=Coalesce(F("owner__username"), Value(""), output_field=CharField()),
        e_action=Value(TASK_ACTION, output_field=CharField()),
        e_type=Value(TASK_OBJECT_TYPE, output_field=CharField()),
        e_object_id=Cast("id", output_field=CharField()),
        e_label=Cast("flow_task", output_field=CharField()),
        e_summary=Cast("status", output_field=CharField()),
        e_reason=Value("", output_field=CharField()),
        e_contract=Value(contract.pk, output_field=IntegerField()),
        e_contract_ref=Value(contract.reference, output_field=CharField()),
        e_changes=Value("", output_field=TextField()),
    )
    if filters.action not in ("", TASK_ACTION) or filters.object_type not in (
        "",
        TASK_OBJECT_TYPE,
    ):
        tasks = tasks.filter(id__lt=0)
    if filters.actor:
        tasks = tasks.filter(owner__username__icontains=filters.actor)
    if filters.text:
        tasks = tasks.filter(owner__username__icontains=filters.text)
    return tasks.filter(_date_range(filters, "e_at")).values(*COLUMNS)


def contract_timeline(contract, filters: TimelineFilters) -> QuerySet:
    """Return the contract's journal events and workflow tasks, newest first (one query)."""
    events = _event_columns(
        _filtered_events(AuditEvent.objects.filter(contract_id=contract.pk), filters)
    )
    tasks = _contract_tasks(contract, filters)
    # Default orderings are not allowed inside the halves of a UNION.
    return (
        events.order_by().union(tasks.order_by(), all=True).order_by("-e_at", "-e_source", "-e_id")
    )


def searchable_events(user, filters: TimelineFilters) -> QuerySet:
    """Return the journal events ``user`` may read that match ``filters``, newest first.

    A user's events are those of the contracts of their GHTs (``visible_contracts``).
    Searched for words on PostgreSQL, the full-text index is asked for the words as their
    GHTs' words (``audit.search``): neither the region's events nor the country's matches
    are read whole. Otherwise the ids of their contracts are read first and given as one
    list, for the contracts' index.
    """
    events = AuditEvent.objects.all()
    ghts = None
    if not has_national_scope(user):
        if filters.text and search.has_scope_tokens():
            ghts = sorted(visible_hospital_group_ids(user))
        else:
            ids = sorted(visible_contracts(user).values_list("pk", flat=True))
            events = events.filter(AnyOf(F("contract_id"), ids))
    return _event_columns(_filtered_events(events, filters, hospital_group_ids=ghts)).order_by(
        "-e_at", "-e_id"
    )


def sorted_once_found(events: QuerySet) -> QuerySet:
    """Return ``events`` (``searchable_events``) in the same order, through an expression
    no index answers: for a search known to match few events (``search_count`` under its
    cap), found first, then sorted. Ordered by the date as is, PostgreSQL may walk the
    whole journal's date index for the newest of them: a walk as long as the journal when
    they are few or none."""
    moment = ExpressionWrapper(
        F("occurred_at") + Value(datetime.timedelta(0)), output_field=DateTimeField()
    )
    return events.order_by(moment.desc(), "-e_id")


# The most events a search counts; past it the page says « plus de 1 000 ».
SEARCH_CAP = 1000


def search_count(events: QuerySet) -> int:
    """Return how many of ``events`` there are, counted up to ``SEARCH_CAP`` + 1: counting
    every match of a common word in the country's journal is the slowest part of a search
    and tells the user nothing more than « plus de 1 000 »."""
    return events.order_by()[: SEARCH_CAP + 1].count()


@lru_cache(maxsize=256)
def _task_title(reference: str) -> str:
    try:
        node = import_task_by_ref(reference)
    except (ImportError, AttributeError, ValueError):
        return reference
    return str(node.task_title or node.name)


def as_entries(rows) -> list[TimelineEntry]:
    """Return the rows of ``contract_timeline`` or ``searchable_events`` for display."""
    action_labels = dict(ACTION_CHOICES)
    entries = []
    for row in rows:
        is_task = row["e_source"] == WORKFLOW
        label = _task_title(row["e_label"]) if is_task else row["e_label"]
        summary = (
            _("Tâche « %(task)s » %(status)s")
            % {"task": label, "status": TASK_STATUS_LABELS.get(row["e_summary"], row["e_summary"])}
            if is_task
            else row["e_summary"]
        )
        entries.append(
            TimelineEntry(
                at=row["e_at"],
                source=row["e_source"],
                entry_id=row["e_id"],
                actor=row["e_actor"] or "",
                action=row["e_action"],
                action_label=str(action_labels.get(row["e_action"], row["e_action"])),
                object_type=row["e_type"],
                object_id=row["e_object_id"],
                object_label=label,
                summary=summary,
                reason=row["e_reason"] or "",
                contract_id=row["e_contract"],
                contract_reference=row["e_contract_ref"] or "",
                changes=() if is_task else parse_changes(row["e_changes"], row["e_type"]),
            )
        )
    return entries

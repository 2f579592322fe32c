"""Viewflow's list pages, filtered in SQL to the user's scope (VIEWFLOW_NOTES traps 6, 7, 12).

Stock viewflow shows every process and task to anyone with flow access; each list here
runs through ``selectors.scoped_tasks`` / ``scoped_processes`` and selects the relations
its rows show, so the page costs the same number of queries for 1 row as for 50.
"""

import copy
from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, F, OuterRef, Q, Window
from django.http import Http404, HttpResponseRedirect
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters import ChoiceFilter, DateRangeFilter, FilterSet, NumberFilter
from viewflow.utils import viewprop
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.views.filters import NullDateRangeFilter
from viewflow.workflow.flow.views.mixins import StoreRequestPathMixin
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from territories.access import has_national_scope
from territories.sql import AnyOf

from .models import ContractProcess, DossierProcess
from .selectors import (
    all_open_processes_in_scope,
    can_see_workflows,
    open_processes_in_scope,
    process_in_scope,
    process_subject,
    scoped_processes,
    scoped_tasks,
)

# What a task row shows and what its permission checks read (scope, preparer): all
# selected with the task, so the checks of each row cost no query.
TASK_RELATIONS = (
    "process",
    "owner",
    "process__contractprocess__contract",
    "process__contractprocess__delegation",
    "process__contractprocess__milestone",
    "process__contractprocess__statement",
    "process__contractprocess__recovery",
    "process__contractprocess__amendment",
    "process__dossierprocess__dossier",
    "process__dossierprocess__review",
)


# What a row of the inbox, queue and archive shows: the process's summary (its contract's
# reference or its dossier's number). Their rows are read, not acted on: the steps read
# what their checks need when taken.
LIST_RELATIONS = (
    "process",
    "process__contractprocess__contract",
    "process__dossierprocess__dossier",
)


def prime_permission_cache(user) -> None:
    """Tell viewflow's queue that no task uses per-object permissions (trap 7: no N+1)."""
    user._viewflow_per_object_perm_cache = set()


def decision_nodes():
    """Return the nodes whose task decides on what someone else prepared (four-eyes)."""
    from .flows import ALL_FLOWS

    return [
        node
        for flow_class in ALL_FLOWS
        for node in flow_class.instance.nodes()
        if getattr(node, "decided_artifact", None) is not None
    ]


def _drafted_nodes():
    """Return the decision nodes whose artifact records its drafters (``drafted_by``)."""
    return [
        node
        for node in decision_nodes()
        if hasattr(getattr(node, "artifact_model", lambda: None)(), "drafted_by")
    ]


def prepared_by(user, open_ids=None) -> Q:
    """Return the condition of the open tasks deciding on what ``user`` prepared or drafted.

    The preparer is a column of the process row (``ContractProcess.preparer``, written by
    ``steps.complete_step``): a compare on the rows in scope, no join to the decision
    tables. The drafters (who wrote a contract's figures or changed a proposal) are read
    from the journal (``drafted_processes``), only for the nodes ``user`` could take at
    all: the queue drops the others by their permission anyway. ``open_ids``: the ids of
    the user's open processes when the list has read them (``_in_open_scope``).
    """
    prepared = Q(process__contractprocess__preparer=user) | Q(
        process__dossierprocess__preparer=user
    )
    condition = Q(flow_task__in=decision_nodes()) & prepared
    processes = None  # the user's open processes, one subquery shared by the nodes
    for node in _drafted_nodes():
        permission = node._owner_permission
        if permission is None or user.has_perm(permission):
            if processes is None:
                processes = open_processes_in_scope(user) if open_ids is None else open_ids
            drafted = drafted_processes(user, node, processes)
            condition |= Q(flow_task=node, process_id__in=drafted)
    return condition


def drafted_processes(user, node, processes=None):
    """Return the ids of ``processes`` (default: the open processes of ``user``'s GHTs; a
    subquery or a list of ids) whose artifact decided by ``node`` ``user`` drafted
    (four-eyes), as a subquery.

    The one place the queue and the task checks ask the journal who drafted what: the
    artifact's ``drafted_by`` probes the journal once per process listed, so the cost
    follows the user's GHTs, not the country's journal.
    """
    processes = open_processes_in_scope(user) if processes is None else processes
    drafted = node.artifact_model().drafted_by(user, OuterRef(f"{node.decided_artifact}_id"))
    among = AnyOf(F("pk"), processes) if isinstance(processes, list) else Q(pk__in=processes)
    return ContractProcess.objects.filter(among).filter(drafted).values("pk")


def queue_for(user, flow_classes):
    """Return the tasks ``user`` may take: permitted, in scope, not prepared by them.

    A task waiting to be taken belongs to an open process: the open processes of the
    user's scope are where the planner starts (partial index per GHT), then their tasks
    by process; the four-eyes exclusion compares the process's preparer column.
    """
    open_ids = _open_ids(user)
    return _in_open_scope(user, _waiting(user, flow_classes, open_ids), open_ids)


def _open_ids(user) -> list[int] | None:
    """Return the ids of the open processes of ``user``'s scope (``None``: national)."""
    if has_national_scope(user):
        return None
    return sorted(all_open_processes_in_scope(user).values_list("pk", flat=True))


def _in_open_scope(user, tasks, open_ids):
    """Return the open ``tasks`` of the open processes of ``user``'s scope (``open_ids``).

    The ids of those processes are read first, in one short query (a partial index per
    GHT), and written into the list's queries: given a subquery, PostgreSQL cannot tell
    how many processes it yields and reads every waiting task of the country (10 ms at
    national scale) to keep the user's; given the ids, it reads their tasks by process
    (2 ms), for the count and the page alike. The ids are those of the moment the
    queryset is built (once per request: ``task_counters``).

    A national scope is every process: no list of ids to start from, the tasks' own
    filters (status, owner) find them.
    """
    if open_ids is None:
        return scoped_tasks(user, tasks)
    return tasks.filter(AnyOf(F("process_id"), open_ids))


def tasks_of(flow_classes, user):
    """Return the tasks of the ``flow_classes`` ``user`` may view, found by their node's
    reference on the task row.

    Viewflow's ``filter_available`` filters ``process__flow_class``: a join to the process
    table that PostgreSQL answers by reading every process of the country (a hash join)
    before the user's few tasks meet it. The node references say the same on the task.
    """
    refs = [
        get_task_ref(node)
        for flow_class in flow_classes
        if flow_class.instance.has_view_permission(user)
        for node in flow_class.instance.nodes()
    ]
    return Task.objects.filter(flow_task__in=refs)


def inbox_of(user, flow_classes):
    """The tasks ``user`` holds (viewflow's ``Task.objects.inbox``), by node reference."""
    return tasks_of(flow_classes, user).filter(owner=user, status=STATUS.ASSIGNED)


def archive_of(user, flow_classes):
    """The tasks ``user`` finished (viewflow's ``Task.objects.archive``), by node reference."""
    return tasks_of(flow_classes, user).filter(owner=user, finished__isnull=False)


def _waiting(user, flow_classes, open_ids=None):
    """Return the tasks of ``flow_classes`` ``user`` may take, before any scope."""
    prime_permission_cache(user)
    queue = tasks_of(flow_classes, user).user_queue(user).filter(status=STATUS.NEW)
    return queue.exclude(prepared_by(user, open_ids))


def held_or_waiting(user, flow_classes):
    """Return the open tasks ``user`` holds or may take (their inbox and queue), in scope.

    One list, one scope: the open processes of the user's scope, then the tasks that are
    either theirs or waiting for them (``OR`` on the rows found, not two subqueries of
    task ids, each read over the country).
    """
    mine = Task.objects.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
    open_ids = _open_ids(user)
    return _in_open_scope(user, _waiting(user, flow_classes, open_ids) | mine, open_ids)


def page_rows(queryset, bottom: int, top: int) -> list:
    """Return the rows ``bottom`` to ``top`` of ``queryset``, read in two short queries.

    First the keys of the page (the filters and the order, none of the relations the rows
    show), then those rows by primary key with the relations ``queryset`` selects. One
    query doing both joins a dozen tables for display: past PostgreSQL's
    ``join_collapse_limit`` the planner keeps the written join order, joins every task of
    the country to its relations and applies the scope last. Both queries here follow
    the user's scope; the count of queries does not depend on the rows.
    """
    keys = list(queryset.values_list("pk", flat=True)[bottom:top])
    return rows_by_keys(queryset, keys)


def rows_by_keys(queryset, keys) -> list:
    """Return the rows of ``queryset``'s model whose keys are ``keys``, in that order, with
    the relations ``queryset`` selects: one query by primary key (none for no key)."""
    if not keys:
        return []
    rows = queryset.model._default_manager.filter(pk__in=keys)
    rows.query.select_related = copy.deepcopy(queryset.query.select_related)
    by_key = {row.pk: row for row in rows}
    return [by_key[key] for key in keys if key in by_key]


class KeysFirstPaginator(Paginator):
    """Django's paginator whose page is read by ``page_rows`` (keys, then rows).

    With ``count_with_keys``, not counted yet, it reads the page's keys and the list's
    count in one query (a window ``COUNT(*) OVER ()``): one statement to build, send and
    plan instead of two over the same rows. Only for lists whose rows are found from a
    few keys (the open tasks of the user's processes, the user's own finished tasks):
    given ``ORDER BY … LIMIT``, the planner may walk a date index from the newest row,
    which a window makes walk to the oldest (the archive before its index: 3 + 5 ms
    became 176 ms). ``counted`` (optional) is told the count.
    """

    count_with_keys = False
    counted = None

    def page(self, number):
        if self.count_with_keys and "count" not in self.__dict__ and not self.orphans:
            first = self._keys_and_count(number)
            if first is not None:
                return first
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)

    def _keys_and_count(self, number):
        """Return the page ``number`` read with the count, or ``None`` (not a page number,
        or past the last page: Django's path then counts and answers)."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            return None
        if number < 1:
            return None
        bottom = (number - 1) * self.per_page
        counted = self.object_list.annotate(_list_total=Window(Count("pk")))
        rows = list(counted.values_list("pk", "_list_total")[bottom : bottom + self.per_page])
        if not rows and number > 1:
            return None
        self.count = rows[0][1] if rows else 0  # Paginator.count is a cached property
        if self.counted is not None:
            self.counted(self.count)
        keys = [key for key, _total in rows]
        return self._get_page(rows_by_keys(self.object_list, keys), number, self)


def human_node_choices():
    """Return the choices of the "step" filter: every human node, read from the flows.

    Viewflow computes them with a ``DISTINCT`` over the listed tasks: a scan of every
    task of the user on each page view, for a list that only changes with the code.
    """
    from .flows import ALL_FLOWS

    return [
        (get_task_ref(node), f"{flow_class.process_title} – {node.task_title or node.name}")
        for flow_class in ALL_FLOWS
        for node in flow_class.instance.nodes()
        if node.task_type == "HUMAN"
    ]


class UserTaskFilter(FilterSet):
    """Filters of the inbox and queue: the process by its number, not a list of them all.

    Viewflow's process filter renders a drop-down of every open process of the user: with
    thousands of open tasks it made the page slow and heavy (VIEWFLOW_NOTES trap 12).
    """

    process = NumberFilter(field_name="process", label=_("Processus n°"))
    flow_task = ChoiceFilter(label=_("Étape"))
    created = DateRangeFilter(label=_("Créée"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["flow_task"].field.choices = human_node_choices()

    class Meta:
        model = Task
        fields = ("process", "flow_task", "created")


class ArchiveTaskFilter(FilterSet):
    flow_task = ChoiceFilter(label=_("Étape"))
    created = DateRangeFilter(label=_("Créée"))
    finished = DateRangeFilter(label=_("Terminée"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["flow_task"].field.choices = human_node_choices()

    class Meta:
        model = Task
        fields = ("flow_task", "created", "finished")


class FlowTaskFilter(FilterSet):
    flow_task = ChoiceFilter(label=_("Étape"))
    status = ChoiceFilter(label=_("Statut"), choices=STATUS.choices)
    created = DateRangeFilter(label=_("Créée"))
    finished = NullDateRangeFilter(label=_("Terminée"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["flow_task"].field.choices = human_node_choices()

    class Meta:
        model = Task
        fields = ("flow_task", "status", "created", "finished")


def _when(moment) -> str:
    """``moment`` as the lists write it, ``d/m/Y H:i`` in local time (``strftime``: the
    template engine's date format costs some 0.1 ms a cell)."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return Template(source)


def process_brief(process) -> str:
    """Return viewflow's ``Process.brief``: the flow's ``list_summary`` where it has one
    (the same text, without the template engine), else its template compiled once.

    Viewflow compiles the flow's summary template again for every row it renders.
    """
    flow_class = process.flow_class
    if hasattr(flow_class, "list_summary") and not (
        process.finished and flow_class.process_result_template
    ):
        return conditional_escape(flow_class.list_summary(process.coerced))
    source = (
        (process.finished and flow_class.process_result_template)
        or flow_class.process_summary_template
        or flow_class.process_description
        or "{{ flow_class.process_title }} - {{ process.get_status_display }}"
    )
    context = Context({"process": process.coerced, "flow_class": flow_class})
    return _compiled(force_str(source)).render(context)


def task_brief(task) -> str:
    """Return viewflow's ``Task.brief`` with its template compiled once per text; a text
    without template syntax (the nodes' descriptions) is the brief as it stands."""
    node = task.flow_task
    source = force_str(
        (task.finished and node.task_result_template)
        or node.task_summary_template
        or node.task_description
        or node.task_title
        or "{{ flow_task }}/{{ task.get_status_display }}"
    )
    if "{" not in source:
        return conditional_escape(source)
    context = Context(
        {
            "process": task.process.coerced,
            "task": task.coerced,
            "flow_class": node.flow_class,
            "flow_task": node,
        }
    )
    return _compiled(source).render(context)


_SENTINELS = (987654301, 987654302)


@lru_cache(maxsize=512)
def _address_pattern(owner, name: str, arity: int, prefix: str) -> str:
    del prefix  # part of the key: the same address under another script prefix differs
    return owner.reverse(name, args=list(_SENTINELS[:arity]))


def address(owner, name: str, *ids: int) -> str:
    """Return ``owner.reverse(name, args=ids)`` (a flow node or viewset, integer ids):
    reversed once per address shape, then filled in. A list reverses two addresses per
    row, each a walk of the URL resolver."""
    url = _address_pattern(owner, name, len(ids), get_script_prefix())
    for sentinel, value in zip(_SENTINELS, ids, strict=False):
        url = url.replace(str(sentinel), str(int(value)))
    return url


class FrenchTaskColumns:
    """Column headings and values of the task lists in French (viewflow prints some raw)."""

    def task_id(self, task):
        url = address(task.flow_task, "index", task.process_id, task.pk)
        return format_html('<a href="{}">#{}/{}</a>', url, task.process_id, task.pk)

    task_id.short_description = _("N°")

    def process_brief(self, task):
        url = address(task.flow_task.flow_class.parent, "process_detail", task.process_id)
        return format_html('<a href="{}">{}</a>', url, process_brief(task.process))

    process_brief.short_description = _("Dossier")

    def brief(self, task):
        return task_brief(task)

    brief.short_description = _("Objet")

    def created(self, task):
        return _when(task.created)

    created.short_description = _("Ouverte le")

    def finished(self, task):
        return _when(task.finished)

    finished.short_description = _("Terminée le")


class TaskRowsMixin:
    """The inbox, queue and archive write their rows in the view, once per page.

    Viewflow's list asks each cell's column definition for its value, its format and,
    in the template, its type (two attribute walks a cell): a quarter of the page's
    time for 25 rows. Here each column is resolved once per page, each value is what
    the column gives (text, escaped by the template, or the HTML the column built).
    """

    template_name = "workflows/task_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        columns = [
            (column, column.column_type(), column.header()) for column in self.list_columns.values()
        ]
        tasks = context["page_obj"] if context.get("page_obj") is not None else self.object_list
        context["task_rows"] = [
            {
                "pk": task.pk,
                "cells": [(kind, label, _cell(column, task)) for column, kind, label in columns],
            }
            for task in tasks
        ]
        context["select_row_label"] = _("Sélectionner cette ligne")
        if not self.request.GET:
            context["unfiltered_drawer"] = _unfiltered_drawer(self)
        return context


_DRAWERS: dict[tuple, str] = {}


def _unfiltered_drawer(view) -> str:
    """Return the filter drawer of ``view``'s list as it stands unfiltered.

    It lists every step of every flow and is the same for everyone (in one language):
    rendered once per view class and language, not the form layout walked on each page.
    """
    key = (type(view), get_language())
    if key not in _DRAWERS:
        _DRAWERS[key] = render_to_string(
            "viewflow/includes/list_filter.html", {"view": view}, request=view.request
        )
    return _DRAWERS[key]


def _cell(column, task):
    value = column.get_value(task)
    return value if isinstance(value, str) else column.format_value(task, value)


class NothingSelectedMixin:
    """A bulk action opened without a selection says so in French (viewflow: English)."""

    def get(self, request, *args, **kwargs):
        messages.info(request, _("Aucune tâche sélectionnée : cochez celles à traiter."))
        return HttpResponseRedirect(self.get_success_url())


class BulkAssignView(NothingSelectedMixin, flow_views.BulkAssignTasksActionView):
    pass


class BulkUnassignView(NothingSelectedMixin, flow_views.BulkUnassignTasksActionView):
    pass


class ScopedMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_see_workflows(request.user):
            raise PermissionDenied
        if (
            isinstance(self, StoreRequestPathMixin)
            and request.session.get("vf-pin-location") == request.get_full_path()
        ):
            # Viewflow writes the list's address to the session on every view: three
            # queries (a transaction and an UPDATE) to store what is already there.
            return super(StoreRequestPathMixin, self).dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class _Counter:
    """What the menu reads as ``{{ user_queue.count }}``: counted once, when first read;
    with the other counters of the menu not counted yet, in the same statement."""

    def __init__(self, queryset, siblings=()):
        self.queryset = queryset
        self.siblings = siblings

    @cached_property
    def count(self) -> int:
        pending = [c for c in self.siblings if c is not self and "count" not in c.__dict__]
        if not pending:
            return self.queryset.count()
        mine, *theirs = count_together([self.queryset, *(c.queryset for c in pending)])
        for counter, total in zip(pending, theirs, strict=True):
            counter.learn(total)
        return mine

    def learn(self, total: int) -> None:
        """Take the count a page of the same list read with its keys."""
        self.__dict__["count"] = total


def count_together(querysets) -> list[int]:
    """Return the number of rows of each of ``querysets``, read in one statement (scalar
    subqueries): the menu's inbox and queue on a page that lists neither, one round trip
    and one plan instead of two."""
    parts, params = [], []
    for number, queryset in enumerate(querysets):
        sql, part_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")
        params.extend(part_params)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(total) for total in cursor.fetchone()]


def task_counters(request, flow_classes) -> dict:
    """Return the menu's inbox and queue counters of ``request``'s user, once per request.

    The menu (viewflow's app context) and the inbox or queue page's pagination read the
    same figures: both take them from here, so each is counted once per request; the
    inbox and queue pages list the counter's own queryset (built once: the queue's
    four-eyes exclusion is some fifty filters to put together).
    """
    memo = request.__dict__.setdefault("_workflow_counters", {})
    key = tuple(flow_classes)
    if key not in memo:
        user = request.user
        menu = []
        memo[key] = {
            "user_inbox": _Counter(scoped_tasks(user, inbox_of(user, flow_classes)), menu),
            "user_queue": _Counter(queue_for(user, flow_classes), menu),
        }
        menu.extend(memo[key].values())
    return memo[key]


# Query parameters that do not change how many rows a list has.
_UNFILTERED = {"page", "_orderby"}


class CountedListMixin:
    """An unfiltered inbox or queue pages with the menu's counter: one count per request;
    its rows are read keys first (``KeysFirstPaginator``)."""

    counter = None  # "user_inbox" or "user_queue"
    paginator_class = KeysFirstPaginator

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        if self.counter and not set(self.request.GET) - _UNFILTERED:
            counter = task_counters(self.request, self.flow_classes)[self.counter]
            if "count" in counter.__dict__:
                paginator.count = counter.count  # Paginator.count is a cached property
            else:
                # The page's keys come with the count: the menu's counter takes it.
                paginator.count_with_keys = True
                paginator.counted = counter.learn
        return paginator


class ScopedInboxView(
    TaskRowsMixin,
    CountedListMixin,
    FrenchTaskColumns,
    ScopedMixin,
    flow_views.WorkflowInboxListView,
):
    filterset_class = UserTaskFilter
    counter = "user_inbox"

    @viewprop
    def queryset(self):
        tasks = task_counters(self.request, self.flow_classes)["user_inbox"].queryset
        return tasks.select_related(*LIST_RELATIONS)


class ScopedQueueView(
    TaskRowsMixin,
    CountedListMixin,
    FrenchTaskColumns,
    ScopedMixin,
    flow_views.WorkflowQueueListView,
):
    filterset_class = UserTaskFilter
    counter = "user_queue"

    @viewprop
    def queryset(self):
        tasks = task_counters(self.request, self.flow_classes)["user_queue"].queryset
        return tasks.select_related(*LIST_RELATIONS)


class ArchivePaginator(KeysFirstPaginator):
    """The archive's keys with its count: its rows are the user's own finished tasks, read
    by owner and date (``viewflow_task_archive_idx``, migration ``workflows/0007``)."""

    count_with_keys = True


class ScopedArchiveView(
    TaskRowsMixin,
    CountedListMixin,
    FrenchTaskColumns,
    ScopedMixin,
    flow_views.WorkflowArchiveListView,
):
    filterset_class = ArchiveTaskFilter
    paginator_class = ArchivePaginator

    @viewprop
    def queryset(self):
        tasks = archive_of(self.request.user, self.flow_classes)
        return scoped_tasks(self.request.user, tasks).select_related(*LIST_RELATIONS)


class ScopedTaskListView(ScopedMixin, flow_views.DashboardTaskListView):
    filterset_class = FlowTaskFilter
    paginator_class = KeysFirstPaginator

    @viewprop
    def queryset(self):
        tasks = Task.objects.filter(process__flow_class=self.flow_class)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)

    def process_summary(self, task):
        return str(process_subject(task.process))


class ScopedProcessListView(ScopedMixin, flow_views.DashboardProcessListView):
    def get_queryset(self):
        # Explicit order: the stock queryset has none, which pagination warns about.
        model = self.flow_class.process_class
        subject = "dossier" if issubclass(model, DossierProcess) else "contract"
        return (
            scoped_processes(self.request.user, super().get_queryset())
            .select_related(subject)
            .order_by("-created", "-pk")
        )

    def brief(self, process):
        return str(process_subject(process))


class ScopedDashboardView(ScopedMixin, flow_views.DashboardView):
    """The flow's kanban, each column limited to the processes in scope."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for column in context["columns"]:
            column["tasks"] = scoped_tasks(
                user,
                Task.objects.filter(flow_task=column["node"], finished__isnull=True).exclude(
                    status=STATUS.CANCELED
                ),
            ).select_related(*TASK_RELATIONS)[: self.MAX_ROWS]
        end_nodes = context["end_nodes"]
        context["finished"] = scoped_tasks(
            user, Task.objects.filter(finished__isnull=False, flow_task__in=end_nodes)
        ).select_related(*TASK_RELATIONS)[: self.MAX_ROWS]
        return context


class ScopedProcessDetailView(flow_views.DetailProcessView):
    def get_object(self, queryset=None):
        process = super().get_object(queryset)
        if not process_in_scope(self.request.user, process):
            raise Http404
        return process

    def get_queryset(self):
        model = self.flow_class.process_class._meta.concrete_model
        return model.objects.filter(flow_class=self.flow_class)


class ScopedChartView(flow_views.FlowChartView):
    """The flow chart; a process's chart only for a process in scope."""

    def get(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            model = self.flow_class.process_class._meta.concrete_model
            process = model.objects.filter(pk=process_pk).first()
            if process is None or not process_in_scope(request.user, process):
                raise Http404
        return super().get(request, *args, **kwargs)

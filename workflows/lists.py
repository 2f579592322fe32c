"""Viewflow's list pages, filtered in SQL to the user's scope (VIEWFLOW_NOTES traps 6, 7, 12).

Stock viewflow shows every process and task to anyone with flow access; each list here
runs through ``selectors.scoped_tasks`` / ``scoped_processes`` and selects the relations
its rows show, so the page costs the same number of queries for 1 row as for 50.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters import ChoiceFilter, DateRangeFilter, FilterSet, NumberFilter
from viewflow.utils import viewprop
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.views.filters import NullDateRangeFilter
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .models import ContractProcess, DossierProcess
from .selectors import (
    can_see_workflows,
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


def prime_permission_cache(user) -> None:
    """Tell viewflow's queue that no task uses per-object permissions (trap 7: no N+1)."""
    user._viewflow_per_object_perm_cache = set()


def _preparer_fields():
    """Return, per decision node, the path from its process to the preparer (four-eyes).

    Read from the nodes' ``Decides(...)`` and the decisions' ``preparer_field``: the
    queue, the task checks and the services cannot disagree on who prepared what.
    """
    from .flows import ALL_FLOWS

    fields = {}
    for flow_class in ALL_FLOWS:
        for node in flow_class.instance.nodes():
            path = getattr(node, "preparer_lookup", lambda: None)()
            if path is not None:
                fields[node] = f"{node.process_relation}__{path}"
    return fields


def _drafted_artifacts():
    """Return, per decision node whose artifact records its drafters, the artifact's name."""
    from .flows import ALL_FLOWS

    return {
        node: node.decided_artifact
        for flow_class in ALL_FLOWS
        for node in flow_class.instance.nodes()
        if hasattr(getattr(node, "artifact_model", lambda: None)(), "drafted_by")
    }


def prepared_by(user):
    """Return the ids of the open tasks deciding on something ``user`` prepared or drafted.

    One subquery: the drafters (who wrote a contract's figures) are read from the journal
    in SQL (``drafted_processes``), so the queue costs the same number of queries whatever
    its length. Scope and
    status are inside every part: each decision table is read for the open processes of
    the user's GHTs whose decision ``user`` prepared (an indexed column per table), not
    joined to every open task of the country.
    """

    def processes(**condition):
        return (
            ContractProcess.objects.filter(pk__in=open_processes_in_scope(user))
            .filter(**condition)
            .values("pk")
        )

    contract_prepared = Q(data__prepared_by=user.pk)
    dossier_prepared = Q(data__prepared_by=user.pk)
    for node, field in _preparer_fields().items():
        relation, _sep, path = field.partition("__")
        if relation == "contractprocess":
            contract_prepared |= Q(flow_task=node, process_id__in=processes(**{path: user.pk}))
        else:
            dossier_prepared |= Q(flow_task=node, **{f"process__{field}": user.pk})
    # Only contract decisions record their drafters (``drafted_by``); a dossier's review
    # is prepared by one instructor, read above.
    for node in _drafted_artifacts():
        contract_prepared |= Q(flow_task=node, process_id__in=drafted_processes(user, node))
    open_tasks = Task.objects.filter(finished__isnull=True).exclude(status=STATUS.CANCELED)
    return open_tasks.filter(
        Q(process_id__in=open_processes_in_scope(user)) & contract_prepared
        | Q(process_id__in=open_dossier_processes_in_scope(user)) & dossier_prepared
    ).values("pk")


def drafted_processes(user, node, processes=None):
    """Return the ids of ``processes`` (default: the open processes of ``user``'s GHTs)
    whose artifact decided by ``node`` ``user`` drafted (four-eyes), as a subquery.

    The one place the queue and the task checks ask the journal who drafted what: the
    artifact's ``drafted_by`` probes the journal once per process listed, so the cost
    follows the user's GHTs, not the country's journal.
    """
    processes = open_processes_in_scope(user) if processes is None else processes
    drafted = node.artifact_model().drafted_by(user, OuterRef(f"{node.decided_artifact}_id"))
    return ContractProcess.objects.filter(pk__in=processes).filter(drafted).values("pk")


def open_processes_in_scope(user):
    """Return the ids of the open processes of ``user``'s GHTs, as a subquery.

    Lists of open tasks filter ``process_id IN (…)`` on it: the planner starts from the
    partial index of open processes per GHT, then reads their tasks by process, instead
    of scanning every waiting task of the country and joining it to its process.
    """
    return scoped_processes(user, ContractProcess.objects.filter(is_open=True)).values("pk")


def open_dossier_processes_in_scope(user):
    """Return the ids of the running processes of call dossiers ``user`` may see (their
    region, ARS staff only), as a subquery."""
    running = DossierProcess.objects.filter(finished__isnull=True)
    return scoped_processes(user, running).values("pk")


def queue_for(user, flow_classes):
    """Return the tasks ``user`` may take: permitted, in scope, not prepared by them.

    The preparations are excluded through a subquery of ids: a plain ``exclude`` on the
    task data would also drop every task whose data has no preparer (SQL ``NULL``). The
    scope is the one of ``scoped_processes``, applied to the open processes.
    """
    prime_permission_cache(user)
    # A task waiting to be taken belongs to an open process: the open processes of the
    # user's GHTs (a partial index) are where the planner starts, not every waiting task
    # of the country.
    return (
        Task.objects.queue(flow_classes, user)
        .filter(
            Q(process_id__in=open_processes_in_scope(user))
            | Q(process_id__in=open_dossier_processes_in_scope(user))
        )
        .exclude(pk__in=prepared_by(user))
    )


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
    return date_format(timezone.localtime(moment), "d/m/Y H:i") if moment else ""


class FrenchTaskColumns:
    """Column headings and values of the task lists in French (viewflow prints some raw)."""

    def process_brief(self, task):
        return super().process_brief(task)

    process_brief.short_description = _("Dossier")

    def brief(self, task):
        return task.brief

    brief.short_description = _("Objet")

    def created(self, task):
        return _when(task.created)

    created.short_description = _("Ouverte le")

    def finished(self, task):
        return _when(task.finished)

    finished.short_description = _("Terminée le")


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
        return super().dispatch(request, *args, **kwargs)


class _Counter:
    """What the menu reads as ``{{ user_queue.count }}``: counted once, when first read."""

    def __init__(self, queryset):
        self._queryset = queryset

    @cached_property
    def count(self) -> int:
        return self._queryset.count()


def task_counters(request, flow_classes) -> dict:
    """Return the menu's inbox and queue counters of ``request``'s user, once per request.

    The menu (viewflow's app context) and the inbox or queue page's pagination read the
    same figures: both take them from here, so each is counted once per request.
    """
    memo = request.__dict__.setdefault("_workflow_counters", {})
    key = tuple(flow_classes)
    if key not in memo:
        user = request.user
        memo[key] = {
            "user_inbox": _Counter(scoped_tasks(user, Task.objects.inbox(flow_classes, user))),
            "user_queue": _Counter(queue_for(user, flow_classes)),
        }
    return memo[key]


# Query parameters that do not change how many rows a list has.
_UNFILTERED = {"page", "_orderby"}


class CountedListMixin:
    """An unfiltered inbox or queue pages with the menu's counter: one count per request."""

    counter = None  # "user_inbox" or "user_queue"

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        if not set(self.request.GET) - _UNFILTERED:
            counter = task_counters(self.request, self.flow_classes)[self.counter]
            paginator.count = counter.count  # Paginator.count is a cached property
        return paginator


class ScopedInboxView(
    CountedListMixin, FrenchTaskColumns, ScopedMixin, flow_views.WorkflowInboxListView
):
    filterset_class = UserTaskFilter
    counter = "user_inbox"

    @viewprop
    def queryset(self):
        tasks = Task.objects.inbox(self.flow_classes, self.request.user)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)


class ScopedQueueView(
    CountedListMixin, FrenchTaskColumns, ScopedMixin, flow_views.WorkflowQueueListView
):
    filterset_class = UserTaskFilter
    counter = "user_queue"

    @viewprop
    def queryset(self):
        return queue_for(self.request.user, self.flow_classes).select_related(*TASK_RELATIONS)


class ScopedArchiveView(FrenchTaskColumns, ScopedMixin, flow_views.WorkflowArchiveListView):
    filterset_class = ArchiveTaskFilter

    @viewprop
    def queryset(self):
        tasks = Task.objects.archive(self.flow_classes, self.request.user)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)


class ScopedTaskListView(ScopedMixin, flow_views.DashboardTaskListView):
    filterset_class = FlowTaskFilter

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

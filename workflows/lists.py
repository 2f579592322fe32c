"""Viewflow's list pages, filtered in SQL to the user's scope (VIEWFLOW_NOTES traps 6, 7, 12).

Stock viewflow shows every process and task to anyone with flow access; each list here
runs through ``selectors.scoped_tasks`` / ``scoped_processes`` and selects the relations
its rows show, so the page costs the same number of queries for 1 row as for 50.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from viewflow.utils import viewprop
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .models import ContractProcess
from .selectors import can_see_workflows, process_in_scope, scoped_processes, scoped_tasks

TASK_RELATIONS = ("process", "owner", "process__contractprocess__contract")


def prime_permission_cache(user) -> None:
    """Tell viewflow's queue that no task uses per-object permissions (trap 7: no N+1)."""
    user._viewflow_per_object_perm_cache = set()


def queue_for(user, flow_classes):
    """Return the tasks ``user`` may take: permitted, in scope, not prepared by them."""
    prime_permission_cache(user)
    tasks = Task.objects.queue(flow_classes, user).exclude(data__prepared_by=user.pk)
    return scoped_tasks(user, tasks)


class ScopedMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_see_workflows(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedInboxView(ScopedMixin, flow_views.WorkflowInboxListView):
    @viewprop
    def queryset(self):
        tasks = Task.objects.inbox(self.flow_classes, self.request.user)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)


class ScopedQueueView(ScopedMixin, flow_views.WorkflowQueueListView):
    @viewprop
    def queryset(self):
        return queue_for(self.request.user, self.flow_classes).select_related(*TASK_RELATIONS)


class ScopedArchiveView(ScopedMixin, flow_views.WorkflowArchiveListView):
    @viewprop
    def queryset(self):
        tasks = Task.objects.archive(self.flow_classes, self.request.user)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)


class ScopedTaskListView(ScopedMixin, flow_views.DashboardTaskListView):
    @viewprop
    def queryset(self):
        tasks = Task.objects.filter(process__flow_class=self.flow_class)
        return scoped_tasks(self.request.user, tasks).select_related(*TASK_RELATIONS)

    def process_summary(self, task):
        return str(task.process.contractprocess.contract)


class ScopedProcessListView(ScopedMixin, flow_views.DashboardProcessListView):
    def get_queryset(self):
        return scoped_processes(self.request.user, super().get_queryset()).select_related(
            "contractprocess__contract"
        )

    def brief(self, process):
        return str(process.contractprocess.contract)


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
        return ContractProcess.objects.filter(flow_class=self.flow_class)


class ScopedChartView(flow_views.FlowChartView):
    """The flow chart; a process's chart only for a process in scope."""

    def get(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            process = ContractProcess.objects.filter(pk=process_pk).first()
            if process is None or not process_in_scope(request.user, process):
                raise Http404
        return super().get(request, *args, **kwargs)

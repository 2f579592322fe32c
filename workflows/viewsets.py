"""The workflow pages as viewflow viewsets: each flow's pages and the common inbox, scoped."""

from django.utils.translation import gettext_lazy as _
from viewflow.workflow.flow.viewset import FlowViewset, WorkflowAppViewset

from . import lists
from .selectors import can_see_workflows


class ScopedFlowViewset(FlowViewset):
    """One flow's pages (dashboard, process and task lists, detail, chart), scoped."""

    dashboard_view_class = lists.ScopedDashboardView
    process_list_view_class = lists.ScopedProcessListView
    task_list_view_class = lists.ScopedTaskListView
    process_detail_view_class = lists.ScopedProcessDetailView
    chart_view_class = lists.ScopedChartView

    def has_view_permission(self, user, obj=None):
        return can_see_workflows(user)

    def get_context_data(self, request):
        # The flow's menu counts the user's scope, not the country (stock viewflow).
        return lists.task_counters(request, [self._flow_class])


class ScopedWorkflowApp(WorkflowAppViewset):
    """The common inbox, queue and archive of every flow, scoped."""

    title = _("Processus")
    inbox_view_class = lists.ScopedInboxView
    queue_view_class = lists.ScopedQueueView
    archive_view_class = lists.ScopedArchiveView
    tasks_assign_view_class = lists.BulkAssignView
    tasks_unassign_view_class = lists.BulkUnassignView

    def has_view_permission(self, user, obj=None):
        return can_see_workflows(user)

    def get_context_data(self, request):
        return lists.task_counters(request, self.flow_classes)

"""Reads of processes and tasks, filtered in SQL to the user's scope (VIEWFLOW_NOTES trap 6)."""

from django.db.models import QuerySet
from viewflow.workflow.models import Task

from territories.selectors import has_national_scope, visible_hospital_groups

from .models import ContractProcess

VIEW_PROCESS_PERMISSION = "workflows.view_contractprocess"


def can_see_workflows(user) -> bool:
    """Return whether ``user`` may open the workflow pages at all."""
    return user.is_authenticated and user.is_active and user.has_perm(VIEW_PROCESS_PERMISSION)


def scoped_processes(user, queryset: QuerySet | None = None) -> QuerySet:
    """Return the processes of ``queryset`` about a GHT ``user`` may see."""
    queryset = queryset if queryset is not None else ContractProcess.objects.all()
    if not can_see_workflows(user):
        return queryset.none()
    if has_national_scope(user):
        return queryset
    model = queryset.model
    if issubclass(model, ContractProcess):
        return queryset.filter(hospital_group__in=visible_hospital_groups(user))
    return queryset.filter(contractprocess__hospital_group__in=visible_hospital_groups(user))


def scoped_tasks(user, queryset: QuerySet | None = None) -> QuerySet:
    """Return the tasks of ``queryset`` whose process is about a GHT ``user`` may see."""
    queryset = queryset if queryset is not None else Task.objects.all()
    if not can_see_workflows(user):
        return queryset.none()
    if has_national_scope(user):
        return queryset
    return queryset.filter(
        process__contractprocess__hospital_group__in=visible_hospital_groups(user)
    )


def process_in_scope(user, process) -> bool:
    """Return whether ``user`` may see ``process`` (one process: detail pages, task checks)."""
    return scoped_processes(user, ContractProcess.objects.filter(pk=process.pk)).exists()

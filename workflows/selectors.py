"""Reads of processes and tasks, filtered in SQL to the user's scope (VIEWFLOW_NOTES trap 6)."""

from django.db.models import QuerySet
from viewflow.workflow.models import Task

from territories.access import (
    has_national_scope,
    visible_hospital_group_ids,
)

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
        return queryset.filter(hospital_group_id__in=sorted(visible_hospital_group_ids(user)))
    return queryset.filter(
        contractprocess__hospital_group_id__in=sorted(visible_hospital_group_ids(user))
    )


def scoped_tasks(user, queryset: QuerySet | None = None) -> QuerySet:
    """Return the tasks of ``queryset`` whose process is about a GHT ``user`` may see."""
    queryset = queryset if queryset is not None else Task.objects.all()
    if not can_see_workflows(user):
        return queryset.none()
    if has_national_scope(user):
        return queryset
    return queryset.filter(
        process__contractprocess__hospital_group_id__in=sorted(visible_hospital_group_ids(user))
    )


def _loaded_hospital_group_id(process) -> int | None:
    """Return the GHT id of ``process`` if it is already in memory, else ``None``."""
    if isinstance(process, ContractProcess):
        return process.hospital_group_id
    loaded = process._state.fields_cache.get("contractprocess")
    return loaded.hospital_group_id if loaded is not None else None


def remember_in_scope(user, process_pk) -> None:
    """Note on the user object (one request) that a scoped query found ``process_pk``."""
    user.__dict__.setdefault("_processes_in_scope", set()).add(int(process_pk))


def process_in_scope(user, process) -> bool:
    """Return whether ``user`` may see ``process`` (one process: detail pages, task checks).

    A list page asks this for each of its rows: when the process's GHT is already
    loaded, the answer comes from the user's GHT ids, read once, not from one query
    per row. A process the request's URL guard already found in scope
    (``remember_in_scope``) costs nothing.
    """
    if not can_see_workflows(user):
        return False
    if process.pk in user.__dict__.get("_processes_in_scope", ()):
        return True
    hospital_group_id = _loaded_hospital_group_id(process)
    if hospital_group_id is None:
        return scoped_processes(user, ContractProcess.objects.filter(pk=process.pk)).exists()
    return has_national_scope(user) or hospital_group_id in visible_hospital_group_ids(user)

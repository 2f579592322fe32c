"""Reads of processes and tasks, filtered in SQL to the user's scope (VIEWFLOW_NOTES trap 6).

Contract processes are seen per GHT; dossier processes (calls for applications) per
region, and only by people who may read dossiers (ARS staff, auditors): a GHT director
never sees another establishment's application.
"""

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task

from territories.access import (
    has_national_scope,
    load_rights,
    visible_hospital_group_ids,
    visible_region_ids,
)

from .models import ContractProcess, DossierProcess

VIEW_PROCESS_PERMISSION = "workflows.view_contractprocess"
VIEW_DOSSIER_PERMISSION = "calls.view_dossier"


def can_see_workflows(user) -> bool:
    """Return whether ``user`` may open the workflow pages at all.

    Asked by every list, counter, scope and menu entry of a page (some forty times): the
    answer is kept on the user object, which lives one request, as Django keeps the
    permissions it reads. The first asking reads the user's permissions and scope in
    one statement (``load_rights``).
    """
    known = user.__dict__.get("_can_see_workflows")
    if known is None:
        # The workflows ask the user's scope next: one statement reads both (issue 17).
        if user.is_authenticated and user.is_active:
            load_rights(user)
        known = bool(
            user.is_authenticated and user.is_active and user.has_perm(VIEW_PROCESS_PERMISSION)
        )
        if user.is_authenticated:
            user.__dict__["_can_see_workflows"] = known
    return known


def can_see_dossiers(user) -> bool:
    """Return whether ``user`` may see the processes of call dossiers (in their regions)."""
    return can_see_workflows(user) and user.has_perm(VIEW_DOSSIER_PERMISSION)


def scoped_processes(user, queryset: QuerySet | None = None) -> QuerySet:
    """Return the processes of ``queryset`` about a GHT or a region ``user`` may see."""
    queryset = queryset if queryset is not None else ContractProcess.objects.all()
    if not can_see_workflows(user):
        return queryset.none()
    model = queryset.model
    if issubclass(model, DossierProcess):
        if not can_see_dossiers(user):
            return queryset.none()
        if has_national_scope(user):
            return queryset
        return queryset.filter(region_id__in=sorted(dossier_region_ids(user)))
    if has_national_scope(user):
        if issubclass(model, ContractProcess) or can_see_dossiers(user):
            return queryset
        return queryset.filter(contractprocess__isnull=False)
    if issubclass(model, ContractProcess):
        return queryset.filter(hospital_group_id__in=sorted(visible_hospital_group_ids(user)))
    return queryset.filter(
        Q(contractprocess__hospital_group_id__in=sorted(visible_hospital_group_ids(user)))
        | Q(dossierprocess__region_id__in=sorted(dossier_region_ids(user)))
    )


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


def all_open_processes_in_scope(user):
    """Return the ids of the open contract and dossier processes ``user`` sees, as one
    subquery (``UNION ALL``): one ``process_id IN (…)`` the planner turns into a join
    starting from the scope's processes, where an ``OR`` of two ``IN`` would make it
    filter every open task of the country."""
    return (
        open_processes_in_scope(user)
        .order_by()
        .union(open_dossier_processes_in_scope(user).order_by(), all=True)
    )


def scoped_tasks(user, queryset: QuerySet | None = None) -> QuerySet:
    """Return the tasks of ``queryset`` whose process is about a GHT or region ``user`` sees."""
    queryset = queryset if queryset is not None else Task.objects.all()
    if not can_see_workflows(user):
        return queryset.none()
    if has_national_scope(user):
        if can_see_dossiers(user):
            return queryset
        return queryset.filter(process__contractprocess__isnull=False)
    contract_processes = ContractProcess.objects.filter(
        hospital_group_id__in=sorted(visible_hospital_group_ids(user))
    )
    dossier_processes = DossierProcess.objects.filter(
        region_id__in=sorted(dossier_region_ids(user))
    )
    # Two ``process_id IN (…)`` on the scope's indexes, each read once (hashed): the
    # tasks are found by the list's own filter (owner, status) and checked against them.
    # The ``OR`` of two joined conditions it replaces made the planner join every process
    # of the country to its contract and dossier rows first.
    return queryset.filter(
        Q(process_id__in=contract_processes.order_by().values("pk"))
        | Q(process_id__in=dossier_processes.order_by().values("pk"))
    )


def _loaded_scope(process) -> tuple[str, int] | None:
    """Return ("ght", id) or ("region", id) when the process's child row is in memory."""
    if isinstance(process, ContractProcess):
        return "ght", process.hospital_group_id
    if isinstance(process, DossierProcess):
        return "region", process.region_id
    cache = process._state.fields_cache
    if cache.get("contractprocess") is not None:
        return "ght", cache["contractprocess"].hospital_group_id
    if cache.get("dossierprocess") is not None:
        return "region", cache["dossierprocess"].region_id
    return None


def remember_in_scope(user, process_pk) -> None:
    """Note on the user object (one request) that a scoped query found ``process_pk``."""
    user.__dict__.setdefault("_processes_in_scope", set()).add(int(process_pk))


def dossier_region_ids(user) -> frozenset[int]:
    """Return the ids of the regions whose dossiers ``user`` sees (read once per request)."""
    return visible_region_ids(user) if can_see_dossiers(user) else frozenset()


def process_in_scope(user, process) -> bool:
    """Return whether ``user`` may see ``process`` (one process: detail pages, task checks).

    A list page asks this for each of its rows: when the process's child row is already
    loaded, the answer comes from the user's ids, read once, not from one query per row.
    A process the request's URL guard already found in scope (``remember_in_scope``)
    costs nothing.
    """
    if not can_see_workflows(user):
        return False
    if process.pk in user.__dict__.get("_processes_in_scope", ()):
        return True
    scope = _loaded_scope(process)
    if scope is None:
        if ContractProcess.objects.filter(pk=process.pk).exists():
            scope = ("ght", ContractProcess.objects.get(pk=process.pk).hospital_group_id)
        else:
            dossier_process = DossierProcess.objects.filter(pk=process.pk).first()
            if dossier_process is None:
                return False
            scope = ("region", dossier_process.region_id)
    return scope_allows(user, *scope)


def scope_allows(user, kind: str, pk: int) -> bool:
    """Return whether ``user`` sees a process of the GHT ``pk`` (``kind`` "ght") or of
    the region ``pk`` (``kind`` "region", a call dossier's), after ``can_see_workflows``."""
    if kind == "region":
        if not can_see_dossiers(user):
            return False
        return has_national_scope(user) or pk in dossier_region_ids(user)
    return has_national_scope(user) or pk in visible_hospital_group_ids(user)


def process_subject(process) -> object:
    """Return what a process is about (its contract or its dossier), from loaded rows."""
    if isinstance(process, ContractProcess):
        return process.contract
    if isinstance(process, DossierProcess):
        return process.dossier
    cache = process._state.fields_cache
    if cache.get("contractprocess") is not None:
        return cache["contractprocess"].contract
    if cache.get("dossierprocess") is not None:
        return cache["dossierprocess"].dossier
    coerced = process.coerced
    return getattr(coerced, "contract", None) or getattr(coerced, "dossier", None)

"""The guards every flow relies on (VIEWFLOW_NOTES.md, traps 2 and 3, and the existence oracle).

- A task or process URL answers 404 unless its ids match and the process is in the
  user's scope: out-of-scope and missing objects answer alike, so no id can be probed.
- Losing a race answers 409 in French with a link to where the file stands: while the
  lock is held (``FlowLockFailed``) with ``Retry-After``; once the other person's action
  has gone through (viewflow's "no transition" ``PermissionDenied``) without it, since
  retrying would change nothing. JSON clients get RFC 9457 problem details.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from territories.access import load_rights_with

from .models import ContractProcess, DossierProcess
from .selectors import can_see_workflows, process_in_scope, remember_in_scope, scope_allows

CONFLICT_STATUS = 409
LOCK_FAILED_STATUS = CONFLICT_STATUS
RETRY_AFTER_SECONDS = 5
PROBLEM_CONTENT_TYPE = "application/problem+json"
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _task_node(request):
    match = request.resolver_match
    return getattr(getattr(match, "url_name", None), "extra", {}).get("node")


class TaskUrlGuardMiddleware:
    """Answer 404 on a process or task URL unless it names a process in the user's scope
    and, for a task, the task id, process id and node all match.

    Viewflow loads a task by its id alone and checks only its flow: without this guard,
    a user allowed on one node could act on another node's task (or lock another
    process) through the first node's URLs, which defeats four-eyes. Its permission
    checks then answer 403 or a redirect for an existing task out of scope and 404 for a
    missing one: the scope check here makes both the same 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "process_pk" not in view_kwargs or not request.user.is_authenticated:
            return None
        # One read of the row's scope columns (its process's GHT or dossier region), judged
        # on the user's scope ids: the answer of ``scoped_processes`` without building its
        # query on every request.
        if "task_pk" in view_kwargs:
            node = _task_node(request)
            if node is None:
                return None
            missing = _("Aucune tâche ne correspond à cette adresse.")
        else:
            node = None
            missing = _("Aucun processus ne correspond à cette adresse.")
        # Read with the user's rights when ``TaskScopeReadMiddleware`` could, else now.
        row = request.__dict__.pop(_SCOPE_ROW, _UNREAD)
        if row is _UNREAD:
            row = _scope_columns(*_scope_arguments(node, view_kwargs))
        if row is None or not _in_scope(request.user, view_kwargs["process_pk"], *row):
            raise Http404(missing)
        # Found in the user's scope: the view's own checks need not read the scope again.
        remember_in_scope(request.user, view_kwargs["process_pk"])
        return None


class TaskScopeReadMiddleware:
    """Read the row ``TaskUrlGuardMiddleware`` judges with the user's rights, in one
    statement, before viewflow's own permission check reads the rights.

    Only a read: the checks and their order stay (viewflow's permission, then the guard's
    scope). A task page asked both apart, two statements (issue 17).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "process_pk" not in view_kwargs or not request.user.is_authenticated:
            return None
        node = _task_node(request) if "task_pk" in view_kwargs else None
        if "task_pk" in view_kwargs and node is None:
            return None
        arguments = _scope_arguments(node, view_kwargs)
        sql, params = _scope_columns_statement(*arguments, as_row=True)
        rows = load_rights_with(request.user, sql, params)
        if rows is not None:
            request.__dict__[_SCOPE_ROW] = (
                (rows[0][1], None if rows[0][2] is None else int(rows[0][2])) if rows else None
            )
        return None


_SCOPE_ROW = "_workflow_scope_row"
_UNREAD = object()


def _scope_arguments(node, view_kwargs) -> tuple:
    """Return the arguments of ``_scope_columns`` for a task URL (``node``) or a process URL."""
    if node is None:
        return (None, view_kwargs["process_pk"])
    return (
        node.flow_class.task_class,
        view_kwargs["process_pk"],
        view_kwargs["task_pk"],
        node,
    )


_SCOPE_COLUMNS_SQL: dict[tuple, str] = {}


def _scope_columns(task_class, process_pk, task_pk=None, node=None):
    """Return (GHT id, region id) of the process ``process_pk`` (contract or dossier
    process; both ``None`` for another) or, with ``task_pk``, of the process of that task
    of ``node``; ``None`` if no such row.

    In raw SQL, built once per vendor and table: every task URL asks it, and the ORM's
    query building (two outer joins through viewflow's process) cost more than the
    statement (issue 17).
    """
    sql, params = _scope_columns_statement(task_class, process_pk, task_pk, node)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _scope_columns_statement(task_class, process_pk, task_pk=None, node=None, *, as_row=False):
    """Return the statement of ``_scope_columns`` and its parameters; ``as_row``: as a
    row ``('X', GHT id, region id as text, NULL)`` for ``load_rights_with``."""
    connection = transaction.get_connection()
    key = (connection.vendor, task_class._meta.db_table if task_class else None, as_row)
    sql = _SCOPE_COLUMNS_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        contract, dossier = ContractProcess._meta, DossierProcess._meta
        ptr = "process_ptr_id"
        joins = (
            f"LEFT JOIN {quote(contract.db_table)} cp ON cp.{ptr} = {{process}} "
            f"LEFT JOIN {quote(dossier.db_table)} dp ON dp.{ptr} = {{process}}"
        )
        columns = "SELECT cp.hospital_group_id, dp.region_id FROM "
        if as_row:
            text = "varchar(255)" if connection.vendor == "postgresql" else "text"
            columns = f"SELECT 'X', cp.hospital_group_id, CAST(dp.region_id AS {text}), NULL FROM "
        if task_class is None:
            process = quote(Process._meta.db_table)
            sql = f"{columns}{process} p {joins.format(process='p.id')} WHERE p.id = %s"
        else:
            task = quote(task_class._meta.db_table)
            sql = (
                f"{columns}{task} t {joins.format(process='t.process_id')} "
                "WHERE t.id = %s AND t.process_id = %s AND t.flow_task = %s"
            )
        _SCOPE_COLUMNS_SQL[key] = sql
    if task_class is None:
        return sql, [process_pk]
    flow_task = task_class._meta.get_field("flow_task").get_prep_value(node)
    return sql, [task_pk, process_pk, flow_task]


def _in_scope(user, process_pk, hospital_group_id, region_id) -> bool:
    if not can_see_workflows(user):
        return False
    if hospital_group_id is not None:
        return scope_allows(user, "ght", hospital_group_id)
    if region_id is not None:
        return scope_allows(user, "region", region_id)
    return process_in_scope(user, Process(pk=process_pk))  # neither a contract's nor a dossier's


def where_it_stands(process_pk) -> str | None:
    """Return the contract page of the process (or its own page) for the 409 link."""
    process = ContractProcess.objects.filter(pk=process_pk).first()
    if process is None:
        dossier_process = DossierProcess.objects.filter(pk=process_pk).first()
        if dossier_process is not None:
            return reverse("calls:dossier_decision", args=[dossier_process.dossier_id])
        return None
    if process.contract_id:
        return reverse("contracts:contract_detail", args=[process.contract_id])
    return process.flow_class.instance.reverse("process_detail", args=[process.pk])


def conflict_response(request, *, title: str, message: str, link: str | None, retry: bool):
    """Return the 409 answer: RFC 9457 problem details for JSON clients, else a page."""
    if "json" in request.headers.get("Accept", ""):
        problem = {
            "type": "about:blank",
            "title": title,
            "status": CONFLICT_STATUS,
            "detail": message,
            "instance": request.get_full_path(),
        }
        if link:
            problem["where_it_stands"] = link
        response = JsonResponse(problem, status=CONFLICT_STATUS, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = TemplateResponse(
            request,
            "workflows/lock_failed.html",
            {
                "title": title,
                "message": message,
                "retry_url": request.get_full_path() if retry else None,
                "link": link,
            },
            status=CONFLICT_STATUS,
        )
    if retry:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def already_done_response(request, task):
    """Return the page of a finished task's URL (Back after a step): what happened, where
    the file stands; nothing to retry, nothing refused."""
    return TemplateResponse(
        request,
        "workflows/lock_failed.html",
        {
            "title": _("Cette étape est déjà faite"),
            "message": _(
                "« %(task)s » a déjà été traitée : il n'y a plus rien à faire sur cette page."
            )
            % {"task": task.flow_task.task_title},
            "retry_url": None,
            "link": where_it_stands(task.process_id),
        },
    )


class FlowLockFailedMiddleware:
    """Turn a lost race on a task into a 409 in French instead of a 500 or a 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        kwargs = request.resolver_match.kwargs if request.resolver_match else {}
        if isinstance(exception, FlowLockFailed):
            return conflict_response(
                request,
                title=_("Dossier occupé"),
                message=_(
                    "Quelqu'un d'autre agit en ce moment sur ce dossier. "
                    "Rien n'a été enregistré : réessayez dans quelques instants."
                ),
                link=where_it_stands(kwargs.get("process_pk")),
                retry=True,
            )
        if isinstance(exception, PermissionDenied) and "task_pk" in kwargs:
            return self._task_handled_by_someone_else(request, exception, kwargs)
        return None

    def _task_handled_by_someone_else(self, request, exception, kwargs):
        """Return the 409 when the refusal comes from another person's action on the task.

        Two refusals are: viewflow's "no transition" (it wraps ``TransitionNotAllowed``
        into ``PermissionDenied``: the task left the state this request started from) and
        taking a task someone allowed on it has just taken. Any other refusal stays a 403.
        """
        node = _task_node(request)
        if node is None:
            return None
        task = (
            node.flow_class.task_class._default_manager.filter(pk=kwargs["task_pk"])
            .only("status", "owner_id", "owner_permission", "process_id", "flow_task")
            .first()
        )
        if task is None:
            return None
        if isinstance(exception.__context__, TransitionNotAllowed):
            if request.method == "GET" and task.status not in OPEN_STATUSES:
                return already_done_response(request, task)
            if task.status in OPEN_STATUSES:
                message = _("Cette tâche vient de changer d'état : rechargez la page.")
            else:
                message = _("Cette tâche vient d'être traitée par une autre personne.")
        elif (
            request.method == "POST"
            and task.status == STATUS.ASSIGNED
            and task.owner_id not in (None, request.user.pk)
            and task.owner_permission
            and request.user.has_perm(task.owner_permission)
        ):
            message = _("Cette tâche vient d'être prise en charge par une autre personne.")
        else:
            return None
        return conflict_response(
            request,
            title=_("Tâche déjà traitée"),
            message=message,
            link=where_it_stands(task.process_id),
            retry=False,
        )

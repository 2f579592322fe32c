"""Flow nodes with what viewflow leaves out: scope, four-eyes and a journal of task actions.

Viewflow keeps no trace of who took, released, cancelled, undid or revived a task
(VIEWFLOW_NOTES trap 10): the activation of every human task journals each of these
actions in the transaction of the action, so neither exists without the other.
"""

from functools import update_wrapper

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow import flow
from viewflow.workflow.base import Edge
from viewflow.workflow.flow import views
from viewflow.workflow.nodes.view import ViewActivation

from audit.journal import (
    AuditAction,
    actor_ids,
    object_actors_column,
    one_step_reads,
    record_event,
    remember_drafting_actors,
)
from contracts.compiled import CompiledRead
from contracts.models.four_eyes import DRAFTING_ACTIONS, JournaledDrafters

from .models import ContractProcess, DossierProcess
from .selectors import can_see_workflows, process_in_scope

REASON_FIELD = "reason"


def prepared_by_owner(activation) -> dict:
    """Task data for the next node: who completed (prepared) this step."""
    return {"prepared_by": activation.task.owner_id}


# What every step reads of its process, by the process's table: the contract and GHT
# (journal, notifications), or the dossier and region of a call's process.
_BASE_RELATIONS = {
    "contractprocess": ("contract", "hospital_group"),
    "dossierprocess": ("dossier", "region"),
}


def process_table(node):
    """Return the concrete process model of ``node``'s flow (its proxies share it)."""
    return node.flow_class.process_class._meta.concrete_model


def process_relations(node) -> list[str]:
    """Return what a step of ``node`` reads of its process, for one ``select_related``.

    The contract and GHT (or the dossier and region) and the artifact the node decides on
    (four-eyes): read with the process, not one query each later in the step.
    """
    relations = list(_BASE_RELATIONS[process_table(node)._meta.model_name])
    artifact = getattr(node, "decided_artifact", None)
    if artifact and artifact not in relations:
        relations.append(artifact)
    return relations


def load_process(task) -> None:
    """Read the process of ``task`` as its flow's process model with ``process_relations``.

    Viewflow reads it through ``task.process.coerced``, then each relation on first use;
    putting it where ``coerced`` looks makes that one query. Nothing is read when the
    caller loaded it already (``workflows.steps.run_task``).
    """
    model = process_table(task.flow_task)
    relation = model._meta.model_name
    process = task.process
    if relation in process._state.fields_cache or isinstance(process, model):
        return
    process._state.fields_cache[relation] = _process_read(task.flow_task).get(process.pk)


_PROCESS_READS: dict[tuple, CompiledRead] = {}


def _process_read(node) -> CompiledRead:
    """Return the read of a process of ``node`` by id with ``process_relations``, compiled
    once per model and relations (``contracts.compiled``): every task page runs it."""
    model = process_table(node)
    relations = tuple(process_relations(node))
    read = _PROCESS_READS.get((model, relations))
    if read is None:
        read = _PROCESS_READS[(model, relations)] = CompiledRead(
            lambda pk: model.objects.select_related(*relations).filter(pk=pk)
        )
    return read


def task_relations(node) -> list[str]:
    """Return what a step of ``node`` reads of its task, for one ``select_related``: its
    process as its flow's subclass (scope check, ``activation.process``) with
    ``process_relations``.

    Not its owner: a free task gets the user as owner (``assign``), a task the user holds
    already is given the user object (``give_owner``), any other owner means a refusal.
    Each joined table costs the planner and the ORM more than it saves (issue 17).
    """
    table = process_table(node)._meta.model_name
    return [f"process__{table}__{relation}" for relation in process_relations(node)]


_TASK_READS: dict[tuple, CompiledRead] = {}
_DRAFTERS = "_artifact_drafters"


def _drafters_column(node):
    """Return the ``CompiledRead`` extra column of the drafters of what ``node`` decides
    (``JournaledDrafters``: who created or changed it, from the journal), or ``None``."""
    model = node.artifact_model() if hasattr(node, "artifact_model") else None
    if model is None or not issubclass(model, JournaledDrafters):
        return None
    process_model = process_table(node)
    fk_column = process_model._meta.get_field(node.decided_artifact).column

    def column(connection, compiler):
        (alias,) = (
            alias
            for alias, join in compiler.query.alias_map.items()
            if join.table_name == process_model._meta.db_table
        )
        quote = connection.ops.quote_name
        return object_actors_column(
            connection, model._meta.label, f"{quote(alias)}.{quote(fk_column)}", DRAFTING_ACTIONS
        )

    return (_DRAFTERS, column)


def read_task(node, pk):
    """Return the task ``pk`` with ``task_relations`` (``DoesNotExist`` if none), in one
    statement compiled once per node (``contracts.compiled``): every step, through code
    (``steps.run_task``) or a task page (``_task_view``), runs it.

    The drafters of what the node decides come with it and answer the step's four-eyes
    question (``audit.journal.one_step_reads``): its checks and its service ask it, not
    the journal once more (issue 17).
    """
    task_class = node.flow_class.task_class
    key = (task_class, node.flow_class, node.name)
    read = _TASK_READS.get(key)
    if read is None:
        relations = task_relations(node)
        read = _TASK_READS[key] = CompiledRead(
            lambda value: task_class._default_manager.select_related(*relations).filter(pk=value),
            extra=_drafters_column(node),
        )
    task = read.get(pk)
    if _DRAFTERS in task.__dict__:
        process = getattr(task.process, process_table(node)._meta.model_name)
        artifact_id = getattr(process, f"{node.decided_artifact}_id")
        if artifact_id is not None:
            remember_drafting_actors(
                (node.artifact_model()._meta.label, artifact_id),
                actor_ids(task.__dict__.pop(_DRAFTERS)),
            )
    return task


def _task_view(node, origin_view, *, permission=None, activate=False):
    """Return ``origin_view`` wrapped as viewflow wraps a task's views (``flow.utils``:
    ``wrap_view`` for the execute page, ``activate``; ``wrap_task_view`` otherwise), its
    task read by ``read_task``.

    Viewflow reads the task, then its process, then (``load_process``) the process's row
    with what the step decides: three statements on every task page, one here (issue 17).
    The checks are viewflow's, in its order: the task's flow, the lock and transaction of
    a POST, the node's permission, the activation's start.
    """

    def view(request, *args, **kwargs):
        process_pk, task_pk = kwargs.get("process_pk"), kwargs.get("task_pk")
        if process_pk is None or task_pk is None:
            raise ImproperlyConfigured(
                "Task view URL path should contain <int:process_pk> and <int:task_pk> parameters"
            )

        def call_with_activation():
            try:
                task = read_task(node, task_pk)
            except node.flow_class.task_class.DoesNotExist:
                raise Http404(_("Aucune tâche ne correspond à cette adresse.")) from None
            if task.process.flow_class != node.flow_class:
                raise Http404(_("Aucune tâche ne correspond à cette adresse."))
            request.activation = node.activation_class(task)
            check = node.can_execute if activate else permission
            if check is not None and not check(request.user, task=task):
                raise PermissionDenied
            if activate:
                request.activation.start(request)
            return origin_view(request, *args, **kwargs)

        try:
            if request.method == "POST":
                with node.flow_class.lock(process_pk), transaction.atomic():
                    return call_with_activation()
            return call_with_activation()
        except TransitionNotAllowed as error:
            raise PermissionDenied(",".join(error.args)) from error

    update_wrapper(view, origin_view)
    return view


def give_owner(task, user) -> None:
    """Hand ``user`` to ``task`` as its owner object when they hold it: the same row, so
    viewflow's owner checks (``is_owner(task.owner, user)``) read no user again."""
    field = task._meta.get_field("owner")
    if task.owner_id is None or task.owner_id != user.pk or field.is_cached(task):
        return
    # A request's user is a lazy object, evaluated by ``user.pk`` above: hand over the user.
    field.set_cached_value(task, getattr(user, "_wrapped", user))


def one_step_checks():
    """Ask the journal once per step whether its user drafted what the step decides.

    A step takes then completes its task under the process lock, in one transaction
    (``workflows.steps.run_task``, a task page's POST): ``can_assign``, ``can_execute``
    and the service's own four-eyes check (``contracts.models.four_eyes``) ask the same
    question; the journal answers once for the block (``audit.journal.one_step_reads``).
    The service still checks, on the decision read under its own lock.
    """
    return one_step_reads()


class JournaledViewActivation(ViewActivation):
    """A human task's activation that journals assign, unassign, cancel, undo and revive.

    ``actor`` and ``reason`` are set by the task action views; a call from code leaves
    them empty and the event names no actor (a system action).
    """

    actor = None
    reason = ""

    def __init__(self, task):
        load_process(task)
        super().__init__(task)

    def _journal(self, action: str, summary: str, *, actor=None, changes=None, task=None):
        task = task or self.task
        process = self.process.coerced
        record_event(
            actor=actor if actor is not None else self.actor,
            action=action,
            contract=getattr(process, "contract", None),
            object_type="viewflow.Task",
            object_id=str(task.pk),
            object_label=f"{task.flow_task.task_title} (#{task.pk})",
            summary=summary % {"task": task.flow_task.task_title},
            reason=self.reason,
            changes=changes,
        )

    def _owner_change(self, before, after) -> dict:
        return {
            "owner": {
                "before": before.get_username() if before else None,
                "after": after.get_username() if after else None,
            }
        }

    @ViewActivation.status.super()
    def assign(self, user):
        before = self.task.owner
        super().assign.original(user)
        self._journal(
            AuditAction.ASSIGN,
            _("Tâche « %(task)s » prise en charge"),
            actor=user,
            changes=self._owner_change(before, user),
        )

    @ViewActivation.status.super()
    def unassign(self):
        before = self.task.owner
        super().unassign.original()
        self._journal(
            AuditAction.UNASSIGN,
            _("Tâche « %(task)s » rendue à la file"),
            changes=self._owner_change(before, None),
        )

    @ViewActivation.status.super()
    def reassign(self, user=None):
        before = self.task.owner
        super().reassign.original(user)
        self._journal(
            AuditAction.ASSIGN,
            _("Tâche « %(task)s » réattribuée"),
            changes=self._owner_change(before, self.task.owner),
        )

    @ViewActivation.status.super()
    def cancel(self):
        super().cancel.original()
        self._journal(AuditAction.CANCEL, _("Tâche « %(task)s » annulée"))

    @ViewActivation.status.super()
    def undo(self):
        super().undo.original()
        self._journal(AuditAction.UNDO, _("Tâche « %(task)s » défaite (retour arrière)"))

    @ViewActivation.status.super()
    def revive(self):
        task = super().revive.original()
        self._journal(
            AuditAction.REVIVE,
            _("Tâche « %(task)s » reprise après annulation"),
            changes={"revived_task": {"before": self.task.pk, "after": task.pk}},
            task=task,
        )
        return task


class ActorMixin:
    """Hand the request's user and the optional ``reason`` field to the activation."""

    def form_valid(self, *args, **kwargs):
        activation = self.request.activation
        activation.actor = self.request.user
        activation.reason = self.request.POST.get(REASON_FIELD, "").strip()
        return super().form_valid(*args, **kwargs)


class JournaledUnassignTaskView(ActorMixin, views.UnassignTaskView):
    pass


class JournaledCancelTaskView(ActorMixin, views.CancelTaskView):
    pass


class JournaledUndoTaskView(ActorMixin, views.UndoTaskView):
    pass


class JournaledReviveTaskView(ActorMixin, views.ReviveTaskView):
    pass


class ScopedStart(flow.Start):
    """A start node only people with workflow access may use."""

    def can_execute(self, user, task=None):
        return can_see_workflows(user) and super().can_execute(user, task)


class ScopedView(flow.View):
    """A human task with the role permission, the process scope and the four-eyes rule.

    ``Decides("delegation")`` names the process's artifact this task decides on; its
    preparer is the field the artifact's model declares (``preparer_field``, see
    ``contracts.models.four_eyes``), and the task data written by ``prepared_by_owner``
    is checked too. The preparer can neither take nor execute
    the task, whatever roles they hold. The services check the same rule again.
    """

    activation_class = JournaledViewActivation
    unassign_view_class = JournaledUnassignTaskView
    cancel_view_class = JournaledCancelTaskView
    undo_view_class = JournaledUndoTaskView
    revive_view_class = JournaledReviveTaskView

    decided_artifact = None
    #: The concrete process model of the flow, and its name from ``Process`` (the queue's SQL).
    process_model = ContractProcess
    process_relation = "contractprocess"

    def Decides(self, artifact: str):
        self.decided_artifact = artifact
        return self

    def artifact_model(self):
        """Return the model of the artifact this node decides on, if any."""
        if self.decided_artifact is None:
            return None
        return self.process_model._meta.get_field(self.decided_artifact).related_model

    def preparer_ids(self, task, *, drafters: bool = True) -> set[int]:
        """Return the ids of the people who prepared what ``task`` decides on.

        An artifact that records its drafters (``drafter_ids``, e.g. whoever wrote a
        contract's figures) adds them: they prepared the decision as much as the submitter.
        """
        ids = set()
        if task.data and task.data.get("prepared_by"):
            ids.add(task.data["prepared_by"])
        if self.decided_artifact is not None:
            process = task.process.coerced
            # Who completed the step before this open task (``steps.complete_step``), as
            # the queue reads it; once the task is done the column names its decider.
            if process.preparer_id and task.finished is None:
                ids.add(process.preparer_id)
            artifact = getattr(process, self.decided_artifact)
            preparer_id = getattr(artifact, f"{artifact.preparer_field}_id")
            if preparer_id:
                ids.add(preparer_id)
            if drafters and hasattr(artifact, "drafter_ids"):
                ids |= artifact.drafter_ids()
        return ids

    def is_preparer(self, user, task) -> bool:
        if user.pk in self.preparer_ids(task, drafters=False):
            return True
        return self._drafted(user, task)

    def _drafted(self, user, task) -> bool:
        """Return whether ``user`` drafted the artifact of ``task`` (``lists.drafted_processes``).

        On a list, the open processes of the user's GHTs whose artifact they drafted are
        read once and cached on the user object (as viewflow caches permissions), so the
        page costs the same for 1 row as for 50. One task (its page's guard already found
        its process in scope) or a closed process is asked about alone: one query, the
        artifact's ``drafter_ids`` (the services' own four-eyes read), on the artifact
        read with the process (``process_relations``).
        """
        from .lists import drafted_processes

        model = self.artifact_model()
        if model is None or not hasattr(model, "drafted_by"):
            return False
        process = task.process.coerced
        listed = task.process_id not in user.__dict__.get("_processes_in_scope", ()) and (
            getattr(process, "is_open", False) and process_in_scope(user, task.process)
        )
        if not listed:
            artifact = getattr(process, self.decided_artifact)
            return artifact is not None and user.pk in artifact.drafter_ids()
        cache = user.__dict__.setdefault("_drafted_cache", {})
        if self not in cache:
            cache[self] = set(drafted_processes(user, self).values_list("pk", flat=True))
        return task.process_id in cache[self]

    def _allowed(self, user, task) -> bool:
        return (
            can_see_workflows(user)
            and process_in_scope(user, task.process)
            and not self.is_preparer(user, task)
        )

    def can_assign(self, user, task):
        return super().can_assign(user, task) and self._allowed(user, task)

    def can_execute(self, user, task):
        if user is not None and user.is_authenticated:
            give_owner(task, user)
        return super().can_execute(user, task) and self._allowed(user, task)

    def can_view(self, user, task):
        return can_see_workflows(user) and process_in_scope(user, task.process)

    @property
    def view_path(self):
        """The task page, its checks and its service sharing one step's journal reads."""
        return _with_step_checks(
            path(
                f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
                _task_view(self, self.view, activate=True),
                name="execute",
            )
        )

    @property
    def assign_path(self):
        """Taking the task: its checks share one step's journal reads, as the task page's."""
        if self.assign_view:
            return _with_step_checks(
                path(
                    f"<int:process_pk>/{self.name}/<int:task_pk>/assign/",
                    _task_view(self, self.assign_view, permission=self.can_assign),
                    name="assign",
                )
            )


def _with_step_checks(pattern):
    """Return ``pattern`` whose view runs inside ``one_step_checks``: its POST takes the
    process lock and runs the checks and the step in one transaction, inside the block."""
    if pattern is None:
        return None
    view = pattern.callback

    def checked_view(request, *args, **kwargs):
        with one_step_checks():
            return view(request, *args, **kwargs)

    update_wrapper(checked_view, view)
    return path(str(pattern.pattern), checked_view, name=pattern.name)


class DossierView(ScopedView):
    """A human task on a call dossier: the same scope, four-eyes and journal rules."""

    process_model = DossierProcess
    process_relation = "dossierprocess"


# The captions of a gateway's two branches on the flow chart and in the BPMN export.
BRANCH_CAPTIONS = {"cond_true": gettext_lazy("oui"), "cond_false": gettext_lazy("non")}


class If(flow.If):
    """Viewflow's exclusive gateway, its branches captioned in French (« oui » / « non »)."""

    def _outgoing(self):
        for edge in super()._outgoing():
            yield Edge(
                src=edge.src,
                dst=edge.dst,
                edge_class=edge.edge_class,
                label=BRANCH_CAPTIONS.get(edge.edge_class, edge.label),
            )

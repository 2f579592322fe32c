"""One human step of a flow, run the same way from a task page or from code (the API).

A page reaches a step through viewflow's URL wrappers, which take the process lock and
check ``can_assign`` / ``can_execute``; code has no wrapper (VIEWFLOW_NOTES trap 5), so
``run_task`` and ``run_start`` do both themselves, then ``complete_step`` runs the step's
service exactly as ``ServiceTaskView`` does. The step functions below hold what each
page's ``perform`` did, so the page and the API call one code path.
"""

from collections.abc import Callable
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from calls import services_decisions as dossier_services
from calls import services_funding
from calls.models import GRANTING_OUTCOMES, CommitteeOutcome
from contracts import services

from .models import ContractProcess
from .nodes import give_owner, one_step_checks, read_task
from .selectors import process_in_scope, remember_in_scope

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)
APPROVED, RETURNED = "APPROVED", "RETURNED"
ABANDONED = "ABANDONED"
ON_HOLD = "ON_HOLD"


class StepRefused(PermissionDenied):
    """The user may not take or complete this step; the message says why, in French."""


class StepGone(Exception):
    """The step is no longer open: someone completed or cancelled it meanwhile."""


def open_step(node, **process_lookup) -> Task | None:
    """Return the open task of ``node`` on the process matching ``process_lookup`` (fields
    of the contract process: ``contract=…``, ``delegation=…``), the first if several."""
    # Only which task: ``run_task`` reads it again, with what it needs, under the lock. In
    # raw SQL built once per vendor and lookup: every API step starts here, and the ORM's
    # query building (through viewflow's process) cost more than the statement (issue 17).
    connection = transaction.get_connection()
    names = tuple(sorted(process_lookup))
    key = (connection.vendor, names)
    sql = _OPEN_STEP_SQL.get(key)
    if sql is None:
        sql = _OPEN_STEP_SQL[key] = _open_step_sql(connection, names)
    flow_task = Task._meta.get_field("flow_task").get_prep_value(node)
    values = [getattr(process_lookup[name], "pk", process_lookup[name]) for name in names]
    return next(iter(Task.objects.raw(sql, [flow_task, *OPEN_STATUSES, *values])), None)


_OPEN_STEP_SQL: dict[tuple, str] = {}


def _open_step_sql(connection, names) -> str:
    quote = connection.ops.quote_name
    task, process = Task._meta, ContractProcess._meta
    column = {name: quote(task.get_field(name).column) for name in ("id", "process", "flow_task")}
    column["status"] = quote(task.get_field("status").column)
    lookups = "".join(f" AND cp.{quote(process.get_field(name).column)} = %s" for name in names)
    return (
        f"SELECT t.* FROM {quote(task.db_table)} t "
        f"JOIN {quote(process.db_table)} cp ON cp.{quote(process.pk.column)} = t.{column['process']} "
        f"WHERE t.{column['flow_task']} = %s AND t.{column['status']} IN "
        f"({', '.join(['%s'] * len(OPEN_STATUSES))}){lookups} "
        f"ORDER BY t.{column['id']} LIMIT 1"
    )


def open_dossier_step(node, dossier) -> Task | None:
    """Return the open task of ``node`` on the process of ``dossier``."""
    return (
        Task.objects.filter(
            flow_task=node, status__in=OPEN_STATUSES, process__dossierprocess__dossier=dossier
        )
        .select_related("process", "owner")
        .order_by("pk")
        .first()
    )


def refusal_reason(node, user, task) -> str:
    """Return why ``user`` may not act on ``task``, in the words of the pages."""
    if getattr(node, "is_preparer", None) and node.is_preparer(user, task):
        return _(
            "Contrôle à quatre yeux : vous avez préparé ce que cette étape décide ; "
            "une autre personne doit la faire."
        )
    if task.owner_id is not None and task.owner_id != user.pk:
        return _("Cette étape est prise en charge par quelqu'un d'autre.")
    return _("Votre rôle ou votre périmètre ne permet pas de faire cette étape.")


def complete_step(activation, perform: Callable[[object], None], *, savepoint=True) -> None:
    """Call the step's service in a savepoint, save the process, complete the task.

    A ``BusinessRuleError`` raised by ``perform`` rolls the savepoint back and propagates:
    a page shows its form again in a usable transaction. The service called directly in
    it shares that savepoint (``services.step_savepoint``). Code whose transaction ends
    with the error (``run_task``, ``run_start``) asks for no savepoint.
    """
    with services.step_savepoint(savepoint=savepoint):
        perform(activation.process)
    # Whoever completes a step prepared what the process waits for next: the queue's
    # four-eyes exclusion reads it on the process row (saved with it: no extra query).
    activation.process.preparer_id = activation.task.owner_id
    activation.process.save()
    activation.execute()


def run_task(*, user, task: Task, perform: Callable[[object], None]):
    """Take (if free) and complete ``task`` as ``user`` inside the flow's lock; return the
    activation. Raise ``StepRefused`` (403), ``StepGone`` (409) or ``FlowLockFailed``."""
    node = task.flow_task
    # Every viewflow lock runs its block in ``transaction.atomic()``: no second block.
    # One step's journal reads (who drafted the decision) are shared by the task checks
    # and the service's own check, all under the lock (``nodes.one_step_checks``).
    with node.flow_class.lock(task.process_id), one_step_checks():
        task = read_task(node, task.pk)
        if task.status not in OPEN_STATUSES:
            raise StepGone
        if not process_in_scope(user, task.process):
            raise StepRefused(refusal_reason(node, user, task))
        # In scope: the node's checks below need not read the scope again (as a page's
        # URL guard), and they ask the journal about the preparer once for both.
        remember_in_scope(user, task.process_id)
        give_owner(task, user)
        activation = node.activation_class(task)
        activation.actor = user
        if task.owner_id is None:
            if not node.can_assign(user, task):
                raise StepRefused(refusal_reason(node, user, task))
            activation.assign(user)
        if not node.can_execute(user, task):
            raise StepRefused(refusal_reason(node, user, task))
        activation.start(SimpleNamespace(user=user))
        # An error leaves the lock's transaction, which rolls back whole: no savepoint.
        complete_step(activation, perform, savepoint=False)
    return activation


def run_start(*, user, node, perform: Callable[[object], None]):
    """Start a process at ``node`` as ``user``, as the start page does; return the activation."""
    activation = node.activation_class.create(node, None, None)
    if not node.can_execute(user, activation.task):
        raise StepRefused(_("Votre rôle ne permet pas de lancer ce processus."))
    with transaction.atomic():
        activation.start(SimpleNamespace(user=user))
        complete_step(activation, perform, savepoint=False)
    return activation


def set_contract(process, contract) -> None:
    process.contract = contract
    process.hospital_group_id = contract.hospital_group_id
    process.region_id = contract.region_id


def record_decision(process, *, approved: bool, reason: str) -> None:
    process.decision = APPROVED if approved else RETURNED
    process.decision_reason = reason


# The steps ---------------------------------------------------------------------------------


def submit_contract(process, *, actor, contract, comment: str = "") -> None:
    services.submit_contract(actor=actor, contract=contract, comment=comment)
    set_contract(process, contract)


def resubmit_contract(process, *, actor, comment: str = "") -> None:
    services.submit_contract(actor=actor, contract=process.contract, comment=comment)
    process.decision = ""


def decide_contract(process, *, actor, approved: bool, reason: str) -> None:
    if approved:
        services.approve_contract(actor=actor, contract=process.contract, comment=reason)
    else:
        services.return_contract(actor=actor, contract=process.contract, reason=reason)
    record_decision(process, approved=approved, reason=reason)


def prepare_delegation(process, *, actor, contract, year: int) -> None:
    delegation = services.prepare_credit_delegation(actor=actor, contract=contract, year=year)
    set_contract(process, contract)
    process.year = year
    process.delegation = delegation


def decide_delegation(
    process, *, actor, approved: bool, reason: str, decision_reference="", decision_date=None
) -> None:
    delegation = process.delegation
    contract = process._meta.get_field("contract")
    if contract.is_cached(process) and delegation.contract_id == process.contract_id:
        # Read with the process (``nodes.process_relations``): the service reads it no more.
        delegation.contract = process.contract
    if approved:
        process.delegation = services.approve_credit_delegation(
            actor=actor,
            delegation=delegation,
            decision_reference=decision_reference,
            decision_date=decision_date,
        )
    else:
        process.delegation = services.reject_credit_delegation(
            actor=actor, delegation=process.delegation, reason=reason
        )
    record_decision(process, approved=approved, reason=reason)


def report_milestone(
    process, *, actor, actual_value, comment: str, evidence=None, evidence_description=""
) -> None:
    milestone = services.submit_milestone_progress(
        actor=actor, milestone=process.milestone, actual_value=actual_value, comment=comment
    )
    if evidence:
        services.store_evidence(
            actor=actor, milestone=milestone, upload=evidence, description=evidence_description
        )
    process.decision = ""


def review_milestone(process, *, actor, approved: bool, reason: str) -> None:
    if approved:
        services.validate_milestone(actor=actor, milestone=process.milestone, comment=reason)
    else:
        services.request_milestone_changes(actor=actor, milestone=process.milestone, reason=reason)
    record_decision(process, approved=approved, reason=reason)


def declare_statement(
    process, *, actor, consumed_amount, non_compliant_amount, comment: str
) -> None:
    process.statement = services.submit_consumption_statement(
        actor=actor,
        allocation=process.allocation,
        consumed_amount=consumed_amount,
        non_compliant_amount=non_compliant_amount,
        comment=comment,
    )


def decide_recovery(process, *, actor, approved: bool, reason: str) -> None:
    if approved:
        services.approve_recovery(actor=actor, recovery=process.recovery)
    else:
        services.reject_recovery(actor=actor, recovery=process.recovery, reason=reason)
        process.recovery = None
    record_decision(process, approved=approved, reason=reason)


def draft_amendment(process, *, actor, contract, reason: str, proposal) -> None:
    """Draft an amendment of ``contract`` (a ``services.AmendmentProposal``)."""
    process.amendment = services.draft_amendment(
        actor=actor, contract=contract, reason=reason, proposal=proposal
    )
    set_contract(process, contract)


def decide_amendment(process, *, actor, approved: bool, reason: str) -> None:
    if approved:
        services.approve_amendment(actor=actor, amendment=process.amendment)
    else:
        services.reject_amendment(actor=actor, amendment=process.amendment, reason=reason)
    record_decision(process, approved=approved, reason=reason)


# The dossier steps (calls for applications) -----------------------------------------------


def check_dossier(
    process, *, actor, complete: bool, message: str = "", deadline_date=None, now
) -> None:
    """Declare the dossier complete, or ask the applicant for complements by a deadline."""
    if complete:
        dossier_services.accept_completeness(actor=actor, dossier=process.dossier)
        process.decision = APPROVED
        process.decision_reason = ""
    else:
        process.complement = dossier_services.request_complements(
            actor=actor,
            dossier=process.dossier,
            message=message,
            deadline_date=deadline_date,
            now=now,
        )
        process.decision = RETURNED
        process.decision_reason = message


def record_complements(process, *, actor, now) -> None:
    dossier_services.record_complements(actor=actor, dossier=process.dossier, now=now)
    process.decision = ""


def instruct_dossier(process, *, actor, now, **review) -> None:
    process.review = dossier_services.instruct_dossier(
        actor=actor, dossier=process.dossier, now=now, **review
    )


def decide_dossier(
    process, *, actor, committee, outcome: str, granted_by_action, reasons: str, now
) -> None:
    dossier_services.decide_dossier(
        actor=actor,
        dossier=process.dossier,
        committee=committee,
        outcome=outcome,
        granted_by_action=granted_by_action,
        reasons=reasons,
        now=now,
    )
    if outcome == CommitteeOutcome.ON_HOLD:
        process.decision = ON_HOLD
    else:
        process.decision = APPROVED if outcome in GRANTING_OUTCOMES else RETURNED
    process.decision_reason = reasons


def notify_decision(process, *, actor, today, now):
    return dossier_services.notify_decision(
        actor=actor, dossier=process.dossier, today=today, now=now
    )


def fund_dossier(process, *, actor, contract, axis, code: str, indicators, today, amendment_start):
    """Draft the amendment funding the dossier and open its approval in the amendment flow
    (``amendment_start``: the amendment flow's start node, run as ``actor``)."""
    amendment = services_funding.fund_by_amendment(
        actor=actor,
        dossier=process.dossier,
        contract=contract,
        axis=axis,
        code=code,
        indicators=indicators,
        today=today,
    )

    def open_approval(amendment_process):
        set_contract(amendment_process, contract)
        amendment_process.amendment = amendment

    run_start(user=actor, node=amendment_start, perform=open_approval)
    return amendment


def fund_dossier_by_convention(process, *, actor, indicators, today, approval_start):
    """Draft the dossier's funding convention and submit it for approval in the contract
    approval flow (``approval_start``: its start node, run as ``actor``); a validator, never
    ``actor``, approves it, then its signature is recorded."""
    convention = services_funding.fund_by_convention(
        actor=actor, dossier=process.dossier, indicators=indicators, today=today
    )
    run_start(
        user=actor,
        node=approval_start,
        perform=lambda approval: submit_contract(approval, actor=actor, contract=convention),
    )
    return convention

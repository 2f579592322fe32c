"""« Mes actions »: the landing page, what awaits the user now, late first, one click away.

Two reads (the tasks assigned to the user, the tasks the user may take), each with the
relations its rows show selected, so the page costs the same queries for 1 task as for 50.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from viewflow.workflow.models import Task

from .flows import (
    ALL_FLOWS,
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    DossierCompletenessFlow,
    DossierDecisionFlow,
    MilestoneReviewFlow,
)
from .lists import TASK_RELATIONS, queue_for
from .selectors import can_see_workflows, scoped_tasks

# The most rows one list of the page shows; the counters count the rows read.
MAX_ROWS = 200

HOME_RELATIONS = (
    *TASK_RELATIONS,
    "process__contractprocess__contract__hospital_group",
    "process__dossierprocess__complement",
    "process__dossierprocess__campaign",
)


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    empty: str


DECISIONS = Group("decisions", _("Décisions à prendre"), _("Aucune décision en attente."))
REPORTS = Group("reports", _("Déclarations à déposer"), _("Aucune déclaration attendue de vous."))
SIGNATURES = Group(
    "signatures", _("Signatures à enregistrer"), _("Aucune signature à enregistrer.")
)
CORRECTIONS = Group(
    "corrections", _("Dossiers renvoyés pour correction"), _("Aucun dossier renvoyé.")
)
DOSSIERS = Group(
    "dossiers", _("Dossiers de candidature à traiter"), _("Aucun dossier de candidature.")
)
GROUPS = (DECISIONS, DOSSIERS, REPORTS, SIGNATURES, CORRECTIONS)

NODE_GROUPS = {
    ContractApprovalFlow.approve: DECISIONS,
    ContractApprovalFlow.revise: CORRECTIONS,
    ContractApprovalFlow.sign: SIGNATURES,
    CreditDelegationFlow.approve: DECISIONS,
    CreditDelegationFlow.revise: CORRECTIONS,
    MilestoneReviewFlow.report: REPORTS,
    MilestoneReviewFlow.review: DECISIONS,
    MilestoneReviewFlow.follow_up: DECISIONS,
    ConsumptionClosingFlow.declare: REPORTS,
    ConsumptionClosingFlow.check: DECISIONS,
    ConsumptionClosingFlow.approve_recovery: DECISIONS,
    AmendmentFlow.approve: DECISIONS,
    DossierCompletenessFlow.check: DOSSIERS,
    DossierCompletenessFlow.await_complements: DOSSIERS,
    DossierDecisionFlow.instruct: DOSSIERS,
    DossierDecisionFlow.decide: DECISIONS,
    DossierDecisionFlow.notify: DOSSIERS,
    DossierDecisionFlow.fund: DOSSIERS,
}


@dataclass
class Row:
    task: Task
    group: Group
    action: str
    subject: str
    contract: object
    context_url: str
    context_label: str
    due_date: datetime.date | None
    is_late: bool
    waiting_days: int
    amount: object
    mine: bool
    open_url: str
    assign_url: str


def _with_year(label, year) -> str:
    return f"{label} {year}" if year else str(label)


def _subject(process) -> tuple[str, object]:
    """Return the object's own name and the amount it is about (or ``None``)."""
    if process.milestone_id:
        return process.milestone.title, None
    if process.recovery_id:
        recovery = process.recovery
        return _with_year(_("Récupération de crédits FIR"), process.year), recovery.amount
    if process.statement_id:
        statement = process.statement
        return _with_year(_("État récapitulatif"), process.year), statement.consumed_amount
    if process.delegation_id:
        return _with_year(_("Délégation de crédits FIR"), process.delegation.year), None
    if process.amendment_id:
        return _("Avenant n° %(number)s") % {"number": process.amendment.number}, None
    return process.contract.title, None


def _dossier_row(task, process, user, today) -> Row:
    """Return the row of a dossier task: late when the complements deadline passed."""
    dossier = process.dossier
    node = task.flow_task
    args = [task.process_id, task.pk]
    due_date = process.complement.deadline_date if process.complement_id else None
    amount = dossier.granted_amount
    if amount is None and process.review_id:
        amount = process.review.proposed_amount
    return Row(
        task=task,
        group=NODE_GROUPS.get(node, DOSSIERS),
        action=str(node.task_title or node),
        subject=_("Dossier %(number)s – %(name)s")
        % {"number": dossier.ds_number, "name": dossier.applicant_name},
        contract=None,
        context_url=reverse("calls:dossier_decision", args=[dossier.pk]),
        context_label=process.campaign.title,
        due_date=due_date if node is DossierCompletenessFlow.await_complements else None,
        is_late=bool(
            node is DossierCompletenessFlow.await_complements
            and process.complement_id
            and process.complement.is_overdue(today)
        ),
        waiting_days=(timezone.localdate() - timezone.localtime(task.created).date()).days,
        amount=amount,
        mine=task.owner_id == user.pk,
        open_url=node.reverse("index", args=args),
        assign_url=node.reverse("assign", args=args),
    )


def _row(task, user, today) -> Row:
    dossier_process = task.process._state.fields_cache.get("dossierprocess")
    if dossier_process is not None:
        return _dossier_row(task, dossier_process, user, today)
    process = task.process.contractprocess
    subject, amount = _subject(process)
    due_date = process.milestone.due_date if process.milestone_id else None
    node = task.flow_task
    args = [task.process_id, task.pk]
    return Row(
        task=task,
        group=NODE_GROUPS.get(node, DECISIONS),
        action=str(node.task_title or node),
        subject=subject,
        contract=process.contract,
        context_url=reverse("contracts:contract_detail", args=[process.contract_id]),
        context_label=process.contract.reference,
        due_date=due_date,
        is_late=process.milestone.is_late(today) if process.milestone_id else False,
        waiting_days=(timezone.localdate() - timezone.localtime(task.created).date()).days,
        amount=amount,
        mine=task.owner_id == user.pk,
        open_url=node.reverse("index", args=args),
        assign_url=node.reverse("assign", args=args),
    )


def _order(row: Row):
    # Late first, then the nearest due date, then the oldest waiting.
    return (not row.is_late, row.due_date or datetime.date.max, row.task.created)


def my_actions(user, today=None) -> list[Row]:
    """Return what awaits ``user``: their tasks and the ones they may take, late first."""
    if not can_see_workflows(user):
        return []
    today = today or timezone.localdate()
    assigned = scoped_tasks(user, Task.objects.inbox(ALL_FLOWS, user))
    available = queue_for(user, ALL_FLOWS)
    rows = {}
    for queryset in (assigned, available):
        for task in queryset.select_related(*HOME_RELATIONS).order_by("created")[:MAX_ROWS]:
            rows.setdefault(task.pk, _row(task, user, today))
    return sorted(rows.values(), key=_order)


class MyActionsView(LoginRequiredMixin, TemplateView):
    """The page people land on after logging in."""

    template_name = "workflows/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = my_actions(self.request.user)
        context["rows"] = rows
        context["late_count"] = sum(1 for row in rows if row.is_late)
        groups = [
            {"group": group, "rows": [row for row in rows if row.group is group]}
            for group in GROUPS
        ]
        context["groups"] = [item for item in groups if item["rows"]]
        context["can_see_workflows"] = can_see_workflows(self.request.user)
        return context

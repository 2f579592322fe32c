"""« Mes actions »: the landing page, what awaits the user now, late first, one click away.

The keys of two lists (the tasks assigned to the user, the tasks the user may take), then
their rows at once with the relations they show, so the page costs the same queries for 1
task as for 50.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from viewflow.workflow.models import Task

from calls import selectors as calls_selectors
from calls.models import CampaignState, ComplementRequest, DossierState
from contracts.models import Milestone
from contracts.money import format_euros
from territories.access import Role, user_has_role

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
from .lists import TASK_RELATIONS, inbox_of, queue_for, rows_by_keys
from .selectors import can_see_workflows, scoped_tasks

# The most rows read of each list (the user's tasks, the tasks they may take) to count and
# order them; the counters count the rows read.
MAX_ROWS = 200
# The rows each group shows, most urgent first; the rest is one link away (the inbox and
# the queue): a page of hundreds of actions is read by nobody and costs its rendering.
SHOWN_PER_GROUP = 20

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
    """One action of the page. Its addresses are reversed when shown, not for every row
    read: the page reads up to ``MAX_ROWS`` per list to count and order them, and shows
    ``SHOWN_PER_GROUP`` of each group."""

    task: Task
    group: Group
    action: str
    subject: str
    contract: object
    context_label: str
    due_date: datetime.date | None
    is_late: bool
    waiting_days: int
    amount: object
    mine: bool
    context: tuple[str, int]  # the URL name and the primary key of the row's context page

    @property
    def context_url(self) -> str:
        name, pk = self.context
        return reverse(name, args=[pk])

    @property
    def open_url(self) -> str:
        return self.task.flow_task.reverse("index", args=[self.task.process_id, self.task.pk])

    @property
    def assign_url(self) -> str:
        return self.task.flow_task.reverse("assign", args=[self.task.process_id, self.task.pk])


@dataclass(frozen=True)
class Urgency:
    """What groups and orders one action, read for every action the page counts; its
    ``Row`` is read only when shown."""

    task_pk: int
    group: Group
    due_date: datetime.date | None
    is_late: bool
    created: datetime.datetime


def _urgency(task_pk, node, created, *, dossier, milestone, complement, today) -> Urgency:
    """Return the group, due date and lateness of an action: the milestone's (a contract
    task) or the complements' deadline (a dossier waiting for them), by the models' rules."""
    if dossier:
        waiting = node is DossierCompletenessFlow.await_complements and complement is not None
        return Urgency(
            task_pk,
            NODE_GROUPS.get(node, DOSSIERS),
            complement.deadline_date if waiting else None,
            bool(waiting and complement.is_overdue(today)),
            created,
        )
    return Urgency(
        task_pk,
        NODE_GROUPS.get(node, DECISIONS),
        milestone.due_date if milestone is not None else None,
        milestone.is_late(today) if milestone is not None else False,
        created,
    )


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
    urgency = _urgency(
        task.pk,
        node,
        task.created,
        dossier=True,
        milestone=None,
        complement=process.complement if process.complement_id else None,
        today=today,
    )
    amount = dossier.granted_amount
    if amount is None and process.review_id:
        amount = process.review.proposed_amount
    return Row(
        task=task,
        group=urgency.group,
        action=str(node.task_title or node),
        subject=_("Dossier %(number)s – %(name)s")
        % {"number": dossier.ds_number, "name": dossier.applicant_name},
        contract=None,
        context=("calls:dossier_decision", dossier.pk),
        context_label=process.campaign.title,
        due_date=urgency.due_date,
        is_late=urgency.is_late,
        waiting_days=(timezone.localdate() - timezone.localtime(task.created).date()).days,
        amount=amount,
        mine=task.owner_id == user.pk,
    )


def _row(task, user, today) -> Row:
    dossier_process = task.process._state.fields_cache.get("dossierprocess")
    if dossier_process is not None:
        return _dossier_row(task, dossier_process, user, today)
    process = task.process.contractprocess
    subject, amount = _subject(process)
    node = task.flow_task
    urgency = _urgency(
        task.pk,
        node,
        task.created,
        dossier=False,
        milestone=process.milestone if process.milestone_id else None,
        complement=None,
        today=today,
    )
    return Row(
        task=task,
        group=urgency.group,
        action=str(node.task_title or node),
        subject=subject,
        contract=process.contract,
        context=("contracts:contract_detail", process.contract_id),
        context_label=process.contract.reference,
        due_date=urgency.due_date,
        is_late=urgency.is_late,
        waiting_days=(timezone.localdate() - timezone.localtime(task.created).date()).days,
        amount=amount,
        mine=task.owner_id == user.pk,
    )


def _order(item):
    # Late first, then the nearest due date, then the oldest waiting.
    return (not item.is_late, item.due_date or datetime.date.max, item.created)


# What ``_urgency`` reads of every action (one row each, no model built).
URGENCY_FIELDS = (
    "pk",
    "flow_task",
    "created",
    "process__dossierprocess__pk",
    "process__contractprocess__milestone__due_date",
    "process__contractprocess__milestone__status",
    "process__dossierprocess__complement__deadline_date",
    "process__dossierprocess__complement__answered_at",
)


def my_actions(user, today=None) -> list[Urgency]:
    """Return what awaits ``user`` (their tasks and the ones they may take), late first.

    The keys of each list first (``MAX_ROWS`` each), then what orders them, for all of
    them in one narrow query; the page reads the rows it shows (``shown_rows``).
    """
    if not can_see_workflows(user):
        return []
    today = today or timezone.localdate()
    assigned = scoped_tasks(user, inbox_of(user, ALL_FLOWS))
    available = queue_for(user, ALL_FLOWS)
    keys = []
    for queryset in (assigned, available):
        keys += queryset.order_by("created").values_list("pk", flat=True)[:MAX_ROWS]
    if not keys:
        return []
    actions = []
    for values in Task.objects.filter(pk__in=set(keys)).values(*URGENCY_FIELDS):
        milestone = None
        if values["process__contractprocess__milestone__due_date"] is not None:
            milestone = Milestone(
                due_date=values["process__contractprocess__milestone__due_date"],
                status=values["process__contractprocess__milestone__status"],
            )
        complement = None
        if values["process__dossierprocess__complement__deadline_date"] is not None:
            complement = ComplementRequest(
                deadline_date=values["process__dossierprocess__complement__deadline_date"],
                answered_at=values["process__dossierprocess__complement__answered_at"],
            )
        actions.append(
            _urgency(
                values["pk"],
                values["flow_task"],
                values["created"],
                dossier=values["process__dossierprocess__pk"] is not None,
                milestone=milestone,
                complement=complement,
                today=today,
            )
        )
    return sorted(actions, key=_order)


def shown_rows(user, actions: list[Urgency], today=None) -> dict:
    """Return the rows of the first ``SHOWN_PER_GROUP`` actions of each group, by group
    key, read at once with the relations they show (the same queries for 1 row or 100)."""
    today = today or timezone.localdate()
    shown = {}
    for action in actions:
        keys = shown.setdefault(action.group.key, [])
        if len(keys) < SHOWN_PER_GROUP:
            keys.append(action.task_pk)
    wanted = [key for keys in shown.values() for key in keys]
    tasks = rows_by_keys(Task.objects.select_related(*HOME_RELATIONS), wanted)
    by_key = {task.pk: _row(task, user, today) for task in tasks}
    return {group: [by_key[key] for key in keys if key in by_key] for group, keys in shown.items()}


# The most dossiers the calls' sections list; the rest is one link away.
MAX_CALL_ROWS = 20


@dataclass
class CallRow:
    subject: str
    detail: str
    url: str  # empty when the user cannot open the calls' pages
    is_urgent: bool


@dataclass
class CallSection:
    key: str
    title: str
    rows: list[CallRow]
    more: int = 0
    more_url: str = ""


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "d/m/Y à H:i")


def _first_reason(dossier) -> str:
    """Return the dossier's main reason (inadmissible before incomplete) and how many more."""
    reasons = [
        result.get("message", "")
        for outcome in ("INADMISSIBLE", "INCOMPLETE")
        for result in dossier.check_results
        if result.get("outcome") == outcome
    ]
    if len(reasons) < 2:
        return "".join(reasons)
    more = len(reasons) - 1
    return (
        reasons[0]
        + " "
        + ngettext("(et %(count)d autre motif)", "(et %(count)d autres motifs)", more)
        % {"count": more}
    )


def _campaign_sections(user, now) -> list[CallSection]:
    to_open, closing, to_instruct = [], [], []
    for campaign in calls_selectors.campaigns_to_follow(user, now):
        url = reverse("calls:campaign_detail", args=[campaign.pk])
        if campaign.state == CampaignState.DRAFT:
            to_open.append(
                CallRow(
                    subject=campaign.title,
                    detail=gettext(
                        "ouverture prévue le %(moment)s : à ouvrir pour figer ses paramètres"
                    )
                    % {"moment": _moment(campaign.opens_at)},
                    url=url,
                    is_urgent=campaign.opens_at <= now,
                )
            )
        elif campaign.deadline_at > now:
            closing.append(
                CallRow(
                    subject=campaign.title,
                    detail=ngettext(
                        "date limite le %(moment)s · %(count)d dossier déposé",
                        "date limite le %(moment)s · %(count)d dossiers déposés",
                        campaign.dossier_count,
                    )
                    % {"moment": _moment(campaign.deadline_at), "count": campaign.dossier_count},
                    url=url,
                    is_urgent=False,
                )
            )
        else:
            to_instruct.append(
                CallRow(
                    subject=campaign.title,
                    detail=ngettext(
                        "date limite passée le %(moment)s · %(count)d dossier recevable à "
                        "instruire",
                        "date limite passée le %(moment)s · %(count)d dossiers recevables à "
                        "instruire",
                        campaign.count_admissible,
                    )
                    % {"moment": _moment(campaign.deadline_at), "count": campaign.count_admissible},
                    url=f"{url}?state={DossierState.ADMISSIBLE}",
                    is_urgent=False,
                )
            )
    return [
        CallSection("calls-to-open", gettext("Campagnes à ouvrir"), to_open),
        CallSection("calls-closing", gettext("Campagnes qui ferment bientôt"), closing),
        CallSection("calls-to-instruct", gettext("Campagnes closes à instruire"), to_instruct),
    ]


def _dossiers_section(user) -> CallSection:
    dossiers, total = calls_selectors.dossiers_to_check(user, limit=MAX_CALL_ROWS)
    rows = [
        CallRow(
            subject=f"{gettext('Dossier')} {dossier.ds_number} – {dossier.applicant_name}",
            detail=f"{dossier.get_state_display()} · {dossier.campaign.title} · "
            f"{_first_reason(dossier)}",
            url=reverse("calls:dossier_detail", args=[dossier.pk]),
            is_urgent=dossier.state == DossierState.INADMISSIBLE,
        )
        for dossier in dossiers
    ]
    return CallSection(
        "calls-to-check",
        gettext("Dossiers irrecevables ou incomplets à vérifier"),
        rows,
        more=total - len(rows),
        more_url=reverse("calls:index"),
    )


def _establishments_section(user) -> CallSection:
    rows = []
    for dossier in calls_selectors.establishment_dossiers(user, limit=MAX_CALL_ROWS):
        detail = f"{dossier.get_state_display()} · {dossier.campaign.title}"
        if dossier.state == DossierState.INCOMPLETE:
            detail += " · " + gettext("à compléter sur Démarches simplifiées")
        rows.append(
            CallRow(
                subject=f"{gettext('Dossier')} {dossier.ds_number} – {dossier.applicant_name}",
                detail=detail,
                url="",
                is_urgent=dossier.state != DossierState.ADMISSIBLE,
            )
        )
    return CallSection("calls-establishments", gettext("Candidatures de vos établissements"), rows)


def _breaches_section(user) -> CallSection:
    rows = []
    for award in calls_selectors.breaches_to_decide(user, limit=MAX_ROWS):
        recorder = award.breach_recorded_by
        if award.funding_line_id:
            context = f"{award.funding_line.axis.contract.reference} · {gettext('ligne')} "
            context += award.funding_line.code
        else:
            context = f"{gettext('Dossier')} {award.dossier.ds_number} · "
            context += award.dossier.campaign.title
        rows.append(
            CallRow(
                subject=f"{award.get_kind_display()} – {award.full_name}",
                detail=gettext(
                    "rupture du %(date)s constatée par %(person)s · %(amount)s à reverser · "
                    "%(context)s"
                )
                % {
                    "date": formats.date_format(award.breach_date, "d/m/Y"),
                    "person": recorder.get_full_name() or recorder.get_username(),
                    "amount": format_euros(award.recovery_amount),
                    "context": context,
                },
                url=reverse("calls:award_breach", args=[award.pk]),
                is_urgent=False,
            )
        )
    return CallSection("calls-breaches", gettext("Reversements de CAE à décider"), rows)


def _award_context(award) -> str:
    if award.funding_line_id:
        return (
            f"{award.funding_line.axis.contract.reference} · {gettext('ligne')} "
            f"{award.funding_line.code}"
        )
    return f"{gettext('Dossier')} {award.dossier.ds_number} · {award.dossier.campaign.title}"


def _award_steps_section(user) -> CallSection:
    rows = [
        CallRow(
            subject=f"{award.get_kind_display()} – {award.full_name}",
            detail=gettext("nommé PH le %(date)s · 2nd versement à enregistrer · %(context)s")
            % {
                "date": formats.date_format(award.appointment_date, "d/m/Y"),
                "context": _award_context(award),
            },
            url=reverse("calls:award_detail", args=[award.pk]),
            is_urgent=False,
        )
        for award in calls_selectors.award_steps_due(user, limit=MAX_ROWS)
    ]
    return CallSection("calls-award-steps", gettext("Versements de PECH dus"), rows)


def _award_recoveries_section(user) -> CallSection:
    rows = [
        CallRow(
            subject=f"{award.get_kind_display()} – {award.full_name}",
            detail=gettext("reprise de %(amount)s à valider · %(context)s")
            % {"amount": format_euros(award.waiting_amount), "context": _award_context(award)},
            url=reverse("calls:award_recovery", args=[award.pk]),
            is_urgent=False,
        )
        for award in calls_selectors.award_recoveries_to_decide(user, limit=MAX_ROWS)
    ]
    return CallSection(
        "calls-award-recoveries", gettext("Reprises de reversements CAE à valider"), rows
    )


def call_sections(user, now=None) -> list[CallSection]:
    """Return what the calls for applications ask of ``user`` now, each list scoped in SQL.

    An ARS manager opens the campaigns due to open, follows those closing soon, checks the
    « irrecevable » and « incomplet » dossiers and instructs the campaigns past their
    deadline; a GHT director follows the dossiers of the GHT's establishments; an ARS
    validator decides the repayment of the CAE breaches another person recorded, then the
    recovery of that repayment when another person prepared it; an ARS manager records the
    second PECH instalment once the practitioner is appointed. Auditors have nothing to do
    here.
    """
    now = now or timezone.now()
    sections = []
    if user_has_role(user, Role.ARS_MANAGER) and user.has_perm("calls.view_campaign"):
        sections += [_dossiers_section(user), *_campaign_sections(user, now)]
    if user_has_role(user, Role.GHT_DIRECTOR):
        sections.append(_establishments_section(user))
    sections.append(_breaches_section(user))
    sections.append(_award_recoveries_section(user))
    sections.append(_award_steps_section(user))
    return [section for section in sections if section.rows]


class MyActionsView(LoginRequiredMixin, TemplateView):
    """The page people land on after logging in."""

    template_name = "workflows/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actions = my_actions(self.request.user)
        rows = shown_rows(self.request.user, actions)
        context["rows"] = actions
        context["late_count"] = sum(1 for action in actions if action.is_late)
        groups = []
        for group in GROUPS:
            count = sum(1 for action in actions if action.group is group)
            if count:
                shown = rows.get(group.key, [])
                groups.append(
                    {"group": group, "rows": shown, "count": count, "more": count - len(shown)}
                )
        context["groups"] = groups
        context["can_see_workflows"] = can_see_workflows(self.request.user)
        context["call_sections"] = call_sections(self.request.user)
        context["section_count"] = len(context["groups"]) + len(context["call_sections"])
        return context

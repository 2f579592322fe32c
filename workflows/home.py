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
from calls.models import CampaignState, DossierState
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
        context=("calls:dossier_decision", dossier.pk),
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
    )


def _row(task, user, today) -> Row:
    dossier_process = task.process._state.fields_cache.get("dossierprocess")
    if dossier_process is not None:
        return _dossier_row(task, dossier_process, user, today)
    process = task.process.contractprocess
    subject, amount = _subject(process)
    due_date = process.milestone.due_date if process.milestone_id else None
    node = task.flow_task
    return Row(
        task=task,
        group=NODE_GROUPS.get(node, DECISIONS),
        action=str(node.task_title or node),
        subject=subject,
        contract=process.contract,
        context=("contracts:contract_detail", process.contract_id),
        context_label=process.contract.reference,
        due_date=due_date,
        is_late=process.milestone.is_late(today) if process.milestone_id else False,
        waiting_days=(timezone.localdate() - timezone.localtime(task.created).date()).days,
        amount=amount,
        mine=task.owner_id == user.pk,
    )


def _order(row: Row):
    # Late first, then the nearest due date, then the oldest waiting.
    return (not row.is_late, row.due_date or datetime.date.max, row.task.created)


def my_actions(user, today=None) -> list[Row]:
    """Return what awaits ``user``: their tasks and the ones they may take, late first."""
    if not can_see_workflows(user):
        return []
    today = today or timezone.localdate()
    assigned = scoped_tasks(user, inbox_of(user, ALL_FLOWS))
    available = queue_for(user, ALL_FLOWS)
    # The keys of each list first, then all their rows at once by key (``rows_by_keys``):
    # the relations the rows show are joined to those rows only, not to the country's.
    keys = []
    for queryset in (assigned, available):
        keys += queryset.order_by("created").values_list("pk", flat=True)[:MAX_ROWS]
    tasks = rows_by_keys(Task.objects.select_related(*HOME_RELATIONS), list(dict.fromkeys(keys)))
    rows = [_row(task, user, today) for task in tasks]
    return sorted(rows, key=_order)


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
        rows = my_actions(self.request.user)
        context["rows"] = rows
        context["late_count"] = sum(1 for row in rows if row.is_late)
        groups = []
        for group in GROUPS:
            grouped = [row for row in rows if row.group is group]
            if grouped:
                shown = grouped[:SHOWN_PER_GROUP]
                groups.append(
                    {
                        "group": group,
                        "rows": shown,
                        "count": len(grouped),
                        "more": len(grouped) - len(shown),
                    }
                )
        context["groups"] = groups
        context["can_see_workflows"] = can_see_workflows(self.request.user)
        context["call_sections"] = call_sections(self.request.user)
        context["section_count"] = len(context["groups"]) + len(context["call_sections"])
        return context

"""Reads across relations for the campaign and dossier pages, filtered in SQL by scope."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.journal import AuditEvent
from contracts.models import DecisionStatus, FundingLine
from contracts.money import ZERO, format_euros
from territories.access import (
    AWARD_RECOVERY_PERMISSION,
    visible_hospital_groups,
    visible_regions,
)
from territories.models import HospitalGroupMembership

from .models import (
    AwardInstalment,
    AwardKind,
    AwardRecovery,
    AwardStatus,
    Campaign,
    CampaignState,
    Dossier,
    DossierAction,
    DossierState,
    IndividualAward,
)


def visible_campaigns(user):
    """Return the campaigns of ``user``'s regions with their live dossiers counted by state."""
    live = Q(dossiers__is_deleted=False)
    return (
        Campaign.objects.visible_to(user)
        .select_related("region")
        .annotate(
            dossier_count=Count("dossiers", filter=live),
            requested_total=Sum("dossiers__requested_amount", filter=live),
            **{
                f"count_{state.lower()}": Count("dossiers", filter=live & Q(dossiers__state=state))
                for state in DossierState.values
            },
        )
    )


def campaign_dossiers(campaign):
    """Return the live dossiers of ``campaign``, inadmissible and incomplete first."""
    return (
        Dossier.objects.live()
        .filter(campaign=campaign)
        .select_related("carrier_establishment")
        .annotate(
            action_count=Count("actions"),
            cost_total=Sum("actions__cost_amount"),
            ars_total=Sum("actions__ars_requested_amount"),
        )
        .annotate(
            state_rank=Case(
                When(state=DossierState.INADMISSIBLE, then=Value(0)),
                When(state=DossierState.INCOMPLETE, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("state_rank", "ds_number")
    )


def visible_dossiers(user):
    return Dossier.objects.visible_to(user).select_related("campaign", "campaign__region")


def action_totals(actions) -> dict:
    """Return the totals of a dossier's actions and the ARS share of their cost."""
    cost = sum((a.cost_amount for a in actions), ZERO)
    ars = sum((a.ars_requested_amount for a in actions), ZERO)
    return {
        "cost": cost,
        "ars": ars,
        "establishment": cost - ars,
        "ars_percent": (ars * 100 / cost).quantize(ZERO) if cost else None,
    }


def campaign_amounts(campaign) -> dict:
    """Return what the campaign's live dossiers ask against its envelope.

    ``asked`` is the total cost of their actions and ``ars_asked`` the ARS share of it; the
    remaining envelope leaves out inadmissible dossiers, which will not be funded.
    """
    actions = DossierAction.objects.filter(dossier__campaign=campaign, dossier__is_deleted=False)
    totals = actions.aggregate(
        asked=Sum("cost_amount"),
        ars_asked=Sum("ars_requested_amount"),
        ars_fundable=Sum(
            "ars_requested_amount", filter=~Q(dossier__state=DossierState.INADMISSIBLE)
        ),
    )
    asked = totals["asked"] or ZERO
    ars_asked = totals["ars_asked"] or ZERO
    ars_fundable = totals["ars_fundable"] or ZERO
    return {
        "asked": asked,
        "ars_asked": ars_asked,
        "ars_fundable": ars_fundable,
        "envelope": campaign.envelope_amount,
        "remaining": campaign.envelope_amount - ars_fundable,
    }


@dataclass(frozen=True)
class HistoryChange:
    """One value of a dossier before and after a journaled change, in French."""

    label: str
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    actor: str
    action: str
    summary: str
    reasons: list[str]
    changes: list[HistoryChange]
    # The first read of the dossier: every value is new, only the values read are shown.
    is_first_read: bool = False


# The lists a sync journals besides the dossier's own fields.
HISTORY_LABELS = {
    "actions": gettext_lazy("Actions"),
    "partners": gettext_lazy("Établissements partenaires"),
    "documents": gettext_lazy("Pièces"),
    "state": gettext_lazy("État"),
}
HISTORY_MAX_EVENTS = 200
HISTORY_ACTIONS = {
    "IMPORT": gettext_lazy("Première lecture sur Démarches simplifiées"),
    "CHANGE": gettext_lazy("Modification"),
    "DELETE": gettext_lazy("Suppression sur Démarches simplifiées"),
}
# The order the page lists a change's values in: the verdict first, then as on the page.
HISTORY_ORDER = (
    "state",
    "ds_state",
    "is_deleted",
    "submitted_at",
    "applicant_name",
    "applicant_siret",
    "applicant_finess",
    "project_title",
    "is_mutualised",
    "total_cost_amount",
    "cofunding_amount",
    "requested_amount",
    "planned_start_date",
    "planned_end_date",
    "actions",
    "partners",
    "documents",
)
MONEY_FIELDS = {"total_cost_amount", "cofunding_amount", "requested_amount"}


def _history_label(name: str) -> str:
    if name in HISTORY_LABELS:
        return str(HISTORY_LABELS[name])
    try:
        return capfirst(str(Dossier._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name


def _history_value(name: str, value) -> list[str]:
    """Return a journaled value as the page shows it (labels, euros, French dates)."""
    if value is None or value == "" or value == []:
        return ["—"]
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return [_("Oui") if value else _("Non")]
    try:
        field = Dossier._meta.get_field(name)
    except FieldDoesNotExist:
        return [str(value)]
    if field.choices:
        return [str(dict(field.flatchoices).get(value, value))]
    if name in MONEY_FIELDS:
        return [format_euros(Decimal(value))]
    if isinstance(field, DateTimeField):
        moment = timezone.localtime(datetime.datetime.fromisoformat(value))
        return [formats.date_format(moment, "d/m/Y à H:i:s")]
    if isinstance(field, DateField):
        return [formats.date_format(datetime.date.fromisoformat(value), "d/m/Y")]
    return [str(value)]


def dossier_history(dossier: Dossier) -> list[HistoryEntry]:
    """Return the journal's events about ``dossier``, newest first, readable in French."""
    events = AuditEvent.objects.filter(
        object_type=Dossier._meta.label, object_id=str(dossier.pk)
    ).order_by("-id")[:HISTORY_MAX_EVENTS]
    entries = []
    for event in events:
        changes = [
            HistoryChange(
                label=_history_label(name),
                before=_history_value(name, value.get("before")),
                after=_history_value(name, value.get("after")),
            )
            for name, value in sorted(event.changes.items(), key=_history_order)
            if isinstance(value, dict) and ("before" in value or "after" in value)
        ]
        entries.append(
            HistoryEntry(
                at=event.occurred_at,
                actor=event.actor_name or _("synchronisation Démarches simplifiées"),
                action=str(HISTORY_ACTIONS.get(event.action) or event.get_action_display()),
                summary=event.summary,
                reasons=[line for line in event.reason.splitlines() if line.strip()],
                changes=changes,
                is_first_read=bool(changes) and all(c.before == ["—"] for c in changes),
            )
        )
    return entries


def _history_order(item) -> tuple[int, str]:
    name = item[0]
    return (HISTORY_ORDER.index(name) if name in HISTORY_ORDER else len(HISTORY_ORDER), name)


# « Mes actions » -------------------------------------------------------------------------

# A campaign whose deadline comes within this many days is shown as closing soon.
CLOSING_SOON_DAYS = 14
# A draft campaign due to open within this many days is shown as to be opened.
OPENING_SOON_DAYS = 7
# The campaigns whose dossiers still come from DS or await instruction.
FOLLOWED_STATES = (CampaignState.DRAFT, CampaignState.OPEN, CampaignState.CLOSED)
RECEIVING_STATES = (CampaignState.OPEN, CampaignState.CLOSED)
TO_CHECK_STATES = (DossierState.INADMISSIBLE, DossierState.INCOMPLETE)


def _to_check_order():
    return Case(
        When(state=DossierState.INADMISSIBLE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def campaigns_to_follow(user, now: datetime.datetime):
    """Return the campaigns of ``user``'s regions a manager acts on now, one query.

    A draft due to open within ``OPENING_SOON_DAYS``, an open campaign closing within
    ``CLOSING_SOON_DAYS``, and any campaign past its deadline with dossiers to instruct
    (« recevable » ones, since instruction is still to come).
    """
    return (
        visible_campaigns(user)
        .filter(state__in=FOLLOWED_STATES)
        .filter(
            Q(
                state=CampaignState.DRAFT,
                opens_at__lte=now + datetime.timedelta(days=OPENING_SOON_DAYS),
            )
            | Q(
                state=CampaignState.OPEN,
                deadline_at__gt=now,
                deadline_at__lte=now + datetime.timedelta(days=CLOSING_SOON_DAYS),
            )
            | Q(state__in=RECEIVING_STATES, deadline_at__lte=now, count_admissible__gt=0)
        )
        .order_by("deadline_at", "pk")
    )


def dossiers_to_check(user, *, limit: int):
    """Return the « irrecevable » then « incomplet » dossiers of ``user``'s campaigns.

    The instructor confirms the first and asks for complements on the second; at most
    ``limit`` rows, and their total, in two queries.
    """
    dossiers = (
        Dossier.objects.visible_to(user)
        .live()
        .filter(state__in=TO_CHECK_STATES, campaign__state__in=RECEIVING_STATES)
    )
    rows = list(
        dossiers.select_related("campaign")
        .annotate(check_order=_to_check_order())
        .order_by("check_order", "campaign__deadline_at", "ds_number")[:limit]
    )
    return rows, dossiers.count()


def establishment_dossiers(user, *, limit: int):
    """Return the live dossiers of the establishments of ``user``'s GHTs (carrier or legal
    entity in a GHT membership), « irrecevable » and « incomplet » first."""
    groups = visible_hospital_groups(user).values("pk")
    dossiers = (
        Dossier.objects.live()
        .filter(campaign__state__in=RECEIVING_STATES)
        .filter(
            Q(
                carrier_establishment__in=HospitalGroupMembership.objects.filter(
                    hospital_group__in=groups
                ).values("establishment")
            )
            | Q(
                applicant__in=HospitalGroupMembership.objects.filter(
                    hospital_group__in=groups
                ).values("legal_entity")
            )
        )
    )
    state_order = Case(
        When(state=DossierState.INADMISSIBLE, then=Value(0)),
        When(state=DossierState.INCOMPLETE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        dossiers.select_related("campaign")
        .annotate(state_order=state_order)
        .order_by("state_order", "ds_number")[:limit]
    )


# The frozen figures of a campaign, as the call for applications words them.
PARAMETER_LABELS = {
    "clact_fir_share": gettext_lazy("Part ARS au plus, du coût de chaque action"),
    "clact_max_actions": gettext_lazy("Nombre d'actions au plus par dossier"),
    "clact_consumption_deadline": gettext_lazy("Crédits consommés au plus tard le"),
    "clact_start_within_months": gettext_lazy("Début des actions, en mois après l'octroi"),
    "ipa_cap_per_student": gettext_lazy("Financement au plus, par étudiant"),
    "cae_max_yearly_amount": gettext_lazy("Allocation annuelle au plus"),
    "cae_commitment_multiplier": gettext_lazy("Engagement de servir, en multiple de la durée"),
    "pet_ars_share": gettext_lazy("Part ARS de la prime d'exercice territorial"),
    "astp_ars_share": gettext_lazy("Part ARS du traitement de l'assistant"),
    "pech_ars_share": gettext_lazy("Part ARS de la prime d'engagement"),
}


def frozen_parameters(campaign) -> list[tuple[str, str]]:
    """Return the campaign's frozen figures as (French label, value as shown) pairs."""
    rows = []
    for name, value in (campaign.parameters or {}).items():
        label = str(PARAMETER_LABELS.get(name, name))
        shown = value
        if isinstance(value, str):
            try:
                if name.endswith("_share"):
                    shown = f"{(Decimal(value) * 100).normalize():f} %"
                elif name.endswith(("_amount", "_per_student", "_cost", "_cap")):
                    shown = format_euros(Decimal(value))
                elif name.endswith(("_deadline", "_start")):
                    shown = formats.date_format(datetime.date.fromisoformat(value), "d/m/Y")
            except (ArithmeticError, ValueError):
                shown = value
        rows.append((label, shown))
    return rows


# Individual awards -------------------------------------------------------------------------


def visible_award_lines(user):
    """Return the funding lines of award schemes in ``user``'s regions (scope in SQL)."""
    return FundingLine.objects.filter(
        axis__contract__region__in=visible_regions(user).values("pk"),
        scheme__in=AwardKind.values,
    ).select_related("axis__contract", "beneficiary")


def _with_schedule(awards):
    return awards.select_related("breach_recorded_by", "breach_decided_by").prefetch_related(
        Prefetch("instalments", queryset=AwardInstalment.objects.order_by("number"))
    )


def line_awards(line):
    """Return the awards of ``line`` with their instalments (a fixed number of queries)."""
    return _with_schedule(IndividualAward.objects.filter(funding_line=line))


def dossier_awards(dossier):
    """Return the awards recorded under ``dossier`` with their instalments."""
    return _with_schedule(IndividualAward.objects.filter(dossier=dossier))


def breaches_to_decide(user, *, limit: int) -> list[IndividualAward]:
    """Return the CAE breaches of ``user``'s regions awaiting ``user``'s decision (one query).

    Only for who may decide a repayment (ARS validators), and never the breaches ``user``
    recorded: the preparer never decides (four-eyes). Oldest breach first.
    """
    if not user.has_perm(AWARD_RECOVERY_PERMISSION):
        return []
    return list(
        IndividualAward.objects.visible_to(user)
        .filter(status=AwardStatus.BREACH_RECORDED)
        .exclude(breach_recorded_by=user)
        .select_related("breach_recorded_by", "funding_line__axis__contract", "dossier__campaign")
        .order_by("breach_date", "pk")[:limit]
    )


AWARD_MANAGE_PERMISSION = "calls.change_individualaward"


def award_steps_due(user, *, limit: int) -> list[IndividualAward]:
    """Return the awards of ``user``'s regions whose next step waits for an ARS manager.

    A PECH whose practitioner was appointed as PH: its second instalment is due (seeds/004)
    and the manager records it. Oldest appointment first; one query.
    """
    if not user.has_perm(AWARD_MANAGE_PERMISSION):
        return []
    return list(
        IndividualAward.objects.visible_to(user)
        .filter(kind=AwardKind.PECH, status=AwardStatus.APPOINTED)
        .select_related("funding_line__axis__contract", "dossier__campaign")
        .order_by("appointment_date", "pk")[:limit]
    )


def award_recoveries_to_decide(user, *, limit: int) -> list[IndividualAward]:
    """Return the awards whose repayment's recovery waits for ``user``'s decision (one query).

    For ARS validators, never the recoveries ``user`` prepared (four-eyes).
    """
    if not user.has_perm(AWARD_RECOVERY_PERMISSION):
        return []
    waiting = AwardRecovery.objects.filter(
        award=OuterRef("pk"), recovery__status=DecisionStatus.PREPARED
    )
    return list(
        IndividualAward.objects.visible_to(user)
        .filter(Exists(waiting))
        .exclude(Exists(waiting.filter(recovery__prepared_by=user)))
        .annotate(
            waiting_amount=Subquery(
                waiting.values("award").annotate(total=Sum("recovery__amount")).values("total")[:1]
            )
        )
        .select_related("funding_line__axis__contract")
        .order_by("breach_decided_at", "pk")[:limit]
    )


def awards_by_year(line) -> dict[int, Decimal]:
    """Return ``{year: amount}`` of the instalments of ``line``'s awards (one query).

    An instalment without a date counts in its award's first year
    (``schedules.instalment_year``): the PECH half due at appointment as PH.
    """
    rows = (
        AwardInstalment.objects.filter(award__funding_line=line)
        .annotate(year=ExtractYear(Coalesce("due_date", "award__start_date")))
        .values("year")
        .annotate(total=Sum("amount"))
        .order_by("year")
    )
    return {row["year"]: row["total"] for row in rows}


def award_counts_by_line(contract) -> dict[int, tuple[int, Decimal]]:
    """Return ``{line_id: (number of awards, their total)}`` for ``contract`` (one query)."""
    rows = (
        IndividualAward.objects.filter(funding_line__axis__contract=contract)
        .values("funding_line_id")
        .annotate(count=Count("pk"), total=Sum("total_amount"))
    )
    return {row["funding_line_id"]: (row["count"], row["total"]) for row in rows}


def pending_amendment(contract):
    """Return the amendment of ``contract`` awaiting a validator, if any."""
    return contract.amendments.filter(status=DecisionStatus.PREPARED).first()


# Committee sheet and decisions -------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """One dossier of the committee sheet: score, opinion and amounts."""

    dossier: Dossier
    ds_number: int
    applicant_name: str
    score: int | None
    opinion_label: str
    ars_asked: Decimal
    proposed: Decimal
    granted: Decimal
    outcome_label: str


def committee_sheet(campaign) -> tuple[list[SheetRow], dict]:
    """Return the campaign's instructed dossiers ranked by score, and their totals.

    One query: the review and the decision are joined, the ARS share asked is summed in SQL.
    """
    dossiers = (
        Dossier.objects.live()
        .filter(campaign=campaign, review__isnull=False)
        .select_related("review", "committee_decision")
        .annotate(ars_asked=Sum("actions__ars_requested_amount"))
        .order_by("-review__total_score", "ds_number")
    )
    rows = []
    for dossier in dossiers:
        decision = getattr(dossier, "committee_decision", None)
        rows.append(
            SheetRow(
                dossier=dossier,
                ds_number=dossier.ds_number,
                applicant_name=dossier.applicant_name,
                score=dossier.review.total_score,
                opinion_label=dossier.review.get_opinion_display(),
                ars_asked=dossier.ars_asked or ZERO,
                proposed=dossier.review.proposed_amount,
                granted=decision.granted_amount if decision else ZERO,
                outcome_label=decision.get_outcome_display() if decision else _("À décider"),
            )
        )
    totals = {
        "asked": sum((row.ars_asked for row in rows), ZERO),
        "proposed": sum((row.proposed for row in rows), ZERO),
        "granted": sum((row.granted for row in rows), ZERO),
    }
    return rows, totals


def dossier_decision_facts(dossier) -> dict:
    """Return what the decision page shows: review, decision, letters, DS writes, requests."""
    from .models import CommitteeDecision, DossierReview

    return {
        "review": DossierReview.objects.filter(dossier=dossier)
        .select_related("prepared_by")
        .first(),
        "decision": CommitteeDecision.objects.filter(dossier=dossier)
        .select_related("committee", "decided_by", "instructed_by")
        .first(),
        "letters": list(dossier.letters.select_related("generated_by")),
        "ds_writes": list(dossier.ds_writes.all()),
        "complements": list(dossier.complement_requests.select_related("requested_by")),
        "actions": list(dossier.actions.order_by("rank")),
    }

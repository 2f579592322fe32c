"""Reads across relations for the campaign and dossier pages, filtered in SQL by scope."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils.translation import gettext as _

from contracts.money import ZERO

from .models import Campaign, Dossier, DossierAction, DossierState


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

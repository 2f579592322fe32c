"""Reads across relations for the campaign and dossier pages, filtered in SQL by scope."""

from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear

from contracts.models import DecisionStatus, FundingLine
from contracts.money import ZERO
from territories.access import visible_regions

from .models import (
    AwardInstalment,
    AwardKind,
    Campaign,
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

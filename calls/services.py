"""Use cases that write campaigns: create one, open it (which freezes its figures)."""

import datetime
from dataclasses import fields
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from contracts import schemes
from contracts.models import scheme_parameters_on
from contracts.schemes import SchemeCode
from territories.access import Role, user_has_role, visible_regions
from territories.models import Region

from .models import Campaign, CampaignState, DocumentKind

# The pieces the CLACT 2024 DS form asks for in « Pièces à joindre obligatoirement »
# (seeds/001, §4); the quote of each action is checked action by action.
DEFAULT_REQUIRED_DOCUMENTS = {
    SchemeCode.CLACT: [
        DocumentKind.SIGNED_CONTRACT,
        DocumentKind.CSE_OPINION,
        DocumentKind.DUERP_AND_PREVENTION_PLAN,
        DocumentKind.BANK_DETAILS,
        DocumentKind.FINANCING_SUMMARY,
    ],
    SchemeCode.IPA: [DocumentKind.DOCTORS_COMMITMENT],
    SchemeCode.PET: [DocumentKind.TRIPARTITE_CONVENTION],
}


def can_manage_campaigns(user, region: Region) -> bool:
    """Return whether ``user`` is an ARS manager whose scope includes ``region``."""
    return (
        user.is_authenticated
        and user_has_role(user, Role.ARS_MANAGER)
        and visible_regions(user).filter(pk=region.pk).exists()
    )


def _require_manager(actor, region: Region) -> None:
    if not can_manage_campaigns(actor, region):
        raise PermissionDenied(_("Seul un chargé de mission ARS de la région gère ses campagnes."))


@transaction.atomic
def create_campaign(
    *,
    actor,
    region: Region,
    scheme: str,
    year: int,
    title: str,
    envelope_amount: Decimal,
    opens_at: datetime.datetime,
    deadline_at: datetime.datetime,
    required_documents: list[str] | None = None,
    **calendar,
) -> Campaign:
    """Create a draft campaign of ``region``; ``calendar`` holds its other dates."""
    _require_manager(actor, region)
    if required_documents is None:
        required_documents = [str(kind) for kind in DEFAULT_REQUIRED_DOCUMENTS.get(scheme, [])]
    campaign = Campaign(
        region=region,
        scheme=scheme,
        year=year,
        title=title,
        envelope_amount=envelope_amount,
        opens_at=opens_at,
        deadline_at=deadline_at,
        required_documents=list(required_documents),
        **calendar,
    )
    campaign.full_clean()
    campaign.save()
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=campaign,
        summary=_("Campagne créée : %(title)s") % {"title": title},
        changes={"envelope_amount": str(envelope_amount), "deadline_at": deadline_at.isoformat()},
    )
    return campaign


def frozen_parameters(*, scheme: str, region: Region, on: datetime.date) -> dict[str, object]:
    """Return the figures of ``scheme`` in force in ``region`` on ``on``, as stored text."""
    params = scheme_parameters_on(scheme=scheme, region=region, on=on)
    return {
        f.name: schemes.format_parameter(getattr(params, f.name))
        for f in fields(params)
        if f.metadata.get("scheme") == scheme
    }


@transaction.atomic
def open_campaign(*, actor, campaign: Campaign, now: datetime.datetime) -> Campaign:
    """Open a draft campaign and freeze a copy of its scheme's figures into it.

    From then on its checks read that copy: amending the call is a new campaign (CALLS.md
    3.1), not an edit of the regional parameter sets.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manager(actor, campaign.region)
    if campaign.state != CampaignState.DRAFT:
        raise ValidationError(_("Seule une campagne en préparation peut être ouverte."))
    campaign.parameters = frozen_parameters(
        scheme=campaign.scheme, region=campaign.region, on=timezone.localdate(campaign.opens_at)
    )
    campaign.state = CampaignState.OPEN
    campaign.opened_at = now
    campaign.save(update_fields=["parameters", "state", "opened_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=campaign,
        summary=_("Campagne ouverte : %(title)s") % {"title": campaign.title},
        changes={"state": ["DRAFT", "OPEN"], "parameters": campaign.parameters},
    )
    return campaign

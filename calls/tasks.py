"""The Démarches Simplifiées sync as tasks: one per campaign, queued by the scheduler."""

import os
from functools import partial

from django.conf import settings
from django.utils.translation import gettext as _
from django_tasks import task

from .ds import DEFAULT_ENDPOINT, DsAnswerError, download_file, fetch_demarche
from .intake import sync_answer
from .models import Campaign, CampaignState

# Dossiers keep changing on DS until the decision: complements are asked during instruction.
SYNCED_STATES = (CampaignState.OPEN, CampaignState.CLOSED, CampaignState.IN_REVIEW)


class DsSyncRefused(Exception):
    """The sync found problems (named per dossier and champ) and wrote nothing."""


def fetch_campaign_answer(campaign: Campaign) -> dict:
    """Read from the DS API the campaign's dossiers changed since its last sync.

    The token is read from the environment (``DS_API_TOKEN``), never from the database.
    """
    if not campaign.ds_demarche_number:
        raise DsAnswerError([_("La campagne n'est liée à aucune démarche DS.")])
    token = os.environ.get("DS_API_TOKEN", "")
    if not token:
        raise DsAnswerError([_("Jeton absent : définissez DS_API_TOKEN.")])
    return fetch_demarche(
        number=campaign.ds_demarche_number,
        token=token,
        endpoint=settings.DS_API_URL or DEFAULT_ENDPOINT,
        updated_since=campaign.ds_synced_until,
    )


@task()
def sync_campaign(campaign_id: int) -> dict:
    """Bring the campaign's new and changed DS dossiers in (a wet run, all or nothing)."""
    campaign = Campaign.objects.select_related("region").get(pk=campaign_id)
    report = sync_answer(
        campaign=campaign,
        payload=fetch_campaign_answer(campaign),
        wet_run=True,
        download=partial(download_file, max_bytes=settings.DOCUMENT_MAX_BYTES),
    )
    if report.problems:
        raise DsSyncRefused("\n".join(report.problems))
    return {
        "read": report.read,
        "created": len(report.created),
        "updated": len(report.updated),
        "deleted": len(report.deleted),
    }


def sync_open_campaigns() -> dict:
    """Queue the DS sync of every campaign in progress bound to a démarche (periodic job).

    Nothing is queued without a DS token: the embedded demo has none.
    """
    if not os.environ.get("DS_API_TOKEN"):
        return {"queued": 0, "reason": "DS_API_TOKEN absent"}
    campaigns = Campaign.objects.filter(
        state__in=SYNCED_STATES, ds_demarche_number__isnull=False
    ).values_list("pk", flat=True)
    queued = 0
    for campaign_id in campaigns:
        sync_campaign.enqueue(campaign_id)
        queued += 1
    return {"queued": queued}

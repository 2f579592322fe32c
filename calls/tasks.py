"""The Démarches Simplifiées sync as tasks: one per campaign, queued by the scheduler.

This is the only way every campaign is synced on a schedule; ``manage.py sync_ds`` syncs
one campaign by hand through the same ``calls.intake.sync_from_ds``.
"""

import logging
import os

from django_tasks import task

from .intake import TOKEN_VARIABLE, campaigns_to_sync, sync_from_ds, sync_skip_reason
from .models import Campaign

logger = logging.getLogger(__name__)


class DsSyncRefused(Exception):
    """The sync found problems (named per dossier and champ) and wrote nothing."""


@task()
def sync_campaign(campaign_id: int) -> dict:
    """Bring the campaign's new and changed DS dossiers in (a wet run, all or nothing)."""
    campaign = Campaign.objects.select_related("region").get(pk=campaign_id)
    report = sync_from_ds(campaign=campaign, token=os.environ.get(TOKEN_VARIABLE, ""), wet_run=True)
    if report.problems:
        logger.error(
            "Synchronisation DS de la campagne %s (%s) refusée, rien n'est écrit : %s",
            campaign.pk,
            campaign,
            " | ".join(report.problems),
        )
        raise DsSyncRefused("\n".join(report.problems))
    logger.info(
        "Synchronisation DS de la campagne %s : %d créé(s), %d mis à jour, %d supprimé(s)",
        campaign.pk,
        len(report.created),
        len(report.updated),
        len(report.deleted),
    )
    return {
        "read": report.read,
        "created": len(report.created),
        "updated": len(report.updated),
        "deleted": len(report.deleted),
    }


def sync_open_campaigns() -> dict:
    """Queue the DS sync of every campaign in progress that can be read (periodic job).

    Nothing is queued without a DS token: the embedded demo has none. Each campaign runs in
    its own task, so one refused campaign never holds the others back; a campaign that
    cannot be read (no démarche, no champ mapping) is skipped with its reason logged.
    """
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        logger.warning("Synchronisation DS ignorée : %s absent.", TOKEN_VARIABLE)
        return {"queued": 0, "reason": f"{TOKEN_VARIABLE} absent"}
    queued, skipped = 0, {}
    for campaign in campaigns_to_sync():
        reason = sync_skip_reason(campaign, token=token)
        if reason:
            logger.warning(
                "Synchronisation DS de la campagne %s (%s) ignorée : %s",
                campaign.pk,
                campaign,
                reason,
            )
            skipped[str(campaign.pk)] = reason
            continue
        sync_campaign.enqueue(campaign.pk)
        queued += 1
    return {"queued": queued, "skipped": skipped}

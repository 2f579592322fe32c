"""The Démarches Simplifiées sync as tasks: one per campaign, queued by the scheduler."""

import os

from django_tasks import task

from .intake import TOKEN_VARIABLE, campaigns_to_sync, sync_from_ds, sync_skip_reason
from .models import Campaign


class DsSyncRefused(Exception):
    """The sync found problems (named per dossier and champ) and wrote nothing."""


@task()
def sync_campaign(campaign_id: int) -> dict:
    """Bring the campaign's new and changed DS dossiers in (a wet run, all or nothing)."""
    campaign = Campaign.objects.select_related("region").get(pk=campaign_id)
    report = sync_from_ds(campaign=campaign, token=os.environ.get(TOKEN_VARIABLE, ""), wet_run=True)
    if report.problems:
        raise DsSyncRefused("\n".join(report.problems))
    return {
        "read": report.read,
        "created": len(report.created),
        "updated": len(report.updated),
        "deleted": len(report.deleted),
    }


def sync_open_campaigns() -> dict:
    """Queue the DS sync of every campaign in progress that can be read (periodic job).

    Nothing is queued without a DS token: the embedded demo has none. Each campaign runs in
    its own task, so one refused campaign never holds the others back.
    """
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        return {"queued": 0, "reason": f"{TOKEN_VARIABLE} absent"}
    queued = 0
    for campaign in campaigns_to_sync():
        if not sync_skip_reason(campaign, token=token):
            sync_campaign.enqueue(campaign.pk)
            queued += 1
    return {"queued": queued}

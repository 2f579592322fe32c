"""The demo's call for applications: Grand Est's CLACT 2024, bound to DS démarche 91234.

Its calendar and figures are seeds/001's (deadline 10/05/2024 23:59:59 Paris time, 4 M€,
credits consumed by 31/12/2026); the démarche number and the champ mapping are those of the
invented DS answer ``shared/data/ds_clact_dossiers_sample.json``, so that
``sync_ds --from-file`` on that answer brings its 4 dossiers into the demo.

Idempotent: the campaign is looked up by region, scheme and year; a second run changes nothing.
"""

import datetime
import zoneinfo
from decimal import Decimal

from django.db import transaction

from calls.ds_mappings import CLACT_2024_GRAND_EST
from calls.models import Campaign
from calls.services import create_campaign, open_campaign
from contracts.schemes import SchemeCode
from territories.models import Region

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
CLACT_2024_DEMARCHE = 91234


def _paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@transaction.atomic
def load_clact_2024_campaign(*, actor, region: Region) -> Campaign:
    """Create and open Grand Est's CLACT 2024 campaign, unless it exists already."""
    campaign = Campaign.objects.filter(region=region, scheme=SchemeCode.CLACT, year=2024).first()
    if campaign is not None:
        return campaign
    campaign = create_campaign(
        actor=actor,
        region=region,
        scheme=SchemeCode.CLACT,
        year=2024,
        title="Appel à candidatures CLACT 2024",
        envelope_amount=Decimal("4000000.00"),
        opens_at=_paris(2024, 3, 18, 14, 0),
        deadline_at=_paris(2024, 5, 10, 23, 59, 59),
        instruction_start_date=datetime.date(2024, 5, 14),
        instruction_end_date=datetime.date(2024, 8, 31),
        notification_from_date=datetime.date(2024, 10, 9),
        contracting_from_date=datetime.date(2024, 10, 11),
        consumption_deadline_date=datetime.date(2026, 12, 31),
        ds_demarche_number=CLACT_2024_DEMARCHE,
        ds_champ_mapping=dict(CLACT_2024_GRAND_EST),
    )
    return open_campaign(actor=actor, campaign=campaign, now=_paris(2024, 3, 18, 14, 0))

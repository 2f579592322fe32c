"""Factories of calls: Grand Est's CLACT 2024 campaign with the seeds' calendar and figures."""

import datetime
import zoneinfo
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from calls.models import Campaign, CampaignState, Dossier, DossierAction
from contracts.schemes import SchemeCode
from tests.territories.factories import RegionFactory, siret_number

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def paris(*args) -> datetime.datetime:
    """Return an aware datetime in Paris time."""
    return datetime.datetime(*args, tzinfo=PARIS)


class CampaignFactory(DjangoModelFactory):
    """CLACT 2024 as seeds/001 sets it: deadline 10/05/2024 23:59:59 Paris, 4 M EUR."""

    class Meta:
        model = Campaign

    region = factory.SubFactory(RegionFactory)
    scheme = SchemeCode.CLACT
    year = 2024
    title = "Appel à candidatures CLACT 2024"
    envelope_amount = Decimal("4000000.00")
    opens_at = paris(2024, 3, 18, 14, 0)
    deadline_at = paris(2024, 5, 10, 23, 59, 59)
    instruction_start_date = datetime.date(2024, 5, 14)
    instruction_end_date = datetime.date(2024, 8, 31)
    notification_from_date = datetime.date(2024, 10, 9)
    contracting_from_date = datetime.date(2024, 10, 11)
    consumption_deadline_date = datetime.date(2026, 12, 31)
    required_documents = factory.LazyFunction(
        lambda: [
            "SIGNED_CONTRACT",
            "CSE_OPINION",
            "DUERP_AND_PREVENTION_PLAN",
            "BANK_DETAILS",
            "FINANCING_SUMMARY",
        ]
    )

    class Params:
        opened = factory.Trait(
            state=CampaignState.OPEN,
            opened_at=paris(2024, 3, 18, 14, 0),
            parameters=factory.LazyFunction(
                lambda: {"clact_fir_share": "0.50", "clact_max_actions": "5"}
            ),
        )


class DossierFactory(DjangoModelFactory):
    class Meta:
        model = Dossier

    campaign = factory.SubFactory(CampaignFactory, opened=True)
    ds_number = factory.Sequence(lambda n: 18_000_000 + n)
    ds_state = "en_construction"
    ds_updated_at = paris(2024, 5, 10, 8, 0)
    ds_fingerprint = "0" * 64
    submitted_at = paris(2024, 5, 9, 22, 14, 31)
    applicant_name = factory.Sequence(lambda n: f"Clinique {n}")
    applicant_siret = factory.Sequence(siret_number)
    requested_amount = Decimal("10000.00")


class DossierActionFactory(DjangoModelFactory):
    class Meta:
        model = DossierAction

    dossier = factory.SubFactory(DossierFactory)
    rank = factory.Sequence(lambda n: n % 5 + 1)
    label = "Formation à la prévention des RPS"
    cost_amount = Decimal("9000.00")
    ars_requested_amount = Decimal("4500.00")
    establishment_share_amount = Decimal("4500.00")

"""The database says what it can about campaigns, dossiers and actions."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from calls.models import DossierDocument
from tests.calls.factories import (
    CampaignFactory,
    DossierActionFactory,
    DossierFactory,
    paris,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


class TestCampaignConstraints:
    def test_one_campaign_per_region_scheme_and_year(self):
        campaign = CampaignFactory()
        refused(CampaignFactory, region=campaign.region)

    def test_deadline_follows_the_opening(self):
        refused(CampaignFactory, deadline_at=paris(2024, 3, 1, 0, 0))

    def test_instruction_ends_after_it_starts(self):
        refused(CampaignFactory, instruction_end_date=datetime.date(2024, 5, 1))

    def test_envelope_is_never_negative(self):
        refused(CampaignFactory, envelope_amount=Decimal("-1.00"))

    def test_an_open_campaign_says_when_it_opened(self):
        refused(CampaignFactory, state="OPEN")

    def test_the_deadline_is_kept_in_paris_time(self):
        campaign = CampaignFactory()
        campaign.refresh_from_db()
        assert campaign.deadline_at == paris(2024, 5, 10, 23, 59, 59)
        assert campaign.deadline_at.utcoffset() is not None


class TestDossierConstraints:
    def test_one_live_dossier_per_applicant_and_campaign(self):
        dossier = DossierFactory()
        refused(DossierFactory, campaign=dossier.campaign, applicant_siret=dossier.applicant_siret)

    def test_a_deleted_dossier_frees_the_applicant(self):
        dossier = DossierFactory(is_deleted=True)
        DossierFactory(campaign=dossier.campaign, applicant_siret=dossier.applicant_siret)

    def test_planned_dates_are_ordered(self):
        refused(
            DossierFactory,
            planned_start_date=datetime.date(2025, 1, 1),
            planned_end_date=datetime.date(2024, 1, 1),
        )


class TestActionConstraints:
    def test_ranks_are_unique_in_a_dossier(self):
        action = DossierActionFactory(rank=1)
        refused(DossierActionFactory, dossier=action.dossier, rank=1)

    def test_rank_starts_at_one(self):
        refused(DossierActionFactory, rank=0)

    def test_shares_add_up_to_the_cost(self):
        refused(DossierActionFactory, establishment_share_amount=Decimal("4000.00"))

    def test_amounts_are_never_negative(self):
        refused(
            DossierActionFactory,
            cost_amount=Decimal("-1.00"),
            ars_requested_amount=Decimal("0.00"),
            establishment_share_amount=Decimal("-1.00"),
        )


def test_a_refused_document_says_why():
    dossier = DossierFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DossierDocument.objects.create(
            dossier=dossier, kind="DUERP_AND_PREVENTION_PLAN", filename="x.pdf", status="REFUSED"
        )

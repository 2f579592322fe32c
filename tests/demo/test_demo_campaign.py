"""The demo's CLACT 2024 call reads the shared DS sample (démarche 91234) end to end."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from calls.ds_mappings import CLACT_2024_GRAND_EST
from calls.models import Campaign, CampaignState, Dossier, DossierState
from demo.loader import load_demo

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parents[1] / "calls" / "data" / "ds_clact_dossiers_sample.json"


def sync(*args) -> str:
    out = StringIO()
    call_command("sync_ds", "--from-file", str(SAMPLE), *args, stdout=out)
    return out.getvalue()


class TestDemoCampaign:
    def test_grand_est_clact_2024_is_open_and_bound_to_demarche_91234(self, db):
        campaign = load_demo()["campaign"]
        assert campaign.region.code == "44"
        assert (campaign.scheme, campaign.year) == ("CLACT", 2024)
        assert campaign.state == CampaignState.OPEN
        assert campaign.ds_demarche_number == 91234
        assert campaign.ds_champ_mapping == CLACT_2024_GRAND_EST
        assert campaign.deadline_at.isoformat() == "2024-05-10T21:59:59+00:00"
        assert campaign.parameters["clact_max_actions"] == "5"

    def test_loading_twice_keeps_one_campaign_and_journals_nothing_more(self, db):
        load_demo()
        events = AuditEvent.objects.count()
        load_demo()
        assert Campaign.objects.count() == 1
        assert AuditEvent.objects.count() == events

    def test_sync_of_the_sample_creates_four_dossiers_then_changes_nothing(self, db):
        load_demo()
        dry = sync()
        assert "créés : 4" in dry
        assert not Dossier.objects.exists()
        assert "créés : 4" in sync("--wet-run")
        dossiers = Dossier.objects.filter(campaign__ds_demarche_number=91234)
        assert dossiers.count() == 4
        assert all(d.actions.exists() and d.documents.exists() for d in dossiers)
        assert all(hasattr(d, "profile") for d in dossiers)
        assert dossiers.get(ds_number=18739904).state == DossierState.INADMISSIBLE
        events = AuditEvent.objects.count()
        second = sync("--wet-run")
        assert "inchangés : 4" in second
        assert "créés : 0" in second and "mis à jour : 0" in second
        assert AuditEvent.objects.count() == events

"""Campaign and dossier pages: French, scoped to the user's regions in SQL, constant queries."""

import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from calls.ds_mappings import CLACT_2024_GRAND_EST as CLACT_2024_MAPPING
from calls.intake import sync_answer
from calls.models import Campaign, CampaignState, DossierDocument
from territories.access import Role
from tests.calls.factories import (
    CampaignFactory,
    DossierActionFactory,
    DossierFactory,
    paris,
)
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "ds_clact_dossiers_sample.json"


@pytest.fixture
def region():
    return RegionFactory(code="44", name="Grand Est")


@pytest.fixture
def manager(region):
    return user_with_role(Role.ARS_MANAGER, region=region, username="camille")


@pytest.fixture
def campaign(region):
    return CampaignFactory(
        region=region, opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING
    )


@pytest.fixture
def synced(campaign):
    payload = json.loads(SAMPLE.read_text(encoding="utf-8"))
    report = sync_answer(campaign=campaign, payload=payload, wet_run=True)
    assert not report.problems
    return campaign


def page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


class TestCampaignList:
    def test_shows_the_campaigns_of_the_users_region_with_counts(self, client, manager, synced):
        CampaignFactory(title="Campagne d'une autre région")
        html = page(client, manager, reverse("calls:index"))
        assert "Appel à candidatures CLACT 2024" in html
        assert "autre région" not in html
        assert "ars-page" in html and "table-scroll" in html

    def test_refuses_a_ght_director(self, client, region):
        director = user_with_role(Role.GHT_DIRECTOR, username="sophie")
        page(client, director, reverse("calls:index"), status=403)

    def test_sends_an_anonymous_visitor_to_the_login(self, client):
        assert client.get(reverse("calls:index")).status_code == 302

    def test_costs_the_same_queries_for_one_and_twenty_campaigns(self, client, manager, region):
        client.force_login(manager)
        CampaignFactory(region=region, year=2000)
        with CaptureQueriesContext(connection) as one:
            client.get(reverse("calls:index"))
        for year in range(2001, 2020):
            CampaignFactory(region=region, year=year)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("calls:index"))
        assert len(one) == len(many)


class TestCreateAndOpen:
    def form(self, region, **changes):
        return {
            "region": region.pk,
            "scheme": "CLACT",
            "year": 2024,
            "title": "Appel à candidatures CLACT 2024",
            "envelope_amount": "4000000.00",
            "opens_at": "2024-03-18T14:00",
            "deadline_at": "2024-05-10T23:59:59",
            "instruction_start_date": "2024-05-14",
            "instruction_end_date": "2024-08-31",
            "notification_from_date": "2024-10-09",
            "contracting_from_date": "2024-10-11",
            "consumption_deadline_date": "2026-12-31",
            "ds_demarche_number": "91234",
            "ds_form": "CLACT_2024_GRAND_EST",
            **changes,
        }

    def test_a_manager_creates_then_opens_a_campaign_in_paris_time(self, client, manager, region):
        client.force_login(manager)
        response = client.post(reverse("calls:campaign_add"), self.form(region))
        campaign = Campaign.objects.get()
        assert response.status_code == 302
        assert campaign.deadline_at == paris(2024, 5, 10, 23, 59, 59)
        assert campaign.ds_champ_mapping == CLACT_2024_MAPPING
        assert campaign.state == CampaignState.DRAFT
        assert "Ouvrir la campagne" in page(
            client, manager, reverse("calls:campaign_detail", args=[campaign.pk])
        )
        client.post(reverse("calls:campaign_open", args=[campaign.pk]))
        campaign.refresh_from_db()
        assert campaign.state == CampaignState.OPEN
        assert campaign.parameters["clact_max_actions"] == "5"

    def test_a_deadline_before_the_opening_is_refused_in_french(self, client, manager, region):
        client.force_login(manager)
        response = client.post(
            reverse("calls:campaign_add"), self.form(region, deadline_at="2024-03-01T00:00")
        )
        assert response.status_code == 400
        assert "La date limite doit suivre l&#x27;ouverture." in response.content.decode()
        assert not Campaign.objects.exists()

    def test_a_manager_cannot_create_in_another_region(self, client, manager):
        client.force_login(manager)
        response = client.post(reverse("calls:campaign_add"), self.form(RegionFactory()))
        assert response.status_code == 400
        assert not Campaign.objects.exists()

    def test_a_validator_cannot_create_a_campaign(self, client, region):
        validator = user_with_role(Role.ARS_VALIDATOR, region=region, username="paul")
        page(client, validator, reverse("calls:campaign_add"), status=403)

    def test_a_validator_cannot_open_a_campaign(self, client, region):
        validator = user_with_role(Role.ARS_VALIDATOR, region=region, username="paul")
        draft = CampaignFactory(region=region)
        client.force_login(validator)
        response = client.post(reverse("calls:campaign_open", args=[draft.pk]))
        assert response.status_code == 403
        draft.refresh_from_db()
        assert draft.state == CampaignState.DRAFT


class TestCampaignDetail:
    def test_counts_the_dossiers_per_state_inadmissible_first(self, client, manager, synced):
        html = page(client, manager, reverse("calls:campaign_detail", args=[synced.pk]))
        assert "Irrecevable : 1" in html
        assert "Recevable : 3" in html
        assert html.index("18739904") < html.index("18734521")

    def test_shows_the_frozen_figures_in_french_and_that_filing_is_over(
        self, client, manager, synced
    ):
        html = page(client, manager, reverse("calls:campaign_detail", args=[synced.pk]))
        assert "Part ARS au plus, du coût de chaque action : <strong>50 %</strong>" in html
        assert "Nombre d&#x27;actions au plus par dossier : <strong>5</strong>" in html
        assert "clact_max_actions" not in html
        assert "Dépôts clos depuis le 10/05/2024 à 23:59" in html

    def test_another_regions_campaign_is_not_found(self, client, manager):
        other = CampaignFactory()
        page(client, manager, reverse("calls:campaign_detail", args=[other.pk]), status=404)

    def test_lists_one_or_fifty_dossiers_with_the_same_queries(self, client, manager, campaign):
        client.force_login(manager)
        url = reverse("calls:campaign_detail", args=[campaign.pk])
        DossierActionFactory(dossier=DossierFactory(campaign=campaign))
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        for _ in range(49):
            DossierActionFactory(dossier=DossierFactory(campaign=campaign))
        with CaptureQueriesContext(connection) as fifty:
            html = client.get(url).content.decode()
        assert html.count("/dossiers/") >= 50
        assert len(one) == len(fifty)


class TestDossierDetail:
    def test_shows_the_applicant_actions_with_totals_documents_and_reasons(
        self, client, manager, synced
    ):
        dossier = synced.dossiers.get(ds_number=18739904)
        html = page(client, manager, reverse("calls:dossier_detail", args=[dossier.pk]))
        assert "44198375600012" in html
        assert "6 action(s) pour 5 au plus" in html
        assert "Part ARS au-delà de 50" in html
        assert "part ARS 60,00 %" in html
        assert "devis_tablettes.pdf" in html
        assert "7,10 %" in html  # absenteeism rate of the profile

    def test_shows_the_history_with_the_values_before_and_after_in_french(
        self, client, manager, synced
    ):
        later = json.loads(SAMPLE.read_text(encoding="utf-8"))
        node = later["data"]["demarche"]["dossiers"]["nodes"][2]
        title = next(c for c in node["champs"] if c["label"] == "Intitulé du projet")
        before = title["stringValue"]
        title["stringValue"] = "Nouvel intitulé du projet"
        sync_answer(campaign=synced, payload=later, wet_run=True)
        dossier = synced.dossiers.get(ds_number=node["number"])
        html = page(client, manager, reverse("calls:dossier_detail", args=[dossier.pk]))
        history = html[html.index("Historique") :]
        assert "Intitulé du projet" in history
        assert escape(before) in history
        assert history.index(escape(before)) < history.index("Nouvel intitulé du projet")
        assert "Modification" in history
        assert "synchronisation Démarches simplifiées" in history
        # The first read lists what was filed, in French.
        assert "Recevable" in history and "29/04/2024 à 11:15:40" in history

    def test_costs_the_same_queries_with_one_or_many_history_events(self, client, manager, synced):
        dossier = synced.dossiers.get(ds_number=18736077)
        url = reverse("calls:dossier_detail", args=[dossier.pk])
        client.force_login(manager)
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        later = json.loads(SAMPLE.read_text(encoding="utf-8"))
        node = later["data"]["demarche"]["dossiers"]["nodes"][2]
        title = next(c for c in node["champs"] if c["label"] == "Intitulé du projet")
        for index in range(5):
            title["stringValue"] = f"Intitulé {index}"
            sync_answer(campaign=synced, payload=later, wet_run=True)
        with CaptureQueriesContext(connection) as many:
            html = client.get(url).content.decode()
        assert "Intitulé 4" in html
        assert len(one) == len(many)

    def test_a_dossier_of_another_region_is_not_found(self, client, manager):
        dossier = DossierFactory()
        page(client, manager, reverse("calls:dossier_detail", args=[dossier.pk]), status=404)


class TestDocumentDownload:
    def stored(self, campaign):
        dossier = DossierFactory(campaign=campaign)
        document = DossierDocument(dossier=dossier, kind="BANK_DETAILS", filename="RIB.pdf")
        document.file.save("RIB.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        return document

    def test_a_manager_of_the_region_opens_a_stored_piece(self, client, manager, campaign):
        document = self.stored(campaign)
        client.force_login(manager)
        url = reverse("calls:document_download", args=[document.dossier_id, document.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4\n"
        assert "attachment" in response["Content-Disposition"]
        response.close()

    def test_a_manager_of_another_region_gets_404(self, client, campaign):
        document = self.stored(campaign)
        other = user_with_role(Role.ARS_MANAGER, region=RegionFactory(), username="x")
        url = reverse("calls:document_download", args=[document.dossier_id, document.pk])
        page(client, other, url, status=404)


def money(html: str) -> str:
    return html.replace("\u202f", " ").replace("\xa0", " ")


class TestCampaignDashboard:
    def test_shows_the_amounts_asked_against_the_envelope(self, client, manager, synced):
        from calls.models import DossierAction
        from contracts.money import format_euros

        actions = list(DossierAction.objects.filter(dossier__campaign=synced))
        ars = sum(a.ars_requested_amount for a in actions)
        fundable = sum(a.ars_requested_amount for a in actions if a.dossier.state != "INADMISSIBLE")
        html = money(page(client, manager, reverse("calls:campaign_detail", args=[synced.pk])))
        assert money(format_euros(sum(a.cost_amount for a in actions))) in html
        assert money(format_euros(ars)) in html
        assert money(format_euros(synced.envelope_amount - fundable)) in html
        assert "Reste sur l'enveloppe" in html

    def test_filters_by_state_in_the_url(self, client, manager, synced):
        url = reverse("calls:campaign_detail", args=[synced.pk])
        html = page(client, manager, url + "?state=INADMISSIBLE")
        assert "18739904" in html and "18734521" not in html
        assert 'value="INADMISSIBLE" selected' in html
        assert "export.xlsx?state=INADMISSIBLE" in html

    def test_an_unknown_state_shows_every_dossier(self, client, manager, synced):
        url = reverse("calls:campaign_detail", args=[synced.pk]) + "?state=NOPE"
        html = page(client, manager, url)
        assert "18739904" in html and "18734521" in html


class TestCampaignExport:
    def test_exports_the_filtered_dossiers_as_formula_safe_xlsx_and_journals_it(
        self, client, manager, synced
    ):
        import io

        import openpyxl

        from audit.models import AuditEvent

        synced.dossiers.filter(ds_number=18734521).update(applicant_name="=HYPERLINK(1)")
        client.force_login(manager)
        url = reverse("calls:campaign_export", args=[synced.pk]) + "?state=ADMISSIBLE"
        response = client.get(url)
        assert response.status_code == 200
        assert "spreadsheetml" in response["Content-Type"]
        rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
        assert rows[0][0] == "numero_ds"
        numbers = {row[0] for row in rows[1:]}
        assert numbers == {"18734521", "18736077", "18741236"}
        assert "'=HYPERLINK(1)" in {row[1] for row in rows[1:]}
        event = AuditEvent.objects.get(action="EXPORT")
        assert event.changes["rows"] == 3
        assert event.changes["filters"] == {"state": "ADMISSIBLE"}

    def test_another_regions_campaign_cannot_be_exported(self, client, manager):
        other = CampaignFactory()
        page(client, manager, reverse("calls:campaign_export", args=[other.pk]), status=404)

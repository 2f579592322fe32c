"""« Mes actions »: what the calls for applications ask of each role, scoped in SQL."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from calls.models import CampaignState, DossierState
from territories.access import Role
from tests.calls.factories import CampaignFactory, DossierFactory
from tests.contracts.factories import user_with_role
from tests.territories.factories import (
    EstablishmentFactory,
    HospitalGroupFactory,
    HospitalGroupMembershipFactory,
    RegionFactory,
)
from workflows.home import call_sections

pytestmark = pytest.mark.django_db

LATE = {"code": "DEADLINE", "outcome": "INADMISSIBLE", "message": "Dépôt tardif", "source": "s"}
MISSING = {
    "code": "DOC",
    "outcome": "INCOMPLETE",
    "message": "Pièce manquante : RIB.",
    "source": "s",
}


@pytest.fixture
def region():
    return RegionFactory(code="44", name="Grand Est")


@pytest.fixture
def manager(region):
    return user_with_role(Role.ARS_MANAGER, region=region, username="camille")


@pytest.fixture
def campaign(region):
    """CLACT 2024: its deadline (10/05/2024) has passed, it is still open on DS."""
    return CampaignFactory(region=region, opened=True)


def home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(html, title):
    start = html.index(f">{title} <span")
    return html[start : html.find("</section>", start)]


class TestManager:
    def test_checks_the_inadmissible_then_the_incomplete_dossiers_of_the_region(
        self, client, manager, campaign
    ):
        incomplete = DossierFactory(
            campaign=campaign, state=DossierState.INCOMPLETE, check_results=[MISSING]
        )
        late = DossierFactory(
            campaign=campaign, state=DossierState.INADMISSIBLE, check_results=[LATE, MISSING]
        )
        DossierFactory(campaign=campaign, state=DossierState.ADMISSIBLE)
        elsewhere = DossierFactory(state=DossierState.INADMISSIBLE)
        deleted = DossierFactory(
            campaign=campaign, state=DossierState.INADMISSIBLE, is_deleted=True
        )
        html = section(home(client, manager), "Dossiers irrecevables ou incomplets à vérifier")
        assert html.index(str(late.ds_number)) < html.index(str(incomplete.ds_number))
        assert (
            "Irrecevable · Appel à candidatures CLACT 2024 · Dépôt tardif (et 1 autre motif)"
            in (html)
        )
        assert "Pièce manquante : RIB." in html
        assert reverse("calls:dossier_detail", args=[late.pk]) in html
        assert str(elsewhere.ds_number) not in html
        assert str(deleted.ds_number) not in html
        assert "(2)" in html

    def test_a_campaign_past_its_deadline_has_its_admissible_dossiers_to_instruct(
        self, client, manager, campaign
    ):
        DossierFactory.create_batch(3, campaign=campaign, state=DossierState.ADMISSIBLE)
        html = section(home(client, manager), "Campagnes closes à instruire")
        assert "date limite passée le 10/05/2024 à 23:59 · 3 dossiers recevables à instruire" in (
            html
        )
        assert f"{reverse('calls:campaign_detail', args=[campaign.pk])}?state=ADMISSIBLE" in html

    def test_a_campaign_closing_within_two_weeks_and_a_draft_to_open(self, client, manager, region):
        now = timezone.now()
        closing = CampaignFactory(
            region=region,
            year=2030,
            title="Appel à candidatures IPA 2030",
            opened=True,
            opens_at=now - datetime.timedelta(days=30),
            deadline_at=now + datetime.timedelta(days=5),
            instruction_start_date=None,
            instruction_end_date=None,
        )
        DossierFactory(campaign=closing)
        CampaignFactory(
            region=region,
            year=2031,
            title="Appel à candidatures CAE 2031",
            opens_at=now + datetime.timedelta(days=2),
            deadline_at=now + datetime.timedelta(days=60),
            instruction_start_date=None,
            instruction_end_date=None,
        )
        CampaignFactory(
            region=region,
            year=2032,
            title="Appel lointain",
            opened=True,
            opens_at=now,
            deadline_at=now + datetime.timedelta(days=40),
        )
        html = home(client, manager)
        assert "1 dossier déposé" in section(html, "Campagnes qui ferment bientôt")
        assert "IPA 2030" in section(html, "Campagnes qui ferment bientôt")
        assert "CAE 2031" in section(html, "Campagnes à ouvrir")
        assert "Appel lointain" not in html

    def test_costs_the_same_queries_for_1_and_50_dossiers_and_campaigns(
        self, client, manager, region, campaign
    ):
        def add(count, start):
            for index in range(count):
                other = CampaignFactory(region=region, year=1900 + start + index, opened=True)
                DossierFactory(campaign=other, state=DossierState.ADMISSIBLE)
                DossierFactory(campaign=campaign, state=DossierState.INADMISSIBLE)

        add(1, 0)
        client.force_login(manager)
        client.get("/")
        with CaptureQueriesContext(connection) as one:
            client.get("/")
        add(49, 1)
        with CaptureQueriesContext(connection) as fifty:
            html = client.get("/").content.decode()
        assert len(one) == len(fifty)
        assert "et 30 autres dossiers" in html  # 20 listed of 50
        assert html.count("recevable à instruire") == 50


class TestOtherRoles:
    def test_an_auditor_and_a_validator_have_nothing_to_do_on_the_calls(self, region, campaign):
        DossierFactory(campaign=campaign, state=DossierState.INADMISSIBLE)
        auditor = user_with_role(Role.AUDITOR, national=True, username="a")
        validator = user_with_role(Role.ARS_VALIDATOR, region=region, username="v")
        assert call_sections(auditor) == []
        assert call_sections(validator) == []

    def test_a_manager_of_another_region_sees_nothing(self, campaign):
        DossierFactory(campaign=campaign, state=DossierState.INADMISSIBLE)
        other = user_with_role(Role.ARS_MANAGER, region=RegionFactory(), username="o")
        assert call_sections(other) == []

    def test_a_ght_director_follows_the_dossiers_of_the_ghts_establishments(
        self, client, region, campaign
    ):
        ght = HospitalGroupFactory(region=region)
        member = HospitalGroupMembershipFactory(hospital_group=ght).establishment
        whole = HospitalGroupMembershipFactory(hospital_group=ght, whole_legal_entity=True)
        outsider = EstablishmentFactory()
        incomplete = DossierFactory(
            campaign=campaign, carrier_establishment=member, state=DossierState.INCOMPLETE
        )
        by_entity = DossierFactory(
            campaign=campaign, applicant=whole.legal_entity, state=DossierState.ADMISSIBLE
        )
        other = DossierFactory(campaign=campaign, carrier_establishment=outsider)
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=ght, username="d")
        html = section(home(client, director), "Candidatures de vos établissements")
        assert html.index(str(incomplete.ds_number)) < html.index(str(by_entity.ds_number))
        assert "Incomplet · Appel à candidatures CLACT 2024 · à compléter sur Démarches" in html
        assert str(other.ds_number) not in html
        # The director does not open the ARS's calls pages: no link.
        assert "/calls/" not in html and "href" not in html
        assert escape(incomplete.applicant_name) in html

    def test_a_draft_campaign_is_not_for_the_director(self, region):
        ght = HospitalGroupFactory(region=region)
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=ght, username="d")
        CampaignFactory(region=region, state=CampaignState.DRAFT)
        assert call_sections(director) == []

"""Creating and opening a campaign: only a manager of its region, and opening freezes figures."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from calls import services
from calls.models import CampaignState
from contracts.models import SchemeParameterSet
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.calls.factories import CampaignFactory, paris
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    return RegionFactory(code="44", name="Grand Est")


@pytest.fixture
def manager(region):
    return user_with_role(Role.ARS_MANAGER, region=region, username="camille")


def create(actor, region, **kwargs):
    return services.create_campaign(
        actor=actor,
        region=region,
        scheme=SchemeCode.CLACT,
        year=2024,
        title="Appel à candidatures CLACT 2024",
        envelope_amount=Decimal("4000000.00"),
        opens_at=paris(2024, 3, 18, 14, 0),
        deadline_at=paris(2024, 5, 10, 23, 59, 59),
        **kwargs,
    )


class TestCreateCampaign:
    def test_creates_a_draft_with_the_schemes_required_documents_and_journals_it(
        self, manager, region
    ):
        campaign = create(manager, region, consumption_deadline_date=datetime.date(2026, 12, 31))
        assert campaign.state == CampaignState.DRAFT
        assert "DUERP_AND_PREVENTION_PLAN" in campaign.required_documents
        assert AuditEvent.objects.filter(object_id=str(campaign.pk), action="CREATE").exists()

    def test_refuses_a_manager_of_another_region(self, region):
        other = user_with_role(Role.ARS_MANAGER, region=RegionFactory(), username="x")
        with pytest.raises(PermissionDenied):
            create(other, region)

    def test_refuses_a_validator_of_the_region(self, region):
        validator = user_with_role(Role.ARS_VALIDATOR, region=region, username="v")
        with pytest.raises(PermissionDenied):
            create(validator, region)


class TestOpenCampaign:
    def test_freezes_the_parameters_in_force_at_opening(self, manager, region):
        SchemeParameterSet.objects.create(
            scheme=SchemeCode.CLACT,
            region=region,
            effective_date=datetime.date(2024, 1, 1),
            values={"clact_max_actions": {"value": "4", "source": "avenant régional"}},
        )
        campaign = services.open_campaign(
            actor=manager, campaign=create(manager, region), now=paris(2024, 3, 18, 14, 0)
        )
        assert campaign.state == CampaignState.OPEN
        assert campaign.parameters["clact_max_actions"] == "4"
        assert campaign.parameters["clact_fir_share"] == "0.50"

    def test_later_parameter_sets_do_not_change_an_open_campaign(self, manager, region):
        campaign = services.open_campaign(
            actor=manager, campaign=create(manager, region), now=paris(2024, 3, 18, 14, 0)
        )
        SchemeParameterSet.objects.create(
            scheme=SchemeCode.CLACT,
            region=region,
            effective_date=datetime.date(2024, 1, 1),
            values={"clact_max_actions": {"value": "3", "source": "plus tard"}},
        )
        campaign.refresh_from_db()
        assert campaign.scheme_parameters().clact_max_actions == 5

    def test_refuses_to_open_twice(self, manager, region):
        campaign = CampaignFactory(region=region, opened=True)
        with pytest.raises(ValidationError):
            services.open_campaign(actor=manager, campaign=campaign, now=paris(2024, 3, 19, 0, 0))


def test_an_ipa_campaign_freezes_70_000_euros_per_student_and_a_cae_one_its_deadline(
    manager, region
):
    ipa = services.create_campaign(
        actor=manager,
        region=region,
        scheme=SchemeCode.IPA,
        year=2025,
        title="Appel à candidatures IPA 2025",
        envelope_amount=Decimal("700000.00"),
        opens_at=paris(2025, 6, 2, 9, 0),
        deadline_at=paris(2025, 9, 12, 23, 59, 59),
    )
    ipa = services.open_campaign(actor=manager, campaign=ipa, now=paris(2025, 6, 2, 9, 0))
    assert ipa.parameters["ipa_cap_per_student"] == "70000.00"
    assert ipa.scheme_parameters().ipa_cap_per_student == Decimal("70000")
    assert "DOCTORS_COMMITMENT" in ipa.required_documents
    cae = services.create_campaign(
        actor=manager,
        region=region,
        scheme=SchemeCode.CAE,
        year=2025,
        title="Contrat d'allocation d'études 2025",
        envelope_amount=Decimal("100000.00"),
        opens_at=paris(2025, 6, 2, 9, 0),
        # « vendredi 12 septembre 2025 à minuit »: the end of that Friday, Paris time.
        deadline_at=paris(2025, 9, 12, 23, 59, 59),
        answer_date=datetime.date(2025, 9, 30),
        complements_deadline_date=datetime.date(2025, 10, 17),
    )
    cae.refresh_from_db()
    assert cae.deadline_at.isoformat() == "2025-09-12T21:59:59+00:00"

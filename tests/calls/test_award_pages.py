"""Award pages: ARS staff only, scoped in SQL, constant queries, forms that keep the input."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import awards
from calls.models import AwardInstalment, AwardKind, AwardStatus, IndividualAward
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.calls.factories import CampaignFactory, DossierFactory
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("9000000.00"))


@pytest.fixture
def pet_line(contract):
    axis = StrategicAxisFactory(contract=contract, number=1)
    return FundingLineFactory(
        axis=axis,
        scheme=SchemeCode.PET,
        code="4.2",
        details={"half_days": "1", "months": 1, "distance_km": "35"},
    )


@pytest.fixture
def cae_line(contract):
    axis = StrategicAxisFactory(contract=contract, number=2)
    return FundingLineFactory(
        axis=axis, scheme=SchemeCode.CAE, code="2.2", details={"students": 1, "years": 1}
    )


def add_pet(manager, line, name="Martin", half_days="2"):
    return awards.create_award(
        actor=manager,
        kind=AwardKind.PET,
        funding_line=line,
        identifier="10001234567",
        last_name=name,
        first_name="Léa",
        start_date=datetime.date(2025, 1, 1),
        months=12,
        half_days=Decimal(half_days),
        other_sites=1,
        distance_km=Decimal("35"),
    )


def bulk_awards(line, manager, count, dossier=None):
    """Write ``count`` awards with 12 instalments each directly (arrange, not the service)."""
    for index in range(count):
        award = IndividualAward.objects.create(
            kind=AwardKind.PET,
            region=line.axis.contract.region if line else dossier.campaign.region,
            funding_line=line,
            dossier=dossier,
            identifier=f"1000000{index:04d}",
            last_name=f"Nom{index}",
            first_name="Prénom",
            start_date=datetime.date(2025, 1, 1),
            months=12,
            half_days=Decimal("2"),
            other_sites=1,
            distance_km=Decimal("35"),
            total_amount=Decimal("5400.00"),
            created_by=manager,
        )
        AwardInstalment.objects.bulk_create(
            AwardInstalment(
                award=award,
                number=month,
                label="PET",
                due_date=datetime.date(2025, month, 1),
                amount=Decimal("450.00"),
            )
            for month in range(1, 13)
        )


def get(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


class TestTheLineAwardList:
    def test_shows_each_award_with_its_schedule_and_the_lines_sum(self, client, manager, pet_line):
        add_pet(manager, pet_line, "Martin", "1")
        add_pet(manager, pet_line, "Girard", "5")

        html = get(client, manager, reverse("calls:line_awards", args=[pet_line.pk]))

        assert "MARTIN Léa" in html and "GIRARD Léa" in html
        assert "12 versements de 250,00 € du 01/01/2025 au 01/12/2025" in html
        assert "12 versements de 1\u202f000,00 € du 01/01/2025 au 01/12/2025" in html
        # 12 × 250 + 12 × 1,000, the line's 2025 amount.
        assert html.count("15\u202f000,00 €") >= 2

    def test_shows_the_commitment_of_a_cae(self, client, manager, cae_line):
        awards.create_award(
            actor=manager,
            kind=AwardKind.CAE,
            funding_line=cae_line,
            identifier="ETU-1",
            last_name="Petit",
            first_name="Inès",
            start_date=datetime.date(2025, 9, 1),
            months=24,
            yearly_amount=Decimal("6000.00"),
            commitment_start_date=datetime.date(2027, 9, 1),
        )

        html = get(client, manager, reverse("calls:line_awards", args=[cae_line.pk]))

        assert "48 mois, du 01/09/2027 au 31/08/2031" in html

    def test_answers_404_for_a_line_of_another_region(self, client, manager):
        other = ContractFactory()
        line = FundingLineFactory(axis=StrategicAxisFactory(contract=other), scheme=SchemeCode.PET)

        get(client, manager, reverse("calls:line_awards", args=[line.pk]), status=404)

    @pytest.mark.parametrize("role", ["director", "auditor"])
    def test_is_refused_to_readers_outside_ars_staff(self, client, request, role, pet_line):
        get(
            client,
            request.getfixturevalue(role),
            reverse("calls:line_awards", args=[pet_line.pk]),
            status=403,
        )

    def test_shows_names_to_a_validator_but_no_add_button(
        self, client, manager, validator, pet_line
    ):
        add_pet(manager, pet_line)

        html = get(client, validator, reverse("calls:line_awards", args=[pet_line.pk]))

        assert "MARTIN Léa" in html
        assert "Ajouter une attribution" not in html

    def test_costs_the_same_queries_for_1_and_50_awards(self, client, manager, pet_line):
        client.force_login(manager)
        url = reverse("calls:line_awards", args=[pet_line.pk])
        bulk_awards(pet_line, manager, 1)
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        bulk_awards(pet_line, manager, 49)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(url)

        assert response.content.decode().count("versements de 450,00") == 50
        assert len(one) == len(fifty)


class TestTheDossierAwardList:
    def test_lists_the_awards_of_a_dossier_of_the_users_region(self, client, manager, contract):
        campaign = CampaignFactory(region=contract.region, scheme=SchemeCode.IPA, opened=True)
        dossier = DossierFactory(campaign=campaign)
        awards.create_award(
            actor=manager,
            kind=AwardKind.IPA,
            dossier=dossier,
            identifier="1",
            last_name="Durand",
            first_name="Paul",
            start_date=datetime.date(2025, 9, 1),
            tuition_amount=Decimal("20000.00"),
            replacement_amount=Decimal("50000.00"),
        )

        html = get(client, manager, reverse("calls:dossier_awards", args=[dossier.pk]))

        assert "DURAND Paul" in html and "70\u202f000,00 €" in html

    def test_costs_the_same_queries_for_1_and_50_awards(self, client, manager, contract):
        dossier = DossierFactory(
            campaign=CampaignFactory(region=contract.region, scheme=SchemeCode.PET, opened=True)
        )
        client.force_login(manager)
        url = reverse("calls:dossier_awards", args=[dossier.pk])
        bulk_awards(None, manager, 1, dossier=dossier)
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        bulk_awards(None, manager, 49, dossier=dossier)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(url)

        assert response.content.decode().count("versements de 450,00") == 50
        assert len(one) == len(fifty)

    def test_answers_404_for_a_dossier_of_another_region(self, client, manager):
        dossier = DossierFactory(campaign=CampaignFactory(scheme=SchemeCode.IPA, opened=True))

        get(client, manager, reverse("calls:dossier_awards", args=[dossier.pk]), status=404)


class TestTheAwardForm:
    def test_adds_an_award_and_the_line_follows(self, client, manager, pet_line):
        client.force_login(manager)

        response = client.post(
            reverse("calls:award_add", args=[pet_line.pk]),
            {
                "last_name": "Roux",
                "first_name": "Marc",
                "identifier": "10100000000",
                "start_date": "2025-11-01",
                "months": "2",
                "half_days": "3.5",
                "other_sites": "1",
                "distance_km": "52",
            },
        )

        assert response.status_code == 302
        award = IndividualAward.objects.get()
        assert award.total_amount == Decimal("1400.00")
        assert pet_line.allocations.get(year=2025).allocated_amount == Decimal("1400.00")

    def test_keeps_the_input_and_names_the_field_at_fault(self, client, manager, pet_line):
        client.force_login(manager)

        response = client.post(
            reverse("calls:award_add", args=[pet_line.pk]),
            {
                "last_name": "Roux",
                "first_name": "Marc",
                "identifier": "10100000000",
                "start_date": "2025-11-01",
                "months": "2",
                "half_days": "3.5",
                "other_sites": "1",
                "distance_km": "12",
            },
        )

        html = response.content.decode()
        assert response.status_code == 400
        assert "moins que les 20\u00a0km requis" in html or "moins que les 20 km requis" in html
        assert 'value="Roux"' in html and 'value="12"' in html and 'value="3.5"' in html
        assert not IndividualAward.objects.exists()

    def test_is_refused_to_a_validator(self, client, validator, pet_line):
        get(client, validator, reverse("calls:award_add", args=[pet_line.pk]), status=403)

    def test_edits_an_award_with_its_figures_prefilled(self, client, manager, pet_line):
        award = add_pet(manager, pet_line)
        client.force_login(manager)
        url = reverse("calls:award_change", args=[award.pk])

        assert 'value="Martin"' in client.get(url).content.decode()
        response = client.post(
            url,
            {
                "last_name": "Martin",
                "first_name": "Léa",
                "identifier": "10001234567",
                "start_date": "2025-01-01",
                "months": "12",
                "half_days": "4",
                "other_sites": "2",
                "distance_km": "35",
            },
        )

        assert response.status_code == 302
        award.refresh_from_db()
        assert award.total_amount == Decimal("12000.00")


class TestTheCaeBreachPages:
    @pytest.fixture
    def award(self, manager, cae_line):
        return awards.create_award(
            actor=manager,
            kind=AwardKind.CAE,
            funding_line=cae_line,
            identifier="ETU-1",
            last_name="Blanc",
            first_name="Eva",
            start_date=datetime.date(2025, 9, 1),
            months=12,
            yearly_amount=Decimal("6000.00"),
            commitment_start_date=datetime.date(2026, 9, 1),
        )

    def test_a_manager_records_and_a_validator_decides(self, client, manager, validator, award):
        url = reverse("calls:award_breach", args=[award.pk])
        client.force_login(manager)
        response = client.post(
            url, {"breach_date": "2027-03-01", "served_months": "6", "reason": "Démission"}
        )
        assert response.status_code == 302
        award.refresh_from_db()
        assert award.recovery_amount == Decimal("4500.00")

        assert client.get(url).status_code == 403
        client.force_login(validator)
        html = client.get(url).content.decode()
        assert "4\u202f500,00 €" in html
        assert "6\u202f000,00 € × 18 mois non effectués ÷ 24 mois d'engagement" in html
        response = client.post(url, {"decision": "approve", "reason": ""})

        assert response.status_code == 302
        award.refresh_from_db()
        assert award.status == AwardStatus.BROKEN

    def test_keeps_the_input_when_more_months_are_served_than_committed(
        self, client, manager, award
    ):
        client.force_login(manager)

        response = client.post(
            reverse("calls:award_breach", args=[award.pk]),
            {"breach_date": "2027-03-01", "served_months": "30", "reason": "Démission"},
        )

        html = response.content.decode()
        assert response.status_code == 400
        assert "entre 0 et 24 mois" in html and 'value="30"' in html and "Démission" in html

    def test_a_send_back_needs_a_reason(self, client, manager, validator, award):
        awards.record_cae_breach(
            actor=manager,
            award=award,
            breach_date=datetime.date(2027, 3, 1),
            served_months=6,
            reason="Démission",
        )
        client.force_login(validator)

        response = client.post(
            reverse("calls:award_breach", args=[award.pk]), {"decision": "send_back"}
        )

        assert response.status_code == 400
        assert "Le motif du renvoi est obligatoire" in response.content.decode()


class TestTheContractPage:
    def test_links_each_award_line_to_its_list_for_ars_staff(self, client, manager, pet_line):
        add_pet(manager, pet_line)

        html = get(
            client, manager, reverse("contracts:contract_detail", args=[pet_line.axis.contract_id])
        )

        assert reverse("calls:line_awards", args=[pet_line.pk]) in html
        assert "1 attribution individuelle" in html

    def test_shows_a_ght_director_the_count_without_names_or_link(
        self, client, manager, director, pet_line
    ):
        add_pet(manager, pet_line)

        html = get(
            client, director, reverse("contracts:contract_detail", args=[pet_line.axis.contract_id])
        )

        assert "1 attribution individuelle" in html
        assert reverse("calls:line_awards", args=[pet_line.pk]) not in html
        assert "Martin" not in html and "10001234567" not in html

    def test_costs_the_same_queries_for_1_and_many_award_lines(self, client, manager, contract):
        axis = StrategicAxisFactory(contract=contract, number=3)
        client.force_login(manager)
        url = reverse("contracts:contract_detail", args=[contract.pk])

        def add_line(n):
            line = FundingLineFactory(axis=axis, scheme=SchemeCode.PET, code=f"3.{n}", details={})
            bulk_awards(line, manager, 2)

        add_line(1)
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for n in range(2, 11):
            add_line(n)
        with CaptureQueriesContext(connection) as ten:
            html = client.get(url).content.decode()

        assert html.count("2 attributions individuelles") == 10
        assert len(one) == len(ten)


def test_a_manager_of_the_region_only_sees_awards_of_the_region(manager, pet_line):
    other_manager = user_with_role(Role.ARS_MANAGER, region=ContractFactory().region)
    add_pet(manager, pet_line)

    assert IndividualAward.objects.visible_to(manager).count() == 1
    assert IndividualAward.objects.visible_to(other_manager).count() == 0


def test_the_dossier_page_links_to_its_awards_for_ars_staff(client, manager, contract):
    dossier = DossierFactory(
        campaign=CampaignFactory(region=contract.region, scheme=SchemeCode.IPA, opened=True)
    )

    html = get(client, manager, reverse("calls:dossier_detail", args=[dossier.pk]))

    assert reverse("calls:dossier_awards", args=[dossier.pk]) in html

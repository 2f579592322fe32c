"""« Mes actions »: the CAE breaches a validator of the region decides, never their own."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import awards
from calls.models import AwardKind
from contracts.schemes import SchemeCode
from territories.access import ROLE_GROUP_NAMES, Role
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)
from tests.territories.factories import RegionFactory

pytestmark = pytest.mark.django_db

TITLE = "Reversements de CAE à décider"


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("9000000.00"))


@pytest.fixture
def cae_line(contract):
    axis = StrategicAxisFactory(contract=contract, number=2)
    return FundingLineFactory(
        axis=axis, scheme=SchemeCode.CAE, code="2.2", details={"students": 1, "years": 1}
    )


def breach(manager, line, name="Blanc"):
    """A CAE award whose breach ``manager`` recorded: 4 500 € to repay, awaiting a decision."""
    award = awards.create_award(
        actor=manager,
        kind=AwardKind.CAE,
        funding_line=line,
        identifier=f"ETU-{name}",
        last_name=name,
        first_name="Eva",
        start_date=datetime.date(2025, 9, 1),
        months=12,
        yearly_amount=Decimal("6000.00"),
        commitment_start_date=datetime.date(2026, 9, 1),
    )
    return awards.record_cae_breach(
        actor=manager,
        award=award,
        breach_date=datetime.date(2027, 3, 1),
        served_months=6,
        reason="Démission",
    )


def home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_validator_of_the_region_decides_the_breach_from_mes_actions(
    client, contract, manager, validator, cae_line
):
    award = breach(manager, cae_line)

    html = home(client, validator)

    start = html.index(f">{TITLE} <span")
    section = html[start : html.find("</section>", start)]
    assert "BLANC Eva" in section
    assert "rupture du 01/03/2027" in section
    assert "4\u202f500,00 € à reverser" in section
    assert f"{contract.reference} · ligne 2.2" in section
    assert f'href="{reverse("calls:award_breach", args=[award.pk])}"' in section
    # The page it links to is the decision form.
    assert "approve" in client.get(reverse("calls:award_breach", args=[award.pk])).content.decode()


def test_not_for_who_recorded_it_another_region_a_ght_director_or_an_auditor(
    client, contract, manager, cae_line
):
    # A person who is manager and validator of the region records the breach: four-eyes.
    recorder = user_with_role(Role.ARS_MANAGER, region=contract.region, username="both")
    recorder.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_VALIDATOR]))
    breach(recorder, cae_line)
    elsewhere = user_with_role(Role.ARS_VALIDATOR, region=RegionFactory(), username="v2")
    director = user_with_role(
        Role.GHT_DIRECTOR, hospital_group=contract.hospital_group, username="d"
    )
    auditor = user_with_role(Role.AUDITOR, national=True, username="a")
    colleague = user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="v1")

    for user in (recorder, elsewhere, director, auditor, manager):
        assert TITLE not in home(client, user), user.username
    assert "BLANC Eva" in home(client, colleague)


def test_costs_the_same_queries_for_1_and_5_pending_breaches(client, manager, validator, cae_line):
    breach(manager, cae_line, name="Nom0")
    client.force_login(validator)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for index in range(1, 5):
        breach(manager, cae_line, name=f"Nom{index}")
    with CaptureQueriesContext(connection) as five:
        html = client.get("/").content.decode()

    assert len(one) == len(five)
    assert html.count("à reverser") == 5

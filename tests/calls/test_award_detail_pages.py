"""The award page: its state, one button per allowed step, a confirmed step, the repayment."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import awards
from calls.models import AwardKind, AwardStatus, IndividualAward
from contracts.models import DecisionStatus, YearlyAllocation
from contracts.schemes import SchemeCode
from territories.access import Role
from tests.calls.test_award_pages import add_pet, bulk_awards, get
from tests.calls.test_award_recovery import broken_cae as make_broken_cae
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    StrategicAxisFactory,
    user_with_role,
)
from workflows.home import call_sections

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def contract(db):
    return ContractFactory(envelope_amount=Decimal("9000000.00"))


@pytest.fixture
def axis(contract):
    return StrategicAxisFactory(contract=contract, number=1)


@pytest.fixture
def pech_award(manager, axis):
    line = FundingLineFactory(
        axis=axis, scheme=SchemeCode.PECH, code="4.3", details={"practitioners": 1}
    )
    return awards.create_award(
        actor=manager,
        kind=AwardKind.PECH,
        funding_line=line,
        identifier="10004567890",
        last_name="Bernard",
        first_name="Marc",
        start_date=D(2025, 10, 1),
        locally_scarce=True,
    )


@pytest.fixture
def broken_cae(manager, validator, axis):
    line = FundingLineFactory(
        axis=axis, scheme=SchemeCode.CAE, code="2.2", details={"students": 1, "years": 1}
    )
    return make_broken_cae(manager, validator, line, delegated={2025: "2000.00", 2026: "4000.00"})


class TestTheAwardPage:
    def test_shows_the_state_and_one_button_per_allowed_step(self, client, manager, pech_award):
        html = get(client, manager, reverse("calls:award_detail", args=[pech_award.pk]))

        assert "BERNARD Marc" in html and "10004567890" in html
        assert "Convention signée, 1er versement à effectuer" in html
        for event in ("pay_first", "interrupt"):
            assert reverse("calls:award_step", args=[pech_award.pk, event]) in html
        assert reverse("calls:award_step", args=[pech_award.pk, "appoint"]) not in html
        assert "Enregistrer le 1er versement" in html
        assert "10\u202f000,00 €" in html  # 20,000 € locally scarce, two halves

    def test_a_validator_sees_it_without_step_buttons(self, client, validator, pech_award):
        html = get(client, validator, reverse("calls:award_detail", args=[pech_award.pk]))

        assert "BERNARD Marc" in html
        assert "/step/" not in html

    def test_answers_404_in_another_region(self, client, pech_award):
        other = user_with_role(Role.ARS_MANAGER, region=ContractFactory().region, username="x")
        for name in ("award_detail", "award_recovery"):
            get(client, other, reverse(f"calls:{name}", args=[pech_award.pk]), status=404)
        get(
            client,
            other,
            reverse("calls:award_step", args=[pech_award.pk, "pay_first"]),
            status=404,
        )

    @pytest.mark.parametrize("role", ["director", "auditor"])
    def test_never_shows_names_to_ght_directors_or_auditors(
        self, client, request, role, pech_award
    ):
        user = request.getfixturevalue(role)
        client.force_login(user)
        for url in (
            reverse("calls:award_detail", args=[pech_award.pk]),
            reverse("calls:award_step", args=[pech_award.pk, "pay_first"]),
            reverse("calls:award_recovery", args=[pech_award.pk]),
        ):
            response = client.get(url)
            assert response.status_code in (403, 404)
            body = response.content.decode()
            assert "BERNARD" not in body and "10004567890" not in body


class TestAStep:
    def test_confirms_then_records_and_the_next_step_appears(self, client, manager, pech_award):
        url = reverse("calls:award_step", args=[pech_award.pk, "pay_first"])
        html = get(client, manager, url)
        assert "Date du 1er versement" in html
        assert "1er versement effectué, nomination PH attendue" in html  # what comes next
        assert "Confirmer : Enregistrer le 1er versement" in html

        response = client.post(url, {"date": "2025-10-15"})

        assert response.status_code == 302
        pech_award.refresh_from_db()
        assert pech_award.status == AwardStatus.FIRST_PAID
        html = get(client, manager, reverse("calls:award_detail", args=[pech_award.pk]))
        assert reverse("calls:award_step", args=[pech_award.pk, "appoint"]) in html
        assert "depuis le 15/10/2025" in html

    def test_a_date_too_early_is_refused_next_to_it_and_kept(self, client, manager, pech_award):
        client.force_login(manager)
        url = reverse("calls:award_step", args=[pech_award.pk, "pay_first"])

        response = client.post(url, {"date": "2025-09-30", "reason": "virement n° 42"})

        html = response.content.decode()
        assert response.status_code == 400
        assert "La date ne peut pas précéder le 01/10/2025 pour cette étape." in html
        assert 'value="2025-09-30"' in html and "virement n° 42" in html
        pech_award.refresh_from_db()
        assert pech_award.status == AwardStatus.SIGNED

    def test_an_impossible_step_is_refused(self, client, manager, pech_award):
        client.force_login(manager)
        url = reverse("calls:award_step", args=[pech_award.pk, "pay_second"])

        response = client.post(url, {"date": "2027-01-15"})

        assert response.status_code == 400
        assert "n&#x27;est pas possible pour une attribution au statut" in response.content.decode()
        pech_award.refresh_from_db()
        assert pech_award.status == AwardStatus.SIGNED

    def test_is_refused_to_a_validator(self, client, validator, pech_award):
        client.force_login(validator)
        url = reverse("calls:award_step", args=[pech_award.pk, "pay_first"])
        assert client.post(url, {"date": "2025-10-15"}).status_code == 403


class TestTheRepayment:
    def test_the_award_page_shows_the_recoveries_and_their_decision(
        self, client, manager, validator, broken_cae
    ):
        html = get(client, manager, reverse("calls:award_detail", args=[broken_cae.pk]))
        assert "Reprise des crédits de la ligne" in html
        assert "4\u202f000,00 €" in html and "500,00 €" in html
        assert "La reprise attend la décision d'un validateur" in html
        # The breach's decider prepared it: no decision button for them.
        html = get(client, validator, reverse("calls:award_detail", args=[broken_cae.pk]))
        assert reverse("calls:award_recovery", args=[broken_cae.pk]) not in html

    def test_a_validator_who_did_not_prepare_it_decides(
        self, client, contract, validator, broken_cae
    ):
        url = reverse("calls:award_recovery", args=[broken_cae.pk])
        html = get(client, validator, url)
        assert "Vous avez préparé cette reprise" in html
        assert client.post(url, {"decision": "approve"}).status_code == 400

        other = user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="lucie")
        html = get(client, other, url)
        assert "Reprises à décider : 4\u202f500,00 €" in html
        assert client.post(url, {"decision": "send_back"}).status_code == 400  # reason needed
        assert client.post(url, {"decision": "approve"}).status_code == 302
        assert {r.status for r in awards.award_recoveries(broken_cae)} == {DecisionStatus.APPROVED}

    def test_a_refusal_is_shown_next_to_the_decision_with_a_button_to_retry(
        self, client, manager, validator, axis
    ):
        line = FundingLineFactory(
            axis=axis, scheme=SchemeCode.CAE, code="2.3", details={"students": 1, "years": 1}
        )
        award = make_broken_cae(manager, validator, line)  # nothing delegated yet

        html = get(client, manager, reverse("calls:award_detail", args=[award.pk]))
        assert "La reprise n'a pas pu être préparée" in html
        assert "Préparer la reprise" in html
        assert "4\u202f000,00 € sur 2026, 500,00 € sur 2025" in html

        url = reverse("calls:award_detail", args=[award.pk])
        response = client.post(url)  # still nothing delegated: refused, the reason shown
        assert response.status_code == 400
        assert "dépasse ce que" in response.content.decode()
        for year, amount in {2025: "2000.00", 2026: "4000.00"}.items():
            YearlyAllocation.objects.filter(funding_line=line, year=year).update(
                delegated_amount=Decimal(amount)
            )
        assert client.post(url).status_code == 302
        recoveries = awards.award_recoveries(award)
        assert {(r.allocation.year, r.amount, r.prepared_by) for r in recoveries} == {
            (2026, Decimal("4000.00"), manager),
            (2025, Decimal("500.00"), manager),
        }
        html = get(client, manager, url)
        assert "Préparer la reprise" not in html


class TestMyActions:
    def test_a_validator_other_than_the_preparer_sees_the_recovery_to_decide(
        self, contract, validator, broken_cae
    ):
        other = user_with_role(Role.ARS_VALIDATOR, region=contract.region, username="lucie")
        sections = {s.key: s for s in call_sections(other)}
        rows = sections["calls-award-recoveries"].rows
        assert [r.url for r in rows] == [reverse("calls:award_recovery", args=[broken_cae.pk])]
        assert "reprise de 4\u202f500,00 € à valider" in rows[0].detail
        assert "calls-award-recoveries" not in {s.key for s in call_sections(validator)}

    def test_a_manager_sees_the_pech_second_instalment_due(self, manager, pech_award):
        assert "calls-award-steps" not in {s.key for s in call_sections(manager)}
        awards.advance_award(
            actor=manager, award=pech_award, event="pay_first", date=D(2025, 10, 2)
        )
        awards.advance_award(actor=manager, award=pech_award, event="appoint", date=D(2027, 1, 1))

        rows = {s.key: s for s in call_sections(manager)}["calls-award-steps"].rows
        assert [r.url for r in rows] == [reverse("calls:award_detail", args=[pech_award.pk])]
        assert "nommé PH le 01/01/2027" in rows[0].detail


def test_the_list_shows_the_state_with_constant_queries(client, manager, axis):
    line = FundingLineFactory(
        axis=axis,
        scheme=SchemeCode.PET,
        code="4.2",
        details={"half_days": "1", "months": 1, "distance_km": "35"},
    )
    add_pet(manager, line)
    IndividualAward.objects.filter(funding_line=line).update(status_date=D(2025, 3, 1))
    client.force_login(manager)
    url = reverse("calls:line_awards", args=[line.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        html = client.get(url).content.decode()
    assert "Prime versée chaque mois" in html and "depuis le 01/03/2025" in html
    bulk_awards(line, manager, 30)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("Prime versée chaque mois") == 31
    assert len(one) == len(many)

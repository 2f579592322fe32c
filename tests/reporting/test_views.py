import datetime
import io
from decimal import Decimal

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from contracts.models import Milestone, StrategicAxis
from territories.access import grant_region_scope
from tests.contracts.factories import (
    ContractFactory,
    FundingLineFactory,
    MilestoneFactory,
    StrategicAxisFactory,
)
from tests.territories.factories import UserFactory

from .conftest import add_milestones, contracts_in, move_money, open_review

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 15, 9, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def contract_urls(contract) -> list[str]:
    return [
        reverse(f"progress:{name}", args=[contract.pk])
        for name in ("contract", "contract_pdf", "contract_xlsx")
    ]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


class TestScope:
    def test_a_contract_out_of_scope_is_not_found(self, client, contract, other_contract, director):
        client.force_login(director)
        for url in contract_urls(contract):
            assert client.get(url).status_code == 200, url
        for url in contract_urls(other_contract):
            assert client.get(url).status_code == 404, url

    def test_anonymous_users_are_refused(self, client, contract):
        for url in [*contract_urls(contract), reverse("progress:overview")]:
            assert client.get(url).status_code in (302, 403), url

    def test_a_user_without_the_right_to_read_contracts_is_refused(self, client, contract):
        user = UserFactory()
        grant_region_scope(user=user, region=contract.region)
        client.force_login(user)
        for url in [
            *contract_urls(contract),
            reverse("progress:calendar"),
            reverse("progress:calendar_ics"),
        ]:
            assert client.get(url).status_code == 403, url

    def test_the_calendar_shows_only_the_users_scope(
        self, client, contract, other_contract, director
    ):
        client.force_login(director)
        page = client.get(reverse("progress:calendar")).content.decode()
        assert contract.reference in page
        assert other_contract.reference not in page


class TestOverviewAccess:
    def test_is_refused_to_ght_directors_who_are_sent_to_their_calendar(
        self, client, contract, director
    ):
        client.force_login(director)
        response = client.get(reverse("progress:overview"))
        assert response.status_code == 403
        assert client.get(reverse("progress:index")).url == reverse("progress:calendar")

    def test_is_open_to_managers_validators_and_auditors(
        self, client, contract, other_contract, manager, validator, auditor
    ):
        for user in (manager, validator):
            client.force_login(user)
            response = client.get(reverse("progress:overview"))
            assert response.status_code == 200
            assert [row.contract for row in response.context["rows"]] == [contract]
        client.force_login(auditor)
        response = client.get(reverse("progress:overview"))
        assert {row.contract for row in response.context["rows"]} == {contract, other_contract}
        assert client.get(reverse("progress:index")).url == reverse("progress:overview")


class TestContractPage:
    def test_shows_each_axis_with_its_charts_and_figures_in_french(self, client, contract, manager):
        move_money(contract, year=2025, delegated="30000.00", consumed="12345.67")
        client.force_login(manager)
        page = client.get(reverse("progress:contract", args=[contract.pk])).content.decode()
        for axis in StrategicAxis.objects.filter(contract=contract):
            assert f"Axe {axis.number} – {axis.title}" in page
        assert "12\u202f345,67 €" in page
        assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 5  # timeline + 2 per axis
        assert 'role="img"' in page and "<desc" in page
        assert "en retard" in page and "Consommé / délégué" in page


class TestOverviewPage:
    def test_filters_sort_and_keeps_the_values_in_the_form(self, client, contract, manager):
        second = contracts_in(contract.region, 1)[0]
        move_money(second, year=2025, delegated="30000.00", consumed="30000.00")
        client.force_login(manager)
        response = client.get(
            reverse("progress:overview"),
            {"ght": second.hospital_group_id, "year": "2025", "axis": "1", "sort": "-late"},
        )
        assert [row.contract for row in response.context["rows"]] == [second]
        page = response.content.decode()
        assert 'name="year" value="2025"' in page
        assert 'name="axis" value="1"' in page
        assert f'<option value="{second.hospital_group_id}" selected>' in page
        assert '<option value="-late" selected>' in page
        response = client.get(reverse("progress:overview"), {"sort": "-delegated_rate"})
        assert [row.contract for row in response.context["rows"]] == [second, contract]

    def test_ignores_an_unknown_sort_and_invalid_filters(self, client, contract, manager):
        client.force_login(manager)
        response = client.get(reverse("progress:overview"), {"sort": "secret", "year": "abc"})
        assert response.status_code == 200
        assert [row.contract for row in response.context["rows"]] == [contract]


class TestOverviewPagination:
    def test_costs_the_same_queries_for_one_contract_and_a_full_page(
        self, client, contract, manager
    ):
        client.force_login(manager)
        client.get(reverse("progress:overview"))  # warm the session and permissions
        with CaptureQueriesContext(connection) as one:
            response = client.get(reverse("progress:overview"))
        assert len(response.context["rows"]) == 1
        contracts_in(contract.region, 50)
        with CaptureQueriesContext(connection) as full:
            response = client.get(reverse("progress:overview"))
        assert len(response.context["rows"]) == 50
        assert len(full) == len(one)

    def test_shows_fifty_contracts_a_page_sorted_by_the_database(self, client, contract, manager):
        others = contracts_in(contract.region, 51)
        late_one = others[-1]
        add_milestones(late_one, 3)  # due in 2026, before the frozen clock: late
        client.force_login(manager)
        first = client.get(reverse("progress:overview"))
        second = client.get(reverse("progress:overview"), {"page": "2"})
        references = [row.contract.reference for row in first.context["rows"]] + [
            row.contract.reference for row in second.context["rows"]
        ]
        assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 2
        assert references == sorted(references)
        assert "Page 1 sur 2 (52 contrats)" in first.content.decode()
        assert "Suivants" in first.content.decode()
        by_late = client.get(reverse("progress:overview"), {"sort": "-late"})
        assert by_late.context["rows"][0].contract == late_one
        assert "sort=-late&amp;page=2" in by_late.content.decode()


class TestCalendarExport:
    def test_is_an_icalendar_file_of_the_users_deadlines(self, client, contract, director):
        open_review(Milestone.objects.filter(axis__contract=contract).first())
        client.force_login(director)
        response = client.get(reverse("progress:calendar_ics"))
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        parsed = icalendar.Calendar.from_ical(response.content)
        summaries = [str(event["SUMMARY"]) for event in parsed.walk("VEVENT")]
        assert f"{contract.reference} – Fin du contrat : {contract.title}" in summaries
        assert any("Décision en attente depuis : Déclarer l'avancement" in s for s in summaries)
        assert len(summaries) == 6 + 1 + 1  # six milestones, the end, one decision


class TestReports:
    def test_the_pdf_names_the_contract_and_every_axis_with_page_numbers(
        self, client, contract, manager
    ):
        client.force_login(manager)
        response = client.get(reverse("progress:contract_pdf", args=[contract.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(response.content))
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert f"Suivi du contrat {contract.reference}" in text
        for axis in StrategicAxis.objects.filter(contract=contract):
            assert f"Axe {axis.number} – {axis.title}" in text
        assert f"Page 1 sur {len(reader.pages)}" in text
        assert "90\u00a0000,00 €" in text or "90 000,00 €" in text

    def test_the_xlsx_holds_the_figures_with_neutralised_text(self, client, contract, manager):
        contract = ContractFactory(
            active=True, hospital_group=contract.hospital_group, title="=HYPERLINK(1)"
        )
        axis = StrategicAxisFactory(contract=contract, number=1, title="+axe piégé")
        FundingLineFactory(axis=axis, amounts={2025: Decimal("1000.00")})
        MilestoneFactory(axis=axis, title="@jalon", indicator_unit="-1")
        client.force_login(manager)
        response = client.get(reverse("progress:contract_xlsx", args=[contract.pk]))
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["Synthèse", "Axes et années", "Dispositifs", "Jalons"]
        values = [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row]
        assert "'=HYPERLINK(1)" in values and "'+axe piégé" in values
        assert "'@jalon" in values and "'-1" in values
        assert not any(isinstance(v, str) and v.startswith(("=", "+", "@", "-")) for v in values)
        years = workbook["Axes et années"]
        assert [c.value for c in years[2]][:4] == [1, "'+axe piégé", 2025, 1000]


class TestQueryCounts:
    """Every page costs the same number of queries for 1 row as for 50 (DESIGN.md)."""

    def test_the_contract_pages_for_1_and_50_milestones(self, client, manager, db):
        small = ContractFactory(active=True)
        axis = StrategicAxisFactory(contract=small, number=1)
        FundingLineFactory(axis=axis, amounts={2025: Decimal("1000.00")})
        MilestoneFactory(axis=axis)
        grant_region_scope(user=manager, region=small.region)
        large = ContractFactory(active=True, with_lines=True, hospital_group=small.hospital_group)
        add_milestones(large, 44)
        open_review(Milestone.objects.filter(axis__contract=large).first())
        assert Milestone.objects.filter(axis__contract=large).count() == 50
        client.force_login(manager)
        for small_url, large_url in zip(contract_urls(small), contract_urls(large), strict=True):
            queries(client, small_url)  # warm the session and permission caches
            assert queries(client, small_url) == queries(client, large_url), large_url

    @pytest.mark.parametrize("name", ["overview", "calendar", "calendar_ics", "region_export"])
    def test_the_region_pages_for_1_and_50_contracts(self, client, contract, manager, name):
        client.force_login(manager)
        url = reverse(f"progress:{name}")
        queries(client, url)
        one = queries(client, url)
        others = contracts_in(contract.region, 49)
        for other in others[:5]:
            open_review(Milestone.objects.filter(axis__contract=other).first())
        assert queries(client, url) == one


class TestNationalCalendarWindow:
    """The auditor's calendar is the country's: bounded to three months around today."""

    def test_the_national_calendar_leaves_out_deadlines_far_from_today_and_says_so(
        self, client, contract, manager, auditor
    ):
        axis = StrategicAxis.objects.filter(contract=contract).first()
        near = MilestoneFactory(axis=axis, title="Jalon proche", due_date=datetime.date(2026, 5, 1))
        far = MilestoneFactory(
            axis=axis, title="Jalon lointain", due_date=datetime.date(2027, 1, 1)
        )
        client.force_login(auditor)
        page = client.get(reverse("progress:calendar")).content.decode()
        assert near.title in page
        assert far.title not in page
        assert "Calendrier national : échéances du 13/12/2025 au 15/06/2026" in page
        ics = client.get(reverse("progress:calendar_ics")).content.decode()
        assert near.title in ics and far.title not in ics
        client.force_login(manager)
        page = client.get(reverse("progress:calendar")).content.decode()
        assert near.title in page and far.title in page
        assert "Calendrier national" not in page

    def test_the_national_calendar_costs_the_same_queries_for_1_and_50_contracts(
        self, client, contract, auditor
    ):
        client.force_login(auditor)
        url = reverse("progress:calendar")
        queries(client, url)
        one = queries(client, url)
        for other in contracts_in(contract.region, 49)[:5]:
            open_review(Milestone.objects.filter(axis__contract=other).first())
        assert queries(client, url) == one

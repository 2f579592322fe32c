import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.journal import AuditAction, AuditEvent
from contracts.models import FundingLine, Milestone
from contracts.money import format_euros

from .factories import (
    ContractFactory,
    FundingLineFactory,
    MilestoneFactory,
    hospital_group_with_support,
)

pytestmark = pytest.mark.django_db

D = Decimal


def write_urls(contract) -> list[str]:
    line = FundingLine.objects.filter(axis__contract=contract).first()
    milestone = Milestone.objects.filter(axis__contract=contract).first()
    return [
        reverse("contracts:line_add", args=[contract.pk]),
        reverse("contracts:line_change", args=[contract.pk, line.pk]),
        reverse("contracts:milestone_add", args=[contract.pk]),
        reverse("contracts:milestone_reschedule", args=[contract.pk, milestone.pk]),
        reverse("contracts:import", args=[contract.pk]),
    ]


@pytest.fixture
def other_contract(db):
    """A contract of a GHT in another region."""
    return ContractFactory(with_lines=True, hospital_group=hospital_group_with_support())


class TestScope:
    def test_a_ght_director_lists_only_their_ghts_contracts(
        self, client, contract, other_contract, director
    ):
        client.force_login(director)
        response = client.get(reverse("contracts:index"))
        assert response.status_code == 200
        assert [item.contract for item in response.context["items"]] == [contract]
        assert other_contract.reference not in response.content.decode()

    def test_a_contract_out_of_scope_is_not_found(self, client, contract, other_contract, director):
        client.force_login(director)
        assert (
            client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 200
        )
        for url in [
            reverse("contracts:contract_detail", args=[other_contract.pk]),
            reverse("contracts:export", args=[other_contract.pk, "lines", "csv"]),
            *write_urls(other_contract),
        ]:
            assert client.get(url).status_code == 404, url

    def test_an_out_of_scope_manager_gets_404_before_403(self, client, other_contract, manager):
        client.force_login(manager)
        for url in write_urls(other_contract):
            assert client.post(url, {}).status_code == 404, url

    def test_anonymous_users_are_refused(self, client, contract):
        # The viewflow Site refuses the application to anonymous users before any view;
        # the project's 403 handler sends them to the login page (issue 13), nothing shown.
        url = reverse("contracts:contract_detail", args=[contract.pk])
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
        assert contract.reference not in response.content.decode()


class TestAuditor:
    def test_sees_every_contract(self, client, contract, other_contract, auditor):
        client.force_login(auditor)
        response = client.get(reverse("contracts:index"))
        assert {item.contract for item in response.context["items"]} == {contract, other_contract}
        detail = client.get(reverse("contracts:contract_detail", args=[other_contract.pk]))
        assert detail.status_code == 200
        assert (
            reverse("contracts:line_add", args=[other_contract.pk]) not in detail.content.decode()
        )

    @pytest.mark.parametrize("role", ["auditor", "director", "validator"])
    def test_every_write_is_forbidden_to_roles_without_change_permission(
        self, client, contract, role, request
    ):
        user = request.getfixturevalue(role)
        client.force_login(user)
        events = AuditEvent.objects.count()
        for url in write_urls(contract):
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"label": "x"}).status_code == 403, url
        assert AuditEvent.objects.count() == events

    def test_exports_and_the_export_is_journaled(self, client, contract, auditor):
        client.force_login(auditor)
        response = client.get(reverse("contracts:export", args=[contract.pk, "lines", "xlsx"]))
        assert response.status_code == 200
        event = AuditEvent.objects.last()
        assert (event.action, event.actor_id, event.contract_id) == (
            AuditAction.EXPORT,
            auditor.pk,
            contract.pk,
        )


class TestLineForm:
    def post_line(self, client, contract, **overrides):
        data = {
            "axis": contract.axes.get(number=1).pk,
            "code": "3.9",
            "scheme": "IPA",
            "label": "Formation IPA – promotion 2025",
            "beneficiary": contract.carrier_establishment.pk,
            "detail_students": "1",
            "amount_2025": "80 000,00",
            "amount_2026": "",
            "amount_2027": "",
        }
        data.update(overrides)
        url = reverse("contracts:line_add", args=[contract.pk]) + "?scheme=IPA"
        return client.post(url, data)

    def test_shows_the_rule_broken_and_keeps_what_was_typed(self, client, contract, manager):
        client.force_login(manager)
        lines, events = FundingLine.objects.count(), AuditEvent.objects.count()
        response = self.post_line(client, contract)
        assert response.status_code == 400
        html = response.content.decode()
        assert format_euros(D("70000")).replace("\u202f", "&#8239;") in html or (
            format_euros(D("70000")) in html
        )
        assert "plafond" in html
        assert 'value="Formation IPA – promotion 2025"' in html
        assert 'value="80 000,00"' in html
        assert 'value="3.9"' in html
        # The rule's message stands next to the detail it is about, not only at the top.
        assert "plafond" in response.context["form"].errors["detail_students"][0]
        assert (FundingLine.objects.count(), AuditEvent.objects.count()) == (lines, events)

    def test_a_missing_detail_is_refused_on_its_field(self, client, contract, manager):
        client.force_login(manager)
        response = self.post_line(client, contract, detail_students="", amount_2025="1000")
        assert response.status_code == 400
        assert "obligatoire" in response.context["form"].errors["detail_students"][0]
        assert not FundingLine.objects.filter(code="3.9").exists()

    def test_has_one_field_per_detail_of_the_scheme_and_no_json_box(
        self, client, contract, manager
    ):
        client.force_login(manager)
        url = reverse("contracts:line_add", args=[contract.pk])
        html = client.get(url + "?scheme=PET").content.decode()
        for key in ("half_days", "months", "distance_km"):
            assert f'name="detail_{key}"' in html
        assert 'name="details"' not in html
        assert "Paramètres du dispositif PET" in html
        assert '<strong aria-current="true">Prime d' in html
        assert 'name="detail_students"' not in client.get(url + "?scheme=OTHER").content.decode()

    def test_refuses_a_non_decimal_amount_on_the_field(self, client, contract, manager):
        client.force_login(manager)
        response = self.post_line(client, contract, amount_2025="douze mille")
        assert response.status_code == 400
        assert "douze mille" in response.context["form"].errors["amount_2025"][0]

    def test_adds_the_line_through_the_service(self, client, contract, manager):
        client.force_login(manager)
        events = AuditEvent.objects.count()
        response = self.post_line(client, contract, amount_2025="12 000,50")
        assert response.status_code == 302
        line = FundingLine.objects.get(code="3.9")
        assert line.allocations.get().allocated_amount == D("12000.50")
        assert AuditEvent.objects.count() == events + 1

    def test_changes_the_line_amounts(self, client, contract, manager):
        client.force_login(manager)
        line = FundingLine.objects.filter(axis__contract=contract).first()
        url = reverse("contracts:line_change", args=[contract.pk, line.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {
                "label": line.label,
                "beneficiary": line.beneficiary_id,
                "amount_2025": "25000",
                "amount_2026": "30000.00",
                "amount_2027": "30 000",
            },
        )
        assert response.status_code == 302, response.content.decode()
        assert line.allocations.get(year=2025).allocated_amount == D("25000.00")

    def test_refuses_a_signed_contract(self, client, manager):
        contract = ContractFactory(
            with_lines=True, signed=True, hospital_group=manager_scope(manager)
        )
        client.force_login(manager)
        response = self.post_line(client, contract, amount_2025="1000")
        assert response.status_code == 400
        assert "avenant" in response.content.decode()


class TestMilestoneForm:
    def test_adds_a_milestone_and_keeps_input_when_out_of_period(self, client, contract, manager):
        client.force_login(manager)
        url = reverse("contracts:milestone_add", args=[contract.pk])
        data = {
            "axis": contract.axes.get(number=2).pk,
            "title": "Jalon hors période",
            "due_date": "2031-01-31",
            "indicator_label": "Postes pourvus",
            "indicator_unit": "postes",
            "baseline_value": "0",
            "target_value": "12",
        }
        response = client.post(url, data)
        assert response.status_code == 400
        assert "période du contrat" in response.content.decode()
        assert 'value="Jalon hors période"' in response.content.decode()
        data["due_date"] = "2026-02-28"
        assert client.post(url, data).status_code == 302
        assert Milestone.objects.get(title="Jalon hors période").due_date == datetime.date(
            2026, 2, 28
        )


PAGES = ["list", "detail_lines", "detail_milestones"]


def grow(page: str, contract, count: int) -> None:
    """Add rows to the page under test until it shows ``count`` of them."""
    if page == "list":
        for _ in range(count - 1):
            ContractFactory(with_lines=True, hospital_group=contract.hospital_group)
    elif page == "detail_lines":
        axis = contract.axes.get(number=1)
        for index in range(count - 1):
            FundingLineFactory(axis=axis, code=f"X{index}", amounts={2025: D("10.00")})
    else:
        axis = contract.axes.get(number=1)
        for _ in range(count - 1):
            MilestoneFactory(axis=axis)


class TestQueryCount:
    @pytest.mark.parametrize("page", PAGES)
    def test_is_the_same_for_1_and_50_rows(
        self, client, contract, manager, page, django_assert_num_queries
    ):
        if page != "list":  # the list shows the fixture's contract alone: one row
            contract = ContractFactory(hospital_group=contract.hospital_group)
            axis = contract.axes.create(number=1, title="Axe unique")
            FundingLineFactory(axis=axis, amounts={2025: D("10.00")})
            MilestoneFactory(axis=axis)
        url = (
            reverse("contracts:index")
            if page == "list"
            else reverse("contracts:contract_detail", args=[contract.pk])
        )
        client.force_login(manager)
        with CaptureQueriesContext(connection) as one_row:
            first = client.get(url)
        assert first.status_code == 200
        if page == "list":
            assert len(first.context["items"]) == 1
        grow(page, contract, 50)
        with django_assert_num_queries(len(one_row)):
            response = client.get(url)
        assert response.status_code == 200
        if page == "list":
            assert len(response.context["items"]) == 50
        else:
            axis_view = response.context["overview"].axes[0]
            shown = axis_view.lines if page == "detail_lines" else axis_view.milestones
            assert len(shown) == 50


def manager_scope(manager):
    """Return a GHT in the region the manager sees."""
    from territories.access import visible_regions

    return hospital_group_with_support(region=visible_regions(manager).get())

"""Drafting a contract by copying the structure of an existing one, with new dates."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.journal import AuditEvent
from contracts import services
from contracts.models import Contract, ContractStatus, FundingLine, Milestone, YearlyAllocation
from contracts.services.drafting import shift_years
from demo.loader import load_demo

pytestmark = pytest.mark.django_db


def structure(contract, offset: int = 0):
    lines = {
        (line.axis.number, line.code, line.scheme, line.label, tuple(sorted(line.details.items())))
        for line in FundingLine.objects.filter(axis__contract=contract).select_related("axis")
    }
    amounts = {
        (a.funding_line.code, a.year - offset, a.allocated_amount)
        for a in YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
    }
    milestones = {
        (
            m.axis.number,
            m.title,
            shift_years(m.due_date, -offset),
            m.indicator_label,
            m.indicator_unit,
            m.baseline_value,
            m.target_value,
        )
        for m in Milestone.objects.filter(axis__contract=contract).select_related("axis")
    }
    axes = list(contract.axes.order_by("number").values_list("number", "title"))
    return axes, lines, amounts, milestones


class TestCopyingTheAubeContract:
    def test_gives_a_draft_with_the_same_axes_lines_and_milestones_four_years_later(self):
        aube = load_demo()["contract"]
        manager = get_user_model().objects.get(username="manager")

        copy = services.copy_contract_structure(
            actor=manager,
            source=aube,
            reference="CAT-GE-2029-AUBE-SEZANNAIS",
            title="Contrat d'attractivité territoriale 2029-2032 – GHT Aube et Sézannais",
            start_date=date(2029, 9, 1),
        )

        assert copy.status == ContractStatus.DRAFT
        assert (copy.start_date, copy.end_date) == (date(2029, 9, 1), date(2032, 8, 31))
        assert copy.envelope_amount == aube.envelope_amount
        assert copy.carrier_establishment == aube.carrier_establishment
        assert structure(copy, offset=4) == structure(aube)
        assert len(structure(copy)[3]) == Milestone.objects.filter(axis__contract=aube).count()
        for milestone in Milestone.objects.filter(axis__contract=copy):
            assert copy.start_date <= milestone.due_date <= copy.end_date
        assert AuditEvent.objects.filter(
            contract_id=copy.pk, summary__contains=aube.reference
        ).exists()

    def test_gives_the_lines_of_another_ght_to_its_support_establishment(self):
        demo = load_demo()
        draft = demo["draft_contract"]
        beneficiaries = set(
            FundingLine.objects.filter(axis__contract=draft).values_list("beneficiary", flat=True)
        )
        assert beneficiaries == {draft.carrier_establishment_id}
        assert structure(draft)[0] == structure(demo["contract"])[0]


class TestShiftingADateByWholeYears:
    @pytest.mark.parametrize(
        ("day", "years", "expected"),
        [
            (date(2028, 2, 29), 1, date(2029, 2, 28)),
            (date(2028, 2, 29), 4, date(2032, 2, 29)),
            (date(2025, 12, 31), 4, date(2029, 12, 31)),
            (date(2029, 3, 1), -4, date(2025, 3, 1)),
        ],
    )
    def test_keeps_the_day_or_falls_back_to_the_end_of_february(self, day, years, expected):
        assert shift_years(day, years) == expected


class TestTheDraftingPages:
    def test_a_manager_creates_a_draft_from_scratch_for_a_ght_of_their_region(
        self, client, contract, manager
    ):
        client.force_login(manager)
        response = client.post(
            reverse("contracts:contract_add"),
            {
                "hospital_group": contract.hospital_group.pk,
                "reference": "CAT-NOUVEAU",
                "title": "Nouveau contrat",
                "start_date": "2026-01-01",
                "end_date": "2028-12-31",
                "envelope_amount": "500000.00",
                "axes": "Marque employeur\nQualité de vie au travail\n",
            },
        )
        assert response.status_code == 302
        created = Contract.objects.get(reference="CAT-NOUVEAU")
        assert created.status == ContractStatus.DRAFT
        assert list(created.axes.order_by("number").values_list("title", flat=True)) == [
            "Marque employeur",
            "Qualité de vie au travail",
        ]
        assert created.carrier_establishment == contract.carrier_establishment

    def test_keeps_the_input_and_names_the_field_when_the_period_is_reversed(
        self, client, contract, manager
    ):
        client.force_login(manager)
        response = client.post(
            reverse("contracts:contract_add"),
            {
                "hospital_group": contract.hospital_group.pk,
                "reference": "CAT-NOUVEAU",
                "title": "Nouveau contrat",
                "start_date": "2026-01-01",
                "end_date": "2025-12-31",
                "envelope_amount": "500000.00",
                "axes": "Marque employeur",
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["end_date"] == [
            "La date de fin doit suivre la date de début."
        ]
        assert response.context["form"]["title"].value() == "Nouveau contrat"

    def test_a_manager_copies_a_contract_with_new_dates(self, client, contract, manager):
        client.force_login(manager)
        response = client.post(
            reverse("contracts:contract_copy"),
            {
                "source": contract.pk,
                "hospital_group": contract.hospital_group.pk,
                "reference": "CAT-COPIE",
                "title": "Copie",
                "start_date": "2028-01-01",
            },
        )
        assert response.status_code == 302
        copy = Contract.objects.get(reference="CAT-COPIE")
        assert (copy.start_date, copy.end_date) == (date(2028, 1, 1), date(2030, 12, 31))
        assert copy.axes.count() == contract.axes.count()

    @pytest.mark.parametrize("role", ["director", "validator", "auditor"])
    def test_other_roles_may_not_draft(self, client, request, role):
        client.force_login(request.getfixturevalue(role))
        assert client.get(reverse("contracts:contract_add")).status_code == 403
        assert client.get(reverse("contracts:contract_copy")).status_code == 403

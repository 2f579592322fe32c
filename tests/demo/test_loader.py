import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.journal import AuditEvent
from contracts.models import Contract, ContractStatus, Milestone
from contracts.selectors import contract_figures, contract_snapshot
from demo.loader import load_demo

pytestmark = pytest.mark.django_db

# Verbatim copy of seed 003 (the press release of the signed contract): see data/README.md.
SEED = Path(__file__).parent / "data" / "press_release_aube_sezannais_2025.txt"
NEW_MEASURES = [
    "maison des internes",
    "kits de bienvenue",
    "études promotionnelles",
    "cellule de recrutement",
    "outils numériques",
]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().rstrip(" ;.").lower()


def seed_axes() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    block = text.split("cinq priorités :", 1)[1]
    return [normalise(line[2:]) for line in block.splitlines() if line.startswith("- ")]


@pytest.fixture
def demo(db):
    return load_demo()["contract"]


class TestDemoContract:
    def test_sums_to_exactly_900000_euros(self, demo):
        figures = contract_figures(demo)
        assert demo.envelope_amount == Decimal("900000.00")
        assert figures.total.allocated == Decimal("900000.00")
        assert sum(f.allocated for f in figures.by_axis.values()) == Decimal("900000.00")

    def test_has_the_five_axes_of_the_press_release(self, demo):
        titles = [normalise(axis.title) for axis in demo.axes.order_by("number")]
        assert len(seed_axes()) == 5
        assert titles == seed_axes()

    def test_funds_the_proven_schemes_and_the_new_measures(self, demo):
        lines = list(demo.axes.values_list("lines__scheme", "lines__label"))
        schemes = {scheme for scheme, _ in lines}
        assert {"IPA", "CLACT", "PET", "ASTP", "TUTORING"} <= schemes
        labels = " | ".join(label.lower() for _, label in lines)
        for measure in NEW_MEASURES:
            assert measure in labels, measure

    def test_spreads_its_milestones_over_2025_to_2028(self, demo):
        years = set(
            Milestone.objects.filter(axis__contract=demo).values_list("due_date__year", flat=True)
        )
        assert years == {2025, 2026, 2027, 2028}
        for milestone in Milestone.objects.filter(axis__contract=demo):
            assert demo.start_date <= milestone.due_date <= demo.end_date

    def test_loading_twice_changes_nothing(self, demo):
        snapshot, events = contract_snapshot(demo), AuditEvent.objects.count()
        again = load_demo()["contract"]
        assert again.pk == demo.pk
        assert Contract.objects.count() == 2
        assert contract_snapshot(again) == snapshot
        assert AuditEvent.objects.count() == events


class TestTheDemoTellsTheTruth:
    def test_the_aube_contract_is_signed_on_29_august_2025_by_the_ars_and_the_ght(self, demo):
        assert demo.status == ContractStatus.ACTIVE
        assert demo.signature_date == date(2025, 8, 29)
        assert demo.hospital_group.name == "GHT de l'Aube et du Sézannais"
        assert demo.region.agency_name == "ARS Grand Est"
        assert "ARS Grand Est" in demo.signatories
        assert "GHT de l'Aube et du Sézannais" in demo.signatories
        assert demo.axes.count() == 5

    def test_the_contract_page_says_the_figures_below_the_envelope_are_illustrative(
        self, demo, client
    ):
        client.force_login(get_user_model().objects.get(username="director"))
        page = client.get(reverse("contracts:contract_detail", args=[demo.pk])).content.decode()
        assert 'role="note"' in page
        assert "signé le 29 août 2025" in page
        assert "jalons sont illustratifs" in page

    def test_a_second_contract_of_another_ght_of_grand_est_waits_in_draft(self, demo):
        draft = Contract.objects.get(status=ContractStatus.DRAFT)
        assert draft.hospital_group != demo.hospital_group
        assert draft.region == demo.region
        assert draft.carrier_establishment.name == (
            "Centre hospitalier régional universitaire de Nancy"
        )
        assert "fictif" in draft.note
        assert draft.axes.count() == 5

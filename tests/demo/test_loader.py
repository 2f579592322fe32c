import re
from decimal import Decimal
from pathlib import Path

import pytest

from audit.journal import AuditEvent
from contracts.models import Contract, Milestone
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
        assert Contract.objects.count() == 1
        assert contract_snapshot(again) == snapshot
        assert AuditEvent.objects.count() == events

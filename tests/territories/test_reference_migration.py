"""The regions and départements come with ``migrate`` (territories 0002), not with the demo."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from territories.models import Department, Establishment, Region

pytestmark = pytest.mark.django_db

migration = importlib.import_module("territories.migrations.0002_load_reference_territory")
EXTRACT = Path(__file__).parent / "data" / "finess_extract_sample.csv"
METROPOLITAN_REGIONS = {
    "11",
    "24",
    "27",
    "28",
    "32",
    "44",
    "52",
    "53",
    "75",
    "76",
    "84",
    "93",
    "94",
}
OVERSEAS_REGIONS = {"01", "02", "03", "04", "06"}
OVERSEAS_COLLECTIVITIES = {"975", "986"}
OVERSEAS_DEPARTMENTS = {
    "9A": ("Guadeloupe", "01"),
    "9B": ("Martinique", "02"),
    "9C": ("Guyane", "03"),
    "9D": ("La Réunion", "04"),
    "9E": ("Saint-Pierre-et-Miquelon", "975"),
    "9F": ("Mayotte", "06"),
    "9J": ("Wallis-et-Futuna", "986"),
}


@pytest.fixture
def migrated():
    migration.load_reference_territory(apps)


class TestReferenceTerritoryMigration:
    def test_loads_the_18_regions_and_the_overseas_collectivities(self, migrated):
        codes = set(Region.objects.values_list("code", flat=True))
        assert len(METROPOLITAN_REGIONS | OVERSEAS_REGIONS) == 18
        assert codes == METROPOLITAN_REGIONS | OVERSEAS_REGIONS | OVERSEAS_COLLECTIVITIES

    def test_loads_every_metropolitan_departement_with_corsica_as_2a_and_2b(self, migrated):
        expected = {f"{number:02d}" for number in range(1, 96) if number != 20} | {"2A", "2B"}
        metropolitan = set(
            Department.objects.filter(region__code__in=METROPOLITAN_REGIONS).values_list(
                "code", flat=True
            )
        )
        assert metropolitan == expected
        assert set(Department.objects.filter(region__code="94").values_list("code", flat=True)) == {
            "2A",
            "2B",
        }

    def test_codes_the_overseas_departements_as_finess_does(self, migrated):
        found = {
            department.code: (department.name, department.region.code)
            for department in Department.objects.filter(code__startswith="9").exclude(
                code__in=["90", "91", "92", "93", "94", "95"]
            )
        }
        assert found == OVERSEAS_DEPARTMENTS

    def test_puts_the_ten_departements_of_grand_est_in_region_44(self, migrated):
        codes = set(Department.objects.filter(region__code="44").values_list("code", flat=True))
        assert codes == {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}

    def test_changes_nothing_when_run_again(self, migrated):
        counts = (Region.objects.count(), Department.objects.count())
        migration.load_reference_territory(apps)
        assert (Region.objects.count(), Department.objects.count()) == counts == (20, 103)

    def test_reads_the_fixtures_of_the_repository_not_an_absolute_path(self):
        assert Path(__file__).resolve().parents[2] / "fixtures" == migration.FIXTURES_DIR


class TestFinessImportOnAFreshDatabase:
    def test_creates_the_14_establishments_of_the_sample_without_the_demo(self, migrated):
        assert not Establishment.objects.exists()

        call_command("import_finess", str(EXTRACT), "--wet-run")

        assert Establishment.objects.count() == 14
        assert set(Establishment.objects.values_list("department__code", flat=True).distinct()) == {
            "01",
            "9A",
            "9B",
            "9C",
            "9D",
            "9F",
            "9J",
        }

    def test_refuses_every_line_when_the_reference_territory_is_missing(self):
        with pytest.raises(CommandError):
            call_command("import_finess", str(EXTRACT), "--wet-run")
        assert not Establishment.objects.exists()

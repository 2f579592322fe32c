"""Load the regions and départements that ship with the product, so ``import_finess`` works
on a fresh database.

The data comes from ``fixtures/regions.csv`` (INSEE region codes; the overseas
collectivities that FINESS knows, Saint-Pierre-et-Miquelon 975 and Wallis-et-Futuna 986,
are regions of their own) and ``fixtures/departments.csv`` (FINESS département codes:
2A/2B for Corsica, 9A Guadeloupe, 9B Martinique, 9C Guyane, 9D La Réunion,
9E Saint-Pierre-et-Miquelon, 9F Mayotte, 9J Wallis-et-Futuna). App code is not imported:
the CSVs are read here with the csv module, relative to this file.
"""

import csv
from pathlib import Path

from django.db import migrations

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"


def read_rows(name, fixtures_dir=FIXTURES_DIR):
    with (fixtures_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def load_reference_territory(apps, schema_editor=None, fixtures_dir=FIXTURES_DIR):
    """Create or update every region and département of the fixtures; never delete."""
    Region = apps.get_model("territories", "Region")
    Department = apps.get_model("territories", "Department")
    regions = {}
    for row in read_rows("regions.csv", fixtures_dir):
        region, _ = Region.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "agency_name": row["agency_name"]}
        )
        regions[region.code] = region
    for row in read_rows("departments.csv", fixtures_dir):
        Department.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "region": regions[row["region_code"]]},
        )


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_territory_registry")]

    operations = [
        migrations.RunPython(load_reference_territory, migrations.RunPython.noop, elidable=False)
    ]

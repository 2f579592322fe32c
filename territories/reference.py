"""Load the reference territory shipped in ``fixtures/``: regions, départements, GHT members.

Every loader is idempotent: running it again finds the rows it created and changes nothing.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    MembershipRole,
    Region,
)

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"

CONVENTION_ROLES = {
    "membre_support": MembershipRole.SUPPORT,
    "membre": MembershipRole.MEMBER,
    "partenaire": MembershipRole.PARTNER,
}
# « 10 (site Sézanne: 51) »: the main département, then sites located elsewhere.
SITE_DEPARTMENT_PATTERN = re.compile(r"site\s+([^:]+):\s*(\w{2,3})")
SITES_PATTERN = re.compile(r"^(?P<entity>.+?)\s+-\s+sites?\s+(?P<sites>.+)$")


@dataclass
class LoadReport:
    created: int = 0
    unchanged: int = 0

    def count(self, created: bool) -> None:
        if created:
            self.created += 1
        else:
            self.unchanged += 1


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@transaction.atomic
def load_regions_and_departments(fixtures_dir: Path = FIXTURES_DIR) -> LoadReport:
    """Create the regions and départements of ``regions.csv`` and ``departments.csv``."""
    report = LoadReport()
    regions = {}
    for row in _read_csv(fixtures_dir / "regions.csv"):
        region, created = Region.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "agency_name": row["agency_name"]}
        )
        regions[region.code] = region
        report.count(created)
    for row in _read_csv(fixtures_dir / "departments.csv"):
        _, created = Department.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "region": regions[row["region_code"]]}
        )
        report.count(created)
    return report


def _establishment(name: str, commune: str, department: Department | None, legal_entity=None):
    return Establishment.objects.get_or_create(
        finess=None,
        name=name,
        department=department,
        defaults={"commune": commune, "legal_entity": legal_entity},
    )


@transaction.atomic
def load_convention_members(
    *,
    hospital_group: HospitalGroup,
    path: Path,
) -> LoadReport:
    """Attach the members listed in a GHT convention table (``role;etablissement;…``).

    The table has no FINESS numbers: establishments are found or created by name and
    département. A member whose name lists several sites (« GHAM - sites A, B ») is a
    legal entity owning one establishment per site, each in its own département.
    """
    report = LoadReport()
    departments = {department.code: department for department in Department.objects.all()}
    for row in _read_csv(path):
        role = CONVENTION_ROLES[row["role"].strip()]
        name = row["etablissement"].strip()
        commune = row["commune"].strip()
        department_field = row["departement"].strip()
        main_department = departments.get(department_field[:2])
        site_departments = {
            site.strip(): departments.get(code)
            for site, code in SITE_DEPARTMENT_PATTERN.findall(department_field)
        }
        sites_match = SITES_PATTERN.match(name)
        if sites_match:
            entity_name = sites_match.group("entity").strip()
            legal_entity, created = LegalEntity.objects.get_or_create(
                finess=None, name=entity_name, defaults={"department": main_department}
            )
            report.count(created)
            for site in (part.strip() for part in sites_match.group("sites").split(",")):
                department = site_departments.get(site) or main_department
                _, created = _establishment(
                    f"{entity_name} – site de {site}", site, department, legal_entity
                )
                report.count(created)
            _, created = HospitalGroupMembership.objects.get_or_create(
                hospital_group=hospital_group,
                legal_entity=legal_entity,
                defaults={"role": role, "note": row.get("source_note", "")[:255]},
            )
        else:
            establishment, created = _establishment(name, commune, main_department)
            report.count(created)
            _, created = HospitalGroupMembership.objects.get_or_create(
                hospital_group=hospital_group,
                establishment=establishment,
                defaults={"role": role, "note": row.get("source_note", "")[:255]},
            )
        report.count(created)
    return report

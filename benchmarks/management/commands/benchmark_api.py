"""Measure the API's contract list and journal page at the national data size.

Builds 136 GHTs in 13 regions, 2,000 contracts with their yearly allocations, and a
journal in which one contract has 1,000 events, inside one transaction; requests the
pages N times with Django's test client (session of an ARS manager of one region and of
a national auditor), prints p50/p95 server time and query counts (for a page of 1 row and
of 50), then rolls everything back (``--keep`` keeps the data). Use a scratch database::

    DATABASE_URL=sqlite:////tmp/api.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/api.sqlite3 python manage.py benchmark_api

Target (DESIGN.md): p95 ≤ 300 ms, and the same query count for 1 row and 50.
"""

import datetime
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from audit.journal import AuditAction, record_event
from benchmarks.builders import time_page
from contracts.models import Contract, ContractStatus, FundingLine, StrategicAxis, YearlyAllocation
from contracts.schemes import SchemeCode
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    grant_national_scope,
    grant_region_scope,
    sync_roles,
)
from territories.models import Establishment, HospitalGroup, Region

REGIONS = 13
HOSPITAL_GROUPS = 136
CONTRACTS = 2_000
YEARS = (2025, 2026, 2027)
JOURNAL_EVENTS = 1_000
TARGET_MS = 300


class _Rollback(Exception):
    """Raised to undo everything the benchmark wrote."""


def build_country() -> dict:
    sync_roles()
    regions = Region.objects.bulk_create(
        Region(code=f"B{index:02d}", name=f"Région de mesure {index}") for index in range(REGIONS)
    )
    establishments = Establishment.objects.bulk_create(
        Establishment(name=f"Centre hospitalier de mesure {index}")
        for index in range(HOSPITAL_GROUPS)
    )
    groups = HospitalGroup.objects.bulk_create(
        HospitalGroup(
            code=f"B-GHT-{index:03d}",
            name=f"GHT de mesure {index}",
            region=regions[index % REGIONS],
        )
        for index in range(HOSPITAL_GROUPS)
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            reference=f"B-{index:04d}",
            title=f"Contrat de mesure {index}",
            region=groups[index % HOSPITAL_GROUPS].region,
            hospital_group=groups[index % HOSPITAL_GROUPS],
            carrier_establishment=establishments[index % HOSPITAL_GROUPS],
            start_date=datetime.date(YEARS[0], 1, 1),
            end_date=datetime.date(YEARS[-1], 12, 31),
            signature_date=datetime.date(YEARS[0] - 1, 12, 15),
            envelope_amount=Decimal("120000.00"),
            status=ContractStatus.ACTIVE,
        )
        for index in range(CONTRACTS)
    )
    axes = StrategicAxis.objects.bulk_create(
        StrategicAxis(contract=contract, number=number, title=f"Axe {number}")
        for contract in contracts
        for number in (1, 2)
    )
    lines = FundingLine.objects.bulk_create(
        FundingLine(
            axis=axis,
            code=f"{axis.number}.1",
            scheme=SchemeCode.OTHER,
            label="Mesure",
            beneficiary_id=axis.contract.carrier_establishment_id,
        )
        for axis in axes
    )
    YearlyAllocation.objects.bulk_create(
        YearlyAllocation(funding_line=line, year=year, allocated_amount=Decimal("20000.00"))
        for line in lines
        for year in YEARS
    )
    watched = contracts[0]
    with transaction.atomic():
        for number in range(JOURNAL_EVENTS):
            record_event(
                actor=None, action=AuditAction.CHANGE, obj=watched, summary=f"Mesure {number}"
            )
    users = get_user_model().objects
    manager = users.create(username="bench-api-manager")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_MANAGER]))
    grant_region_scope(user=manager, region=watched.region)
    auditor = users.create(username="bench-api-auditor")
    auditor.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.AUDITOR]))
    grant_national_scope(user=auditor)
    return {"manager": manager, "auditor": auditor, "contract": watched}


class Command(BaseCommand):
    help = "Mesure la liste des contrats et le journal de l'API à la taille nationale."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=20, help="requêtes par page")
        parser.add_argument(
            "--keep", action="store_true", help="garder les données créées (sinon tout est annulé)"
        )

    def handle(self, *args, requests, keep, **options):
        try:
            with transaction.atomic():
                self.run(requests)
                if not keep:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("Données de mesure annulées (rollback).")

    def run(self, requests: int) -> None:
        started = time.perf_counter()
        data = build_country()
        self.stdout.write(
            f"Pays construit en {time.perf_counter() - started:.1f} s : {HOSPITAL_GROUPS} GHT, "
            f"{CONTRACTS} contrats, {JOURNAL_EVENTS} événements sur {data['contract'].reference}."
        )
        journal = f"/api/v1/journal/?contract={data['contract'].pk}"
        pages = [
            ("contrats (1)", "manager", "/api/v1/contracts/?taille=1"),
            ("contrats (50)", "manager", "/api/v1/contracts/?taille=50"),
            ("contrats (50)", "auditor", "/api/v1/contracts/?taille=50"),
            ("journal (1)", "manager", f"{journal}&taille=1"),
            ("journal (50)", "manager", f"{journal}&taille=50"),
            ("journal (1000)", "auditor", f"{journal}&taille=1000"),
        ]
        self.stdout.write(
            f"{'page':<16}{'utilisateur':<12}{'p50 ms':>10}{'p95 ms':>10}{'requêtes':>10}"
        )
        worst = 0.0
        for label, username, url in pages:
            timing = time_page(user=data[username], url=url, runs=requests)
            assert timing.status_code == 200, (url, timing.status_code)
            worst = max(worst, timing.p95_ms)
            self.stdout.write(
                f"{label:<16}{username:<12}{timing.median_ms:>10.1f}{timing.p95_ms:>10.1f}"
                f"{timing.queries:>10}"
            )
        verdict = "atteint" if worst <= TARGET_MS else "MANQUÉ"
        self.stdout.write(f"Objectif p95 ≤ {TARGET_MS} ms : {verdict} (pire p95 {worst:.1f} ms).")

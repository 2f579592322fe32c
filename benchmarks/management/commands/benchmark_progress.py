"""Measure the progress pages on a region of 12 GHTs, 50 contracts and 2,000 milestones.

Builds the region in the configured database inside one transaction, requests every
progress page N times with Django's test client as a logged-in ARS manager and GHT
director, prints p50/p95 server time and query counts per page, then rolls everything
back (``--keep`` keeps the data). Run it on a scratch database all the same::

    DATABASE_URL=sqlite:////tmp/progress.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/progress.sqlite3 python manage.py benchmark_progress

Target (DESIGN.md): p95 ≤ 300 ms on every page.
"""

import datetime
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import (
    Contract,
    ContractStatus,
    FundingLine,
    Milestone,
    MilestoneStatus,
    StrategicAxis,
    YearlyAllocation,
)
from contracts.schemes import SchemeCode
from territories.access import (
    ROLE_GROUP_NAMES,
    Role,
    grant_hospital_group_scope,
    grant_region_scope,
    sync_roles,
)
from territories.models import Establishment, HospitalGroup, Region
from workflows.flows import MilestoneReviewFlow

REGION_CODE = "BM"
HOSPITAL_GROUPS = 12
CONTRACTS = 50
AXES = 5
LINES_PER_AXIS = 2
MILESTONES_PER_AXIS = 8  # 50 × 5 × 8 = 2,000
YEARS = (2025, 2026, 2027)
YEARLY_AMOUNT = Decimal("20000.00")
REVIEWS_PER_CONTRACT = 2
TARGET_MS = 300
SCHEMES = [SchemeCode.IPA, SchemeCode.CLACT, SchemeCode.PET, SchemeCode.OTHER]


class _Rollback(Exception):
    """Raised to undo everything the benchmark wrote."""


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile ``share`` (0-1) of ``values``."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def build_region() -> dict:
    """Write the region, its GHTs, contracts, lines, allocations and milestones in bulk."""
    sync_roles()
    region = Region.objects.create(code=REGION_CODE, name="Région de mesure")
    establishments = Establishment.objects.bulk_create(
        Establishment(name=f"Centre hospitalier de mesure {index + 1}")
        for index in range(HOSPITAL_GROUPS)
    )
    groups = HospitalGroup.objects.bulk_create(
        HospitalGroup(
            code=f"BM-GHT-{index + 1:02d}", name=f"GHT de mesure {index + 1}", region=region
        )
        for index in range(HOSPITAL_GROUPS)
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            reference=f"BM-{index + 1:03d}",
            title=f"Contrat de mesure {index + 1}",
            region=region,
            hospital_group=groups[index % HOSPITAL_GROUPS],
            carrier_establishment=establishments[index % HOSPITAL_GROUPS],
            start_date=datetime.date(YEARS[0], 1, 1),
            end_date=datetime.date(YEARS[-1], 12, 31),
            signature_date=datetime.date(YEARS[0] - 1, 12, 15),
            envelope_amount=YEARLY_AMOUNT * AXES * LINES_PER_AXIS * len(YEARS),
            status=ContractStatus.ACTIVE,
        )
        for index in range(CONTRACTS)
    )
    axes = StrategicAxis.objects.bulk_create(
        StrategicAxis(contract=contract, number=number, title=f"Axe stratégique {number}")
        for contract in contracts
        for number in range(1, AXES + 1)
    )
    lines = FundingLine.objects.bulk_create(
        FundingLine(
            axis=axis,
            code=f"{axis.number}.{index + 1}",
            scheme=SCHEMES[(axis.number + index) % len(SCHEMES)],
            label=f"Mesure {axis.number}.{index + 1}",
            beneficiary_id=axis.contract.carrier_establishment_id,
            consumption_deadline_date=datetime.date(YEARS[-1], 12, 31),
        )
        for axis in axes
        for index in range(LINES_PER_AXIS)
    )
    YearlyAllocation.objects.bulk_create(
        YearlyAllocation(
            funding_line=line,
            year=year,
            allocated_amount=YEARLY_AMOUNT,
            delegated_amount=YEARLY_AMOUNT if year == YEARS[0] else Decimal("0.00"),
            consumed_amount=(YEARLY_AMOUNT * (line.pk % 10) / 10).quantize(Decimal("0.01"))
            if year == YEARS[0]
            else Decimal("0.00"),
        )
        for line in lines
        for year in YEARS
    )
    start = datetime.date(YEARS[0], 3, 31)
    Milestone.objects.bulk_create(
        Milestone(
            axis=axis,
            title=f"Jalon {axis.number}.{index + 1}",
            due_date=start + datetime.timedelta(days=index * 125),
            indicator_label="Professionnels recrutés",
            indicator_unit="personnes",
            target_value=Decimal("10.00"),
            actual_value=Decimal(index) if index < 3 else None,
            status=MilestoneStatus.VALIDATED if index < 2 else MilestoneStatus.PLANNED,
        )
        for axis in axes
        for index in range(MILESTONES_PER_AXIS)
    )
    for contract in contracts:
        for milestone in Milestone.objects.filter(
            axis__contract=contract, status=MilestoneStatus.PLANNED
        ).select_related("axis__contract")[:REVIEWS_PER_CONTRACT]:
            MilestoneReviewFlow.start.run(milestone=milestone)
    user_model = get_user_model()
    manager = user_model.objects.create(username="bench-manager")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.ARS_MANAGER]))
    grant_region_scope(user=manager, region=region)
    director = user_model.objects.create(username="bench-director")
    director.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.GHT_DIRECTOR]))
    grant_hospital_group_scope(user=director, hospital_group=groups[0])
    return {"manager": manager, "director": director, "contract": contracts[0]}


class Command(BaseCommand):
    help = "Mesure les pages de suivi sur une région de 50 contrats et 2 000 jalons."

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
        data = build_region()
        self.stdout.write(
            f"Région construite en {time.perf_counter() - started:.1f} s : "
            f"{HOSPITAL_GROUPS} GHT, {Contract.objects.filter(region__code=REGION_CODE).count()} "
            f"contrats, {Milestone.objects.filter(axis__contract__region__code=REGION_CODE).count()} "
            "jalons."
        )
        contract = data["contract"]
        pages = [
            ("overview", [], ["manager"]),
            ("calendar", [], ["manager", "director"]),
            ("calendar_ics", [], ["manager", "director"]),
            ("contract", [contract.pk], ["manager", "director"]),
            ("contract_pdf", [contract.pk], ["manager", "director"]),
            ("contract_xlsx", [contract.pk], ["manager", "director"]),
        ]
        self.stdout.write(
            f"{'page':<16}{'utilisateur':<14}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'requêtes':>10}"
        )
        worst = 0.0
        for name, args, usernames in pages:
            url = reverse(f"progress:{name}", args=args)
            for username in usernames:
                client = Client(SERVER_NAME="127.0.0.1")
                client.force_login(data[username])
                client.get(url)  # warm caches (templates, permissions)
                timings, counts = [], set()
                for _ in range(requests):
                    with CaptureQueriesContext(connection) as queries:
                        begin = time.perf_counter()
                        response = client.get(url)
                        timings.append((time.perf_counter() - begin) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{url} ({username}) : statut {response.status_code}")
                    counts.add(len(queries))
                p95 = percentile(timings, 0.95)
                worst = max(worst, p95)
                self.stdout.write(
                    f"{name:<16}{username:<14}{requests:>4}{percentile(timings, 0.5):>10.1f}"
                    f"{p95:>10.1f}{'/'.join(str(c) for c in sorted(counts)):>10}"
                )
        verdict = "atteint" if worst <= TARGET_MS else "NON atteint"
        self.stdout.write(f"Pire p95 : {worst:.1f} ms – objectif {TARGET_MS} ms {verdict}.")

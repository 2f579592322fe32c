"""Measure the contract import: a 40 M-row XLSX refused, and a valid 10,000-line file.

Prints, per step, the wall time and the process's peak resident memory (``ru_maxrss``, a
high-water mark: the steps run from the lightest to the heaviest so each figure is its
own). Everything is written inside one transaction and rolled back. Run it on a scratch
database::

    DATABASE_URL=sqlite:////tmp/imports.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/imports.sqlite3 python manage.py benchmark_contract_import

Targets (issue 11): the zip bomb refused in under 10 s and 300 MB.
"""

import csv
import datetime
import io
import resource
import sys
import time
from decimal import Decimal

import openpyxl
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from contracts.imports import import_contract_file
from contracts.models import Contract, ContractStatus, StrategicAxis
from contracts.readers import read_sheet
from contracts.resources import LINE_COLUMNS, amount_column
from territories.models import Establishment, HospitalGroup, Region

from ...spreadsheets import xlsx_bomb

YEARS = (2025, 2026, 2027)
YEARLY_AMOUNT = Decimal("1000.00")


class _Rollback(Exception):
    """Raised to undo everything the benchmark wrote."""


def peak_megabytes() -> float:
    """Return the process's peak resident memory so far, in MB (Linux counts in KB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def build_contract():
    """Write a draft contract with one axis and an envelope for every line of the file."""
    region = Region.objects.create(code="BI", name="Région de mesure des imports")
    carrier = Establishment.objects.create(name="Centre hospitalier de mesure")
    group = HospitalGroup.objects.create(code="BI-GHT", name="GHT de mesure", region=region)
    contract = Contract.objects.create(
        reference="BI-001",
        title="Contrat de mesure des imports",
        region=region,
        hospital_group=group,
        carrier_establishment=carrier,
        start_date=datetime.date(YEARS[0], 1, 1),
        end_date=datetime.date(YEARS[-1], 12, 31),
        envelope_amount=Decimal("999999999.00"),
        status=ContractStatus.DRAFT,
    )
    StrategicAxis.objects.create(contract=contract, number=1, title="Axe de mesure")
    actor = get_user_model().objects.create(username="bench-importer")
    return contract, carrier, actor


def lines_file(*, lines: int, beneficiary: str) -> bytes:
    """Return a semicolon CSV of ``lines`` new funding lines, French amounts, like Excel's."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([*LINE_COLUMNS, *(amount_column(year) for year in YEARS)])
    for index in range(lines):
        writer.writerow(
            ["1", f"1.{index + 1}", "OTHER", f"Mesure {index + 1}", beneficiary, "", "",
             *(["1 000,00"] * len(YEARS))]
        )  # fmt: skip
    return buffer.getvalue().encode("cp1252")


def as_xlsx(content: bytes) -> bytes:
    """Return the rows of the CSV ``content`` as an XLSX written row by row."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in csv.reader(io.StringIO(content.decode("cp1252")), delimiter=";"):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Mesure l'import de contrat : refus d'un XLSX de 40 millions de lignes (bombe zip), "
        "puis un fichier valide de 10 000 lignes en simulation et pour de bon. Tout est annulé."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=10_000)
        parser.add_argument("--bomb-rows", type=int, default=40_000_000)

    def handle(self, *args, lines: int, bomb_rows: int, **options):
        try:
            with transaction.atomic():
                self.run(lines, bomb_rows)
                raise _Rollback
        except _Rollback:
            self.stdout.write("Données de mesure annulées (rollback).")

    def measure(self, label: str, step):
        started = time.perf_counter()
        result = step()
        self.stdout.write(
            f"{label:<44}{time.perf_counter() - started:>9.3f} s{peak_megabytes():>10.0f} Mo"
        )
        return result

    def run(self, lines: int, bomb_rows: int) -> None:
        contract, carrier, actor = build_contract()
        bomb = xlsx_bomb(bomb_rows)
        content = lines_file(lines=lines, beneficiary=carrier.name)
        self.stdout.write(
            f"Bombe : {len(bomb) / 1e6:.1f} Mo, {bomb_rows:,} lignes ; "
            f"CSV valide : {len(content) / 1e6:.1f} Mo, {lines:,} lignes."
        )
        self.stdout.write(f"{'étape':<44}{'durée':>11}{'mémoire max':>12}")
        self.measure("(départ)", lambda: None)

        def run_import(file_format: str, data: bytes, *, dry_run: bool):
            return import_contract_file(
                actor=actor,
                contract=contract,
                kind="lines",
                file_format=file_format,
                content=data,
                dry_run=dry_run,
            )

        refused = self.measure(
            f"a) XLSX de {bomb_rows:,} lignes refusé",
            lambda: run_import("xlsx", bomb, dry_run=True),
        )
        self.stdout.write(f"   {refused.errors}")
        # Defence in depth: without the unzipped-size check, the streamed count stops it.
        with override_settings(CONTRACT_IMPORT_MAX_UNCOMPRESSED_BYTES=2**40):
            streamed = self.measure(
                "a') idem, sans le contrôle de taille décompressée",
                lambda: run_import("xlsx", bomb, dry_run=True),
            )
        self.stdout.write(f"   {streamed.errors}")
        self.measure(
            f"   lecture seule d'un XLSX de {lines:,} lignes",
            lambda: read_sheet(as_xlsx(content), "xlsx"),
        )
        dry = self.measure(
            f"b) {lines:,} lignes, simulation", lambda: run_import("csv", content, dry_run=True)
        )
        wet = self.measure(
            f"b) {lines:,} lignes, enregistrement",
            lambda: run_import("csv", content, dry_run=False),
        )
        for report in (dry, wet):
            if not report.is_valid:
                self.stderr.write("\n".join(report.errors[:5]))
        self.stdout.write(f"   simulation : {dry.counts} ; enregistrement : {wet.counts}")

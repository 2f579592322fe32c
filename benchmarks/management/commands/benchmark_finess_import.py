"""Measure the FINESS extract import on a national-size generated file (DESIGN.md numbers)."""

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from territories.importers import CREATED, UPDATED, import_finess_extract
from territories.models import Department, Establishment
from territories.reference import load_regions_and_departments
from territories.validators import luhn_is_valid


class _Rollback(Exception):
    """Raised to undo everything the benchmark wrote."""


def luhn_complete(prefix: str) -> str:
    """Return ``prefix`` followed by the digit that makes it pass the Luhn check."""
    return next(prefix + digit for digit in "0123456789" if luhn_is_valid(prefix + digit))


def generated_siret(index: int) -> str:
    siren = luhn_complete(f"{800000000 + index * 7:09d}"[:8])
    return luhn_complete(siren + f"{index % 10000:04d}")


def write_extract(path: Path, *, rows: int, departments: list[str], revision: int) -> None:
    """Write an extract of ``rows`` establishments, one legal entity per five of them.

    ``revision`` changes the name, phone and update date of every row, so a second file
    updates what the first created.
    """
    rng = random.Random(20260512)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("finess;etalab;111;2026-05-12\n")
        for index in range(rows):
            department = departments[index % len(departments)]
            prefix = department if department[1].isdigit() else "97"
            finess = luhn_complete(f"{prefix}{index:06d}")
            legal_entity = luhn_complete(f"{prefix}{999999 - index // 5:06d}")
            name = f"ETABLISSEMENT {index} V{revision}"
            phone = f"0{rng.randint(100000000, 999999999)}"
            fields = [
                "structureet", finess, legal_entity, name, f"{name} LONG", "", "",
                str(index % 300), "RUE", "DE LA REPUBLIQUE", "", "", "451", department,
                "DEPT", f"01440 COMMUNE {index % 500}", phone, "", "355",
                "Centre Hospitalier (C.H.)", "1102", "Centres Hospitaliers",
                generated_siret(index), "8610Z", "03", "ARS", "1", "EPS",
                "1979-02-13", "1979-02-13", f"2026-0{revision}-01", "",
            ]  # fmt: skip
            handle.write(";".join(fields) + "\n")


class Command(BaseCommand):
    help = (
        "Mesure l'import d'un extrait FINESS généré (100 000 établissements par défaut) : "
        "lignes par seconde à la création puis à la mise à jour, et mémoire maximale. "
        "Tout est annulé à la fin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)

    def handle(self, *args, rows: int, **options):
        try:
            with transaction.atomic():
                self.run(rows)
                raise _Rollback
        except _Rollback:
            self.stdout.write("Données du banc d'essai annulées.")

    def run(self, rows: int) -> None:
        load_regions_and_departments()
        # FINESS numbers of overseas establishments start with 97/98: keep to mainland.
        departments = sorted(
            code for code in Department.objects.values_list("code", flat=True) if code[:2].isdigit()
        )
        departments = [code for code in departments if not code.startswith("9")]
        self.stdout.write(f"Base : {Establishment.objects.db}, {rows} établissements.")
        if settings.DEBUG:
            # Django keeps the last 9,000 queries in memory when DEBUG is on.
            self.stdout.write("DEBUG actif : la mémoire mesurée inclut le journal des requêtes.")
        with tempfile.TemporaryDirectory() as directory:
            first, second = Path(directory, "create.csv"), Path(directory, "update.csv")
            write_extract(first, rows=rows, departments=departments, revision=1)
            write_extract(second, rows=rows, departments=departments, revision=2)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.measure("création", first, rows, CREATED)
            self.measure("mise à jour", second, rows, UPDATED)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"Mémoire maximale du processus : {rss_after / 1024:.0f} Mo "
            f"(avant import : {rss_before / 1024:.0f} Mo)."
        )

    def measure(self, label: str, path: Path, rows: int, outcome: str) -> None:
        started = time.perf_counter()
        report = import_finess_extract(
            path=path, wet_run=True, progress=lambda count: sys.stderr.write(f"… {count}\n")
        )
        elapsed = time.perf_counter() - started
        done = report.get(Establishment, outcome)
        if not report.written or done != rows:
            raise CommandError(
                f"Import du banc d'essai en échec : {report.file_error or report.rejected[:3]}"
            )
        self.stdout.write(
            f"{label} : {done} établissements en {elapsed:.1f} s, {done / elapsed:,.0f} lignes/s."
        )

"""Measure sync_ds on a generated DS answer of 5,000 dossiers (issue 15); all rolled back."""

import copy
import datetime
import json
import resource
import time
import tracemalloc
import zoneinfo
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from calls.ds_mappings import CLACT_2024_GRAND_EST
from calls.intake import sync_answer
from calls.models import Campaign
from territories.models import Region
from territories.validators import luhn_is_valid

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SAMPLE = Path(settings.BASE_DIR) / "tests" / "calls" / "data" / "ds_clact_dossiers_sample.json"


class _Rollback(Exception):
    """Raised to undo everything the benchmark wrote."""


def luhn_complete(prefix: str) -> str:
    return next(prefix + digit for digit in "0123456789" if luhn_is_valid(prefix + digit))


def generated_answer(sample: dict, dossiers: int) -> dict:
    """Return ``sample`` with ``dossiers`` dossiers: its own, copied round-robin, each with
    its own DS number and applicant SIRET."""
    answer = copy.deepcopy(sample)
    templates = answer["data"]["demarche"]["dossiers"]["nodes"]
    nodes = []
    for index in range(dossiers):
        node = copy.deepcopy(templates[index % len(templates)])
        node["number"] = 50_000_000 + index
        siren = luhn_complete(f"{70000000 + index:08d}")
        node["demandeur"]["siret"] = luhn_complete(f"{siren}0001")
        nodes.append(node)
    answer["data"]["demarche"]["dossiers"]["nodes"] = nodes
    return answer


class Command(BaseCommand):
    help = (
        "Mesure sync_ds sur une réponse DS générée (5 000 dossiers par défaut) : dossiers par "
        "seconde à la création puis à la relecture sans changement, et mémoire maximale. "
        "Tout est annulé à la fin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=5_000)
        parser.add_argument("--sample", type=Path, default=SAMPLE)
        parser.add_argument(
            "--trace-memory",
            action="store_true",
            help="mesurer aussi la mémoire Python avec tracemalloc (ralentit la mesure)",
        )

    def handle(self, *args, dossiers: int, sample: Path, trace_memory: bool, **options):
        payload = generated_answer(json.loads(sample.read_text(encoding="utf-8")), dossiers)
        self.trace_memory = trace_memory
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # As in production: DEBUG keeps every query in memory and slows each one.
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            with transaction.atomic():
                self.run(payload, dossiers)
                raise _Rollback
        except _Rollback:
            self.stdout.write("Données du banc d'essai annulées.")
        finally:
            settings.DEBUG = debug
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"Mémoire maximale du processus : {rss / 1024:.0f} Mo "
            f"(dont {rss_before / 1024:.0f} Mo avant la synchronisation, réponse DS générée "
            "comprise)."
        )

    def run(self, payload: dict, dossiers: int) -> None:
        region, _ = Region.objects.get_or_create(code="44", defaults={"name": "Grand Est"})
        Campaign.objects.filter(ds_demarche_number=91234).update(ds_demarche_number=None)
        campaign = Campaign.objects.create(
            region=region,
            scheme="CLACT",
            year=1999,
            title="Banc d'essai CLACT",
            envelope_amount=Decimal("4000000.00"),
            opens_at=datetime.datetime(2024, 3, 18, 14, 0, tzinfo=PARIS),
            deadline_at=datetime.datetime(2024, 5, 10, 23, 59, 59, tzinfo=PARIS),
            state="OPEN",
            opened_at=datetime.datetime(2024, 3, 18, 14, 0, tzinfo=PARIS),
            parameters={"clact_fir_share": "0.50", "clact_max_actions": "5"},
            required_documents=["SIGNED_CONTRACT", "CSE_OPINION", "DUERP_AND_PREVENTION_PLAN"],
            ds_demarche_number=91234,
            ds_champ_mapping=CLACT_2024_GRAND_EST,
        )
        if self.trace_memory:
            tracemalloc.start()
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        for label, expected in (("création", "created"), ("relecture inchangée", "unchanged")):
            queries[0] = 0
            started = time.perf_counter()
            with connection.execute_wrapper(count):
                report = sync_answer(campaign=campaign, payload=payload, wet_run=True)
            elapsed = time.perf_counter() - started
            done = len(getattr(report, expected))
            if report.problems or done != dossiers:
                raise CommandError(f"Synchronisation en échec : {report.problems[:3]}")
            self.stdout.write(
                f"{label} : {done} dossiers en {elapsed:.1f} s, {done / elapsed:,.0f} dossiers/s, "
                f"{queries[0] / done:.2f} requêtes par dossier."
            )
        if self.trace_memory:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.stdout.write(
                f"Mémoire Python maximale pendant la synchronisation (tracemalloc) : "
                f"{peak / 2**20:.0f} Mo."
            )

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
from django.db import transaction

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

    def handle(self, *args, dossiers: int, sample: Path, **options):
        payload = generated_answer(json.loads(sample.read_text(encoding="utf-8")), dossiers)
        try:
            with transaction.atomic():
                self.run(payload, dossiers)
                raise _Rollback
        except _Rollback:
            self.stdout.write("Données du banc d'essai annulées.")

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
        if settings.DEBUG:
            self.stdout.write("DEBUG actif : la mémoire mesurée inclut le journal des requêtes.")
        tracemalloc.start()
        for label, expected in (("création", "created"), ("relecture inchangée", "unchanged")):
            started = time.perf_counter()
            report = sync_answer(campaign=campaign, payload=payload, wet_run=True)
            elapsed = time.perf_counter() - started
            done = len(getattr(report, expected))
            if report.problems or done != dossiers:
                raise CommandError(f"Synchronisation en échec : {report.problems[:3]}")
            self.stdout.write(
                f"{label} : {done} dossiers en {elapsed:.1f} s, {done / elapsed:,.0f} dossiers/s."
            )
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"Mémoire Python maximale pendant la synchronisation : {peak / 2**20:.0f} Mo ; "
            f"mémoire maximale du processus : {rss / 1024:.0f} Mo."
        )

"""Measure one transition of the product beside a bare viewflow flow of the same shape.

Writes real rows (processes, delegations, journal events): run it on a scratch database::

    DATABASE_URL=sqlite:////tmp/transition.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/transition.sqlite3 python manage.py benchmark_transition

Target (DESIGN.md): a transition, services and pages, costs at most 1.3× the bare flow.
"""

import os
from json import dump

from django.core.management.base import BaseCommand
from django.db import connection

from benchmarks.transition import PATHS, TARGET_RATIO, measure_transition


class Command(BaseCommand):
    help = "Mesure le coût d'une transition (délégation de crédits) face à un flux viewflow nu."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=30, help="Processus mesurés par chemin.")
        parser.add_argument("--json", metavar="OUT", help="Écrit aussi les mesures en JSON.")
        parser.add_argument(
            "--through", choices=PATHS, action="append", help="Chemin mesuré (par défaut : tous)."
        )
        parser.add_argument(
            "--sql", action="store_true", help="Liste les requêtes d'un processus de chaque flux."
        )

    def handle(self, *args, n, json, through, sql, **options):
        results = measure_transition(n=n, through=through or PATHS, sql=sql)
        load = os.getloadavg()[0]
        self.stdout.write(f"Base {connection.vendor}, {n} processus par chemin, charge {load:.2f}")
        self.stdout.write(
            f"{'chemin':<10} {'produit ms':>11} {'requêtes':>9} {'nu ms':>8} {'requêtes':>9}"
            f" {'ratio':>6} {'apparié':>8}"
        )
        for path, figures in results.items():
            verdict = "ok" if figures["ratio"] <= TARGET_RATIO else f"> {TARGET_RATIO}"
            self.stdout.write(
                f"{path:<10} {figures['ms']:>11.2f} {figures['queries']:>9} "
                f"{figures['bare_ms']:>8.2f} {figures['bare_queries']:>9} "
                f"{figures['ratio']:>6.2f} {figures['paired_ratio']:>8.2f} {verdict}"
            )
            if sql:
                for label, key in (("produit", "sql"), ("nu", "bare_sql")):
                    self.stdout.write(f"-- {path}, {label} :")
                    for number, statement in enumerate(figures[key], 1):
                        self.stdout.write(f"{number:3d} {statement[:220]}")
        if json:
            with open(json, "w", encoding="utf-8") as out:
                dump({**results, "load": load, "vendor": connection.vendor}, out)

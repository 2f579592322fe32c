"""Build the national data set (``benchmarks.national``) in the configured database.

Run it on a benchmark database, never on real data (refused in production)::

    DATABASE_URL=postgres://…/bench manage.py migrate
    DATABASE_URL=postgres://…/bench manage.py generate_national --scale 0.1
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks.national import generate, generated_exists


class Command(BaseCommand):
    help = "Construit le jeu de données national (régions, GHT, contrats, processus, journal)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = taille nationale")

    def handle(self, *args, scale, **options):
        if not settings.DEMO_ACCOUNTS_ALLOWED:
            raise CommandError("Génération interdite avec ces réglages (production).")
        if not 0 < scale <= 1:
            raise CommandError("L'échelle est comprise entre 0 (exclu) et 1.")
        if generated_exists():
            raise CommandError("Le jeu national est déjà dans cette base : prenez une base vide.")
        started = time.perf_counter()
        generate(scale, lambda line: self.stdout.write(line, ending="\n"))
        minutes = (time.perf_counter() - started) / 60
        self.stdout.write(f"Terminé en {minutes:.1f} min.")

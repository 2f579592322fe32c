"""Run the background exports left pending (after a restart, or without threads)."""

from django.core.management.base import BaseCommand

from reporting.jobs import run_pending_jobs


class Command(BaseCommand):
    help = "Exécute les exports en attente."

    def handle(self, *args, **options):
        self.stdout.write(f"{run_pending_jobs()} export(s) exécuté(s).")

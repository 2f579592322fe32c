"""Run the one scheduler of the periodic work (timers, due processes, DS sync…)."""

import signal
import sys
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from background.scheduler import release, tick
from background.worker import new_worker_id


class Command(BaseCommand):
    help = (
        "Planificateur des travaux périodiques (minuteries, processus à ouvrir, synchronisation "
        "DS…) : un seul à la fois, garanti par un verrou en base ; chaque travail est mis en "
        "file comme tâche pour les exécutants."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=10, help="secondes entre deux passages"
        )
        parser.add_argument("--once", action="store_true", help="un seul passage")

    def handle(self, *args, interval, once, **options):
        holder = new_worker_id()
        # Stopped (Ctrl+C, `kill`, `make run` ending): give the lease up on the way out.
        previous = {
            signum: signal.signal(signum, lambda *_: sys.exit(0))
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while True:
                try:
                    queued = tick(holder=holder)
                except DatabaseError as error:  # the database restarting: try again next time
                    self.stderr.write(f"Base indisponible : {error}")
                    queued = []
                if queued is None:
                    self.stdout.write("Un autre planificateur tient le verrou : en attente.")
                elif queued:
                    self.stdout.write("Mis en file : " + ", ".join(queued))
                if once:
                    return
                time.sleep(interval)
                close_old_connections()  # a long-lived process: as Django does per request
        finally:
            release(holder=holder)
            for signum, handler in previous.items():
                signal.signal(signum, handler)

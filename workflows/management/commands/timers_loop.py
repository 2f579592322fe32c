import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Déclenche les minuteries des workflows à intervalle régulier (pour `make run` ; "
        "en production, lancer `workflow_timers` chaque minute par cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="secondes entre deux passes")
        parser.add_argument("--once", action="store_true", help="une seule passe")

    def handle(self, *args, **options):
        while True:
            call_command("open_due_processes", stdout=self.stdout)
            call_command("workflow_timers", stdout=self.stdout)
            if options["once"]:
                return
            time.sleep(options["interval"])

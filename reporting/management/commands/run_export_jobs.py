"""Run the queued tasks (exports among them) here, then stop: a worker that does not wait."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Exécute les tâches en file (dont les exports) puis s'arrête (`db_worker --batch`)."

    def handle(self, *args, **options):
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=self.stdout
        )

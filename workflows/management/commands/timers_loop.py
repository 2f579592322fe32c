from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Ancien nom du planificateur : lance `run_scheduler` (travaux périodiques mis en file "
        "comme tâches, un seul planificateur à la fois)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=10, help="secondes entre deux passes")
        parser.add_argument("--once", action="store_true", help="une seule passe")

    def handle(self, *args, interval, once, **options):
        call_command("run_scheduler", interval=interval, once=once, stdout=self.stdout)

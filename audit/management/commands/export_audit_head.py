"""Write today's audit chain head as JSON, to keep outside the database."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.verify import current_head


class Command(BaseCommand):
    help = (
        "Écrit la tête de chaîne du journal d'audit du jour (date, dernier numéro, "
        "dernière empreinte, nombre d'événements) en JSON, à conserver hors de la base ; "
        "verify_audit --against FICHIER la vérifie plus tard."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Fichier à écrire (sinon : sortie)")

    def handle(self, *args, output=None, **options):
        text = current_head(today=timezone.localdate()).as_json() + "\n"
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(f"Tête de chaîne écrite dans {output}")

"""Take a checkpoint of the journal and write it as JSON, to keep outside the database."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.checkpoints import export_checkpoint


class Command(BaseCommand):
    help = (
        "Prend un point de contrôle du journal d'audit et l'écrit en JSON (numéro, empreinte, "
        "tête de chaque flux), à conserver hors de la base ; verify_audit --against FICHIER "
        "le vérifie plus tard."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Fichier à écrire (sinon : sortie)")

    def handle(self, *args, output=None, **options):
        text = export_checkpoint(today=timezone.localdate()).as_json() + "\n"
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(f"Point de contrôle écrit dans {output}")

"""Verify the journal's streams and checkpoints; fail naming the first broken one."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import ExportedCheckpoint
from audit.verify import CHUNK_SIZE, verify_journal


class Command(BaseCommand):
    help = (
        "Vérifie chaque flux du journal d'audit (chaque contrat, chaque appel à "
        "candidatures, le référentiel territorial, les droits) puis la chaîne nationale des "
        "points de contrôle. Échoue en nommant le premier événement (flux et numéro) ou "
        "point de contrôle modifié, supprimé, inséré ou déplacé. --against FICHIER vérifie "
        "aussi qu'un point de contrôle exporté (export_audit_head) et les têtes de flux "
        "qu'il a vues sont toujours dans le journal, inchangés."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against", type=Path, help="Point de contrôle exporté par export_audit_head"
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)

    def handle(self, *args, against=None, chunk_size=CHUNK_SIZE, **options):
        exported = None
        if against is not None:
            try:
                exported = ExportedCheckpoint.from_json(against.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                raise CommandError(
                    f"Point de contrôle exporté illisible : {against} ({error})"
                ) from error
        started = time.perf_counter()
        report = verify_journal(against=exported, chunk_size=chunk_size)
        seconds = time.perf_counter() - started
        if not report.is_valid:
            raise CommandError(
                f"Journal rompu ({report.checked} événement(s) lu(s)). {report.first_break.message}"
            )
        self.stdout.write(
            f"{report.checked} événement(s) vérifié(s) dans {report.streams} flux et "
            f"{report.checkpoints} point(s) de contrôle en {seconds:.1f} s ; dernier point de "
            f"contrôle n° {report.last_checkpoint} : {report.last_checkpoint_hash}"
        )
        if exported is not None:
            self.stdout.write(
                f"Point de contrôle exporté le {exported.day:%d/%m/%Y} (n° {exported.number}, "
                f"{len(exported.heads)} flux) retrouvé inchangé."
            )

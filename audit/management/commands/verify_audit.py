"""Verify the audit journal's hash chain; fail naming the first broken event."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.verify import CHUNK_SIZE, ExportedHead, verify_chain


class Command(BaseCommand):
    help = (
        "Vérifie toute la chaîne d'empreintes du journal d'audit, dans l'ordre. "
        "Échoue en nommant le premier événement modifié, supprimé, inséré ou déplacé. "
        "--against FICHIER vérifie aussi qu'une tête exportée (export_audit_head) est "
        "toujours dans la chaîne, inchangée."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against", type=Path, help="Tête de chaîne exportée par export_audit_head"
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)

    def handle(self, *args, against=None, chunk_size=CHUNK_SIZE, **options):
        exported = None
        if against is not None:
            try:
                exported = ExportedHead.from_json(against.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"Tête exportée illisible : {against} ({error})") from error
        started = time.perf_counter()
        report = verify_chain(against=exported, chunk_size=chunk_size)
        seconds = time.perf_counter() - started
        if not report.is_valid:
            raise CommandError(
                f"Chaîne rompue après {report.checked} événement(s) lu(s). "
                f"{report.first_break.message}"
            )
        self.stdout.write(
            f"{report.checked} événement(s) vérifié(s) en {seconds:.1f} s ; "
            f"tête n° {report.last_sequence} : {report.last_hash}"
        )
        if exported is not None:
            self.stdout.write(
                f"Tête exportée le {exported.day:%d/%m/%Y} (n° {exported.last_sequence}) "
                "retrouvée inchangée."
            )
        return None

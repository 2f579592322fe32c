"""Import a contract's funding lines or milestones from a CSV or XLSX file."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from contracts.imports import KINDS, import_contract_file
from contracts.models import Contract
from contracts.readers import FileRefused, ImportLimits, check_file_size


class Command(BaseCommand):
    help = (
        "Importe les lignes de financement ou les jalons d'un contrat (CSV ou XLSX). "
        "Simulation par défaut : --wet-run pour enregistrer. Tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Référence du contrat")
        parser.add_argument("path", type=Path, help="Fichier .csv ou .xlsx")
        parser.add_argument("--kind", choices=KINDS, default="lines")
        parser.add_argument("--username", required=True, help="Compte au nom duquel écrire")
        parser.add_argument("--wet-run", action="store_true", help="Enregistrer pour de bon")

    def handle(self, *args, reference, path, kind, username, wet_run, **options):
        try:
            contract = Contract.objects.get(reference=reference)
        except Contract.DoesNotExist as error:
            raise CommandError(f"Contrat inconnu : {reference}") from error
        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"Compte inconnu ou inactif : {username}")
        if not actor.has_perm("contracts.change_contract"):
            raise CommandError(f"{username} n'a pas le droit de modifier les contrats.")
        try:
            check_file_size(path.stat().st_size, ImportLimits.from_settings())
        except OSError as error:
            raise CommandError(f"Fichier illisible : {path}") from error
        except FileRefused as error:
            raise CommandError(f"Rien n'a été enregistré : {error}") from error
        report = import_contract_file(
            actor=actor,
            contract=contract,
            kind=kind,
            file_format=path.suffix.lower().lstrip("."),
            content=path.read_bytes(),
            dry_run=not wet_run,
            filename=path.name,
        )
        for row in report.rows:
            detail = " ; ".join(row.errors) if row.errors else ""
            self.stdout.write(
                f"ligne {row.line_number:>4}  {row.status_label:<10} {row.key} {detail}"
            )
        if not report.is_valid:
            raise CommandError("\n".join(["Rien n'a été enregistré :", *report.errors]))
        counts = ", ".join(f"{count} {status.lower()}" for status, count in report.counts.items())
        verdict = "enregistré" if report.written else "simulation, rien n'a été enregistré"
        self.stdout.write(self.style.SUCCESS(f"Import {verdict} ({counts})."))

"""Import a FINESS extract (CSV) or FINESS+ feed (JSON); a dry run unless ``--wet-run``."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from territories.importers import OUTCOMES, ImportReport, import_finess_file
from territories.models import Establishment, HospitalGroup, HospitalGroupMembership, LegalEntity

MODELS = (LegalEntity, Establishment, HospitalGroup, HospitalGroupMembership)
OUTCOME_LABELS = {"created": "créés", "updated": "mis à jour", "unchanged": "inchangés"}
FORMAT_LABELS = {"extract": "extrait FINESS (CSV)", "finess_plus": "flux FINESS+ (JSON)"}


class Command(BaseCommand):
    help = (
        "Importe un extrait FINESS (CSV) ou un flux FINESS+ (JSON). Par défaut, simule et "
        "affiche ce qui serait fait ; --wet-run écrit, tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="fichier à importer")
        parser.add_argument(
            "--wet-run",
            action="store_true",
            help="écrire en base (sinon simulation) ; rien n'est écrit si une ligne est rejetée",
        )

    def handle(self, *args, path: Path, wet_run: bool, **options):
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        try:
            report = import_finess_file(path=path, wet_run=wet_run, progress=self.progress)
        except DatabaseError as error:
            raise CommandError(
                _("La base a refusé l'import, rien n'est écrit : %(error)s") % {"error": error}
            ) from error
        self.print_report(report)
        if report.file_error:
            raise CommandError(report.file_error)
        if report.rejected:
            raise CommandError(
                _("%(count)d enregistrement(s) rejeté(s) : rien n'est écrit.")
                % {"count": len(report.rejected)}
            )

    def progress(self, records: int) -> None:
        sys.stderr.write(_("… %(count)d lignes lues\n") % {"count": records})
        sys.stderr.flush()

    def print_report(self, report: ImportReport) -> None:
        write = self.stdout.write
        mode = (
            _("import")
            if report.wet_run
            else _("simulation (rien n'est écrit ; --wet-run pour importer)")
        )
        title = FORMAT_LABELS[report.source_format]
        if report.extract_date:
            title += _(" du %(date)s") % {"date": report.extract_date.isoformat()}
        write(f"{title} – {mode}")
        if report.file_error:
            return
        write(_("%(count)d enregistrements lus.") % {"count": report.records_read})
        write(f"{'':<28}" + "".join(f"{OUTCOME_LABELS[outcome]:>12}" for outcome in OUTCOMES))
        for model in MODELS:
            counts = [report.get(model, outcome) for outcome in OUTCOMES]
            write(
                f"{str(model._meta.verbose_name):<28}" + "".join(f"{count:>12}" for count in counts)
            )
        if report.skipped:
            write(_("Ignorés (%(count)d) :") % {"count": len(report.skipped)})
            for line in report.skipped:
                write(f"  {line.location} : {line.reason}")
        if report.rejected:
            write(self.style.ERROR(_("Rejetés (%(count)d) :") % {"count": len(report.rejected)}))
            for line in report.rejected:
                write(f"  {line.location} : {line.reason}")
        elif report.written:
            write(self.style.SUCCESS(_("Import enregistré.")))

"""Read the dossiers of a campaign from Démarches simplifiées; a dry run unless ``--wet-run``."""

import csv
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from calls.ds import DsAnswerError
from calls.ds_export import read_export
from calls.intake import (
    TOKEN_VARIABLE,
    SyncReport,
    campaign_for_answer,
    sync_answer,
    sync_from_ds,
)
from calls.models import Campaign, DossierState


class Command(BaseCommand):
    help = _(
        "Lit les dossiers d'une campagne sur Démarches simplifiées (API GraphQL v2, jeton "
        "dans DS_API_TOKEN), dans une réponse enregistrée (--from-file) ou, en secours, dans un "
        "export XLSX/CSV de DS (--from-export, avec --campaign). Par défaut, simule ; "
        "--wet-run écrit, tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help=_("identifiant de la campagne"))
        parser.add_argument(
            "--from-file", type=Path, help=_("réponse JSON de l'API DS au lieu de l'API")
        )
        parser.add_argument(
            "--from-export",
            type=Path,
            help=_("export XLSX ou CSV de DS (secours manuel ; colonnes lues par leur titre)"),
        )
        parser.add_argument(
            "--wet-run",
            action="store_true",
            help=_("écrire en base (sinon simulation) ; rien n'est écrit si un dossier est refusé"),
        )

    def handle(
        self, *args, campaign=None, from_file=None, from_export=None, wet_run=False, **options
    ):
        if from_export is not None:
            payload, campaign = self.read_export(campaign, from_file, from_export)
        elif from_file is not None:
            payload, campaign = self.read(campaign, from_file)
        else:
            payload, campaign = None, self.api_campaign(campaign)
        try:
            if payload is None:
                report = sync_from_ds(
                    campaign=campaign, token=os.environ[TOKEN_VARIABLE], wet_run=wet_run
                )
            else:
                # A saved answer's file links have expired and an export has none: the
                # pieces are recorded, not fetched.
                report = sync_answer(campaign=campaign, payload=payload, wet_run=wet_run)
        except DatabaseError as error:
            raise CommandError(
                _("La base a refusé la synchronisation, rien n'est écrit : %(error)s")
                % {"error": error}
            ) from error
        self.print_report(report)
        if report.problems:
            raise CommandError(
                _("%(count)d problème(s) : rien n'est écrit.") % {"count": len(report.problems)}
            )

    def api_campaign(self, campaign_id):
        if campaign_id is None:
            raise CommandError(_("Sans --from-file, indiquez la campagne (--campaign)."))
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(_("Campagne introuvable : %(id)s") % {"id": campaign_id})
        if not campaign.ds_demarche_number:
            raise CommandError(_("La campagne n'est liée à aucune démarche DS."))
        if not os.environ.get(TOKEN_VARIABLE):
            raise CommandError(_("Jeton absent : définissez DS_API_TOKEN."))
        return campaign

    def read_export(self, campaign_id, from_file, path):
        if from_file is not None:
            raise CommandError(_("--from-file ou --from-export, pas les deux."))
        if campaign_id is None:
            raise CommandError(_("Avec --from-export, indiquez la campagne (--campaign)."))
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(_("Campagne introuvable : %(id)s") % {"id": campaign_id})
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        try:
            payload = read_export(
                path,
                demarche_number=campaign.ds_demarche_number,
                mapping=campaign.ds_champ_mapping,
            )
        except DsAnswerError as error:
            raise CommandError(
                _("L'export ne peut pas être lu, rien n'est écrit :\n%(problems)s")
                % {"problems": "\n".join(error.problems)}
            ) from error
        except (OSError, ValueError, KeyError, csv.Error) as error:
            raise CommandError(
                _("L'export n'est pas un fichier XLSX/CSV lisible : %(error)s") % {"error": error}
            ) from error
        return payload, campaign

    def read(self, campaign_id, from_file):
        campaign = None
        if campaign_id is not None:
            campaign = Campaign.objects.filter(pk=campaign_id).first()
            if campaign is None:
                raise CommandError(_("Campagne introuvable : %(id)s") % {"id": campaign_id})
        if not from_file.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": from_file})
        try:
            payload = json.loads(from_file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(
                _("Le fichier n'est pas une réponse JSON lisible : %(error)s") % {"error": error}
            ) from error
        if campaign is None:
            try:
                campaign = campaign_for_answer(payload)
            except DsAnswerError as error:
                raise CommandError("\n".join(error.problems)) from error
        return payload, campaign

    def print_report(self, report: SyncReport) -> None:
        write = self.stdout.write
        mode = (
            _("synchronisation")
            if report.wet_run
            else _("simulation (rien n'est écrit ; --wet-run pour écrire)")
        )
        write(f"{report.campaign} – {mode}")
        write(_("%(count)d dossier(s) lu(s).") % {"count": report.read})
        for label, numbers in (
            (_("créés"), report.created),
            (_("mis à jour"), report.updated),
            (_("inchangés"), report.unchanged),
            (_("supprimés sur DS"), report.deleted),
        ):
            write(f"  {label} : {len(numbers)}")
        for state in DossierState:
            if report.states.get(state):
                write(f"  {state.label} : {report.states[state]}")
        for number, reasons in sorted(report.flagged.items()):
            write(_("Dossier %(number)s :") % {"number": number})
            for reason in reasons:
                write(f"  – {reason}")
        if report.problems:
            write(self.style.ERROR(_("Problèmes (%(count)d) :") % {"count": len(report.problems)}))
            for problem in report.problems:
                write(f"  {problem}")

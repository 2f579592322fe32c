"""The XLSX export of a campaign's dossiers: formula-safe, journaled."""

from dataclasses import dataclass

import tablib
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from audit.spreadsheet import neutralise_dataset
from contracts.imports import CONTENT_TYPES
from contracts.resources import render_dataset

HEADERS = [
    "numero_ds",
    "demandeur",
    "siret",
    "finess",
    "etat",
    "etat_ds",
    "depose_le",
    "intitule",
    "actions",
    "cout_total",
    "part_ars_demandee",
    "motifs",
]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def dossiers_dataset(dossiers) -> tablib.Dataset:
    """Return one row per dossier, every cell neutralised (``audit.spreadsheet``)."""
    dataset = tablib.Dataset(headers=HEADERS)
    for dossier in dossiers:
        reasons = [r["message"] for r in dossier.check_results if r["outcome"] != "OK"]
        dataset.append(
            [
                dossier.ds_number,
                dossier.applicant_name,
                dossier.applicant_siret,
                dossier.applicant_finess,
                dossier.get_state_display(),
                dossier.get_ds_state_display(),
                f"{timezone.localtime(dossier.submitted_at):%d/%m/%Y %H:%M:%S}",
                dossier.project_title,
                dossier.action_count,
                dossier.cost_total,
                dossier.ars_total,
                "\n".join(reasons),
            ]
        )
    return neutralise_dataset(dataset)


@transaction.atomic
def export_dossiers(*, actor, campaign, dossiers, query: dict) -> ExportFile:
    """Return ``dossiers`` of ``campaign`` as an XLSX file and journal the export."""
    dataset = dossiers_dataset(dossiers)
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=campaign,
        summary=_("Export XLSX des dossiers (%(rows)s lignes)") % {"rows": dataset.height},
        changes={"format": "xlsx", "rows": dataset.height, "filters": query},
    )
    return ExportFile(
        filename=f"campagne-{campaign.pk}-dossiers.xlsx",
        content_type=CONTENT_TYPES["xlsx"],
        content=render_dataset(dataset, "xlsx"),
    )


SHEET_HEADERS = [
    "rang",
    "numero_ds",
    "demandeur",
    "note_sur_15",
    "avis",
    "part_ars_demandee",
    "montant_propose",
    "montant_accorde",
    "decision",
]


def committee_sheet_dataset(rows) -> tablib.Dataset:
    """Return the committee sheet, one row per dossier by rank, every cell neutralised."""
    dataset = tablib.Dataset(headers=SHEET_HEADERS)
    for rank, row in enumerate(rows, start=1):
        dataset.append(
            [
                rank,
                row.ds_number,
                row.applicant_name,
                row.score,
                row.opinion_label,
                row.ars_asked,
                row.proposed,
                row.granted,
                row.outcome_label,
            ]
        )
    return neutralise_dataset(dataset)


@transaction.atomic
def export_committee_sheet(*, actor, campaign, rows, totals, file_format: str) -> ExportFile:
    """Return the committee sheet as XLSX or PDF and journal the export."""
    from . import letters

    if file_format == "pdf":
        content = letters.committee_sheet_pdf(campaign=campaign, rows=rows, totals=totals)
        content_type = "application/pdf"
    else:
        content = render_dataset(committee_sheet_dataset(rows), "xlsx")
        content_type = CONTENT_TYPES["xlsx"]
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=campaign,
        summary=_("Fiche du comité exportée (%(format)s, %(rows)s dossiers)")
        % {"format": file_format.upper(), "rows": len(rows)},
        changes={"format": file_format, "rows": len(rows)},
    )
    return ExportFile(
        filename=f"campagne-{campaign.pk}-fiche-comite.{file_format}",
        content_type=content_type,
        content=content,
    )

"""The timeline as a CSV or XLSX file whose cells no spreadsheet runs as formulas."""

from dataclasses import dataclass

import tablib
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from audit.spreadsheet import neutralise_dataset
from contracts.imports import CONTENT_TYPES
from contracts.resources import render_dataset

from .selectors import TimelineFilters, as_entries, contract_timeline

FILE_FORMATS = ("csv", "xlsx")
HEADERS = [
    "date",
    "source",
    "numero",
    "acteur",
    "action",
    "type_objet",
    "id_objet",
    "objet",
    "resume",
    "motif",
    "avant_apres",
]


@dataclass(frozen=True)
class TimelineFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


def timeline_dataset(entries) -> tablib.Dataset:
    """Return the entries as rows, every cell neutralised (OWASP "CSV injection")."""
    dataset = tablib.Dataset(headers=HEADERS)
    for entry in entries:
        dataset.append(
            [
                date_format(timezone.localtime(entry.at), "d/m/Y H:i:s"),
                entry.source,
                entry.entry_id,
                entry.actor,
                entry.action_label,
                entry.object_type,
                entry.object_id,
                entry.object_label,
                entry.summary,
                entry.reason,
                "; ".join(f"{c.field} : {c.before} → {c.after}" for c in entry.changes),
            ]
        )
    return neutralise_dataset(dataset)


@transaction.atomic
def export_timeline(
    *, actor, contract, filters: TimelineFilters, file_format: str, query: dict
) -> TimelineFile:
    """Return the contract's filtered timeline as a file and journal the export."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"Unknown file format: {file_format}")
    dataset = timeline_dataset(as_entries(contract_timeline(contract, filters).iterator()))
    content = render_dataset(dataset, file_format)
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=contract,
        summary=_("Export %(format)s de l'historique (%(rows)s lignes)")
        % {"format": file_format.upper(), "rows": dataset.height},
        changes={"format": file_format, "rows": dataset.height, "filters": query},
    )
    return TimelineFile(
        filename=f"{contract.reference}-historique.{file_format}",
        content_type=CONTENT_TYPES[file_format],
        content=content,
        rows=dataset.height,
    )

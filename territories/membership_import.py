"""Import the members of GHTs from a CSV file (``HospitalGroupMembershipResource``).

All or nothing: django-import-export checks and writes every row in one transaction, rolled
back when it is a dry run or when any row is wrong. Bounded: the file's size and its number
of rows are checked before any row is read. Line numbers are those of a spreadsheet (the
header is line 1); each error names its column.
"""

from collections.abc import Callable

import tablib
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from .resources import HospitalGroupMembershipResource

COLUMNS = ["code_ght", "role", "etablissement", "finess_entite_juridique"]
PROGRESS_EVERY = 50


class _CountingResource(HospitalGroupMembershipResource):
    """The resource, telling ``progress`` every ``PROGRESS_EVERY`` rows it has imported."""

    def __init__(self, progress, total):
        super().__init__()
        self.progress, self.total, self.done = progress, total, 0

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        self.done += 1
        if self.progress and (self.done % PROGRESS_EVERY == 0 or self.done == self.total):
            self.progress(self.done, self.total)
        return result


def _read(content: bytes) -> tablib.Dataset:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise ValueError(_("Le fichier n'est ni en UTF-8 ni en Windows-1252."))
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    return tablib.Dataset().load(text, format="csv", delimiter=delimiter)


def _column_of(resource, field_name: str) -> str:
    field = resource.fields.get(field_name)
    return field.column_name if field is not None else field_name


def import_membership_file(
    *,
    content: bytes,
    dry_run: bool = True,
    actor=None,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Check (and unless ``dry_run``, write) the GHT members of a CSV file; return the report."""
    report = {"valid": False, "written": False, "counts": {}, "errors": [], "rows": 0}
    try:
        dataset = _read(content)
    except Exception as error:  # noqa: BLE001 - any unreadable file is one user error
        report["errors"].append(
            _("Fichier illisible au format CSV : %(error)s") % {"error": error.__class__.__name__}
        )
        return report
    missing = [column for column in COLUMNS if column not in (dataset.headers or [])]
    if missing:
        report["errors"].append(
            _("Ligne 1 : colonnes manquantes : %(columns)s.") % {"columns": ", ".join(missing)}
        )
        return report
    limit = settings.GHT_MEMBERS_IMPORT_MAX_ROWS
    if dataset.height > limit:
        report["errors"].append(
            _("Le fichier dépasse %(limit)d lignes (limite) : il en compte %(rows)d.")
            % {"limit": limit, "rows": dataset.height}
        )
        return report
    report["rows"] = dataset.height
    if progress:
        progress(0, dataset.height)
    resource = _CountingResource(progress, dataset.height)
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            collect_failed_rows=False,
        )
        problems: list[tuple[int, str]] = []
        for number, errors in result.row_errors():
            problems.extend(
                (number, _("Ligne %(line)d : %(error)s") % {"line": number + 1, "error": e.error})
                for e in errors
            )
        for row in result.invalid_rows:
            for name, messages in row.field_specific_errors.items():
                problems.extend(
                    (
                        row.number,
                        _("Ligne %(line)d, colonne %(column)s : %(error)s")
                        % {
                            "line": row.number + 1,
                            "column": _column_of(resource, name),
                            "error": message,
                        },
                    )
                    for message in messages
                )
            problems.extend(
                (row.number, _("Ligne %(line)d : %(error)s") % {"line": row.number + 1, "error": m})
                for m in row.non_field_specific_errors
            )
        report["errors"] = [message for _number, message in sorted(problems, key=lambda p: p[0])]
        report["counts"] = {
            key: result.totals.get(key, 0) for key in ("new", "update", "skip", "error", "invalid")
        }
        report["valid"] = not report["errors"]
        report["written"] = report["valid"] and not dry_run
        if report["written"] and (report["counts"]["new"] or report["counts"]["update"]):
            record_event(
                actor=actor,
                action=AuditAction.IMPORT,
                object_type="territories.HospitalGroupMembership",
                object_label=filename,
                summary=_("Import des membres de GHT : %(file)s") % {"file": filename},
                changes={"counts": report["counts"], "rows": dataset.height},
            )
    return report

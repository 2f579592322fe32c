"""Import and export of a contract's funding lines and milestones (CSV, XLSX).

An import is all or nothing: every row is checked, then written through the services
(so each write is journaled) inside one transaction that is rolled back if any row is
wrong, or when it is a dry run. A dry run therefore reports exactly what the wet run
writes. Line numbers are those of a spreadsheet: the header is line 1.
"""

import datetime
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.journal import AuditAction, record_event

from . import services
from .exceptions import BusinessRuleError
from .models import Contract, ContractStatus, FundingLine, Milestone, StrategicAxis
from .money import CENT, MAX_AMOUNT, MONEY_DECIMAL_PLACES, ZERO, format_euros
from .readers import FileRefused, Sheet, read_sheet
from .resources import (
    AMOUNT_COLUMN_PREFIX,
    FILE_FORMATS,
    LINE_COLUMNS,
    MILESTONE_COLUMNS,
    MILESTONE_READ_ONLY_COLUMNS,
    beneficiary_key,
    contract_dataset,
    render_dataset,
    restore_cell,
)
from .schemes import SchemeCode
from .selectors import eligible_beneficiaries

KINDS = ("lines", "milestones")
# Progress is reported at batch boundaries: one write per this many rows.
PROGRESS_EVERY = 50
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SPACES = re.compile(r"[\s\u00a0\u202f]")


class InvalidValue(ValueError):
    """A cell that cannot be read; the message is in French."""


class AmountOutOfBounds(InvalidValue):
    """An amount larger than the money column holds (numeric(14, 2))."""

    def __init__(self, value: str):
        self.value = value
        super().__init__(
            _("montant hors limites (« %(value)s » : au plus %(max)s)")
            % {"value": value, "max": format_euros(MAX_AMOUNT)}
        )


class RowStatus(TextChoices):
    CREATED = "CREATED", gettext_lazy("créée")
    UPDATED = "UPDATED", gettext_lazy("modifiée")
    UNCHANGED = "UNCHANGED", gettext_lazy("inchangée")
    ERROR = "ERROR", gettext_lazy("en erreur")


# Cell parsing ----------------------------------------------------------------------------


def _shown(value, limit: int = 40) -> str:
    text = str(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_in(value) -> Decimal:
    """Return the exact number written in a cell, never rounded (``InvalidValue`` if none)."""
    if isinstance(value, bool):
        raise InvalidValue(_("« %(value)s » n'est pas un montant.") % {"value": value})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, float) and math.isfinite(value):
        # A spreadsheet number arrives as a float: its repr is the shortest exact text.
        return Decimal(repr(value))
    text = _SPACES.sub("", str(value)).removesuffix("€").replace("EUR", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands_mark = "." if decimal_mark == "," else ","
        text = text.replace(thousands_mark, "")
    text = text.replace(",", ".")
    # No exponent, NaN or Infinity: digits only, so ``Decimal`` below cannot fail.
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        raise InvalidValue(
            _("« %(value)s » n'est pas un montant décimal (exemple : 12 000,50).")
            % {"value": _shown(value)}
        )
    return Decimal(text)


def parse_amount(value) -> Decimal | None:
    """Return the amount written in a cell, or ``None`` if the cell is empty.

    Accepts ``12000.50``, ``12000,50``, ``12 000,50``, ``12.000,50`` and ``12 000,50 €``;
    a spreadsheet number is read through its shortest text form. Refuses more than two
    decimals, a negative amount, an amount the money column cannot hold (``AmountOutOfBounds``)
    and anything that is not a number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    amount = _number_in(value)
    # Checked before any rounding: ``quantize`` fails past 28 digits, the database past 14.
    if abs(amount) > MAX_AMOUNT:
        raise AmountOutOfBounds(_shown(value))
    if amount.as_tuple().exponent < -MONEY_DECIMAL_PLACES:
        raise InvalidValue(
            _("« %(value)s » a plus de deux décimales : un montant s'exprime au centime.")
            % {"value": _shown(value)}
        )
    if amount < 0:
        raise InvalidValue(
            _("« %(value)s » : un montant ne peut pas être négatif.") % {"value": _shown(value)}
        )
    return amount.quantize(CENT)


def parse_decimal(value) -> Decimal | None:
    """Return a non-money number (indicator value), same reading rules and bounds as amounts."""
    try:
        return parse_amount(value)
    except AmountOutOfBounds as error:
        raise InvalidValue(
            _("valeur hors limites (« %(value)s » : au plus %(max)s)")
            % {"value": error.value, "max": format_euros(MAX_AMOUNT).removesuffix(" €")}
        ) from error


def parse_date(value) -> datetime.date | None:
    """Return the date in a cell (``2026-03-31``, ``31/03/2026`` or a spreadsheet date)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise InvalidValue(
        _("« %(value)s » n'est pas une date (attendu : AAAA-MM-JJ ou JJ/MM/AAAA).")
        % {"value": value}
    )


def parse_int(value, label: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = "" if value is None else str(value).strip()
    if not text.isdigit():
        raise InvalidValue(
            _("%(label)s : « %(value)s » n'est pas un nombre entier.")
            % {"label": label, "value": text}
        )
    return int(text)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_details(value) -> dict:
    text = _cell_text(value)
    if not text:
        return {}
    try:
        details = json.loads(text, parse_float=str)
    except json.JSONDecodeError as error:
        raise InvalidValue(
            _("paramètres : le texte n'est pas un objet JSON valide (%(error)s).")
            % {"error": error.msg}
        ) from error
    if not isinstance(details, dict):
        raise InvalidValue(
            _('paramètres : un objet JSON est attendu, par exemple {"students": 2}.')
        )
    return details


# Report ----------------------------------------------------------------------------------


@dataclass
class RowResult:
    line_number: int
    key: str
    status: str = RowStatus.UNCHANGED
    errors: list[str] = field(default_factory=list)
    changes: dict = field(default_factory=dict)

    def fail(self, message) -> None:
        self.status = RowStatus.ERROR
        if isinstance(message, BusinessRuleError):
            self.errors.extend(message.messages)
        else:
            self.errors.append(str(message))

    @property
    def status_label(self) -> str:
        return RowStatus(self.status).label


@dataclass
class ImportReport:
    kind: str
    file_format: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and all(row.status != RowStatus.ERROR for row in self.rows)

    @property
    def written(self) -> bool:
        return self.is_valid and not self.dry_run

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in RowStatus.values}

    def as_dict(self) -> dict:
        """Return the report as JSON-ready data (a task's return value, a page's context)."""
        return {
            "kind": self.kind,
            "file_format": self.file_format,
            "dry_run": self.dry_run,
            "valid": self.is_valid,
            "written": self.written,
            "counts": self.counts,
            "file_errors": [str(error) for error in self.file_errors],
            "errors": [str(error) for error in self.errors],
            "rows": [
                {
                    "line_number": row.line_number,
                    "key": str(row.key),
                    "status": str(row.status),
                    "status_label": str(row.status_label),
                    "errors": [str(error) for error in row.errors],
                    "changes": row.changes,
                }
                for row in self.rows
            ],
        }

    @property
    def errors(self) -> list[str]:
        """Return every problem, each prefixed with its line number."""
        messages = list(self.file_errors)
        for row in self.rows:
            messages.extend(
                _("Ligne %(line)s : %(error)s") % {"line": row.line_number, "error": error}
                for error in row.errors
            )
        return messages


# Rows ------------------------------------------------------------------------------------


@dataclass
class _PlannedRow:
    result: RowResult
    write: Callable[[], object]  # performs the row's writes through the services
    order: Decimal = ZERO


def _rows(sheet: Sheet) -> list[tuple[int, dict]]:
    headers = [_cell_text(restore_cell(header)) for header in sheet.headers]
    rows = []
    for line_number, cells in sheet.rows:
        values = {header: restore_cell(cell) for header, cell in zip(headers, cells, strict=False)}
        if line_number not in sheet.problems and all(
            _cell_text(value) == "" for value in values.values()
        ):
            continue
        rows.append((line_number, values))
    return rows


def _check_read(sheet: Sheet, line_number: int) -> None:
    """Refuse a line whose cells could not be read faithfully (see ``contracts.readers``)."""
    problems = sheet.problems.get(line_number)
    if problems:
        raise InvalidValue(" ; ".join(problems))


def _text(values: dict, column: str, model, field_name: str) -> str:
    """Return the text of a cell, refused when longer than its database column."""
    text = _cell_text(values.get(column))
    limit = model._meta.get_field(field_name).max_length
    if len(text) > limit:
        raise InvalidValue(
            _("%(column)s : %(length)s caractères, au plus %(limit)s.")
            % {"column": column, "length": len(text), "limit": limit}
        )
    return text


def _check_headers(sheet: Sheet, required: list[str], optional: list[str], report) -> list[str]:
    headers = [_cell_text(restore_cell(header)) for header in sheet.headers]
    missing = [column for column in required if column not in headers]
    if missing:
        report.file_errors.append(
            _("Ligne 1 : colonnes manquantes : %(columns)s.") % {"columns": ", ".join(missing)}
        )
    unknown = [
        header
        for header in headers
        if header not in required
        and header not in optional
        and not header.startswith(AMOUNT_COLUMN_PREFIX)
    ]
    if unknown:
        report.file_errors.append(
            _("Ligne 1 : colonnes inconnues : %(columns)s.") % {"columns": ", ".join(unknown)}
        )
    return headers


def _axis_of(values: dict, axes: dict[int, StrategicAxis]) -> StrategicAxis:
    number = parse_int(values.get("axe"), _("axe"))
    if number not in axes:
        raise InvalidValue(
            _("axe %(number)s inconnu : le contrat compte les axes %(axes)s.")
            % {"number": number, "axes": ", ".join(str(n) for n in sorted(axes))}
        )
    return axes[number]


def _beneficiaries(contract: Contract) -> dict[str, list]:
    by_key: dict[str, list] = {}
    for establishment in eligible_beneficiaries(contract):
        by_key.setdefault(beneficiary_key(establishment), []).append(establishment)
        if establishment.finess:
            by_key.setdefault(establishment.name, []).append(establishment)
    return by_key


def _year_columns(headers, report) -> dict[str, int]:
    """Return the amount columns (``montant_2026``) and their year; name unreadable ones."""
    year_columns: dict[str, int] = {}
    for header in headers:
        if header.startswith(AMOUNT_COLUMN_PREFIX):
            suffix = header.removeprefix(AMOUNT_COLUMN_PREFIX)
            if suffix.isdigit():
                year_columns[header] = int(suffix)
            else:
                report.file_errors.append(
                    _("Ligne 1 : colonne « %(column)s » : l'année n'est pas lisible.")
                    % {"column": header}
                )
    return year_columns


@dataclass(frozen=True)
class _LineRow:
    """One row of a lines file, read and checked, not yet written."""

    axis: object
    code: str
    scheme: str
    label: str
    beneficiary: object
    details: dict
    deadline: object
    amounts: dict[int, Decimal]


def _read_amounts(values, year_columns: dict[str, int], contract) -> dict[int, Decimal]:
    """Return the row's amount per year, bounded to the money column and the contract period."""
    amounts: dict[int, Decimal] = {}
    for column, year in year_columns.items():
        try:
            amount = parse_amount(values.get(column))
        except AmountOutOfBounds as error:
            raise InvalidValue(
                _("montant hors limites (%(column)s : « %(value)s » ; au plus %(max)s)")
                % {"column": column, "value": error.value, "max": format_euros(MAX_AMOUNT)}
            ) from error
        except InvalidValue as error:
            raise InvalidValue(f"{column} : {error}") from error
        if amount is None:
            continue
        if year not in contract.years:
            raise InvalidValue(
                _("année %(year)s hors de la période du contrat (%(start)s–%(end)s).")
                % {"year": year, "start": contract.start_date.year, "end": contract.end_date.year}
            )
        amounts[year] = amount
    return amounts


def _read_beneficiary(values, beneficiaries):
    key = _cell_text(values.get("beneficiaire"))
    matches = beneficiaries.get(key, [])
    if not matches:
        raise InvalidValue(
            _("bénéficiaire « %(key)s » inconnu parmi les établissements du GHT.") % {"key": key}
        )
    if len(matches) > 1:
        raise InvalidValue(
            _("bénéficiaire « %(key)s » ambigu : indiquez son numéro FINESS.") % {"key": key}
        )
    return matches[0]


def _read_line_row(values, *, contract, axes, beneficiaries, year_columns, seen) -> _LineRow:
    """Return one row of a lines file, checked; raise ``InvalidValue`` naming what is wrong."""
    axis = _axis_of(values, axes)
    code = _text(values, "code", FundingLine, "code")
    if not code:
        raise InvalidValue(_("le code de la ligne est obligatoire."))
    if (axis.pk, code) in seen:
        raise InvalidValue(
            _("la ligne %(code)s de l'axe %(axis)s figure deux fois dans le fichier.")
            % {"code": code, "axis": axis.number}
        )
    seen.add((axis.pk, code))
    scheme = _cell_text(values.get("dispositif")).upper()
    if scheme not in SchemeCode.values:
        raise InvalidValue(
            _("dispositif « %(scheme)s » inconnu (attendu : %(schemes)s).")
            % {"scheme": scheme, "schemes": ", ".join(SchemeCode.values)}
        )
    label = _text(values, "libelle", FundingLine, "label")
    if not label:
        raise InvalidValue(_("le libellé de la ligne est obligatoire."))
    return _LineRow(
        axis=axis,
        code=code,
        scheme=scheme,
        label=label,
        beneficiary=_read_beneficiary(values, beneficiaries),
        details=_parse_details(values.get("parametres")),
        deadline=parse_date(values.get("date_limite_consommation")),
        amounts=_read_amounts(values, year_columns, contract),
    )


def _plan_new_line(row: _LineRow, result: RowResult, *, actor, batch) -> _PlannedRow:
    result.status = RowStatus.CREATED
    result.changes = {
        f"{row.code} {year}": {"before": None, "after": str(amount)}
        for year, amount in sorted(row.amounts.items())
    }
    return _PlannedRow(
        result=result,
        order=sum(row.amounts.values(), ZERO),
        write=partial(
            services.add_funding_line,
            actor=actor,
            axis=row.axis,
            code=row.code,
            scheme=row.scheme,
            label=row.label,
            beneficiary=row.beneficiary,
            amounts_by_year=row.amounts,
            details=row.details,
            consumption_deadline_date=row.deadline,
            reason=_("Import de fichier"),
            batch=batch,
        ),
    )


def _changed_fields(row: _LineRow, line) -> tuple[dict, dict]:
    """Return the fields of ``line`` the row changes, and their before/after for the journal."""
    kwargs: dict = {}
    if row.label != line.label:
        kwargs["label"] = row.label
    if row.details != line.details:
        kwargs["details"] = row.details
    if row.beneficiary.pk != line.beneficiary_id:
        kwargs["beneficiary"] = row.beneficiary
    if row.deadline is not None and row.deadline != line.consumption_deadline_date:
        kwargs["consumption_deadline_date"] = row.deadline
    before = {
        "label": line.label,
        "details": line.details,
        "beneficiary": str(line.beneficiary),
        "consumption_deadline_date": line.consumption_deadline_date,
    }
    changes = {
        name: {
            "before": before[name] if name == "details" else str(before[name]),
            "after": value if name == "details" else str(value),
        }
        for name, value in kwargs.items()
    }
    return kwargs, changes


def _plan_changed_line(row: _LineRow, result: RowResult, line, *, actor, batch):
    """Return the write that brings ``line`` to the row, or None when nothing changes."""
    if row.scheme != line.scheme:
        result.fail(
            _(
                "la ligne %(code)s existe déjà avec le dispositif %(current)s : "
                "le dispositif d'une ligne ne se change pas."
            )
            % {"code": row.code, "current": line.scheme}
        )
        return None
    current = {a.year: a.allocated_amount for a in line.allocations.all()}
    changed_amounts = {
        year: amount for year, amount in row.amounts.items() if current.get(year) != amount
    }
    changes = {
        f"{row.code} {year}": {
            "before": str(current[year]) if year in current else None,
            "after": str(amount),
        }
        for year, amount in sorted(changed_amounts.items())
    }
    kwargs, field_changes = _changed_fields(row, line)
    changes.update(field_changes)
    if not changes:
        result.status = RowStatus.UNCHANGED
        return None
    result.status = RowStatus.UPDATED
    result.changes = changes
    delta = sum(
        (amount - current.get(year, ZERO) for year, amount in changed_amounts.items()), ZERO
    )
    return _PlannedRow(
        result=result,
        order=delta,
        write=partial(
            services.change_funding_line,
            actor=actor,
            line=line,
            amounts_by_year=changed_amounts or None,
            reason=_("Import de fichier"),
            batch=batch,
            **kwargs,
        ),
    )


def _plan_line_rows(*, actor, contract, sheet, report, batch) -> list[_PlannedRow]:
    """Read every row of a lines file and return the writes it asks for, in a safe order."""
    year_columns = _year_columns(_check_headers(sheet, LINE_COLUMNS, [], report), report)
    axes = {axis.number: axis for axis in contract.axes.all()}
    beneficiaries = _beneficiaries(contract)
    existing = {
        (line.axis_id, line.code): line
        for line in FundingLine.objects.filter(axis__contract=contract)
        .select_related("beneficiary")
        .prefetch_related("allocations")
    }
    seen: set[tuple[int, str]] = set()
    planned = []
    for line_number, values in _rows(sheet):
        code = _cell_text(values.get("code"))
        result = RowResult(line_number=line_number, key=_("ligne %(code)s") % {"code": code})
        report.rows.append(result)
        try:
            _check_read(sheet, line_number)
            row = _read_line_row(
                values,
                contract=contract,
                axes=axes,
                beneficiaries=beneficiaries,
                year_columns=year_columns,
                seen=seen,
            )
        except InvalidValue as error:
            result.fail(error)
            continue
        line = existing.get((row.axis.pk, row.code))
        if line is None:
            planned.append(_plan_new_line(row, result, actor=actor, batch=batch))
            continue
        change = _plan_changed_line(row, result, line, actor=actor, batch=batch)
        if change is not None:
            planned.append(change)
    # Rows that lower the allocated total go first, so a file that moves money between
    # lines never exceeds the envelope half-way through.
    planned.sort(key=lambda row: row.order)
    return planned


def _plan_milestone_rows(*, actor, contract, sheet, report, batch=None) -> list[_PlannedRow]:
    _check_headers(sheet, MILESTONE_COLUMNS, MILESTONE_READ_ONLY_COLUMNS, report)
    axes = {axis.number: axis for axis in contract.axes.all()}
    existing = {
        (milestone.axis_id, milestone.title): milestone
        for milestone in Milestone.objects.filter(axis__contract=contract)
    }
    seen: set[tuple[int, str]] = set()
    planned = []
    for line_number, values in _rows(sheet):
        title = _cell_text(values.get("intitule"))
        result = RowResult(line_number=line_number, key=_("jalon « %(title)s »") % {"title": title})
        report.rows.append(result)
        try:
            _check_read(sheet, line_number)
            axis = _axis_of(values, axes)
            title = _text(values, "intitule", Milestone, "title")
            if not title:
                raise InvalidValue(_("l'intitulé du jalon est obligatoire."))
            if (axis.pk, title) in seen:
                raise InvalidValue(_("ce jalon figure deux fois dans le fichier."))
            seen.add((axis.pk, title))
            due_date = parse_date(values.get("echeance"))
            if due_date is None:
                raise InvalidValue(_("l'échéance est obligatoire."))
            indicator = _text(values, "indicateur", Milestone, "indicator_label")
            if not indicator:
                raise InvalidValue(_("l'indicateur est obligatoire."))
            unit = _text(values, "unite", Milestone, "indicator_unit")
            baseline = parse_decimal(values.get("valeur_reference")) or ZERO
            target = parse_decimal(values.get("cible"))
            if target is None:
                raise InvalidValue(_("la cible est obligatoire."))
        except InvalidValue as error:
            result.fail(error)
            continue
        wanted = {
            "due_date": due_date,
            "indicator_label": indicator,
            "indicator_unit": unit,
            "baseline_value": baseline,
            "target_value": target,
        }
        milestone = existing.get((axis.pk, title))
        if milestone is not None:
            differing = [
                name for name, value in wanted.items() if getattr(milestone, name) != value
            ]
            if differing:
                result.fail(
                    _(
                        "le jalon existe déjà avec d'autres valeurs (%(fields)s) : l'import "
                        "ajoute des jalons mais ne modifie pas un jalon existant."
                    )
                    % {"fields": ", ".join(differing)}
                )
            else:
                result.status = RowStatus.UNCHANGED
            continue
        result.status = RowStatus.CREATED
        result.changes = {
            name: {"before": None, "after": str(value)} for name, value in wanted.items()
        }
        planned.append(
            _PlannedRow(
                result=result,
                write=partial(
                    services.add_milestone,
                    actor=actor,
                    axis=axis,
                    title=title,
                    due_date=due_date,
                    indicator_label=indicator,
                    indicator_unit=unit,
                    baseline_value=baseline,
                    target_value=target,
                ),
            )
        )
    return planned


# Use cases -------------------------------------------------------------------------------


def import_contract_file(
    *,
    actor,
    contract: Contract,
    kind: str,
    file_format: str,
    content: bytes,
    dry_run: bool = True,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of a file, then write them all through the services, or none.

    A dry run goes through the very same writes and rolls them back. ``progress(done,
    total)`` is told how many of the file's rows are checked and written, every
    ``PROGRESS_EVERY`` rows.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of rows: {kind}")
    report = ImportReport(kind=kind, file_format=file_format, dry_run=dry_run)
    if file_format not in FILE_FORMATS:
        report.file_errors.append(_("Format de fichier non pris en charge : %s.") % file_format)
        return report
    try:
        sheet = read_sheet(content, file_format)
    except FileRefused as error:
        report.file_errors.append(str(error))
        return report
    except Exception as error:  # noqa: BLE001 - any unreadable file is one user error
        report.file_errors.append(
            _("Fichier illisible au format %(format)s : %(error)s")
            % {"format": file_format.upper(), "error": error.__class__.__name__}
        )
        return report
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.DRAFT:
            report.file_errors.append(
                _(
                    "Le contrat est au statut « %(status)s » : seul un contrat en brouillon "
                    "s'importe ; un contrat signé se modifie par avenant."
                )
                % {"status": contract.get_status_display()}
            )
            return report
        # Lines: the envelope is totalled once, then kept as a running total (not quadratic).
        batch = services.LineBatch.open(contract) if kind == "lines" else None
        plan = _plan_line_rows if kind == "lines" else _plan_milestone_rows
        planned = plan(actor=actor, contract=contract, sheet=sheet, report=report, batch=batch)
        total = len(report.rows)
        # Rows with nothing to write are done once checked; the others once written.
        done = total - len(planned)
        if progress:
            progress(done, total)
        for row in planned:
            done += 1
            if progress and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
            try:
                with transaction.atomic():
                    row.write()
            except BusinessRuleError as error:
                row.result.fail(error)
            except TypeError as error:
                # Scheme rules refuse a parameter of the wrong type (e.g. "2" for a count).
                row.result.fail(_("paramètres : %(error)s") % {"error": error})
        if not report.is_valid or dry_run:
            transaction.set_rollback(True)
            return report
        record_event(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=contract,
            summary=_(
                "Import %(format)s : %(created)s créé(s), %(updated)s modifié(s), "
                "%(unchanged)s inchangé(s)"
            )
            % {
                "format": file_format.upper(),
                "created": report.count(RowStatus.CREATED),
                "updated": report.count(RowStatus.UPDATED),
                "unchanged": report.count(RowStatus.UNCHANGED),
            },
            changes={
                "file": filename,
                "kind": kind,
                "rows": {
                    str(row.line_number): {"status": row.status, "changes": row.changes}
                    for row in report.rows
                    if row.status != RowStatus.UNCHANGED
                },
            },
        )
    return report


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


@transaction.atomic
def export_contract_file(*, actor, contract: Contract, kind: str, file_format: str) -> ExportFile:
    """Return the contract's lines or milestones as a file and journal the export."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of rows: {kind}")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"Unknown file format: {file_format}")
    dataset = contract_dataset(contract, kind)
    content = render_dataset(dataset, file_format)
    name = "lignes" if kind == "lines" else "jalons"
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=contract,
        summary=_("Export %(format)s des %(kind)s (%(rows)s lignes)")
        % {"format": file_format.upper(), "kind": name, "rows": dataset.height},
        changes={"kind": kind, "format": file_format, "rows": dataset.height},
    )
    return ExportFile(
        filename=f"{contract.reference}-{name}.{file_format}",
        content_type=CONTENT_TYPES[file_format],
        content=content,
        rows=dataset.height,
    )

"""Read an uploaded CSV or XLSX file within bounds, streaming it line by line.

Each bound is checked before the work it protects: the file size before anything is read;
the uncompressed size of an XLSX's members before it is unzipped (2.5 MB of zip can expand
to gigabytes of XML); the sheet's declared dimensions before its rows; then rows and
columns are counted while they are read, and reading stops at the first line past a limit,
since the declared dimensions are written by whatever program saved the file and may lie.
Line numbers are those of a spreadsheet: the header is line 1.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

UTF8_BOM = b"\xef\xbb\xbf"
MEGABYTE = 1024 * 1024


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message is in French and names the line."""


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int
    max_uncompressed_bytes: int
    max_rows: int
    max_columns: int

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_file_bytes=settings.CONTRACT_IMPORT_MAX_FILE_BYTES,
            max_uncompressed_bytes=settings.CONTRACT_IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_rows=settings.CONTRACT_IMPORT_MAX_ROWS,
            max_columns=settings.CONTRACT_IMPORT_MAX_COLUMNS,
        )


@dataclass
class Sheet:
    """The header and the data lines of a file, each line with its spreadsheet number."""

    headers: list = field(default_factory=list)
    rows: list[tuple[int, list]] = field(default_factory=list)
    # Problems found while reading a line, refused with the line (e.g. an uncomputed formula).
    problems: dict[int, list[str]] = field(default_factory=dict)


def _count(number: int) -> str:
    """Return ``number`` grouped by thousands the French way (« 10 000 »)."""
    return f"{number:,}".replace(",", "\u202f")


def _megabytes(size: int) -> str:
    """Return ``size`` in Mo (« 10 Mo », « 12,5 Mo »), or in ko below one Mo."""
    if size < MEGABYTE:
        return f"{_count(size // 1024)} ko"
    return f"{size / MEGABYTE:.1f}".replace(".", ",").removesuffix(",0") + " Mo"


def check_file_size(size: int, limits: ImportLimits) -> None:
    """Refuse a file larger than the upload limit, before reading it."""
    if size > limits.max_file_bytes:
        raise FileRefused(
            _("Le fichier dépasse %(limit)s (limite) : il pèse %(size)s.")
            % {"limit": _megabytes(limits.max_file_bytes), "size": _megabytes(size)}
        )


def _too_many_rows(limits: ImportLimits, detail: str) -> FileRefused:
    return FileRefused(
        _("Le fichier dépasse %(limit)s lignes (limite) : %(detail)s")
        % {"limit": _count(limits.max_rows), "detail": detail}
    )


class _SheetBuilder:
    """Collect lines one at a time, stopping at the first one past a limit."""

    def __init__(self, limits: ImportLimits):
        self.limits = limits
        self.sheet = Sheet()

    def add(self, line_number: int, cells: list) -> None:
        if line_number - 1 > self.limits.max_rows:
            raise _too_many_rows(
                self.limits,
                _("lecture arrêtée à la ligne %(line)s.") % {"line": _count(line_number)},
            )
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if len(cells) > self.limits.max_columns:
            raise FileRefused(
                _("Ligne %(line)s : %(count)s colonnes, au-delà de la limite de %(limit)s.")
                % {
                    "line": _count(line_number),
                    "count": _count(len(cells)),
                    "limit": self.limits.max_columns,
                }
            )
        if line_number == 1:
            self.sheet.headers = cells
            return
        width = len(self.sheet.headers)
        if len(cells) > width:
            self.problem(
                line_number,
                _("%(count)s valeur(s) au-delà des colonnes nommées à la ligne 1.")
                % {"count": len(cells) - width},
            )
        self.sheet.rows.append((line_number, cells[:width] + [None] * (width - len(cells))))

    def problem(self, line_number: int, message: str) -> None:
        self.sheet.problems.setdefault(line_number, []).append(message)


# CSV -------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    """Return the text of a CSV saved in UTF-8 (with or without BOM) or Windows-1252.

    French Excel saves « CSV (séparateur : point-virgule) » in Windows-1252; bytes that are
    not valid UTF-8 are read as such.
    """
    encodings = ("utf-8-sig",) if content.startswith(UTF8_BOM) else ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _(
            "Le fichier CSV n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
            "« CSV UTF-8 » et envoyez-le de nouveau."
        )
    )


def _read_csv(content: bytes, limits: ImportLimits) -> Sheet:
    text = _decode(content)
    first_line = text.partition("\n")[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    builder = _SheetBuilder(limits)
    line_number = 0
    try:
        for line_number, cells in enumerate(reader, start=1):
            builder.add(line_number, cells)
    except csv.Error as error:
        raise FileRefused(
            _("Ligne %(line)s : CSV mal formé (%(error)s).")
            % {"line": _count(line_number + 1), "error": error}
        ) from error
    return builder.sheet


# XLSX ------------------------------------------------------------------------------------


def _is_formula(value) -> bool:
    return isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.startswith("=")
    )


def _check_archive(content: bytes, limits: ImportLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise FileRefused(_("Le fichier n'est pas un classeur XLSX lisible.")) from error
    # zipfile never inflates a member past its declared size, so this sum bounds the
    # memory and time of everything below, however the archive was crafted.
    expanded = sum(member.file_size for member in members)
    if expanded > limits.max_uncompressed_bytes:
        raise FileRefused(
            _(
                "Le fichier dépasse %(limit)s une fois décompressé (limite) : il en occupe "
                "%(size)s ; réduisez-le à %(rows)s lignes et %(columns)s colonnes au plus."
            )
            % {
                "limit": _megabytes(limits.max_uncompressed_bytes),
                "size": _megabytes(expanded),
                "rows": _count(limits.max_rows),
                "columns": limits.max_columns,
            }
        )


def _read_xlsx(content: bytes, limits: ImportLimits) -> Sheet:
    _check_archive(content, limits)
    # Read twice in step: cached values, and formulas, since a formula saved without its
    # value (by a program that does not compute) reads as an empty cell otherwise.
    values_book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    formulas_book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    try:
        values_sheet, formulas_sheet = values_book.active, formulas_book.active
        if not hasattr(values_sheet, "iter_rows"):
            raise FileRefused(_("La première feuille du classeur ne contient pas de cellules."))
        if (values_sheet.max_row or 0) - 1 > limits.max_rows:
            raise _too_many_rows(
                limits,
                _("la feuille en déclare %(count)s.") % {"count": _count(values_sheet.max_row)},
            )
        if (values_sheet.max_column or 0) > limits.max_columns:
            raise FileRefused(
                _(
                    "Le fichier dépasse %(limit)s colonnes (limite) : la feuille en déclare %(count)s."
                )
                % {"limit": limits.max_columns, "count": _count(values_sheet.max_column)}
            )
        # Declared dimensions passed; now neither stop at them nor pad to them.
        values_sheet.reset_dimensions()
        formulas_sheet.reset_dimensions()
        builder = _SheetBuilder(limits)
        rows = zip(
            values_sheet.iter_rows(values_only=True),
            formulas_sheet.iter_rows(values_only=True),
            strict=False,
        )
        for line_number, (values, formulas) in enumerate(rows, start=1):
            cells = list(values)
            for index, (value, formula) in enumerate(zip(cells, formulas, strict=False)):
                if value is None and _is_formula(formula):
                    cells[index] = ""
                    builder.problem(
                        line_number,
                        _(
                            "formule sans valeur calculée (colonne %(column)s), enregistrez "
                            "le fichier dans Excel ou saisissez la valeur."
                        )
                        % {"column": openpyxl.utils.get_column_letter(index + 1)},
                    )
            builder.add(line_number, cells)
        return builder.sheet
    finally:
        values_book.close()
        formulas_book.close()


def read_sheet(content: bytes, file_format: str, limits: ImportLimits | None = None) -> Sheet:
    """Return the lines of a CSV or of an XLSX's first sheet, or raise ``FileRefused``."""
    limits = limits or ImportLimits.from_settings()
    check_file_size(len(content), limits)
    if file_format == "xlsx":
        return _read_xlsx(content, limits)
    return _read_csv(content, limits)

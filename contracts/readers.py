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

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

UTF8_BOM = b"\xef\xbb\xbf"
MEGABYTE = 1024 * 1024
_DIMENSION_TAG = f"{{{SHEET_MAIN_NS}}}dimension"
_SHEET_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
_FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"
_UNCOMPUTED_FORMULA = object()


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message is in French and names the line."""


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int
    max_uncompressed_bytes: int
    max_rows: int
    max_columns: int
    max_shared_strings_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_file_bytes=settings.CONTRACT_IMPORT_MAX_FILE_BYTES,
            max_uncompressed_bytes=settings.CONTRACT_IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_rows=settings.CONTRACT_IMPORT_MAX_ROWS,
            max_columns=settings.CONTRACT_IMPORT_MAX_COLUMNS,
            max_shared_strings_bytes=settings.CONTRACT_IMPORT_MAX_SHARED_STRINGS_BYTES,
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

    def check(self, line_number: int, width: int) -> None:
        """Refuse the file at the first line past the row limit or wider than allowed."""
        if line_number - 1 > self.limits.max_rows:
            raise _too_many_rows(
                self.limits,
                _("lecture arrêtée à la ligne %(line)s.") % {"line": _count(line_number)},
            )
        if width > self.limits.max_columns:
            raise FileRefused(
                _("Ligne %(line)s : %(count)s colonnes, au-delà de la limite de %(limit)s.")
                % {
                    "line": _count(line_number),
                    "count": _count(width),
                    "limit": self.limits.max_columns,
                }
            )

    def add(self, line_number: int, cells: list) -> None:
        while cells and cells[-1] in (None, ""):
            cells.pop()
        self.check(line_number, len(cells))
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
    # The shared-strings table is read whole, unlike the sheet: it gets its own bound.
    texts = sum(m.file_size for m in members if m.filename.endswith("sharedStrings.xml"))
    if texts > limits.max_shared_strings_bytes:
        raise FileRefused(
            _(
                "Le fichier dépasse %(limit)s de textes distincts une fois décompressé "
                "(limite) : il en contient %(size)s."
            )
            % {"limit": _megabytes(limits.max_shared_strings_bytes), "size": _megabytes(texts)}
        )


class _CachedValueParser(WorkSheetParser):
    """Read each cell's cached value, marking a formula saved without one.

    A program that does not compute formulas saves them without a value: read as values
    only, such a cell would look empty, and an amount would silently become zero.
    """

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(_FORMULA_TAG) is not None:
            cell["value"] = _UNCOMPUTED_FORMULA
        return cell


def _first_sheet(reader: ExcelReader) -> str:
    """Return the path of the sheet the workbook opens on (the first one by default)."""
    sheets = [
        rel for _sheet, rel in reader.parser.find_sheets() if rel.target in reader.valid_files
    ]
    if not sheets:
        raise FileRefused(_("Le classeur ne contient aucune feuille."))
    active = reader.wb._active_sheet_index
    rel = sheets[active] if 0 <= active < len(sheets) else sheets[0]
    if "chartsheet" in rel.Type:
        raise FileRefused(_("La feuille ouverte du classeur est un graphique, sans cellules."))
    return rel.target


def _declared_size(archive: zipfile.ZipFile, path: str) -> tuple[int, int]:
    """Return the rows and columns the sheet declares, reading only up to its data."""
    with archive.open(path) as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == _DIMENSION_TAG:
                try:
                    _min_col, _min_row, max_col, max_row = range_boundaries(element.get("ref"))
                except (TypeError, ValueError):
                    break
                return max_row or 0, max_col or 0
            if element.tag == _SHEET_DATA_TAG:
                break
    return 0, 0


def _read_xlsx(content: bytes, limits: ImportLimits) -> Sheet:
    _check_archive(content, limits)
    # openpyxl's own read-only worksheet scans the whole sheet when it declares no
    # dimension (the 40 M-row file never finished): its parts are used without it.
    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        path = _first_sheet(reader)
        declared_rows, declared_columns = _declared_size(reader.archive, path)
        if declared_rows - 1 > limits.max_rows:
            raise _too_many_rows(
                limits, _("la feuille en déclare %(count)s.") % {"count": _count(declared_rows)}
            )
        if declared_columns > limits.max_columns:
            raise FileRefused(
                _(
                    "Le fichier dépasse %(limit)s colonnes (limite) : la feuille en déclare %(count)s."
                )
                % {"limit": limits.max_columns, "count": _count(declared_columns)}
            )
        builder = _SheetBuilder(limits)
        with reader.archive.open(path) as source:
            parser = _CachedValueParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            # Declared dimensions passed; the lines are counted as they come all the same.
            for line_number, parsed in parser.parse():
                width = max((cell["column"] for cell in parsed), default=0)
                builder.check(line_number, width)
                cells = [None] * width
                for cell in parsed:
                    cells[cell["column"] - 1] = cell["value"]
                for index, value in enumerate(cells):
                    if value is _UNCOMPUTED_FORMULA:
                        cells[index] = ""
                        builder.problem(
                            line_number,
                            _(
                                "formule sans valeur calculée (colonne %(column)s), enregistrez "
                                "le fichier dans Excel ou saisissez la valeur."
                            )
                            % {"column": get_column_letter(index + 1)},
                        )
                builder.add(line_number, cells)
        return builder.sheet
    finally:
        reader.archive.close()


def read_sheet(content: bytes, file_format: str, limits: ImportLimits | None = None) -> Sheet:
    """Return the lines of a CSV or of an XLSX's first sheet, or raise ``FileRefused``."""
    limits = limits or ImportLimits.from_settings()
    check_file_size(len(content), limits)
    if file_format == "xlsx":
        return _read_xlsx(content, limits)
    return _read_csv(content, limits)

"""The one rule that keeps an exported cell from running as a spreadsheet formula.

OWASP "CSV injection": a cell whose text starts with « = », « + », « - » or « @ » is run as a
formula by Excel and LibreOffice, and a tab or carriage return splits it into a new cell
that may start with one. Spreadsheets skip leading spaces before deciding, so the same
characters after leading whitespace are just as dangerous. The cell is kept as text by a
leading quote, signed numbers and phone numbers included (« +33 6… » is read as a formula
too, and an exception is one more thing to get wrong); ``restore_cell`` removes it on
import. A text that already starts with a quote gets one more, so that an export read back
is exactly what was exported.

django-import-export's own escaping only strips a leading « = »: every export goes through
this module instead.
"""

import tablib

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"


def _needs_quote(text: str) -> bool:
    if text.startswith(NEUTRALISING_PREFIX):
        return True
    return text.lstrip(" \n\u00a0\u202f").startswith(FORMULA_PREFIXES)


def neutralise_cell(value):
    """Return ``value`` with a quote before it when a spreadsheet would run it as a formula.

    Values that are not text (numbers, dates, ``None``) are returned unchanged.
    """
    if isinstance(value, str) and _needs_quote(value):
        return NEUTRALISING_PREFIX + value
    return value


def restore_cell(value):
    """Undo ``neutralise_cell`` on an imported cell; other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(NEUTRALISING_PREFIX):
        rest = value[1:]
        if rest and _needs_quote(rest):
            return rest
    return value


def neutralise_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    """Return a copy of ``dataset`` as text, every cell and header neutralised."""

    def text(value) -> str:
        return neutralise_cell("" if value is None else str(value))

    neutralised = tablib.Dataset(headers=[text(header) for header in dataset.headers or []])
    for row in dataset:
        neutralised.append([text(cell) for cell in row])
    return neutralised

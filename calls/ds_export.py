"""The manual fallback: read a DS XLSX/CSV export into the shape of an API answer.

DS_API.md 1.4: the ``Dossiers`` sheet (the whole CSV) has ``ID``, ``État du dossier``,
``Dernière mise à jour du dossier le``, ``Déposé le``, the applicant's columns, then one column
per champ titled by its libellé; an XLSX export adds one sheet per repetition block, named
``(<stable id>) <libellé>``, with a ``Dossier ID`` column and one row per repetition. Columns
are matched by their title through the known form's titles (``ds_mappings.export_titles``),
then by stable id through the campaign's mapping, like the API; ``calls.intake`` then does
the rest (dry run, all or nothing, checks, journal). Labels break when DS admins rename a
champ: the API stays the way in, this file the way round an outage.
"""

import base64
import csv
import datetime
import io
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path

from django.utils.translation import gettext as _

from .ds import DsAnswerError, target_kind
from .ds_mappings import export_titles

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
COLUMN_NUMBER = "ID"
COLUMN_STATE = "État du dossier"
COLUMN_FILED = "Déposé le"
COLUMN_UPDATED = "Dernière mise à jour du dossier le"
COLUMN_SIRET = "Établissement SIRET"
COLUMN_NAME = "Entreprise raison sociale"
COLUMN_ROW_DOSSIER = "Dossier ID"
REQUIRED_COLUMNS = (COLUMN_NUMBER, COLUMN_STATE, COLUMN_FILED, COLUMN_UPDATED, COLUMN_SIRET)
STATES = {
    "En construction": "en_construction",
    "En instruction": "en_instruction",
    "Accepté": "accepte",
    "Refusé": "refuse",
    "Classé sans suite": "sans_suite",
}
ROW_SHEET = re.compile(r"^\((\d+)\)")
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%Y-%m-%d")


def _graphql_id(stable_id: str) -> str:
    return base64.b64encode(f"Champ-{stable_id}".encode()).decode()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _moment(value) -> datetime.datetime | None:
    """Return an export's date and time as aware (Paris when the cell has no offset)."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = _text(value)
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            moment = None
            for pattern in DATE_FORMATS:
                try:
                    moment = datetime.datetime.strptime(text, pattern).replace(tzinfo=PARIS)
                    break
                except ValueError:
                    continue
        if moment is None:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _read_sheets(path: Path) -> dict[str, list[dict]]:
    """Return the export's sheets as lists of rows keyed by column title."""
    if path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
        return {"Dossiers": list(csv.DictReader(io.StringIO(text), dialect=dialect))}
    if path.suffix.lower() != ".xlsx":
        raise DsAnswerError([_("Export DS attendu en .xlsx ou .csv : %(name)s") % {"name": path}])
    import openpyxl  # noqa: PLC0415 (only the fallback needs it)

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(values_only=True)
        headers = [_text(cell) for cell in next(rows, ())]
        sheets[sheet.title] = [
            dict(zip(headers, row, strict=False)) for row in rows if any(c is not None for c in row)
        ]
    workbook.close()
    return sheets


def _champ(stable_id: str, title: str, value, kind: str) -> dict:
    champ = {
        "id": _graphql_id(stable_id),
        "champDescriptorId": _graphql_id(stable_id),
        "label": title,
        "stringValue": _text(value),
    }
    if kind == "date":
        if isinstance(value, datetime.datetime):
            champ["date"] = value.date().isoformat()
        elif isinstance(value, datetime.date):
            champ["date"] = value.isoformat()
        else:
            moment = _moment(value) if _text(value) else None
            champ["date"] = moment.date().isoformat() if moment else _text(value)
    if kind == "files":
        # The export lists the file names only: the pieces are recorded, not fetched.
        names = [name.strip() for name in _text(value).split(",") if name.strip()]
        champ["files"] = [{"filename": name} for name in names]
    if kind == "decimal" and isinstance(value, float):
        champ["stringValue"] = repr(value)
    return champ


def read_export(path: Path, *, demarche_number: int, mapping: Mapping[str, str]) -> dict:
    """Return the export at ``path`` as a DS answer of démarche ``demarche_number``.

    Raise ``DsAnswerError`` naming every dossier and column that cannot be read.
    """
    titles = export_titles(dict(mapping))
    if not titles:
        raise DsAnswerError(
            [_("La correspondance de la campagne n'a pas de titres de colonnes d'export connus.")]
        )
    sheets = _read_sheets(path)
    dossiers = sheets.get("Dossiers") or next(iter(sheets.values()), [])
    problems = []
    columns = set(dossiers[0]) if dossiers else set()
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise DsAnswerError(
            [_("Colonne « %(column)s » absente de l'export.") % {"column": c} for c in missing]
        )
    # Repetition rows by block stable id, then by dossier number.
    rows_by_block: dict[str, dict[str, list[dict]]] = {}
    for name, rows in sheets.items():
        match = ROW_SHEET.match(name)
        if match:
            block = rows_by_block.setdefault(match.group(1), {})
            for row in rows:
                block.setdefault(_text(row.get(COLUMN_ROW_DOSSIER)), []).append(row)
    nodes = []
    for row in dossiers:
        number_text = _text(row.get(COLUMN_NUMBER))
        if not number_text.isdigit():
            problems.append(
                _("Ligne du dossier « %(number)s », colonne « %(column)s » : numéro illisible.")
                % {"number": number_text, "column": COLUMN_NUMBER}
            )
            continue
        node = {
            "number": int(number_text),
            "state": STATES.get(_text(row.get(COLUMN_STATE)), ""),
            "demandeur": {
                "siret": _text(row.get(COLUMN_SIRET)),
                "entreprise": {"raisonSociale": _text(row.get(COLUMN_NAME))},
            },
            "champs": [],
        }
        if not node["state"]:
            problems.append(
                _("Dossier %(number)s, colonne « %(column)s » : état inconnu « %(value)s ».")
                % {"number": number_text, "column": COLUMN_STATE, "value": row.get(COLUMN_STATE)}
            )
        for column, key in (
            (COLUMN_FILED, "dateDepot"),
            (COLUMN_UPDATED, "dateDerniereModification"),
        ):
            moment = _moment(row.get(column))
            if moment is None:
                problems.append(
                    _("Dossier %(number)s, colonne « %(column)s » : date illisible « %(value)s ».")
                    % {"number": number_text, "column": column, "value": row.get(column)}
                )
            node[key] = moment.isoformat() if moment else ""
        for stable_id, target in mapping.items():
            kind = target_kind(target)
            title = titles.get(stable_id, "")
            if kind == "rows":
                lines = rows_by_block.get(stable_id, {}).get(number_text, [])
                node["champs"].append(
                    {
                        "id": _graphql_id(stable_id),
                        "champDescriptorId": _graphql_id(stable_id),
                        "label": title,
                        "rows": [{"champs": _row_champs(line, mapping, titles)} for line in lines],
                    }
                )
            elif "." not in target and title in row:
                node["champs"].append(_champ(stable_id, title, row[title], kind))
        nodes.append(node)
    if problems:
        raise DsAnswerError(problems)
    return {
        "data": {
            "demarche": {
                "number": demarche_number,
                "dossiers": {"nodes": nodes},
                "deletedDossiers": {"nodes": []},
            }
        }
    }


def _row_champs(line: Mapping, mapping: Mapping[str, str], titles: Mapping[str, str]) -> list:
    return [
        _champ(stable_id, titles[stable_id], line[titles[stable_id]], target_kind(target))
        for stable_id, target in mapping.items()
        if "." in target and titles.get(stable_id) in line
    ]

"""Read the two FINESS formats into plain records, checking every field (DOMAIN.md §6).

Nothing here touches the database: the readers yield dataclasses, or a ``RejectedLine``
saying where and why a record cannot be used, and raise ``FinessFileError`` when the file
as a whole cannot be read. ``territories.importers`` compares the records with the
database and writes them.
"""

import codecs
import csv
import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from .validators import is_valid_finess, is_valid_siren, is_valid_siret, normalize_identifier

EXTRACT_SEPARATOR = ";"
STRUCTURE_SECTION = "structureet"
GEOLOCATION_SECTION = "geolocalisation"
STRUCTURE_FIELDS = (
    "section",
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "maj",
    "numuai",
)
GEOLOCATION_FIELDS = ("section", "nofinesset", "x", "y", "source", "date")
SECTION_FIELDS = {STRUCTURE_SECTION: STRUCTURE_FIELDS, GEOLOCATION_SECTION: GEOLOCATION_FIELDS}
HEADER_PATTERN = re.compile(r"^finess;etalab;(?P<number>\d+);(?P<date>\d{4}-\d{2}-\d{2});?$")
ENCODING_PROBE_SIZE = 1 << 20
# The feed stamps some dates with a time (« 2025-10-21 19:19:05 »): the day is kept.
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
POSTAL_CODE_PREFIX = re.compile(r"^\d{5}\s+")
CEDEX_SUFFIX = re.compile(r"\s+CEDEX(\s+\d+)?$", re.IGNORECASE)

GHT_GROUPING_TYPE = "001"
FINESS_PLUS_ROLES = {"S", "M"}
# INSEE overseas département codes, as FINESS writes them (9A-9F).
OVERSEAS_DEPARTMENTS = {
    "971": "9A",
    "972": "9B",
    "973": "9C",
    "974": "9D",
    "975": "9E",
    "976": "9F",
}


class FinessFileError(Exception):
    """Raised when a file cannot be read at all; the message is French, for the user."""


@dataclass(frozen=True)
class RejectedLine:
    """A record that cannot be imported: where it is (line or JSON path) and why."""

    location: str
    reason: str


@dataclass(frozen=True)
class ExtractHeader:
    number: str
    extract_date: datetime.date


@dataclass(frozen=True)
class EstablishmentRecord:
    """One geographic establishment (ET) as the registry describes it."""

    location: str
    finess: str
    legal_entity_finess: str
    name: str
    long_name: str
    department_code: str | None
    siret: str
    commune: str = ""
    address: str = ""
    postal_line: str = ""
    phone: str = ""
    category_code: str = ""
    category_label: str | None = None
    category_group_code: str | None = None
    category_group_label: str | None = None
    opened_date: datetime.date | None = None
    registry_updated_date: datetime.date | None = None
    finess_plus_id: str | None = None


@dataclass(frozen=True)
class GeolocationRecord:
    location: str
    finess: str
    geo_x: Decimal | None
    geo_y: Decimal | None
    geo_source: str


@dataclass(frozen=True)
class LegalEntityRecord:
    """One legal entity (EJ) of the FINESS+ feed."""

    location: str
    finess: str
    siren: str
    name: str
    long_name: str
    department_code: str | None
    legal_status_code: str
    finess_plus_id: str


@dataclass(frozen=True)
class MemberRecord:
    finess_plus_id: str
    is_support: bool


@dataclass(frozen=True)
class HospitalGroupRecord:
    """One GHT of the FINESS+ feed, its members named by their FINESS+ identifiers."""

    location: str
    code: str
    name: str
    finess_plus_id: str
    members: tuple[MemberRecord, ...]


@dataclass(frozen=True)
class FinessPlusFeed:
    """The records of one FINESS+ feed, in file order; ``skipped`` are not errors."""

    legal_entities: list[LegalEntityRecord]
    establishments: list[EstablishmentRecord]
    hospital_groups: list[HospitalGroupRecord]
    rejected: list[RejectedLine]
    skipped: list[RejectedLine]


class _InvalidField(ValueError):
    """A field fails its check; the message is the French reason."""


# --- helpers shared by both formats -------------------------------------------------


def _finess(value: str, label: str, *, required: bool = True) -> str:
    number = normalize_identifier(value)
    if not number:
        if required:
            raise _InvalidField(_("%(label)s absent.") % {"label": label})
        return ""
    if not is_valid_finess(number):
        raise _InvalidField(
            _("%(label)s « %(value)s » invalide (9 caractères, clé de contrôle).")
            % {"label": label, "value": value}
        )
    return number


def _siret(value: str) -> str:
    number = normalize_identifier(value)
    if number and not is_valid_siret(number):
        raise _InvalidField(_("SIRET « %(value)s » invalide.") % {"value": value})
    return number


def _siren(value: str) -> str:
    number = normalize_identifier(value)
    if number and not is_valid_siren(number):
        raise _InvalidField(_("SIREN « %(value)s » invalide.") % {"value": value})
    return number


def _date(value: str, label: str) -> datetime.date | None:
    text = value.strip()
    if not text:
        return None
    if DATE_PATTERN.match(text):
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise _InvalidField(
        _("Date %(label)s « %(value)s » invalide (AAAA-MM-JJ attendu).")
        % {"label": label, "value": text[:40]}
    )


def _decimal(value: str, label: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        number = None
    # Twelve digits, two after the point: the size of ``Establishment.geo_x``.
    if number is None or not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise _InvalidField(
            _("Coordonnée %(label)s « %(value)s » invalide.") % {"label": label, "value": text}
        )
    return number.quantize(Decimal("0.01"))


def _commune_name(postal_line: str) -> str:
    """Return the commune of a postal line « 01440 VIRIAT » without code or CEDEX."""
    return CEDEX_SUFFIX.sub("", POSTAL_CODE_PREFIX.sub("", postal_line.strip()))


def _join(*parts: str, separator: str = " ") -> str:
    return separator.join(part.strip() for part in parts if part and part.strip())


# --- FINESS open-data extract (CSV) -------------------------------------------------


def detect_extract_encoding(path: Path) -> str:
    """Return the encoding of the extract: UTF-8 if it decodes strictly, else Windows-1252.

    Raise ``FinessFileError`` for a file that holds NUL bytes (binary) or is neither.
    The whole file is probed for UTF-8, chunk by chunk, since a single accented
    character near the end decides; Windows-1252 is checked while reading.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(ENCODING_PROBE_SIZE):
                if b"\x00" in chunk:
                    raise FinessFileError(_not_text_message())
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    except OSError as error:
        raise FinessFileError(
            _("Lecture du fichier impossible : %(error)s") % {"error": error.strerror}
        ) from error
    return "utf-8-sig"


def _not_text_message() -> str:
    return _(
        "Le fichier n'est pas un texte en UTF-8 ni en Windows-1252 "
        "(fichier binaire ou encodage inconnu)."
    )


def read_extract(path: Path) -> tuple[ExtractHeader, Iterator[object]]:
    """Return the header of the extract at ``path`` and an iterator over its records.

    The iterator yields ``EstablishmentRecord``, ``GeolocationRecord`` or
    ``RejectedLine`` one at a time (the file is streamed, never loaded whole) and
    raises ``FinessFileError`` when the file turns out unreadable past the header:
    an undecodable byte, a quoted field never closed, a duplicate FINESS number.
    """
    encoding = detect_extract_encoding(path)
    handle = path.open(encoding=encoding, errors="strict", newline="")
    try:
        reader = csv.reader(
            handle, delimiter=EXTRACT_SEPARATOR, quotechar='"', doublequote=True, strict=True
        )
        first = _next_row(reader)
        header = _read_header(first)
    except BaseException:
        handle.close()
        raise
    return header, _read_records(handle, reader)


def _next_row(reader) -> list[str] | None:
    try:
        return next(reader, None)
    except UnicodeDecodeError as error:
        raise FinessFileError(_not_text_message()) from error
    except csv.Error as error:
        raise FinessFileError(
            _("Ligne %(line)d illisible (guillemet jamais fermé ou fichier tronqué) : %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error


def _read_header(row: list[str] | None) -> ExtractHeader:
    line = EXTRACT_SEPARATOR.join(row) if row else ""
    match = HEADER_PATTERN.match(line)
    if not match:
        raise FinessFileError(
            _(
                "Première ligne « %(line)s » inattendue : un extrait FINESS commence par "
                "« finess;etalab;<numéro>;<AAAA-MM-JJ> »."
            )
            % {"line": line[:80]}
        )
    try:
        extract_date = datetime.date.fromisoformat(match["date"])
    except ValueError as error:
        raise FinessFileError(
            _("Date d'extraction « %(date)s » invalide en première ligne.")
            % {"date": match["date"]}
        ) from error
    return ExtractHeader(number=match["number"], extract_date=extract_date)


def _read_records(handle, reader) -> Iterator[object]:
    seen: dict[str, int] = {}
    with handle:
        while (row := _next_row(reader)) is not None:
            line = reader.line_num
            if not row or row == [""]:
                continue
            location = _("ligne %(line)d") % {"line": line}
            fields = SECTION_FIELDS.get(row[0])
            if fields is None:
                yield RejectedLine(
                    location,
                    _("Section « %(section)s » inconnue (structureet ou geolocalisation attendu).")
                    % {"section": row[0][:40]},
                )
                continue
            if len(row) != len(fields):
                yield RejectedLine(
                    location,
                    _("%(found)d champs au lieu de %(expected)d pour une ligne %(section)s.")
                    % {"found": len(row), "expected": len(fields), "section": row[0]},
                )
                continue
            values = dict(zip(fields, row, strict=True))
            try:
                if row[0] == STRUCTURE_SECTION:
                    record = _structure_record(location, values)
                    first_line = seen.get(record.finess)
                    if first_line is not None:
                        raise FinessFileError(
                            _(
                                "FINESS %(finess)s en double : lignes %(first)d et %(line)d. "
                                "Le fichier est incohérent, rien n'est importé."
                            )
                            % {"finess": record.finess, "first": first_line, "line": line}
                        )
                    seen[record.finess] = line
                else:
                    record = _geolocation_record(location, values)
            except _InvalidField as error:
                yield RejectedLine(location, str(error))
                continue
            yield record


def _structure_record(location: str, values: dict[str, str]) -> EstablishmentRecord:
    name = values["rs"].strip() or values["rslongue"].strip()
    if not name:
        raise _InvalidField(_("Raison sociale absente."))
    department_code = values["departement"].strip().upper()
    if not department_code:
        raise _InvalidField(_("Département absent."))
    street = _join(values["numvoie"], values["compvoie"], values["typvoie"], values["voie"])
    address = _join(values["compldistrib"], street, values["lieuditbp"], separator=", ")
    return EstablishmentRecord(
        location=location,
        finess=_finess(values["nofinesset"], _("FINESS géographique")),
        legal_entity_finess=_finess(values["nofinessej"], _("FINESS juridique")),
        name=name,
        long_name=values["rslongue"].strip(),
        department_code=department_code,
        siret=_siret(values["siret"]),
        commune=_commune_name(values["ligneacheminement"]),
        address=address,
        postal_line=values["ligneacheminement"].strip(),
        phone=values["telephone"].strip(),
        category_code=values["categetab"].strip(),
        category_label=values["libcategetab"].strip(),
        category_group_code=values["categagretab"].strip(),
        category_group_label=values["libcategagretab"].strip(),
        opened_date=_date(values["dateouv"], "dateouv"),
        registry_updated_date=_date(values["maj"], "maj"),
    )


def _geolocation_record(location: str, values: dict[str, str]) -> GeolocationRecord:
    _date(values["date"], "date")
    return GeolocationRecord(
        location=location,
        finess=_finess(values["nofinesset"], _("FINESS géographique")),
        geo_x=_decimal(values["x"], "X"),
        geo_y=_decimal(values["y"], "Y"),
        geo_source=values["source"].strip(),
    )


# --- FINESS+ JSON feed --------------------------------------------------------------


def read_finess_plus(path: Path) -> FinessPlusFeed:
    """Return the legal entities, sites and GHTs of the FINESS+ feed at ``path``.

    The feed is one JSON document, so it is read whole. GHTs are the groupings
    (``gcc``) of type 001; other groupings and the ``gco`` are not part of the
    territory and are left aside without a word.
    """
    try:
        with path.open("rb") as handle:
            document = json.load(handle)
    except UnicodeDecodeError as error:
        raise FinessFileError(
            _("Le flux JSON n'est pas un texte UTF-8 (fichier binaire ou tronqué ?).")
        ) from error
    except json.JSONDecodeError as error:
        raise FinessFileError(
            _(
                "JSON invalide ou tronqué, ligne %(line)d colonne %(column)d : %(error)s. "
                "Rien n'est importé."
            )
            % {"line": error.lineno, "column": error.colno, "error": error.msg}
        ) from error
    except (OSError, RecursionError) as error:
        raise FinessFileError(
            _("Lecture du fichier impossible : %(error)s") % {"error": error}
        ) from error
    if not isinstance(document, dict) or not isinstance(document.get("pmej", []), list):
        raise FinessFileError(
            _("Ce JSON n'est pas un flux FINESS+ « Structures » (objet avec pmej[] et gcc[]).")
        )
    if "pmej" not in document and "gcc" not in document:
        raise FinessFileError(_("Ce JSON n'est pas un flux FINESS+ : ni « pmej » ni « gcc »."))
    feed = FinessPlusFeed([], [], [], [], [])
    seen_entities: dict[str, str] = {}
    seen_sites: dict[str, str] = {}
    for index, item in enumerate(document.get("pmej") or []):
        _read_pmej(feed, f"$.pmej[{index}]", item, seen_entities, seen_sites)
    groupings = document.get("gcc") or []
    if not isinstance(groupings, list):
        feed.rejected.append(RejectedLine("$.gcc", _("« gcc » doit être une liste.")))
        groupings = []
    seen_groups: dict[str, str] = {}
    for index, item in enumerate(groupings):
        _read_gcc(feed, f"$.gcc[{index}]", item, seen_groups)
    return feed


def _text(container: object, key: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _InvalidField(_("Champ « %(key)s » : texte attendu.") % {"key": key})
    return str(value).strip()


def _first_dict(container: dict, key: str) -> dict:
    items = container.get(key)
    if isinstance(items, list):
        return next((item for item in items if isinstance(item, dict)), {})
    return {}


def department_from_commune(cog_commune: str) -> str | None:
    """Return the FINESS département code of an INSEE commune code (« 01143 » → « 01 »)."""
    code = cog_commune.strip().upper()
    if len(code) != 5:
        return None
    if code.startswith("97"):
        return OVERSEAS_DEPARTMENTS.get(code[:3])
    if code[:2].isdigit() or code[:2] in ("2A", "2B"):
        return code[:2]
    return None


def _phone(item: dict) -> str:
    return _text(_first_dict(item, "contact").get("telecom"), "telephone")


def _read_pmej(feed, location, item, seen_entities, seen_sites) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("informationsGeneralesPMEJ"), dict):
        feed.rejected.append(
            RejectedLine(location, _("Entité juridique sans « informationsGeneralesPMEJ ».")),
        )
        return
    general = item["informationsGeneralesPMEJ"]
    try:
        finess_plus_id = _text(general, "pmSmsseId")
        if not finess_plus_id:
            raise _InvalidField(_("Identifiant FINESS+ (pmSmsseId) absent."))
        name = _text(general, "denominationPm") or _text(general, "denominationLonguePmSmsse")
        if not name:
            raise _InvalidField(_("Raison sociale absente."))
        address = _first_dict(item, "adresse")
        record = LegalEntityRecord(
            location=location,
            finess=_finess(_text(general, "numFinessPm"), _("FINESS juridique")),
            siren=_siren(_text(general, "siren")),
            name=name,
            long_name=_text(general, "denominationLonguePmSmsse"),
            department_code=department_from_commune(_text(address, "cogCommune")),
            legal_status_code=_text(general, "statutJuridique"),
            finess_plus_id=finess_plus_id,
        )
        _check_unique(seen_entities, record.finess, location, _("FINESS juridique"))
        _check_unique(seen_entities, "id:" + finess_plus_id, location, _("identifiant FINESS+"))
    except _InvalidField as error:
        feed.rejected.append(RejectedLine(location, str(error)))
        return
    feed.legal_entities.append(record)
    sites = item.get("ege") or []
    if not isinstance(sites, list):
        feed.rejected.append(RejectedLine(f"{location}.ege", _("« ege » doit être une liste.")))
        return
    for index, site in enumerate(sites):
        site_location = f"{location}.ege[{index}]"
        try:
            feed.establishments.append(_ege_record(site_location, site, record, seen_sites))
        except _InvalidField as error:
            feed.rejected.append(RejectedLine(site_location, str(error)))


def _check_unique(seen: dict[str, str], key: str, location: str, label: str) -> None:
    if key in seen:
        raise _InvalidField(
            _("%(label)s en double : déjà vu en %(first)s.") % {"label": label, "first": seen[key]}
        )
    seen[key] = location


def _ege_record(location, site, legal_entity: LegalEntityRecord, seen) -> EstablishmentRecord:
    general = site.get("informationsGeneralesEGE") if isinstance(site, dict) else None
    if not isinstance(general, dict):
        raise _InvalidField(_("Établissement sans « informationsGeneralesEGE »."))
    finess_plus_id = _text(general, "egeId")
    if not finess_plus_id:
        raise _InvalidField(_("Identifiant FINESS+ (egeId) absent."))
    name = _text(general, "nomEgeCourt") or _text(general, "nomEgeLong")
    if not name:
        raise _InvalidField(_("Raison sociale absente."))
    address = _first_dict(site, "adresse")
    commune = _text(address, "ligneAcheminement")
    record = EstablishmentRecord(
        location=location,
        finess=_finess(_text(general, "numFinessEge"), _("FINESS géographique")),
        legal_entity_finess=legal_entity.finess,
        name=name,
        long_name=_text(general, "nomEgeLong"),
        department_code=department_from_commune(_text(address, "cogCommune")),
        siret=_siret(_text(general, "siret")),
        commune=commune,
        address=_join(_text(address, "ligneQuatre"), _text(address, "lieuDit"), separator=", "),
        postal_line=_join(_text(address, "codePostal"), commune),
        phone=_phone(site),
        category_code=_text(site, "categorieentiteGeographiqueExercice"),
        opened_date=_date(_text(general, "dateOuverture"), "dateOuverture"),
        registry_updated_date=_date(_text(site, "dateDerniereMaj"), "dateDerniereMaj"),
        finess_plus_id=finess_plus_id,
    )
    _check_unique(seen, record.finess, location, _("FINESS géographique"))
    _check_unique(seen, "id:" + finess_plus_id, location, _("identifiant FINESS+"))
    return record


def _read_gcc(feed, location, item, seen) -> None:
    if not isinstance(item, dict):
        feed.rejected.append(RejectedLine(location, _("Regroupement illisible (objet attendu).")))
        return
    try:
        if _text(item, "typeGcc") != GHT_GROUPING_TYPE:
            return
        finess_plus_id = _text(item, "gccId")
        code = _text(item, "gccIdentifiantExterne") or finess_plus_id
        name = _text(item, "nomGcc")
        if not code or not name:
            raise _InvalidField(_("GHT sans code (gccIdentifiantExterne, gccId) ou sans nom."))
        _check_unique(seen, code, location, _("Code de GHT"))
        members = []
        raw_members = item.get("pmejDuGcc") or []
        if not isinstance(raw_members, list):
            raise _InvalidField(_("« pmejDuGcc » doit être une liste."))
        for index, member in enumerate(raw_members):
            role = _text(member, "typeRoleEntiteGroupe")
            member_id = _text(member, "pmSmsseId")
            if role not in FINESS_PLUS_ROLES or not member_id:
                raise _InvalidField(
                    _("Membre pmejDuGcc[%(index)d] : rôle S ou M et pmSmsseId attendus.")
                    % {"index": index}
                )
            members.append(MemberRecord(finess_plus_id=member_id, is_support=role == "S"))
        if sum(member.is_support for member in members) > 1:
            raise _InvalidField(_("Un GHT n'a qu'un seul établissement support (rôle S)."))
    except _InvalidField as error:
        feed.rejected.append(RejectedLine(location, str(error)))
        return
    feed.hospital_groups.append(
        HospitalGroupRecord(
            location=location,
            code=code,
            name=name,
            finess_plus_id=finess_plus_id or code,
            members=tuple(members),
        )
    )

"""Démarches simplifiées (DS): read its GraphQL API v2 and turn its dossiers into plain data.

The champs are read by their stable id (``champDescriptorId``, ``base64("Champ-<id>")``),
which survives the form's revisions, through the campaign's mapping (stable id → the
name of one of our fields, ``TARGETS``); labels are shown in messages, never matched.
Nothing here writes to the database: ``calls.intake`` does.
"""

import base64
import binascii
import datetime
import json
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

# Our fields a DS champ can fill, by kind of value. ``document:<KIND>`` names a piece.
DOSSIER_TARGETS = {
    "applicant_name": "text",
    "finess": "text",
    "project_title": "text",
    "is_mutualised": "yes_no",
    "headcount": "integer",
    "medical_fte": "decimal",
    "non_medical_fte": "decimal",
    "beds_and_places": "integer",
    "absenteeism_rate": "decimal",
    "turnover_rate": "decimal",
    "planned_start_date": "date",
    "planned_end_date": "date",
    "total_cost_amount": "decimal",
    "cofunding_amount": "decimal",
    "requested_amount": "decimal",
    "partners": "rows",
    "actions": "rows",
}
ACTION_TARGETS = {
    "action.rank": "integer",
    "action.axis": "text",
    "action.theme": "text",
    "action.label": "text",
    "action.cost_amount": "decimal",
    "action.ars_requested_amount": "decimal",
    "action.agents_concerned": "integer",
    "action.quote": "files",
}
PARTNER_TARGETS = {
    "partner.siret": "text",
    "partner.finess": "text",
    "partner.name": "text",
}
DOCUMENT_PREFIX = "document:"
DEFAULT_ENDPOINT = "https://www.demarches-simplifiees.fr/api/v2/graphql"
PAGE_SIZE = 100  # DS's default_max_page_size (app/graphql/api/v2/schema.rb)


class DsAnswerError(ValueError):
    """The answer of DS cannot be read; ``problems`` names each dossier and champ at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def stable_id(graphql_id: str) -> str:
    """Return the stable id of a champ: ``Q2hhbXAtNDEyMDAwMg==`` → ``4120002``."""
    try:
        text = base64.b64decode(graphql_id, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return graphql_id
    return text.removeprefix("Champ-").split("|")[0]


def target_kind(target: str) -> str | None:
    """Return the kind of value ``target`` holds, or ``None`` for an unknown target."""
    if target.startswith(DOCUMENT_PREFIX):
        return "files"
    return {**DOSSIER_TARGETS, **ACTION_TARGETS, **PARTNER_TARGETS}.get(target)


@dataclass
class ParsedDossier:
    """One DS dossier read through a mapping: plain values, ready to compare and store."""

    number: int
    state: str
    submitted_at: datetime.datetime
    updated_at: datetime.datetime
    siret: str
    legal_name: str
    values: dict = field(default_factory=dict)
    actions: list[dict] = field(default_factory=list)
    partners: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)

    def canonical(self) -> str:
        """Return the dossier as canonical JSON (its fingerprint's input)."""
        return json.dumps(
            {
                "number": self.number,
                "state": self.state,
                "submitted_at": self.submitted_at.isoformat(),
                "siret": self.siret,
                "legal_name": self.legal_name,
                "values": self.values,
                "actions": self.actions,
                "partners": self.partners,
                # DS signs file links for a short time: a new link is not a new file.
                "documents": [
                    {key: value for key, value in document.items() if key != "url"}
                    for document in self.documents
                ],
            },
            sort_keys=True,
            default=str,
            ensure_ascii=False,
        )


class _Reader:
    """Read the champs of one dossier, collecting every problem instead of stopping."""

    def __init__(self, number: int, mapping: Mapping[str, str]):
        self.number = number
        self.mapping = mapping
        self.problems: list[str] = []

    def problem(self, champ: Mapping, message: str) -> None:
        self.problems.append(
            _("Dossier %(number)s, champ %(id)s « %(label)s » : %(message)s")
            % {
                "number": self.number,
                "id": stable_id(champ.get("champDescriptorId") or champ.get("id", "")),
                "label": champ.get("label", ""),
                "message": message,
            }
        )

    def value(self, champ: Mapping, kind: str):
        text = champ.get("stringValue")
        text = text.strip() if isinstance(text, str) else text
        if kind == "files":
            return [
                {
                    "filename": file.get("filename", ""),
                    "content_type": file.get("contentType", ""),
                    "checksum": file.get("checksum", ""),
                    "byte_size": int(file.get("byteSize") or file.get("byteSizeBigInt") or 0),
                    "url": file.get("url", ""),
                }
                for file in champ.get("files") or []
            ]
        if text in (None, ""):
            return None
        if kind == "text":
            return text
        if kind == "yes_no":
            if text not in ("Oui", "Non"):
                self.problem(champ, _("« Oui » ou « Non » attendu, reçu « %s ».") % text)
            return text == "Oui"
        if kind == "integer":
            if not text.lstrip("-").isdigit():
                self.problem(champ, _("nombre entier attendu, reçu « %s ».") % text)
                return None
            return int(text)
        if kind == "decimal":
            try:
                number = Decimal(text.replace(",", "."))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                self.problem(champ, _("nombre attendu, reçu « %s ».") % text)
                return None
            return str(number)
        if kind == "date":
            day = champ.get("date") or text
            try:
                return datetime.date.fromisoformat(day).isoformat()
            except (TypeError, ValueError):
                self.problem(champ, _("date attendue, reçu « %s ».") % text)
                return None
        raise ValueError(kind)

    def read(self, champs: list, targets: Mapping[str, str]) -> tuple[dict, dict]:
        """Return ``(values, rows)`` of ``champs``: mapped values and repetition rows."""
        values, rows = {}, {}
        for champ in champs:
            target = self.mapping.get(stable_id(champ.get("champDescriptorId") or champ["id"]))
            if target is None:
                continue
            kind = target_kind(target)
            if target not in targets and not (
                target.startswith(DOCUMENT_PREFIX) and "document:" in targets
            ):
                self.problem(champ, _("la correspondance « %s » n'a pas sa place ici.") % target)
                continue
            if kind == "rows":
                rows[target] = [row.get("champs") or [] for row in champ.get("rows") or []]
            else:
                values[target] = self.value(champ, kind)
        return values, rows


def parse_dossier(node: Mapping, mapping: Mapping[str, str]) -> tuple[ParsedDossier, list[str]]:
    """Return the dossier ``node`` of a DS answer read through ``mapping``, and its problems."""
    number = node.get("number")
    reader = _Reader(number, mapping)
    applicant = node.get("demandeur") or {}
    siret = (applicant.get("siret") or "").replace(" ", "")
    company = applicant.get("entreprise") or {}
    submitted_at = parse_datetime(node.get("dateDepot") or "")
    updated_at = parse_datetime(node.get("dateDerniereModification") or "")
    if submitted_at is None or updated_at is None:
        reader.problems.append(
            _("Dossier %(number)s : dates de dépôt ou de modification illisibles.")
            % {"number": number}
        )
    if not siret:
        reader.problems.append(
            _("Dossier %(number)s : le demandeur n'a pas de SIRET (personne morale attendue).")
            % {"number": number}
        )
    dossier_targets = {**DOSSIER_TARGETS, "document:": "files"}
    values, rows = reader.read(node.get("champs") or [], dossier_targets)
    parsed = ParsedDossier(
        number=number,
        state=node.get("state", ""),
        submitted_at=submitted_at,
        updated_at=updated_at,
        siret=siret,
        legal_name=company.get("raisonSociale", ""),
    )
    for target, files in list(values.items()):
        if target.startswith(DOCUMENT_PREFIX):
            kind = target.removeprefix(DOCUMENT_PREFIX)
            parsed.documents.extend({"kind": kind, "action_rank": None, **f} for f in files)
            del values[target]
    parsed.values = values
    for row in rows.get("actions", []):
        action, _rows = reader.read(row, {**ACTION_TARGETS})
        quote = action.pop("action.quote", None) or []
        action = {name.removeprefix("action."): value for name, value in action.items()}
        parsed.actions.append(action)
        parsed.documents.extend(
            {"kind": "QUOTE", "action_rank": action.get("rank"), **f} for f in quote
        )
    for row in rows.get("partners", []):
        partner, _rows = reader.read(row, PARTNER_TARGETS)
        parsed.partners.append(
            {name.removeprefix("partner."): value for name, value in partner.items()}
        )
    _check_shape(reader, parsed)
    return parsed, reader.problems


def _check_shape(reader: _Reader, parsed: ParsedDossier) -> None:
    """Name what cannot be stored at all (the checks judge the rest, on stored data)."""
    number = parsed.number
    ranks = [action.get("rank") for action in parsed.actions]
    if any(rank is None or rank < 1 for rank in ranks) or len(set(ranks)) != len(ranks):
        reader.problems.append(
            _("Dossier %(number)s : les priorités des actions doivent être 1, 2, 3… sans doublon.")
            % {"number": number}
        )
    for action in parsed.actions:
        if action.get("cost_amount") is None or action.get("ars_requested_amount") is None:
            reader.problems.append(
                _("Dossier %(number)s, action %(rank)s : coût ou montant demandé manquant.")
                % {"number": number, "rank": action.get("rank")}
            )
    for partner in parsed.partners:
        if not partner.get("siret"):
            reader.problems.append(
                _("Dossier %(number)s : un établissement partenaire n'a pas de SIRET.")
                % {"number": number}
            )


@dataclass
class DsAnswer:
    """The démarche of a DS answer: its number, its dossiers and its deleted dossiers."""

    demarche_number: int
    dossiers: list[Mapping]
    deleted: list[Mapping]


def read_answer(payload: Mapping) -> DsAnswer:
    """Return the démarche of one DS answer (or the pages merged by ``fetch_demarche``)."""
    if payload.get("errors"):
        messages = [error.get("message", "") for error in payload["errors"]]
        raise DsAnswerError([_("DS a répondu par une erreur : %s") % m for m in messages])
    demarche = (payload.get("data") or {}).get("demarche")
    if not demarche or "number" not in demarche:
        raise DsAnswerError([_("La réponse de DS ne contient pas de démarche.")])
    return DsAnswer(
        demarche_number=demarche["number"],
        dossiers=list((demarche.get("dossiers") or {}).get("nodes") or []),
        deleted=list((demarche.get("deletedDossiers") or {}).get("nodes") or []),
    )


# The HTTP client ------------------------------------------------------------------------

DOSSIERS_QUERY = """
query getDemarche($demarcheNumber: Int!, $first: Int, $after: String,
                  $updatedSince: ISO8601DateTime) {
  demarche(number: $demarcheNumber) {
    id number title state
    dossiers(first: $first, after: $after, updatedSince: $updatedSince) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id number state archived dateDepot dateDerniereModification
        demandeur { __typename ... on PersonneMorale { siret entreprise { siren raisonSociale } } }
        champs { ...ChampFragment ... on RepetitionChamp { rows { id champs { ...ChampFragment } } } }
      }
    }
  }
}
fragment ChampFragment on Champ {
  id champDescriptorId __typename label stringValue
  ... on DateChamp { date }
  ... on PieceJustificativeChamp {
    files { filename contentType checksum byteSize: byteSizeBigInt url }
  }
}
"""

DELETED_QUERY = """
query getDeleted($demarcheNumber: Int!, $first: Int, $after: String,
                 $deletedSince: ISO8601DateTime) {
  demarche(number: $demarcheNumber) {
    number
    deletedDossiers(first: $first, after: $after, deletedSince: $deletedSince) {
      pageInfo { hasNextPage endCursor }
      nodes { id number state reason dateSupression }
    }
  }
}
"""


def _post(endpoint: str, token: str, query: str, variables: dict, timeout: float) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        endpoint,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode())


def download_file(url: str, *, max_bytes: int, timeout: float = 60.0) -> bytes:
    """Return the content at the signed file link ``url`` (read at once: it expires)."""
    request = urllib.request.Request(url, method="GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        content = response.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ValueError(_("fichier trop volumineux"))
    return content


def _pages(endpoint, token, query, variables, connection, timeout) -> Iterator[dict]:
    after = None
    while True:
        payload = _post(endpoint, token, query, {**variables, "after": after}, timeout)
        read_answer(payload)  # raises DsAnswerError on GraphQL errors
        page = payload["data"]["demarche"][connection]
        yield payload["data"]["demarche"], page.get("nodes") or []
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def fetch_demarche(
    *,
    number: int,
    token: str,
    endpoint: str = DEFAULT_ENDPOINT,
    updated_since: datetime.datetime | None = None,
    timeout: float = 30.0,
) -> dict:
    """Return every dossier of démarche ``number`` changed since ``updated_since`` (all if
    ``None``), and those deleted since then, as one answer shaped like a single page.

    Pages of ``PAGE_SIZE``, cursor after cursor until ``hasNextPage`` is false; DS orders
    them by last change when ``updatedSince`` is given (dossiers_connection.rb).
    """
    since = updated_since.isoformat() if updated_since else None
    base = {"demarcheNumber": number, "first": PAGE_SIZE}
    demarche, dossiers, deleted = None, [], []
    for head, nodes in _pages(
        endpoint, token, DOSSIERS_QUERY, {**base, "updatedSince": since}, "dossiers", timeout
    ):
        demarche = demarche or head
        dossiers.extend(nodes)
    for _head, nodes in _pages(
        endpoint, token, DELETED_QUERY, {**base, "deletedSince": since}, "deletedDossiers", timeout
    ):
        deleted.extend(nodes)
    demarche = {key: value for key, value in demarche.items() if key != "dossiers"}
    return {
        "data": {
            "demarche": {
                **demarche,
                "dossiers": {"nodes": dossiers},
                "deletedDossiers": {"nodes": deleted},
            }
        }
    }


# Writing back (DS_API.md 1.3): the instructor's mutations ---------------------------------

DOSSIER_ID_QUERY = "query dossierId($number: Int!) { dossier(number: $number) { id } }"

MUTATIONS = {
    "MESSAGE": (
        "dossierEnvoyerMessage",
        "mutation envoyer($input: DossierEnvoyerMessageInput!) {"
        " dossierEnvoyerMessage(input: $input) { errors { message } } }",
        "body",
    ),
    "ACCEPT": (
        "dossierAccepter",
        "mutation accepter($input: DossierAccepterInput!) {"
        " dossierAccepter(input: $input) { errors { message } } }",
        "motivation",
    ),
    "REFUSE": (
        "dossierRefuser",
        "mutation refuser($input: DossierRefuserInput!) {"
        " dossierRefuser(input: $input) { errors { message } } }",
        "motivation",
    ),
}


class DsWriteError(RuntimeError):
    """DS refused a write: its messages, in its words."""


def write_back(
    *,
    kind: str,
    number: int,
    text: str,
    token: str,
    instructeur_id: str,
    endpoint: str = DEFAULT_ENDPOINT,
    timeout: float = 30.0,
) -> None:
    """Send one instructor mutation on dossier ``number`` (message, acceptance, refusal).

    DS answers HTTP 200 with ``errors`` in the payload on a business failure: both the
    GraphQL errors and the payload's are raised as ``DsWriteError``.
    """
    answer = _post(endpoint, token, DOSSIER_ID_QUERY, {"number": number}, timeout)
    if answer.get("errors") or not (answer.get("data") or {}).get("dossier"):
        raise DsWriteError("; ".join(e.get("message", "") for e in answer.get("errors") or []))
    dossier_id = answer["data"]["dossier"]["id"]
    name, mutation, text_field = MUTATIONS[kind]
    variables = {
        "input": {"dossierId": dossier_id, "instructeurId": instructeur_id, text_field: text}
    }
    answer = _post(endpoint, token, mutation, variables, timeout)
    payload = (answer.get("data") or {}).get(name) or {}
    errors = [e.get("message", "") for e in (answer.get("errors") or [])]
    errors += [e.get("message", "") for e in (payload.get("errors") or [])]
    if errors:
        raise DsWriteError("; ".join(errors))

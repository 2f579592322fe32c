"""Bring the dossiers of a DS answer into a campaign: all or nothing, idempotent, journaled.

A dossier is upserted by its DS number; one whose read data has not changed since the last
sync (same fingerprint) is left alone, so a second run with the same answer changes nothing.
Every changed dossier is checked again (``calls.checks``) and its state follows.
"""

import base64
import datetime
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from contracts.documents import check_document
from contracts.money import format_euros
from territories.models import Establishment, LegalEntity

from . import checks, signals
from .ds import (
    DEFAULT_ENDPOINT,
    DsAnswerError,
    ParsedDossier,
    download_file,
    fetch_demarche,
    parse_dossier,
    read_answer,
)
from .models import (
    Campaign,
    CampaignState,
    DocumentKind,
    DocumentStatus,
    Dossier,
    DossierAction,
    DossierDocument,
    DossierPartner,
    DossierState,
    EstablishmentProfile,
)

# The states the automatic checks decide; after them, the instructor's steps do.
INTAKE_STATES = (
    DossierState.DRAFT,
    DossierState.FILED,
    DossierState.INADMISSIBLE,
    DossierState.INCOMPLETE,
    DossierState.ADMISSIBLE,
)

PROFILE_FIELDS = (
    "headcount",
    "medical_fte",
    "non_medical_fte",
    "beds_and_places",
    "absenteeism_rate",
    "turnover_rate",
)
# The dossier's own fields a sync reads from DS; a change of one is journaled with its
# value before and after, for the dossier's history.
TRACKED_FIELDS = (
    "state",
    "ds_state",
    "submitted_at",
    "applicant_name",
    "applicant_siret",
    "applicant_finess",
    "project_title",
    "is_mutualised",
    "total_cost_amount",
    "cofunding_amount",
    "requested_amount",
    "planned_start_date",
    "planned_end_date",
)
# The campaigns kept in step with DS: complements may still come after the deadline; from
# instruction on, the instruction steps own the dossiers' state.
# Dossiers keep changing on DS until the decision: complements are asked during instruction.
SYNCED_STATES = (CampaignState.OPEN, CampaignState.CLOSED, CampaignState.IN_REVIEW)
TOKEN_VARIABLE = "DS_API_TOKEN"
# New dossiers are inserted this many at a time, with their actions, partners and pieces.
CREATE_BATCH = 500


@dataclass
class SyncReport:
    campaign: Campaign | None
    wet_run: bool
    read: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    states: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    # The created or updated dossiers that are not « recevable », with their reasons.
    flagged: dict[int, list[str]] = field(default_factory=dict)
    skipped_reason: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


class _Rollback(Exception):
    """Abandon the transaction after collecting problems found while writing."""


def campaign_for_answer(payload: Mapping) -> Campaign:
    """Return the campaign bound to the démarche of the DS answer ``payload``."""
    number = read_answer(payload).demarche_number
    try:
        return Campaign.objects.select_related("region").get(ds_demarche_number=number)
    except Campaign.DoesNotExist:
        raise DsAnswerError(
            [_("Aucune campagne n'est liée à la démarche DS n° %(number)s.") % {"number": number}]
        ) from None


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _fingerprint(parsed: ParsedDossier) -> str:
    return hashlib.sha256(parsed.canonical().encode()).hexdigest()


def sync_answer(
    *,
    campaign: Campaign,
    payload: Mapping,
    wet_run: bool,
    actor=None,
    download: Callable[[str], bytes] | None = None,
) -> SyncReport:
    """Bring the dossiers of ``payload`` into ``campaign``; write only if ``wet_run``.

    A dry run does every write in a transaction and rolls it back, so it reports exactly
    what a wet run would do. Any problem, named with its dossier, leaves the base untouched.
    ``download`` (a wet run reading the API) fetches each new piece at once, since DS's
    links expire; a dry run or a saved answer records the pieces without their content.
    """
    report = SyncReport(campaign=campaign, wet_run=wet_run)
    fetch = download if wet_run else None
    try:
        answer = read_answer(payload)
    except DsAnswerError as error:
        report.problems.extend(error.problems)
        return report
    if answer.demarche_number != campaign.ds_demarche_number:
        report.problems.append(
            _("La réponse porte sur la démarche %(got)s ; la campagne lit la démarche %(want)s.")
            % {"got": answer.demarche_number, "want": campaign.ds_demarche_number}
        )
    if campaign.is_draft:
        report.problems.append(
            _("La campagne « %(title)s » n'est pas ouverte : ses paramètres ne sont pas figés.")
            % {"title": campaign.title}
        )
    if not campaign.ds_champ_mapping:
        report.problems.append(_("La campagne n'a pas de correspondance des champs DS."))
    report.read = len(answer.dossiers)
    parsed_dossiers: list[ParsedDossier] = []
    for node in answer.dossiers:
        parsed, problems = parse_dossier(node, campaign.ds_champ_mapping)
        report.problems.extend(problems)
        parsed_dossiers.append(parsed)
    numbers = Counter(parsed.number for parsed in parsed_dossiers)
    report.problems.extend(
        _("Dossier %(number)s : présent %(count)d fois dans la réponse.")
        % {"number": number, "count": count}
        for number, count in numbers.items()
        if count > 1
    )
    if report.problems:
        return report
    try:
        with transaction.atomic():
            _write(campaign, parsed_dossiers, answer.deleted, report, actor, fetch)
            if report.problems:
                raise _Rollback
            if not wet_run:
                transaction.set_rollback(True)
    except _Rollback:
        pass
    return report


def _write(campaign, parsed_dossiers, deleted_nodes, report, actor, fetch) -> None:
    existing = {
        dossier.ds_number: dossier
        for dossier in Dossier.objects.select_for_update().filter(
            ds_number__in=[p.number for p in parsed_dossiers]
            + [node.get("number") for node in deleted_nodes]
        )
    }
    for number, dossier in existing.items():
        if dossier.campaign_id != campaign.pk:
            report.problems.append(
                _("Dossier %(number)s : déjà rattaché à une autre campagne.") % {"number": number}
            )
    _check_one_dossier_per_applicant(campaign, parsed_dossiers, report)
    if report.problems:
        return
    establishments = {
        e.finess: e
        for e in Establishment.objects.filter(
            finess__in=[p.values.get("finess") for p in parsed_dossiers if p.values.get("finess")]
        )
    }
    legal_entities = {
        entity.siren: entity
        for entity in LegalEntity.objects.filter(siren__in=[p.siret[:9] for p in parsed_dossiers])
    }
    partner_establishments = {
        e.siret: e
        for e in Establishment.objects.filter(
            siret__in=[s.get("siret") for p in parsed_dossiers for s in p.partners]
        ).exclude(siret="")
    }
    params = campaign.scheme_parameters()
    newest = campaign.ds_synced_until
    new_dossiers: list[tuple[Dossier, ParsedDossier, list[checks.CheckResult]]] = []
    answered = []
    for parsed in parsed_dossiers:
        fingerprint = _fingerprint(parsed)
        dossier = existing.get(parsed.number)
        newest = max(filter(None, [newest, parsed.updated_at]))
        if dossier is not None and dossier.ds_fingerprint == fingerprint and not dossier.is_deleted:
            report.unchanged.append(parsed.number)
            report.states[dossier.state] += 1
            continue
        if dossier is None:
            # Written in batches below: a first sync brings thousands of dossiers.
            dossier = Dossier(campaign=campaign, ds_number=parsed.number)
            _fill(dossier, parsed, fingerprint, establishments, legal_entities)
            pieces = [
                checks.DocumentFacts(d["kind"], DocumentStatus.PENDING) for d in parsed.documents
            ]
            results = _check(campaign, params, dossier, parsed, pieces)
            _apply(dossier, results, report)
            new_dossiers.append((dossier, parsed, results))
            continue
        before = _tracked(dossier)
        before_children = _children_summary(dossier)
        _fill(dossier, parsed, fingerprint, establishments, legal_entities)
        documents = _replace_children(
            dossier, parsed, partner_establishments, fetch=fetch, report=report
        )
        pieces = [
            checks.DocumentFacts(kind=d.kind, status=d.status, refusal_reason=d.refusal_reason)
            for d in documents
        ]
        results = _check(campaign, params, dossier, parsed, pieces)
        # The checks set the state only until the instructor acts on the dossier; a
        # dossier changed while complements were asked has been answered.
        if dossier.state == DossierState.COMPLEMENT_REQUESTED:
            answered.append(dossier)
        _apply(dossier, results, report, set_state=dossier.state in INTAKE_STATES)
        dossier.save()
        report.updated.append(parsed.number)
        _journal(
            actor,
            dossier,
            results,
            AuditAction.CHANGE,
            _changes(before, _tracked(dossier))
            | _changes(before_children, _children_summary(dossier, parsed, documents)),
        )
    for start in range(0, len(new_dossiers), CREATE_BATCH):
        batch = new_dossiers[start : start + CREATE_BATCH]
        _create_batch(batch, partner_establishments, fetch, report)
        for dossier, _parsed, results in batch:
            report.created.append(dossier.ds_number)
            _journal(actor, dossier, results, AuditAction.IMPORT, _changes(None, _tracked(dossier)))
    for node in deleted_nodes:
        dossier = existing.get(node.get("number"))
        if dossier is None or dossier.is_deleted:
            continue
        dossier.is_deleted = True
        dossier.save(update_fields=["is_deleted"])
        report.deleted.append(dossier.ds_number)
        record_event(
            actor=actor,
            action=AuditAction.DELETE,
            obj=dossier,
            summary=_("Dossier DS %(number)s supprimé sur DS") % {"number": dossier.ds_number},
            reason=str(node.get("reason") or ""),
            changes={"is_deleted": {"before": False, "after": True}},
        )
    if newest != campaign.ds_synced_until:
        campaign.ds_synced_until = newest
        campaign.save(update_fields=["ds_synced_until"])
    for dossier in answered:
        signals.complements_filed.send(sender=Dossier, dossier=dossier)


def _check(campaign, params, dossier, parsed, pieces) -> list[checks.CheckResult]:
    return checks.check_dossier(
        scheme=campaign.scheme,
        params=params,
        deadline_at=campaign.deadline_at,
        required_documents=campaign.required_documents,
        consumption_deadline_date=campaign.consumption_deadline_date,
        facts=_facts(dossier, parsed, pieces),
        grant_date=campaign.notification_from_date,
    )


def _apply(dossier: Dossier, results, report: SyncReport, *, set_state: bool = True) -> None:
    """Set the dossier's check results, and its state unless the instructor already owns
    it (``set_state``); count it, name it if the checks flag it."""
    dossier.check_results = [result.as_dict() for result in results]
    if set_state:
        dossier.state = checks.state_after_checks(results)
    report.states[dossier.state] += 1
    if set_state and dossier.state != DossierState.ADMISSIBLE:
        report.flagged[dossier.ds_number] = [
            r.message
            for r in results
            if r.outcome in (checks.Outcome.INADMISSIBLE, checks.Outcome.INCOMPLETE)
        ]


def _journal(actor, dossier: Dossier, results, action: str, changes: dict) -> None:
    record_event(
        actor=actor,
        action=action,
        obj=dossier,
        summary=(
            _("Dossier DS %(number)s lu : %(state)s")
            % {"number": dossier.ds_number, "state": dossier.get_state_display()}
        ),
        reason="\n".join(r.message for r in results if r.outcome != checks.Outcome.OK),
        changes=changes,
    )


def _create_batch(batch, partner_establishments, fetch, report) -> None:
    """Insert new dossiers with their profile, actions, partners and pieces, a few queries
    per batch rather than per dossier."""
    dossiers = Dossier.objects.bulk_create([dossier for dossier, _parsed, _results in batch])
    EstablishmentProfile.objects.bulk_create(
        EstablishmentProfile(dossier=dossier, **_profile(parsed))
        for dossier, (_unsaved, parsed, _results) in zip(dossiers, batch, strict=True)
    )
    actions = DossierAction.objects.bulk_create(
        action
        for dossier, (_unsaved, parsed, _results) in zip(dossiers, batch, strict=True)
        for action in _actions(dossier, parsed)
    )
    by_rank = {(action.dossier_id, action.rank): action for action in actions}
    DossierPartner.objects.bulk_create(
        partner
        for dossier, (_unsaved, parsed, _results) in zip(dossiers, batch, strict=True)
        for partner in _partners(dossier, parsed, partner_establishments)
    )
    documents = []
    for dossier, (_unsaved, parsed, _results) in zip(dossiers, batch, strict=True):
        for document in parsed.documents:
            filename = document["filename"][:255]
            stored = ""
            if fetch is not None and document.get("url"):
                stored = _store_piece(dossier, document, fetch, report)
            documents.append(
                DossierDocument(
                    file=stored,
                    dossier=dossier,
                    action=by_rank.get((dossier.pk, document["action_rank"])),
                    kind=document["kind"],
                    filename=filename,
                    content_type=document["content_type"][:150],
                    checksum=document["checksum"][:64],
                    byte_size=document["byte_size"] or None,
                )
            )
    DossierDocument.objects.bulk_create(documents)


def _tracked(dossier: Dossier) -> dict:
    """Return the tracked fields of ``dossier`` as journal values (text, numbers, flags)."""
    values = {}
    for name in TRACKED_FIELDS:
        value = getattr(dossier, name)
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).isoformat()
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal | str) and name.endswith("_amount"):
            value = str(Decimal(value).quantize(Decimal("0.01")))
        values[name] = value
    return values


def _children_summary(dossier: Dossier, parsed: ParsedDossier | None = None, documents=None):
    """Return the actions, partners and pieces of ``dossier`` as short texts to compare.

    Read from the base before a resync replaces them, from the answer just read after.
    """
    if parsed is None:
        actions = dossier.actions.order_by("rank").values_list(
            "rank", "label", "cost_amount", "ars_requested_amount"
        )
        partners = dossier.partners.order_by("siret").values_list("siret", flat=True)
        pieces = dossier.documents.order_by("kind", "filename").values_list("kind", "filename")
    else:
        actions = sorted(
            (
                a["rank"],
                a.get("label") or "",
                Decimal(a["cost_amount"]),
                Decimal(a["ars_requested_amount"]),
            )
            for a in parsed.actions
        )
        partners = sorted(p["siret"] for p in parsed.partners)
        pieces = sorted((d.kind, d.filename) for d in documents)
    return {
        "actions": [
            f"{rank}. {label[:80]} – {format_euros(cost)} (ARS {format_euros(ars)})"
            for rank, label, cost, ars in actions
        ],
        "partners": list(partners),
        "documents": [
            f"{DocumentKind(kind).label if kind in DocumentKind.values else kind} : {name}"
            for kind, name in pieces
        ],
    }


def _changes(before: dict | None, after: dict) -> dict:
    """Return ``{field: {"before", "after"}}`` for the values that differ (all when new)."""
    if before is None:
        return {
            name: {"before": None, "after": value}
            for name, value in after.items()
            if value not in (None, "", [])
        }
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def _check_one_dossier_per_applicant(campaign, parsed_dossiers, report) -> None:
    """Name the applicants with two live dossiers in the campaign (CALLS.md 3.2)."""
    numbers = {p.number for p in parsed_dossiers}
    holders: dict[str, set[int]] = {}
    for siret, number in (
        Dossier.objects.live()
        .filter(campaign=campaign)
        .exclude(ds_number__in=numbers)
        .values_list("applicant_siret", "ds_number")
    ):
        holders.setdefault(siret, set()).add(number)
    for parsed in parsed_dossiers:
        holders.setdefault(parsed.siret, set()).add(parsed.number)
    for siret, owners in holders.items():
        if len(owners) > 1:
            report.problems.append(
                _("Dossiers %(numbers)s : un seul dossier par établissement (SIRET %(siret)s).")
                % {"numbers": ", ".join(map(str, sorted(owners))), "siret": siret}
            )


def _fill(dossier, parsed, fingerprint, establishments, legal_entities) -> None:
    values = parsed.values
    dossier.ds_state = parsed.state
    dossier.ds_updated_at = parsed.updated_at
    dossier.ds_fingerprint = fingerprint
    dossier.is_deleted = False
    dossier.submitted_at = parsed.submitted_at
    dossier.applicant_name = values.get("applicant_name") or parsed.legal_name
    dossier.applicant_siret = parsed.siret
    dossier.applicant_finess = values.get("finess") or ""
    dossier.applicant = legal_entities.get(parsed.siret[:9])
    dossier.carrier_establishment = establishments.get(values.get("finess"))
    dossier.project_title = values.get("project_title") or ""
    dossier.is_mutualised = bool(values.get("is_mutualised"))
    dossier.total_cost_amount = _decimal(values.get("total_cost_amount"))
    dossier.cofunding_amount = _decimal(values.get("cofunding_amount"))
    dossier.requested_amount = _decimal(values.get("requested_amount"))
    dossier.planned_start_date = values.get("planned_start_date")
    dossier.planned_end_date = values.get("planned_end_date")


def _profile(parsed: ParsedDossier) -> dict:
    return {
        name: (
            _decimal(parsed.values.get(name))
            if name.endswith(("_fte", "_rate"))
            else parsed.values.get(name)
        )
        for name in PROFILE_FIELDS
    }


def _actions(dossier: Dossier, parsed: ParsedDossier) -> list[DossierAction]:
    return [
        DossierAction(
            dossier=dossier,
            rank=action["rank"],
            axis=action.get("axis") or "",
            theme=action.get("theme") or "",
            label=action.get("label") or "",
            cost_amount=Decimal(action["cost_amount"]),
            ars_requested_amount=Decimal(action["ars_requested_amount"]),
            establishment_share_amount=(
                Decimal(action["cost_amount"]) - Decimal(action["ars_requested_amount"])
            ),
            agents_concerned=action.get("agents_concerned"),
            planned_start_date=parsed.values.get("planned_start_date"),
            planned_end_date=parsed.values.get("planned_end_date"),
        )
        for action in parsed.actions
    ]


def _partners(dossier: Dossier, parsed: ParsedDossier, partner_establishments):
    return [
        DossierPartner(
            dossier=dossier,
            siret=partner["siret"],
            name=partner.get("name") or "",
            establishment=partner_establishments.get(partner["siret"]),
        )
        for partner in parsed.partners
    ]


def _replace_children(dossier, parsed, partner_establishments, *, fetch, report):
    """Replace what a known dossier holds from DS by what the answer says now."""
    reviews = {
        (document.kind, document.checksum, document.filename): document
        for document in DossierDocument.objects.filter(dossier=dossier)
    }
    DossierDocument.objects.filter(dossier=dossier).delete()
    DossierAction.objects.filter(dossier=dossier).delete()
    DossierPartner.objects.filter(dossier=dossier).delete()
    EstablishmentProfile.objects.update_or_create(dossier=dossier, defaults=_profile(parsed))
    actions = DossierAction.objects.bulk_create(_actions(dossier, parsed))
    by_rank = {action.rank: action for action in actions}
    DossierPartner.objects.bulk_create(_partners(dossier, parsed, partner_establishments))
    documents = []
    for document in parsed.documents:
        key = (document["kind"], document["checksum"][:64], document["filename"][:255])
        review = reviews.get(key)
        stored = review.file.name if review and review.file else ""
        if not stored and fetch is not None and document.get("url"):
            stored = _store_piece(dossier, document, fetch, report)
        documents.append(
            DossierDocument(
                file=stored,
                dossier=dossier,
                action=by_rank.get(document["action_rank"]),
                kind=document["kind"],
                filename=key[2],
                content_type=document["content_type"][:150],
                checksum=key[1],
                byte_size=document["byte_size"] or None,
                # A piece DS still holds unchanged keeps the instructor's review of it.
                status=review.status if review else DocumentStatus.PENDING,
                refusal_reason=review.refusal_reason if review else "",
            )
        )
    return DossierDocument.objects.bulk_create(documents)


def _store_piece(dossier, document, fetch, report) -> str:
    """Download one piece, check its content and DS's checksum, store it; return its name."""
    name = document["filename"]
    try:
        content = fetch(document["url"])
        upload = ContentFile(content, name=name)
        check_document(upload)
    except (OSError, ValueError, ValidationError) as error:
        message = " ".join(getattr(error, "messages", [str(error)]))
        report.problems.append(
            _("Dossier %(number)s, pièce « %(name)s » : %(message)s")
            % {"number": dossier.ds_number, "name": name, "message": message}
        )
        return ""
    # DS's checksum is the base64 MD5 of the file (Active Storage).
    md5 = base64.b64encode(hashlib.md5(content, usedforsecurity=False).digest()).decode()
    if document["checksum"] and md5 != document["checksum"]:
        report.problems.append(
            _(
                "Dossier %(number)s, pièce « %(name)s » : le contenu reçu ne correspond pas à "
                "l'empreinte annoncée par DS."
            )
            % {"number": dossier.ds_number, "name": name}
        )
        return ""
    field = DossierDocument._meta.get_field("file")
    return default_storage.save(field.generate_filename(None, name), upload)


def _facts(dossier: Dossier, parsed: ParsedDossier, pieces) -> checks.DossierFacts:
    quoted = {d["action_rank"] for d in parsed.documents if d["kind"] == "QUOTE"}
    return checks.DossierFacts(
        submitted_at=parsed.submitted_at,
        applicant_siret=parsed.siret,
        applicant_finess=dossier.applicant_finess,
        partner_sirets=[p["siret"] for p in parsed.partners],
        actions=[
            checks.ActionFacts(
                rank=a["rank"],
                label=a.get("label") or "",
                cost_amount=Decimal(a["cost_amount"]),
                ars_requested_amount=Decimal(a["ars_requested_amount"]),
                has_quote=a["rank"] in quoted,
            )
            for a in parsed.actions
        ],
        documents=list(pieces),
        planned_end_date=(
            datetime.date.fromisoformat(parsed.values["planned_end_date"])
            if parsed.values.get("planned_end_date")
            else None
        ),
        in_registry=dossier.carrier_establishment_id is not None,
        planned_start_date=(
            datetime.date.fromisoformat(parsed.values["planned_start_date"])
            if parsed.values.get("planned_start_date")
            else None
        ),
    )


def sync_from_ds(
    *, campaign: Campaign, token: str, wet_run: bool, endpoint: str = "", actor=None
) -> SyncReport:
    """Read what changed on the campaign's démarche since the last sync and bring it in.

    The pieces of a wet run are downloaded at once (DS's links expire). A DS that cannot
    be read is reported as a problem, like a refused dossier: nothing is written.
    """
    try:
        payload = fetch_demarche(
            number=campaign.ds_demarche_number,
            token=token,
            endpoint=endpoint or settings.DS_API_URL or DEFAULT_ENDPOINT,
            updated_since=campaign.ds_synced_until,
        )
    except DsAnswerError as error:
        return SyncReport(campaign=campaign, wet_run=wet_run, problems=list(error.problems))
    except (OSError, ValueError) as error:
        return SyncReport(
            campaign=campaign,
            wet_run=wet_run,
            problems=[_("DS n'a pas pu être lu : %(error)s") % {"error": error}],
        )
    return sync_answer(
        campaign=campaign,
        payload=payload,
        wet_run=wet_run,
        actor=actor,
        download=partial(download_file, max_bytes=settings.DOCUMENT_MAX_BYTES),
    )


def campaigns_to_sync():
    """The campaigns whose dossiers may still change on DS, in a stable order."""
    return Campaign.objects.filter(state__in=SYNCED_STATES).select_related("region").order_by("pk")


def sync_skip_reason(campaign: Campaign, *, token: str) -> str:
    """Why the campaign cannot be read from DS now (empty when it can)."""
    if not campaign.ds_demarche_number:
        return _("la campagne n'est liée à aucune démarche DS")
    if not campaign.ds_champ_mapping:
        return _("la campagne n'a pas de correspondance des champs DS")
    if not token:
        return _("jeton DS absent (%(variable)s)") % {"variable": TOKEN_VARIABLE}
    return ""

"""The automatic checks of a dossier (seeds/001 via CALLS.md 3.2 and 3.3), as pure functions.

Each check gives its outcome, its message in French and its source; the dossier's state
follows from the worst outcome: one « irrecevable » reason makes it inadmissible, else one
« incomplet » reason makes it incomplete, else it is admissible. Figures come from the
campaign's frozen parameters and the rules from ``contracts.schemes``.
"""

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import schemes
from contracts.money import format_euros
from contracts.schemes import ClactExclusion, SchemeCode
from territories.validators import is_valid_finess, is_valid_siret

from .models import DocumentKind, DocumentStatus, DossierState

SOURCE_CLACT = "seeds/001, cahier des charges CLACT 2024"
SOURCE_CALL = "calendrier de l'appel à candidatures"
SOURCE_REGISTRY = "répertoires SIRENE et FINESS"
# seeds/001 via CALLS.md 3.3: a commitment letter in place of the DUERP is not a DUERP.
COMMITMENT_LETTER_REASON = "lettre d'engagement : irrecevable"
# seeds/001: « des projets réalisés dans l'année en cours ou au plus tard 24 mois après
# l'octroi » (a selection priority, not a deadline: DOMAIN.md, CLACT).
CLACT_COMPLETE_WITHIN_MONTHS = 24
SOURCE_START = (
    SOURCE_CLACT + " : « des projets […] débutant dans l'année suivant l'accord de financement »"
)
SOURCE_COMPLETION = (
    SOURCE_CLACT + " : projets réalisés « au plus tard 24 mois après l'octroi » (priorité)"
)
SOURCE_EXCLUSIONS = SOURCE_CLACT + ", dépenses exclues"
# Words of an action's description that suggest one of the expenses seeds/001 excludes; the
# instructor confirms (a warning, never a refusal: a word is not a proof).
EXCLUSION_HINTS = {
    ClactExclusion.RECURRING_COSTS: ("abonnement", "loyer", "maintenance", "consommable"),
    ClactExclusion.PAYROLL: (
        "salaire",
        "remuneration",
        "charges de personnel",
        "creation de poste",
        "poste perenne",
        "recrutement d'un",
    ),
    ClactExclusion.TRAINING_BODY_FUNDED: ("opco", "anfh", "carsat"),
    ClactExclusion.LEGALLY_REQUIRED_EQUIPMENT: (
        "equipement de protection individuelle",
        "extincteur",
    ),
}


class Outcome(models.TextChoices):
    OK = "OK", "Conforme"
    WARNING = "WARNING", "À vérifier"
    INCOMPLETE = "INCOMPLETE", "Incomplet"
    INADMISSIBLE = "INADMISSIBLE", "Irrecevable"


@dataclass(frozen=True)
class CheckResult:
    code: str
    outcome: str
    message: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ActionFacts:
    rank: int
    label: str
    cost_amount: Decimal
    ars_requested_amount: Decimal
    has_quote: bool


@dataclass(frozen=True)
class DocumentFacts:
    kind: str
    status: str
    refusal_reason: str = ""


@dataclass(frozen=True)
class DossierFacts:
    """What the checks read of a dossier, whatever it is stored in."""

    submitted_at: datetime.datetime
    applicant_siret: str
    applicant_finess: str
    partner_sirets: Sequence[str]
    actions: Sequence[ActionFacts]
    documents: Sequence[DocumentFacts]
    planned_end_date: datetime.date | None
    in_registry: bool
    planned_start_date: datetime.date | None = None


def _max_ars_amount(scheme: str, cost: Decimal, params: schemes.SchemeParameters) -> Decimal:
    """Return the most the ARS may fund of ``cost``, rounded down so the establishment
    pays at least its share (seeds/001: 100.01 € → ARS 50.00 €)."""
    if scheme == SchemeCode.CLACT:
        return schemes.clact_fir_subsidy(cost, params)
    share = schemes.ars_share(scheme, params)
    if share is None:
        return cost
    return (cost * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _result(code, ok, outcome, message, source) -> CheckResult:
    return CheckResult(code, Outcome.OK if ok else outcome, message, source)


def _deadline_check(facts: DossierFacts, deadline_at: datetime.datetime) -> CheckResult:
    filed = timezone.localtime(facts.submitted_at)
    deadline = timezone.localtime(deadline_at)
    on_time = facts.submitted_at <= deadline_at
    return _result(
        "DEADLINE",
        on_time,
        Outcome.INADMISSIBLE,
        _("Déposé le %(filed)s ; date limite le %(deadline)s%(verdict)s.")
        % {
            "filed": f"{filed:%d/%m/%Y à %H:%M:%S}",
            "deadline": f"{deadline:%d/%m/%Y à %H:%M:%S}",
            "verdict": "" if on_time else _(" : dépôt tardif, dossier irrecevable (non rejeté)"),
        },
        SOURCE_CALL,
    )


def _max_actions_check(facts: DossierFacts, params) -> CheckResult:
    count, maximum = len(facts.actions), params.clact_max_actions
    return _result(
        "MAX_ACTIONS",
        count <= maximum,
        Outcome.INADMISSIBLE,
        _("%(count)d action(s) pour %(max)d au plus%(verdict)s.")
        % {
            "count": count,
            "max": maximum,
            "verdict": "" if count <= maximum else _(" : au-delà, le dossier est irrecevable"),
        },
        SOURCE_CLACT + " : « Tout dossier reçu ayant un nombre d'actions supérieur à 5 "
        "sera déclaré irrecevable »",
    )


def _ars_share_checks(scheme: str, facts: DossierFacts, params) -> list[CheckResult]:
    share = schemes.ars_share(scheme, params)
    if share is None:
        return []
    over = []
    for action in facts.actions:
        ceiling = _max_ars_amount(scheme, action.cost_amount, params)
        if action.ars_requested_amount > ceiling:
            over.append(
                _("action %(rank)d : %(asked)s demandés pour un coût de %(cost)s (maximum %(max)s)")
                % {
                    "rank": action.rank,
                    "asked": format_euros(action.ars_requested_amount),
                    "cost": format_euros(action.cost_amount),
                    "max": format_euros(ceiling),
                }
            )
    percent = f"{(share * 100).normalize():f} %"
    message = (
        _("Part ARS au plus %(percent)s du coût de chaque action : respectée.")
        % {"percent": percent}
        if not over
        else _("Part ARS au-delà de %(percent)s du coût (cofinancement insuffisant) : ")
        % {"percent": percent}
        + " ; ".join(over)
        + "."
    )
    source = (
        SOURCE_CLACT + " : « cofinancement des projets à hauteur de 50% au minimum »"
        if scheme == SchemeCode.CLACT
        else "contracts.schemes.ars_share"
    )
    return [_result("ARS_SHARE", not over, Outcome.INADMISSIBLE, message, source)]


def _ipa_cap_check(facts: DossierFacts, params) -> CheckResult:
    """Check each student's line against the cap per student (seeds/000: « Jusqu'à
    70 000 € par étudiant »). An IPA dossier lists one line per nurse trained (tuition and
    replacement); above the cap the grant is capped, the dossier is not refused."""
    over = []
    for action in facts.actions:
        try:
            schemes.check_ipa_amount(action.ars_requested_amount, 1, params)
        except schemes.RuleViolation as error:
            over.append(_("ligne %(rank)d : %(error)s") % {"rank": action.rank, "error": error})
    cap = format_euros(params.ipa_cap_per_student)
    return _result(
        "IPA_CAP",
        not over,
        Outcome.WARNING,
        _("Au plus %(cap)s par étudiant : respecté.") % {"cap": cap}
        if not over
        else _("Au-delà de %(cap)s par étudiant, l'aide sera plafonnée : ") % {"cap": cap}
        + " ; ".join(over),
        "seeds/000 : « Jusqu'à 70 000 € par étudiant »",
    )


def _document_checks(facts: DossierFacts, required_documents: Sequence[str]) -> list[CheckResult]:
    by_kind: dict[str, list[DocumentFacts]] = {}
    for document in facts.documents:
        by_kind.setdefault(document.kind, []).append(document)
    results = []
    for kind in required_documents:
        label = DocumentKind(kind).label if kind in DocumentKind.values else kind
        pieces = by_kind.get(kind, [])
        refused = [p for p in pieces if p.status == DocumentStatus.REFUSED]
        code = f"DOCUMENT_{kind}"
        if not pieces:
            results.append(
                _result(
                    code,
                    False,
                    Outcome.INCOMPLETE,
                    _("Pièce manquante : %(label)s.") % {"label": label},
                    SOURCE_CLACT,
                )
            )
        elif len(refused) == len(pieces):
            letter = any(COMMITMENT_LETTER_REASON in p.refusal_reason for p in refused)
            results.append(
                _result(
                    code,
                    False,
                    Outcome.INADMISSIBLE if letter else Outcome.INCOMPLETE,
                    _("Pièce refusée : %(label)s (%(reason)s).")
                    % {"label": label, "reason": refused[0].refusal_reason},
                    SOURCE_CLACT,
                )
            )
        else:
            results.append(
                _result(
                    code,
                    True,
                    Outcome.INCOMPLETE,
                    _("Pièce fournie : %(label)s.") % {"label": label},
                    SOURCE_CLACT,
                )
            )
    return results


def _quotes_check(facts: DossierFacts) -> CheckResult:
    without = [str(a.rank) for a in facts.actions if not a.has_quote]
    return _result(
        "QUOTES",
        not without,
        Outcome.INCOMPLETE,
        _("Un devis par action : fourni.")
        if not without
        else _("Devis manquant pour l'action ou les actions %(ranks)s.")
        % {"ranks": ", ".join(without)},
        SOURCE_CLACT + " : « 1 achat = 1 action », un devis par action",
    )


def _registry_checks(facts: DossierFacts) -> list[CheckResult]:
    sirets_valid = is_valid_siret(facts.applicant_siret) and all(
        is_valid_siret(siret) for siret in facts.partner_sirets
    )
    finess_valid = is_valid_finess(facts.applicant_finess)
    return [
        _result(
            "SIRET",
            sirets_valid,
            Outcome.INCOMPLETE,
            _("SIRET du demandeur et des partenaires : %(verdict)s.")
            % {"verdict": _("valides") if sirets_valid else _("au moins un numéro invalide")},
            SOURCE_REGISTRY,
        ),
        _result(
            "FINESS",
            finess_valid,
            Outcome.INCOMPLETE,
            _("FINESS de l'établissement « %(finess)s » : %(verdict)s.")
            % {
                "finess": facts.applicant_finess or "—",
                "verdict": _("valide") if finess_valid else _("invalide"),
            },
            SOURCE_REGISTRY,
        ),
        _result(
            "REGISTRY",
            facts.in_registry,
            Outcome.WARNING,
            _("Établissement retrouvé dans le répertoire.")
            if facts.in_registry
            else _("Établissement absent du répertoire : rapprochement à faire par l'instructeur."),
            SOURCE_REGISTRY,
        ),
    ]


def _consumption_check(facts: DossierFacts, consumption_deadline_date) -> list[CheckResult]:
    if not (consumption_deadline_date and facts.planned_end_date):
        return []
    return [
        _result(
            "CONSUMPTION_DEADLINE",
            facts.planned_end_date <= consumption_deadline_date,
            Outcome.WARNING,
            _("Fin prévue le %(end)s ; crédits à consommer au plus tard le %(deadline)s.")
            % {
                "end": f"{facts.planned_end_date:%d/%m/%Y}",
                "deadline": f"{consumption_deadline_date:%d/%m/%Y}",
            },
            SOURCE_CLACT,
        )
    ]


def check_dossier(
    *,
    scheme: str,
    params: schemes.SchemeParameters,
    deadline_at: datetime.datetime,
    required_documents: Sequence[str],
    consumption_deadline_date: datetime.date | None,
    facts: DossierFacts,
    grant_date: datetime.date | None = None,
) -> list[CheckResult]:
    """Return every check of the dossier described by ``facts``, conforming ones included.

    ``grant_date`` is the presumed date of the funding agreement (the campaign's notification
    date): the planned dates are checked against the windows that follow it.
    """
    clact = scheme == SchemeCode.CLACT
    results = [_deadline_check(facts, deadline_at)]
    if clact:
        results.append(_max_actions_check(facts, params))
    results += _ars_share_checks(scheme, facts, params)
    if scheme == SchemeCode.IPA:
        results.append(_ipa_cap_check(facts, params))
    results += _document_checks(facts, required_documents)
    if clact:
        results.append(_quotes_check(facts))
    results += _registry_checks(facts)
    results += _consumption_check(facts, consumption_deadline_date)
    if clact:
        results.extend(_window_checks(facts, grant_date, params))
        results.append(_exclusion_check(facts.actions))
    return results


def _window_checks(
    facts: DossierFacts, grant_date: datetime.date | None, params: schemes.SchemeParameters
) -> list[CheckResult]:
    """Check the planned dates against the start (1 year) and completion (24 months) windows.

    Warnings, not refusals: the grant date is only presumed before the decision, and the
    24 months are a selection priority (seeds/001, CALLS.md 3.4).
    """
    if grant_date is None:
        return []
    results = []
    if facts.planned_start_date:
        latest = schemes.clact_start_deadline(grant_date, params)
        ok = facts.planned_start_date <= latest
        results.append(
            CheckResult(
                "START_WINDOW",
                Outcome.OK if ok else Outcome.WARNING,
                _(
                    "Début prévu le %(start)s ; les actions débutent au plus tard le "
                    "%(latest)s (un an après l'octroi présumé du %(grant)s)%(verdict)s."
                )
                % {
                    "start": f"{facts.planned_start_date:%d/%m/%Y}",
                    "latest": f"{latest:%d/%m/%Y}",
                    "grant": f"{grant_date:%d/%m/%Y}",
                    "verdict": "" if ok else _(" : début trop tardif"),
                },
                SOURCE_START,
            )
        )
    if facts.planned_end_date:
        latest = schemes._add_months(grant_date, CLACT_COMPLETE_WITHIN_MONTHS)
        ok = facts.planned_end_date <= latest
        results.append(
            CheckResult(
                "COMPLETION_WINDOW",
                Outcome.OK if ok else Outcome.WARNING,
                _(
                    "Fin prévue le %(end)s ; réalisation attendue au plus tard le %(latest)s "
                    "(24 mois après l'octroi présumé du %(grant)s)%(verdict)s."
                )
                % {
                    "end": f"{facts.planned_end_date:%d/%m/%Y}",
                    "latest": f"{latest:%d/%m/%Y}",
                    "grant": f"{grant_date:%d/%m/%Y}",
                    "verdict": "" if ok else _(" : au-delà, le projet perd sa priorité"),
                },
                SOURCE_COMPLETION,
            )
        )
    return results


def _plain(text: str) -> str:
    """Return ``text`` in lower case without accents, with straight apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _exclusion_check(actions: Sequence[ActionFacts]) -> CheckResult:
    """Flag the actions whose description suggests an excluded expense (seeds/001)."""
    found = []
    for action in actions:
        label = _plain(action.label)
        for exclusion, words in EXCLUSION_HINTS.items():
            hits = [word for word in words if word in label]
            if hits:
                found.append(
                    _("action %(rank)d : %(exclusion)s (« %(word)s »)")
                    % {"rank": action.rank, "exclusion": exclusion.label.lower(), "word": hits[0]}
                )
    return CheckResult(
        "EXCLUDED_EXPENSES",
        Outcome.WARNING if found else Outcome.OK,
        _("Aucune dépense exclue repérée dans les actions.")
        if not found
        else _("Dépense peut-être exclue, à vérifier par l'instructeur : ")
        + " ; ".join(found)
        + ".",
        SOURCE_EXCLUSIONS,
    )


def state_after_checks(results: Sequence[CheckResult]) -> str:
    """Return the dossier's state: inadmissible, else incomplete, else admissible."""
    outcomes = {result.outcome for result in results}
    if Outcome.INADMISSIBLE in outcomes:
        return DossierState.INADMISSIBLE
    if Outcome.INCOMPLETE in outcomes:
        return DossierState.INCOMPLETE
    return DossierState.ADMISSIBLE

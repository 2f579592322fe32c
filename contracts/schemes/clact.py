"""CLACT: local contracts to improve working conditions (seed 001)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from ..money import ZERO, format_euros
from ._common import _CLACT_SOURCE, RuleViolation, _add_months, _format_number, _to_decimal
from .codes import ClactDocument, ClactExclusion
from .parameters import DEFAULT_PARAMETERS, SchemeParameters


@dataclass(frozen=True, kw_only=True)
class ClactAction:
    """One action of a CLACT dossier (seeds/001: "1 achat de verticalisateur = 1 action")."""

    label: str
    cost: Decimal
    ars_amount: Decimal
    has_quote: bool
    exclusions: frozenset[ClactExclusion] = frozenset()


def clact_fir_subsidy(
    project_cost: Decimal, params: SchemeParameters = DEFAULT_PARAMETERS
) -> Decimal:
    """Return the largest FIR subsidy for a CLACT project: cost × FIR share, rounded down.

    seeds/001: the ARS pays « à hauteur de 50 % » and the establishment co-finances « à
    hauteur de 50% au minimum »: rounding down keeps the establishment's share at least
    half (100.01 € -> ARS 50.00 €, establishment 50.01 €).
    """
    cost = _to_decimal(project_cost, "Le coût du projet CLACT")
    if cost <= ZERO:
        raise RuleViolation(
            f"Le coût du projet CLACT doit être positif (reçu : {format_euros(cost)})."
        )
    return (cost * params.clact_fir_share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def clact_consumption_deadline(
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> datetime.date:
    """Return the last day on which the campaign's CLACT credits may be consumed."""
    return params.clact_consumption_deadline


def clact_start_deadline(
    agreed_on: datetime.date, params: SchemeParameters = DEFAULT_PARAMETERS
) -> datetime.date:
    """Return the last day on which a funded CLACT action may start.

    seeds/001: projects « débutant dans l'année suivant l'accord de financement ». The
    deadline is the same day a year later; an agreement of 29 Feb gets 28 Feb. (The « 24
    mois » of seeds/001 is a selection priority on *completion*, not a start deadline.)
    """
    return _add_months(agreed_on, params.clact_start_within_months)


def check_clact_start(
    *,
    agreed_on: datetime.date,
    starts_on: datetime.date,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise ``RuleViolation`` when a CLACT action starts after the year following agreement."""
    deadline = clact_start_deadline(agreed_on, params)
    if starts_on > deadline:
        raise RuleViolation(
            _(
                "L'action CLACT débute le %(start)s, après le %(deadline)s : les projets "
                "doivent débuter dans l'année suivant l'accord de financement (%(source)s)."
            )
            % {
                "start": f"{starts_on:%d/%m/%Y}",
                "deadline": f"{deadline:%d/%m/%Y}",
                "source": _CLACT_SOURCE,
            }
        )


def _percent(share: Decimal) -> str:
    """Return ``share`` as a French percentage, e.g. ``50 %``."""
    return f"{_format_number(share * 100)} %"


def _check_clact_action(number: int, action: ClactAction, params: SchemeParameters) -> list[str]:
    """Return the problems of one CLACT action (empty when it complies)."""
    errors: list[str] = []
    name = f"Action {number} « {action.label} »"
    cost = _to_decimal(action.cost, f"Le coût de l'action {number}")
    ars_amount = _to_decimal(action.ars_amount, f"Le montant ARS de l'action {number}")
    if not action.has_quote:
        errors.append(f"{name} : le devis est manquant ; un devis par action est obligatoire.")
    for exclusion in sorted(action.exclusions):
        errors.append(
            f"{name} : dépense exclue du CLACT ({ClactExclusion(exclusion).label.lower()})."
        )
    if cost <= ZERO:
        errors.append(f"{name} : le coût doit être positif (reçu : {format_euros(cost)}).")
    elif ars_amount > clact_fir_subsidy(cost, params):
        errors.append(
            f"{name} : la part ARS de {format_euros(ars_amount)} dépasse "
            f"{_percent(params.clact_fir_share)} du coût de {format_euros(cost)} "
            f"(maximum {format_euros(clact_fir_subsidy(cost, params))})."
        )
    if ars_amount < ZERO:
        errors.append(f"{name} : la part ARS ne peut pas être négative.")
    return errors


def check_clact_dossier(
    *,
    actions: Sequence[ClactAction],
    provided_documents: set[str],
    submitted_on: datetime.date,
    deadline: datetime.date,
    params: SchemeParameters = DEFAULT_PARAMETERS,
) -> None:
    """Raise one ``RuleViolation`` listing every reason the CLACT dossier cannot be instructed.

    seeds/001: late or with more than 5 actions, the dossier is inadmissible; incomplete, it
    is rejected; each action needs a quote, stays out of the excluded expenses and asks the
    ARS for at most 50 % of its cost.
    """
    errors: list[str] = []
    if submitted_on > deadline:
        errors.append(
            f"Le dossier a été déposé le {submitted_on:%d/%m/%Y}, après la date limite du "
            f"{deadline:%d/%m/%Y} : il est irrecevable ({_CLACT_SOURCE})."
        )
    if len(actions) > params.clact_max_actions:
        errors.append(
            f"Le dossier comporte {len(actions)} actions : au-delà de "
            f"{params.clact_max_actions} actions, le dossier est irrecevable ({_CLACT_SOURCE})."
        )
    if not actions:
        errors.append("Le dossier ne comporte aucune action.")
    missing = [document.label for document in ClactDocument if document not in provided_documents]
    if missing:
        errors.append(
            "Le dossier est incomplet et sera rejeté ; pièces manquantes : "
            + " ; ".join(missing)
            + f" ({_CLACT_SOURCE})."
        )
    for number, action in enumerate(actions, start=1):
        errors.extend(_check_clact_action(number, action, params))
    if errors:
        raise RuleViolation(errors)

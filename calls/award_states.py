"""The lifecycle of each kind of individual award: its states and allowed events, as data.

Pure: no database. ``calls.awards.advance_award`` checks an event against this table
(``check_event``), then applies its effect on the schedule; the award page shows one
button per allowed event; the database holds each kind to its own states
(``status_constraint``). What each step rests on, from the seeds:

- IPA (seeds/000, CALLS 3.9): the DEIPA is a two-year training; the second year goes on
  only once the first is validated; then graduated, or dropped out at any time. Seed 000
  gives the cap per student (70,000 €, tuition and replacement) but no yearly split: the
  schedule stays the single payment at the training convention, and the validation of
  the first year is recorded, not paid.
- CAE (seeds/000): the allowance is paid monthly during training; from the hire date the
  student serves twice the funded months; fulfilled at their end, or broken (a breach
  recorded by one person, its repayment decided by another: ``record_cae_breach``).
- PET (seeds/004): a monthly premium under a tripartite convention; it ends at its term,
  or is interrupted (the months from the interruption are not paid).
- ASTP (seeds/004): a two-year shared-post convention, year 1 then year 2 (from its first
  anniversary), completed at its term, or interrupted (months after not paid).
- PECH (seeds/004): « versée en 2 fois : à la signature de la convention, puis après la
  réussite au concours et la prise de poste au sein de l'établissement en tant que PH »,
  then « trois ans de services effectifs en tant que PH »: signed → first instalment paid
  → appointed as PH (the second instalment falls due) → second paid → 3-year commitment
  fulfilled; without appointment the convention ends and the second half is not paid.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.schemes import SchemeCode, _add_months

PECH_COMMITMENT_MONTHS = 36  # seeds/004: « trois ans de services effectifs en tant que PH »
ASTP_YEAR_MONTHS = 12


class AwardStatus(models.TextChoices):
    # IPA, and the two years of an ASTP convention.
    YEAR_1 = "YEAR_1", gettext_lazy("1re année")
    YEAR_2 = "YEAR_2", gettext_lazy("2e année")
    GRADUATED = "GRADUATED", gettext_lazy("Diplômé, formation terminée")
    DROPPED_OUT = "DROPPED_OUT", gettext_lazy("Formation abandonnée")
    # CAE.
    IN_TRAINING = "IN_TRAINING", gettext_lazy("En formation, allocation versée chaque mois")
    IN_COMMITMENT = "IN_COMMITMENT", gettext_lazy("Engagement de servir en cours")
    FULFILLED = "FULFILLED", gettext_lazy("Engagement honoré")
    BREACH_RECORDED = "BREACH_RECORDED", gettext_lazy("Rupture d'engagement à décider")
    BROKEN = "BROKEN", gettext_lazy("Engagement rompu, reversement décidé")
    # PET, and the end of an ASTP convention.
    PAYING = "PAYING", gettext_lazy("Prime versée chaque mois")
    COMPLETED = "COMPLETED", gettext_lazy("Convention arrivée à son terme")
    INTERRUPTED = "INTERRUPTED", gettext_lazy("Convention interrompue")
    # PECH.
    SIGNED = "SIGNED", gettext_lazy("Convention signée, 1er versement à effectuer")
    FIRST_PAID = "FIRST_PAID", gettext_lazy("1er versement effectué, nomination PH attendue")
    APPOINTED = "APPOINTED", gettext_lazy("Nommé PH, 2nd versement à effectuer")
    SECOND_PAID = "SECOND_PAID", gettext_lazy("2nd versement effectué, engagement de 3 ans")


S = AwardStatus

# Each kind's states; the first is where a new award starts (CAE: see ``initial_status``).
STATES = {
    SchemeCode.IPA: (S.YEAR_1, S.YEAR_2, S.GRADUATED, S.DROPPED_OUT),
    SchemeCode.CAE: (
        S.IN_TRAINING,
        S.IN_COMMITMENT,
        S.FULFILLED,
        S.BREACH_RECORDED,
        S.BROKEN,
    ),
    SchemeCode.PET: (S.PAYING, S.COMPLETED, S.INTERRUPTED),
    SchemeCode.ASTP: (S.YEAR_1, S.YEAR_2, S.COMPLETED, S.INTERRUPTED),
    SchemeCode.PECH: (
        S.SIGNED,
        S.FIRST_PAID,
        S.APPOINTED,
        S.SECOND_PAID,
        S.FULFILLED,
        S.INTERRUPTED,
    ),
}

# The states in which an award's figures may still be corrected (``change_award``).
EDITABLE = {
    SchemeCode.IPA: (S.YEAR_1, S.YEAR_2),
    SchemeCode.CAE: (S.IN_TRAINING, S.IN_COMMITMENT),
    SchemeCode.PET: (S.PAYING,),
    SchemeCode.ASTP: (S.YEAR_1, S.YEAR_2),
    SchemeCode.PECH: (S.SIGNED, S.FIRST_PAID),
}

# What a step does to the award besides its status (``calls.awards.advance_award``).
SET_COMMITMENT_START = "set_commitment_start"  # CAE hire: the commitment runs from then
SET_APPOINTMENT = "set_appointment"  # PECH: the second instalment falls due on that date
STOP_PAYMENTS = "stop_payments"  # instalments due on or after the date are not paid


@dataclass(frozen=True)
class Transition:
    event: str
    sources: tuple[str, ...]
    target: str
    label: str  # the button
    date_label: str  # the date the step is recorded with
    confirm: str  # what the confirmation says will happen
    effect: str = ""
    # Steps recorded through their own page and four-eyes decision (the CAE breach).
    own_page: bool = False


def _t(event, sources, target, label, date_label, confirm, **extra) -> Transition:
    return Transition(event, tuple(sources), target, label, date_label, confirm, **extra)


TRANSITIONS = {
    SchemeCode.IPA: (
        _t(
            "validate_year_1",
            [S.YEAR_1],
            S.YEAR_2,
            gettext_lazy("Valider la 1re année"),
            gettext_lazy("Date de validation de la 1re année"),
            gettext_lazy("La 1re année est validée : la formation passe en 2e année."),
        ),
        _t(
            "graduate",
            [S.YEAR_2],
            S.GRADUATED,
            gettext_lazy("Enregistrer l'obtention du diplôme"),
            gettext_lazy("Date d'obtention du DEIPA"),
            gettext_lazy("La formation est terminée, le diplôme obtenu."),
        ),
        _t(
            "drop_out",
            [S.YEAR_1, S.YEAR_2],
            S.DROPPED_OUT,
            gettext_lazy("Enregistrer l'abandon de la formation"),
            gettext_lazy("Date de l'abandon"),
            gettext_lazy(
                "La formation est abandonnée ; la règle de reversement reste à confirmer par l'ARS."
            ),
        ),
    ),
    SchemeCode.CAE: (
        _t(
            "start_commitment",
            [S.IN_TRAINING],
            S.IN_COMMITMENT,
            gettext_lazy("Enregistrer l'embauche"),
            gettext_lazy("Date d'embauche (début de l'engagement)"),
            gettext_lazy("L'engagement de servir court à compter de l'embauche."),
            effect=SET_COMMITMENT_START,
        ),
        _t(
            "fulfil",
            [S.IN_COMMITMENT],
            S.FULFILLED,
            gettext_lazy("Constater l'engagement honoré"),
            gettext_lazy("Date de fin de l'engagement"),
            gettext_lazy("L'engagement de servir est honoré : plus rien n'est dû."),
        ),
        _t(
            "record_breach",
            [S.IN_COMMITMENT],
            S.BREACH_RECORDED,
            gettext_lazy("Constater une rupture d'engagement"),
            gettext_lazy("Date de la rupture"),
            gettext_lazy("Une autre personne décidera le reversement."),
            own_page=True,
        ),
    ),
    SchemeCode.PET: (
        _t(
            "end",
            [S.PAYING],
            S.COMPLETED,
            gettext_lazy("Constater la fin de la convention"),
            gettext_lazy("Date de fin"),
            gettext_lazy("La convention tripartite est arrivée à son terme."),
        ),
        _t(
            "interrupt",
            [S.PAYING],
            S.INTERRUPTED,
            gettext_lazy("Interrompre la prime"),
            gettext_lazy("Date d'interruption"),
            gettext_lazy(
                "Les mois de prime à compter de cette date ne sont plus versés ; la ligne suit."
            ),
            effect=STOP_PAYMENTS,
        ),
    ),
    SchemeCode.ASTP: (
        _t(
            "second_year",
            [S.YEAR_1],
            S.YEAR_2,
            gettext_lazy("Passer en 2e année"),
            gettext_lazy("Date de début de la 2e année"),
            gettext_lazy("La convention d'exercice partagé entre dans sa 2e année."),
        ),
        _t(
            "end",
            [S.YEAR_2],
            S.COMPLETED,
            gettext_lazy("Constater la fin de la convention"),
            gettext_lazy("Date de fin"),
            gettext_lazy("La convention de deux ans est arrivée à son terme."),
        ),
        _t(
            "interrupt",
            [S.YEAR_1, S.YEAR_2],
            S.INTERRUPTED,
            gettext_lazy("Interrompre la convention"),
            gettext_lazy("Date d'interruption"),
            gettext_lazy("Les mois à compter de cette date ne sont plus versés ; la ligne suit."),
            effect=STOP_PAYMENTS,
        ),
    ),
    SchemeCode.PECH: (
        _t(
            "pay_first",
            [S.SIGNED],
            S.FIRST_PAID,
            gettext_lazy("Enregistrer le 1er versement"),
            gettext_lazy("Date du 1er versement"),
            gettext_lazy("La moitié de la prime, due à la signature, est versée."),
        ),
        _t(
            "appoint",
            [S.FIRST_PAID],
            S.APPOINTED,
            gettext_lazy("Enregistrer la nomination comme PH"),
            gettext_lazy("Date de prise de poste comme praticien hospitalier"),
            gettext_lazy("Le 2nd versement devient dû à cette date ; la ligne suit."),
            effect=SET_APPOINTMENT,
        ),
        _t(
            "pay_second",
            [S.APPOINTED],
            S.SECOND_PAID,
            gettext_lazy("Enregistrer le 2nd versement"),
            gettext_lazy("Date du 2nd versement"),
            gettext_lazy("Le 2nd versement est effectué ; l'engagement de 3 ans comme PH court."),
        ),
        _t(
            "fulfil",
            [S.SECOND_PAID],
            S.FULFILLED,
            gettext_lazy("Constater l'engagement de 3 ans honoré"),
            gettext_lazy("Date de fin de l'engagement"),
            gettext_lazy("Les trois ans de services effectifs comme PH sont accomplis."),
        ),
        _t(
            "interrupt",
            [S.SIGNED, S.FIRST_PAID],
            S.INTERRUPTED,
            gettext_lazy("Enregistrer la fin sans nomination"),
            gettext_lazy("Date de fin de la convention"),
            gettext_lazy(
                "Sans nomination comme PH, le 2nd versement n'est pas dû ; la ligne suit."
            ),
            effect=STOP_PAYMENTS,
        ),
    ),
}


def initial_status(kind: str, *, commitment_start_date=None) -> str:
    """Return where a new award of ``kind`` starts.

    A CAE whose hire date is already known is in its commitment; otherwise in training.
    """
    if kind == SchemeCode.CAE and commitment_start_date is not None:
        return S.IN_COMMITMENT
    return STATES[SchemeCode(kind)][0]


def transition(kind: str, event: str) -> Transition | None:
    """Return the step ``event`` of ``kind``, or ``None``."""
    for step in TRANSITIONS.get(SchemeCode(kind), ()):
        if step.event == event:
            return step
    return None


def allowed_transitions(kind: str, status: str) -> list[Transition]:
    """Return the steps an award of ``kind`` at ``status`` may take now."""
    return [step for step in TRANSITIONS.get(SchemeCode(kind), ()) if status in step.sources]


@dataclass(frozen=True)
class AwardFacts:
    """The dates of an award an event's date is checked against."""

    start_date: datetime.date
    end_date: datetime.date | None = None
    commitment_end_date: datetime.date | None = None
    appointment_date: datetime.date | None = None


def _fmt(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def check_event(
    kind: str, status: str, event: str, day: datetime.date | None, facts: AwardFacts
) -> tuple[Transition, dict[str, list[str]]]:
    """Return the step and the problems of recording ``event`` on ``day`` (French, per field).

    Problems under ``"event"`` when the step is not allowed from ``status``, under
    ``"date"`` when the date does not fit the award's dates.
    """
    step = transition(kind, event)
    if step is None or status not in step.sources:
        label = AwardStatus(status).label if status in AwardStatus.values else status
        return step, {
            "event": [
                _("Cette étape n'est pas possible pour une attribution au statut « %(status)s ».")
                % {"status": label}
            ]
        }
    if step.own_page:
        return step, {"event": [_("Cette étape s'enregistre sur sa propre page.")]}
    if day is None:
        return step, {"date": [_("La date est obligatoire.")]}
    problems = []
    earliest = facts.start_date
    if event == "second_year":
        earliest = _add_months(facts.start_date, ASTP_YEAR_MONTHS)
    elif event == "pay_second" and facts.appointment_date:
        earliest = facts.appointment_date
    elif event == "fulfil" and kind == SchemeCode.PECH and facts.appointment_date:
        earliest = _add_months(facts.appointment_date, PECH_COMMITMENT_MONTHS)
    elif event == "fulfil" and facts.commitment_end_date:
        earliest = facts.commitment_end_date
    elif event == "end" and facts.end_date:
        earliest = facts.end_date
    if day < earliest:
        problems.append(
            _("La date ne peut pas précéder le %(date)s pour cette étape.")
            % {"date": _fmt(earliest)}
        )
    if event == "interrupt" and facts.end_date and day > facts.end_date:
        problems.append(
            _("La convention prend fin le %(date)s : une interruption la précède.")
            % {"date": _fmt(facts.end_date)}
        )
    return step, ({"date": problems} if problems else {})


def status_constraint() -> Q:
    """Return the condition that holds each kind to its own states (a database check)."""
    condition = Q()
    for kind, states in STATES.items():
        condition |= Q(kind=kind, status__in=[str(state) for state in states])
    return condition

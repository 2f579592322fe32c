"""Use cases that decide on a dossier: completeness, instruction, committee, notification.

Keyword-only, atomic and journaled like ``contracts.services``. The instructor (an ARS
manager of the region) checks and instructs; the committee's decision is recorded by an
ARS validator of the region who did not instruct the dossier (four-eyes), and the sum
granted in a campaign never exceeds its envelope (checked under the campaign's row lock).
What goes to the applicant on Démarches simplifiées is queued here and sent once the
decision is committed (``calls.ds_writes``).
"""

import datetime
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from contracts.exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from contracts.money import ZERO, format_euros, round_cents
from contracts.schemes import RuleViolation, clact_fir_subsidy
from territories.access import Role, user_has_role, visible_regions

from . import ds_writes, letters
from .models import (
    GRANTING_OUTCOMES,
    MAX_SCORE,
    SCORE_FIELDS,
    Campaign,
    CommitteeDecision,
    CommitteeOutcome,
    ComplementRequest,
    DecisionLetter,
    DocumentStatus,
    Dossier,
    DossierReview,
    DossierState,
    Opinion,
    SelectionCommittee,
    WriteBackKind,
)

CHECKABLE_STATES = (DossierState.FILED, DossierState.INCOMPLETE, DossierState.ADMISSIBLE)
OUTCOME_STATES = {
    CommitteeOutcome.SELECTED: DossierState.SELECTED,
    CommitteeOutcome.PARTIAL: DossierState.PARTIALLY_SELECTED,
    CommitteeOutcome.NOT_SELECTED: DossierState.NOT_SELECTED,
    CommitteeOutcome.ON_HOLD: DossierState.ON_HOLD,
}
DECIDABLE_STATES = (DossierState.SUBMITTED_TO_COMMITTEE, DossierState.ON_HOLD)
NOTIFIABLE_STATES = (
    DossierState.SELECTED,
    DossierState.PARTIALLY_SELECTED,
    DossierState.NOT_SELECTED,
)


def _in_region(user, region_id) -> bool:
    return visible_regions(user).filter(pk=region_id).exists()


def can_instruct(user, dossier: Dossier) -> bool:
    """Return whether ``user`` is an ARS manager of the dossier's region (the instructor)."""
    return (
        user.is_authenticated
        and user_has_role(user, Role.ARS_MANAGER)
        and _in_region(user, dossier.campaign.region_id)
    )


def can_decide(user, dossier: Dossier) -> bool:
    """Return whether ``user`` may record the committee's decision (not the instructor)."""
    review = getattr(dossier, "review", None)
    return (
        user.is_authenticated
        and user_has_role(user, Role.ARS_VALIDATOR)
        and _in_region(user, dossier.campaign.region_id)
        and (review is None or review.prepared_by_id != user.pk)
    )


def _require_instructor(actor, dossier: Dossier) -> None:
    if not can_instruct(actor, dossier):
        raise BusinessRuleError(
            _("Seul un chargé de mission ARS de la région instruit les dossiers.")
        )


def _lock(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("campaign").get(pk=dossier.pk)


def _require_state(dossier: Dossier, states, action: str) -> None:
    if dossier.state not in states:
        raise WrongStatusError(
            _("Impossible de %(action)s : le dossier %(number)s est « %(state)s ».")
            % {
                "action": action,
                "number": dossier.ds_number,
                "state": dossier.get_state_display(),
            }
        )


def _transition(dossier: Dossier, state: str, *, actor, summary: str, reason: str = "", **changes):
    before = dossier.state
    dossier.state = state
    dossier.save(update_fields=["state", *changes.pop("fields", [])])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=dossier,
        summary=summary,
        reason=reason,
        changes={"state": {"before": before, "after": state}, **changes},
    )


# Completeness ------------------------------------------------------------------------------


@transaction.atomic
def accept_completeness(*, actor, dossier: Dossier) -> Dossier:
    """Record that every piece is there: the pieces still to examine are accepted and the
    dossier goes to instruction."""
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, CHECKABLE_STATES, _("déclarer le dossier complet"))
    accepted = dossier.documents.filter(status=DocumentStatus.PENDING).update(
        status=DocumentStatus.ACCEPTED
    )
    _transition(
        dossier,
        DossierState.UNDER_REVIEW,
        actor=actor,
        summary=_("Dossier %(number)s complet : en instruction") % {"number": dossier.ds_number},
        accepted_pieces=accepted,
    )
    return dossier


@transaction.atomic
def request_complements(
    *, actor, dossier: Dossier, message: str, deadline_date: datetime.date, now
) -> ComplementRequest:
    """Ask the applicant for missing pieces by ``deadline_date`` (a message on DS)."""
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, CHECKABLE_STATES, _("demander des compléments"))
    if not message.strip():
        raise BusinessRuleError(_("Écrivez au porteur les pièces attendues."))
    if deadline_date <= timezone.localdate(now):
        raise BusinessRuleError(_("La date limite des compléments doit être à venir."))
    campaign_deadline = dossier.campaign.complements_deadline_date
    if campaign_deadline and deadline_date > campaign_deadline:
        raise BusinessRuleError(
            _("La campagne fixe la date limite des compléments au %(date)s.")
            % {"date": campaign_deadline.strftime("%d/%m/%Y")}
        )
    request = ComplementRequest.objects.create(
        dossier=dossier,
        message=message.strip(),
        deadline_date=deadline_date,
        requested_by=actor,
        requested_at=now,
    )
    _transition(
        dossier,
        DossierState.COMPLEMENT_REQUESTED,
        actor=actor,
        summary=_("Compléments demandés au porteur du dossier %(number)s avant le %(date)s")
        % {"number": dossier.ds_number, "date": deadline_date.strftime("%d/%m/%Y")},
        reason=request.message,
        deadline_date=deadline_date.isoformat(),
    )
    body = _(
        "%(message)s\n\nMerci de déposer ces compléments avant le %(date)s. Sans eux, votre "
        "dossier ne sera pas instruit et sera automatiquement rejeté."
    ) % {"message": request.message, "date": deadline_date.strftime("%d/%m/%Y")}
    ds_writes.queue(dossier=dossier, kind=WriteBackKind.MESSAGE, body=body, actor=actor)
    return request


def _open_request(dossier: Dossier) -> ComplementRequest:
    request = (
        dossier.complement_requests.select_for_update()
        .filter(answered_at__isnull=True, expired_at__isnull=True)
        .order_by("-requested_at")
        .first()
    )
    if request is None:
        raise WrongStatusError(_("Aucune demande de compléments n'est en cours."))
    return request


@transaction.atomic
def record_complements(*, actor, dossier: Dossier, now) -> ComplementRequest:
    """Record that the complements came back: the dossier is checked again.

    ``actor`` is ``None`` when the DS sync saw the applicant's answer (a system action).
    """
    dossier = _lock(dossier)
    if actor is not None:
        _require_instructor(actor, dossier)
    _require_state(dossier, [DossierState.COMPLEMENT_REQUESTED], _("constater les compléments"))
    request = _open_request(dossier)
    request.answered_at = now
    request.answered_by = actor
    request.save(update_fields=["answered_at", "answered_by"])
    _transition(
        dossier,
        DossierState.FILED,
        actor=actor,
        summary=_("Compléments reçus pour le dossier %(number)s") % {"number": dossier.ds_number}
        if actor is not None
        else _("Compléments déposés sur Démarches simplifiées pour le dossier %(number)s")
        % {"number": dossier.ds_number},
    )
    return request


@transaction.atomic
def reject_incomplete(*, dossier: Dossier, now) -> Dossier:
    """Reject a dossier whose complements did not come by the deadline (seed 001: « ne
    sera pas instruit et sera automatiquement rejeté »); a system action, no actor."""
    dossier = _lock(dossier)
    _require_state(dossier, [DossierState.COMPLEMENT_REQUESTED], _("rejeter le dossier"))
    request = _open_request(dossier)
    if timezone.localdate(now) <= request.deadline_date:
        raise BusinessRuleError(_("La date limite des compléments n'est pas passée."))
    request.expired_at = now
    request.save(update_fields=["expired_at"])
    reason = _("Compléments non reçus au %(date)s.") % {
        "date": request.deadline_date.strftime("%d/%m/%Y")
    }
    _transition(
        dossier,
        DossierState.REJECTED_INCOMPLETE,
        actor=None,
        summary=_("Dossier %(number)s rejeté automatiquement : compléments non reçus")
        % {"number": dossier.ds_number},
        reason=reason,
    )
    ds_writes.queue(
        dossier=dossier,
        kind=WriteBackKind.REFUSE,
        body=_("Votre dossier est rejeté : %(reason)s") % {"reason": reason},
        actor=None,
    )
    return dossier


# Instruction -------------------------------------------------------------------------------


def action_cap(action, campaign: Campaign) -> Decimal:
    """Return the most the ARS may pay for ``action``: its share of the cost, rounded down,
    and never more than what was asked."""
    try:
        share = clact_fir_subsidy(action.cost_amount, campaign.scheme_parameters())
    except RuleViolation:
        share = ZERO
    return min(share, action.ars_requested_amount)


def _check_amounts(dossier: Dossier, amounts: dict[int, Decimal], what: str) -> Decimal:
    """Refuse an amount above an action's cap; return the total."""
    actions = {action.pk: action for action in dossier.actions.all()}
    if set(amounts) - set(actions):
        raise BusinessRuleError(_("Un montant vise une action d'un autre dossier."))
    errors = []
    total = ZERO
    for pk, amount in amounts.items():
        amount = round_cents(amount)
        cap = action_cap(actions[pk], dossier.campaign)
        if amount < 0 or amount > cap:
            errors.append(
                _(
                    "Action %(rank)s : %(what)s de %(amount)s dépasse le plafond de %(cap)s "
                    "(part ARS du coût, arrondie à l'euro-centime inférieur, et demande)."
                )
                % {
                    "rank": actions[pk].rank,
                    "what": what,
                    "amount": format_euros(amount),
                    "cap": format_euros(cap),
                }
            )
        total += amount
    if errors:
        raise BusinessRuleError(errors)
    return total


@transaction.atomic
def instruct_dossier(
    *,
    actor,
    dossier: Dossier,
    opinion: str,
    comment: str,
    scores: dict[str, int],
    proposed_by_action: dict[int, Decimal],
    previous_conventions: str = "",
    has_unexecuted_past_actions: bool = False,
    now,
) -> DossierReview:
    """Record the instructor's opinion, scores and amounts proposed per action.

    An establishment with actions funded more than 2 years ago and not carried out may be
    proposed on hold (seed 001), with the facts written down.
    """
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, [DossierState.UNDER_REVIEW], _("instruire le dossier"))
    if not comment.strip():
        raise BusinessRuleError(_("Motivez l'avis."))
    if has_unexecuted_past_actions and not previous_conventions.strip():
        raise BusinessRuleError(
            _("Décrivez les actions non réalisées des conventions CLACT précédentes.")
        )
    if opinion == Opinion.ON_HOLD and not has_unexecuted_past_actions:
        raise BusinessRuleError(
            _(
                "Un ajournement se propose pour des actions financées il y a plus de 2 ans "
                "et non réalisées : cochez-le et décrivez-les."
            )
        )
    if set(scores) != set(SCORE_FIELDS) or any(
        not 0 <= value <= MAX_SCORE for value in scores.values()
    ):
        raise BusinessRuleError(_("Notez chaque critère de 0 à 3."))
    total = _check_amounts(dossier, proposed_by_action, _("la part proposée"))
    if total > dossier.campaign.envelope_amount:
        raise BusinessRuleError(_("Le montant proposé dépasse l'enveloppe de la campagne."))
    for action in dossier.actions.all():
        action.ars_proposed_amount = round_cents(proposed_by_action.get(action.pk, ZERO))
        action.save(update_fields=["ars_proposed_amount"])
    review = DossierReview.objects.create(
        dossier=dossier,
        opinion=opinion,
        comment=comment.strip(),
        total_score=sum(scores.values()),
        proposed_amount=total,
        previous_conventions=previous_conventions.strip(),
        has_unexecuted_past_actions=has_unexecuted_past_actions,
        prepared_by=actor,
        prepared_at=now,
        **scores,
    )
    _transition(
        dossier,
        DossierState.SUBMITTED_TO_COMMITTEE,
        actor=actor,
        summary=_("Dossier %(number)s instruit : avis %(opinion)s, %(amount)s proposés")
        % {
            "number": dossier.ds_number,
            "opinion": review.get_opinion_display().lower(),
            "amount": format_euros(total),
        },
        reason=review.comment,
        scores={**scores, "total": review.total_score},
        proposed={str(pk): str(amount) for pk, amount in proposed_by_action.items()},
    )
    return review


# Committee ---------------------------------------------------------------------------------


@transaction.atomic
def create_committee(
    *,
    actor,
    campaign: Campaign,
    session_date: datetime.date,
    members: str,
    external_partners: str = "",
    minutes: str = "",
) -> SelectionCommittee:
    """Record a session of the campaign's selection committee."""
    if not (
        user_has_role(actor, Role.ARS_MANAGER) or user_has_role(actor, Role.ARS_VALIDATOR)
    ) or not _in_region(actor, campaign.region_id):
        raise BusinessRuleError(_("Seuls les agents ARS de la région réunissent le comité."))
    if not members.strip():
        raise BusinessRuleError(_("Indiquez les membres présents."))
    if SelectionCommittee.objects.filter(campaign=campaign, session_date=session_date).exists():
        raise BusinessRuleError(_("Une séance existe déjà ce jour pour cette campagne."))
    committee = SelectionCommittee.objects.create(
        campaign=campaign,
        session_date=session_date,
        members=members.strip(),
        external_partners=external_partners.strip(),
        minutes=minutes.strip(),
        created_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=committee,
        summary=_("Séance du comité de sélection du %(date)s")
        % {"date": session_date.strftime("%d/%m/%Y")},
        changes={"members": committee.members, "external_partners": committee.external_partners},
    )
    return committee


def granted_in_campaign(campaign: Campaign, *, excluding: Dossier | None = None) -> Decimal:
    """Return the sum granted by the committee to the campaign's dossiers."""
    decisions = CommitteeDecision.objects.filter(dossier__campaign=campaign)
    if excluding is not None:
        decisions = decisions.exclude(dossier=excluding)
    return decisions.aggregate(total=Sum("granted_amount"))["total"] or ZERO


@transaction.atomic
def decide_dossier(
    *,
    actor,
    dossier: Dossier,
    committee: SelectionCommittee,
    outcome: str,
    granted_by_action: dict[int, Decimal],
    reasons: str,
    now,
) -> CommitteeDecision:
    """Record the committee's decision on a dossier, never by its instructor.

    The campaign row is locked first: two decisions of one campaign are recorded one
    after the other, so Σ granted ≤ envelope holds under concurrent sessions.
    """
    campaign = Campaign.objects.select_for_update().get(pk=dossier.campaign_id)
    dossier = _lock(dossier)
    _require_state(dossier, DECIDABLE_STATES, _("décider du dossier"))
    review = DossierReview.objects.get(dossier=dossier)
    if review.prepared_by_id == actor.pk:
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez instruit ce dossier ; une autre "
                "personne enregistre la décision du comité."
            )
        )
    if not can_decide(actor, dossier):
        raise BusinessRuleError(
            _("Seul un valideur ARS de la région enregistre les décisions du comité.")
        )
    if committee.campaign_id != campaign.pk:
        raise BusinessRuleError(_("Cette séance est celle d'une autre campagne."))
    if committee.session_date > timezone.localdate(now):
        raise BusinessRuleError(_("Le comité ne peut décider avant sa séance."))
    if not reasons.strip():
        raise BusinessRuleError(_("Les motifs de la décision sont obligatoires."))
    if outcome in GRANTING_OUTCOMES:
        granted = _check_amounts(dossier, granted_by_action, _("la part accordée"))
        if granted <= 0:
            raise BusinessRuleError(_("Un dossier retenu reçoit un montant."))
    else:
        granted, granted_by_action = ZERO, {}
    others = granted_in_campaign(campaign, excluding=dossier)
    if others + granted > campaign.envelope_amount:
        raise BusinessRuleError(
            _(
                "L'enveloppe de la campagne (%(envelope)s) serait dépassée : %(others)s déjà "
                "accordés, %(granted)s pour ce dossier."
            )
            % {
                "envelope": format_euros(campaign.envelope_amount),
                "others": format_euros(others),
                "granted": format_euros(granted),
            }
        )
    for action in dossier.actions.all():
        action.ars_granted_amount = round_cents(granted_by_action.get(action.pk, ZERO))
        action.save(update_fields=["ars_granted_amount"])
    decision, _created = CommitteeDecision.objects.update_or_create(
        dossier=dossier,
        defaults={
            "committee": committee,
            "outcome": outcome,
            "granted_amount": granted,
            "reasons": reasons.strip(),
            "instructed_by_id": review.prepared_by_id,
            "decided_by": actor,
            "decided_at": now,
        },
    )
    dossier.granted_amount = granted
    dossier.decision_reason = decision.reasons
    _transition(
        dossier,
        OUTCOME_STATES[outcome],
        actor=actor,
        summary=_("Comité du %(date)s : dossier %(number)s %(outcome)s, %(amount)s accordés")
        % {
            "date": committee.session_date.strftime("%d/%m/%Y"),
            "number": dossier.ds_number,
            "outcome": decision.get_outcome_display().lower(),
            "amount": format_euros(granted),
        },
        reason=decision.reasons,
        fields=["granted_amount", "decision_reason"],
        granted_amount=str(granted),
        committee=committee.pk,
    )
    return decision


# Notification ------------------------------------------------------------------------------


@transaction.atomic
def notify_decision(*, actor, dossier: Dossier, today: datetime.date, now) -> DecisionLetter:
    """Write the decision letter (PDF), no earlier than the campaign's notification date,
    and queue the decision for DS."""
    dossier = _lock(dossier)
    _require_instructor(actor, dossier)
    _require_state(dossier, NOTIFIABLE_STATES, _("notifier la décision"))
    notification_from = dossier.campaign.notification_from_date
    if notification_from and today < notification_from:
        raise BusinessRuleError(
            _("La campagne ne permet pas de notifier avant le %(date)s.")
            % {"date": notification_from.strftime("%d/%m/%Y")}
        )
    decision = CommitteeDecision.objects.select_related("committee").get(dossier=dossier)
    content = letters.decision_letter(
        dossier=dossier, decision=decision, letter_date=today, signatory=actor
    )
    digest = hashlib.sha256(content).hexdigest()
    letter = DecisionLetter(
        dossier=dossier,
        sha256=digest,
        letter_date=today,
        generated_by=actor,
        generated_at=now,
    )
    letter.file.save(f"decision-{dossier.ds_number}.pdf", ContentFile(content), save=False)
    letter.save()
    granted = decision.outcome in GRANTING_OUTCOMES
    if granted:
        _transition(
            dossier,
            DossierState.NOTIFIED,
            actor=actor,
            summary=_("Décision notifiée au porteur du dossier %(number)s")
            % {"number": dossier.ds_number},
            letter_sha256=digest,
        )
    else:
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=dossier,
            summary=_("Décision notifiée au porteur du dossier %(number)s")
            % {"number": dossier.ds_number},
            changes={"letter_sha256": digest},
        )
    ds_writes.queue(
        dossier=dossier,
        kind=WriteBackKind.ACCEPT if granted else WriteBackKind.REFUSE,
        body=letters.decision_text(dossier=dossier, decision=decision),
        actor=actor,
    )
    return letter

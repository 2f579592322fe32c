"""What every use case shares: status and four-eyes checks, the send-back step, locks."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from ..exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from ..models import (
    Contract,
    DecisionStatus,
)

# Contract fields whose changes the journal records with before/after values.
CONTRACT_AUDITED_FIELDS = [
    "reference",
    "title",
    "start_date",
    "end_date",
    "signature_date",
    "signatories",
    "envelope_amount",
    "status",
    "version",
]
MILESTONE_AUDITED_FIELDS = [
    "title",
    "due_date",
    "indicator_label",
    "baseline_value",
    "target_value",
    "actual_value",
    "status",
]


def _values(obj, fields: Sequence[str]) -> dict:
    return {name: getattr(obj, name) for name in fields}


def _require_status(obj, expected: Sequence[str], action: str) -> None:
    if obj.status not in expected:
        raise WrongStatusError(
            _("Impossible de %(action)s : « %(object)s » est au statut « %(status)s ».")
            % {"action": action, "object": obj, "status": obj.get_status_display()}
        )


def _require_other_person(*, actor, preparer, what: str) -> None:
    """Refuse a decision approved by the person who prepared it (four-eyes)."""
    if preparer is not None and actor.pk == preparer.pk:
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : %(what)s a été préparé(e) par vous ; "
                "une autre personne doit l'approuver."
            )
            % {"what": what}
        )


def _require_not_decision_drafter(*, actor, decision, what: str) -> None:
    """Refuse a decision approved by someone who created or changed it (four-eyes)."""
    if hasattr(decision, "drafter_ids") and actor.pk in decision.drafter_ids():
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez rédigé ou modifié %(what)s ; "
                "une autre personne doit l'approuver."
            )
            % {"what": what}
        )


def _require_not_drafter(*, actor, contract: Contract) -> None:
    """Refuse a decision on a contract taken by someone who wrote its figures (four-eyes)."""
    if actor.pk in contract.drafter_ids():
        raise FourEyesError(
            _(
                "Contrôle à quatre yeux : vous avez rédigé des éléments chiffrés de ce contrat "
                "(contrat, lignes, montants ou jalons) ; une autre personne doit le valider."
            )
        )


def _send_back(decision, *, actor, reason: str, action: str, what: str, contract, summary: str):
    """Reject a prepared decision (delegation, recovery, amendment): mandatory reason,
    four-eyes, status change journaled. Returns the locked, rejected decision."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif du renvoi est obligatoire."))
    decision = type(decision).objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, [DecisionStatus.PREPARED], action)
    _require_other_person(actor=actor, preparer=decision.prepared_by, what=what)
    _require_not_decision_drafter(actor=actor, decision=decision, what=what)
    decision.status = DecisionStatus.REJECTED
    decision.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=decision,
        contract=contract(decision),
        summary=summary,
        reason=reason,
        changes={"status": {"before": DecisionStatus.PREPARED, "after": DecisionStatus.REJECTED}},
    )
    return decision


def _lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)

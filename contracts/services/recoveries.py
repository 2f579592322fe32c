"""Consumption statements and the recovery of unused or non-compliant credits."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from ..credits import RecoveryFigures, decided_recoverable, recoverable
from ..exceptions import BusinessRuleError, FourEyesError
from ..models import (
    ConsumptionStatement,
    DecisionStatus,
    Recovery,
    RecoveryBasis,
    RecoveryMode,
    YearlyAllocation,
)
from ..money import ZERO, format_euros, round_cents
from ._common import _require_other_person, _require_status, _send_back, use_case

# Consumption and recoveries --------------------------------------------------------------


@use_case
def submit_consumption_statement(
    *,
    actor,
    allocation: YearlyAllocation,
    consumed_amount: Decimal,
    non_compliant_amount: Decimal = ZERO,
    comment: str = "",
) -> ConsumptionStatement:
    """Record the GHT's consumption statement for one line and year."""
    allocation = YearlyAllocation.objects.select_for_update().get(pk=allocation.pk)
    consumed_amount = round_cents(consumed_amount)
    non_compliant_amount = round_cents(non_compliant_amount)
    if consumed_amount > allocation.delegated_amount:
        raise BusinessRuleError(
            _(
                "Le montant consommé (%(consumed)s) dépasse le montant délégué (%(delegated)s) "
                "pour %(allocation)s."
            )
            % {
                "consumed": format_euros(consumed_amount),
                "delegated": format_euros(allocation.delegated_amount),
                "allocation": allocation,
            }
        )
    if not ZERO <= non_compliant_amount <= consumed_amount:
        raise BusinessRuleError(
            _("Le montant non conforme doit être compris entre zéro et le montant consommé.")
        )
    statement = ConsumptionStatement.objects.create(
        allocation=allocation,
        consumed_amount=consumed_amount,
        non_compliant_amount=non_compliant_amount,
        submitted_by=actor,
        comment=comment,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=statement,
        contract=allocation.funding_line.axis.contract,
        summary=_("État récapitulatif déclaré : %(amount)s consommés")
        % {"amount": format_euros(consumed_amount)},
        reason=comment,
        changes={"consumed_amount": {"before": None, "after": consumed_amount}},
    )
    return statement


@use_case
def check_consumption_statement(
    *, actor, statement: ConsumptionStatement, comment: str = ""
) -> ConsumptionStatement:
    """Accept a statement: its consumption becomes the allocation's consumed total."""
    statement = ConsumptionStatement.objects.select_for_update().get(pk=statement.pk)
    _require_status(statement, [DecisionStatus.PREPARED], _("vérifier l'état récapitulatif"))
    if actor.pk == statement.submitted_by_id:
        raise FourEyesError(_("Le déclarant ne peut pas vérifier son propre état récapitulatif."))
    allocation = YearlyAllocation.objects.select_for_update().get(pk=statement.allocation_id)
    before = allocation.consumed_amount
    allocation.consumed_amount = statement.consumed_amount
    try:
        with transaction.atomic():
            allocation.save(update_fields=["consumed_amount"])
    except IntegrityError as error:
        raise BusinessRuleError(
            _("Le montant consommé dépasse le montant délégué : état refusé.")
        ) from error
    statement.status = DecisionStatus.APPROVED
    statement.checked_by = actor
    statement.save(update_fields=["status", "checked_by"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=statement,
        contract=allocation.funding_line.axis.contract,
        summary=_("État récapitulatif vérifié"),
        reason=comment,
        changes={"consumed_amount": {"before": before, "after": allocation.consumed_amount}},
    )
    return statement


@use_case
def prepare_recovery(
    *,
    actor,
    allocation: YearlyAllocation,
    mode: str,
    offset_year: int | None = None,
    decided_amount: Decimal | None = None,
    basis: str = RecoveryBasis.STATEMENT,
    basis_reference: str = "",
) -> Recovery:
    """Compute and record the recovery of an allocation, to be approved by someone else.

    At most one recovery of an allocation waits for approval (a database constraint): the
    credits it holds are not recoverable a second time. Without ``decided_amount`` the
    amount comes from the allocation's statement (``credits.recoverable``); with it (a
    repayment decided elsewhere, ``basis`` saying which), that amount is taken back as
    non-compliant spending, refused beyond what the allocation can still give back
    (``credits.decided_recoverable``).
    """
    allocation = YearlyAllocation.objects.select_for_update().get(pk=allocation.pk)
    if Recovery.objects.filter(allocation=allocation, status=DecisionStatus.PREPARED).exists():
        raise BusinessRuleError(
            _("Une reprise de %(a)s attend déjà son approbation.") % {"a": allocation}
        )
    if decided_amount is None:
        figures = recoverable(allocation)
    else:
        decided_amount = round_cents(decided_amount)
        room = decided_recoverable(allocation)
        if decided_amount > room:
            raise BusinessRuleError(
                _(
                    "La reprise de %(amount)s dépasse ce que %(a)s peut encore rendre "
                    "(délégué, moins repris ou en cours de reprise : %(room)s)."
                )
                % {
                    "amount": format_euros(decided_amount),
                    "a": allocation,
                    "room": format_euros(room),
                }
            )
        figures = RecoveryFigures(ZERO, decided_amount)
    if figures.amount <= 0:
        raise BusinessRuleError(_("Aucun crédit à reprendre sur %(a)s.") % {"a": allocation})
    if mode == RecoveryMode.OFFSET and offset_year is None:
        offset_year = allocation.year + 1
    try:
        with transaction.atomic():
            recovery = Recovery.objects.create(
                allocation=allocation,
                unused_amount=figures.unused_amount,
                non_compliant_amount=figures.non_compliant_amount,
                amount=figures.amount,
                mode=mode,
                offset_year=offset_year if mode == RecoveryMode.OFFSET else None,
                basis=basis,
                basis_reference=basis_reference,
                prepared_by=actor,
            )
    except IntegrityError as error:
        raise BusinessRuleError(
            _("Une reprise de %(a)s attend déjà son approbation.") % {"a": allocation}
        ) from error
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=recovery,
        contract=allocation.funding_line.axis.contract,
        summary=_("Reprise calculée : %(amount)s") % {"amount": format_euros(figures.amount)},
        reason=basis_reference,
        changes={
            "unused_amount": {"before": None, "after": figures.unused_amount},
            "non_compliant_amount": {"before": None, "after": figures.non_compliant_amount},
            "basis": {"before": None, "after": basis},
        },
    )
    return recovery


@use_case
def check_statement_and_prepare_recovery(
    *, actor, statement: ConsumptionStatement, mode: str, comment: str = ""
) -> Recovery | None:
    """Check the statement (if not yet checked), then prepare the recovery it calls for.

    Return the prepared recovery, or ``None`` when nothing is left to recover.
    """
    if statement.status == DecisionStatus.PREPARED:
        statement = check_consumption_statement(actor=actor, statement=statement, comment=comment)
    allocation = YearlyAllocation.objects.select_for_update().get(pk=statement.allocation_id)
    if recoverable(allocation).amount <= 0:
        return None
    return prepare_recovery(actor=actor, allocation=allocation, mode=mode)


@use_case
def approve_recovery(*, actor, recovery: Recovery) -> Recovery:
    """Approve a recovery: it adds to the allocation's recovered total. Never by the preparer.

    The figures are computed again under the allocation's row lock: a recovery larger
    than what is still recoverable (another one approved meanwhile, a newer statement)
    is refused and must be sent back to be computed again.
    """
    allocation_id = Recovery.objects.values_list("allocation_id", flat=True).get(pk=recovery.pk)
    allocation = YearlyAllocation.objects.select_for_update().get(pk=allocation_id)
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    _require_status(recovery, [DecisionStatus.PREPARED], _("approuver la reprise"))
    _require_other_person(actor=actor, preparer_id=recovery.prepared_by_id, what=_("cette reprise"))
    if recovery.basis == RecoveryBasis.STATEMENT:
        still_amount = recoverable(allocation, excluding=recovery).amount
    else:
        still_amount = decided_recoverable(allocation, excluding=recovery)
    if recovery.amount > still_amount:
        raise BusinessRuleError(
            _(
                "La reprise de %(amount)s dépasse ce qui reste à reprendre sur %(a)s "
                "(%(left)s) : renvoyez-la pour qu'elle soit calculée à nouveau."
            )
            % {
                "amount": format_euros(recovery.amount),
                "a": allocation,
                "left": format_euros(still_amount),
            }
        )
    before = allocation.recovered_amount
    allocation.recovered_amount = before + recovery.amount
    try:
        with transaction.atomic():
            allocation.save(update_fields=["recovered_amount"])
    except IntegrityError as error:
        raise BusinessRuleError(
            _("La reprise dépasserait le montant délégué de la ligne.")
        ) from error
    recovery.status = DecisionStatus.APPROVED
    recovery.approved_by = actor
    recovery.save(update_fields=["status", "approved_by"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=recovery,
        contract=allocation.funding_line.axis.contract,
        summary=_("Reprise approuvée : %(amount)s (%(mode)s)")
        % {"amount": format_euros(recovery.amount), "mode": recovery.get_mode_display()},
        changes={"recovered_amount": {"before": before, "after": allocation.recovered_amount}},
    )
    return recovery


@use_case
def reject_recovery(*, actor, recovery: Recovery, reason: str) -> Recovery:
    """Send a prepared recovery back to its preparer, with a mandatory reason."""
    return _send_back(
        recovery,
        actor=actor,
        reason=reason,
        action=_("renvoyer la reprise"),
        what=_("cette reprise"),
        contract=lambda decision: decision.allocation.funding_line.axis.contract,
        summary=_("Reprise renvoyée"),
    )

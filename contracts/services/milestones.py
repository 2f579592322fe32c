"""Milestones: added, rescheduled, reported by the GHT, validated or sent back by the ARS."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event

from .. import signals
from ..exceptions import BusinessRuleError
from ..models import (
    ContractStatus,
    Milestone,
    MilestoneStatus,
    StrategicAxis,
)
from ..money import ZERO
from ._common import (
    MILESTONE_AUDITED_FIELDS,
    _lock_contract,
    _require_other_person,
    _require_status,
    _values,
    use_case,
)

# Milestones ------------------------------------------------------------------------------


@use_case
def add_milestone(
    *,
    actor,
    axis: StrategicAxis,
    title: str,
    due_date: date,
    indicator_label: str,
    target_value: Decimal,
    indicator_unit: str = "",
    baseline_value: Decimal = ZERO,
    allow_signed: bool = False,
) -> Milestone:
    """Add a milestone to an axis of a draft contract, within the contract's period.

    A signed contract gets new milestones through an amendment (``allow_signed``).
    """
    contract = _lock_contract(axis.contract)
    if not allow_signed:
        _require_status(contract, [ContractStatus.DRAFT], _("ajouter un jalon"))
    if not contract.start_date <= due_date <= contract.end_date:
        raise BusinessRuleError(
            _("L'échéance du jalon (%(due)s) doit tomber dans la période du contrat.")
            % {"due": date_format(due_date, "SHORT_DATE_FORMAT")}
        )
    milestone = Milestone.objects.create(
        axis=axis,
        title=title,
        due_date=due_date,
        indicator_label=indicator_label,
        indicator_unit=indicator_unit,
        baseline_value=baseline_value,
        target_value=target_value,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=milestone,
        contract=contract,
        summary=_("Jalon ajouté : %(title)s") % {"title": title},
        changes=diff_fields({}, _values(milestone, MILESTONE_AUDITED_FIELDS)),
    )
    return milestone


@use_case
def reschedule_milestone(*, actor, milestone: Milestone, due_date: date, reason: str) -> Milestone:
    """Move a milestone's due date; the workflows re-arm their timers on the signal sent."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif du report est obligatoire."))
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    contract = milestone.axis.contract
    if not contract.start_date <= due_date <= contract.end_date:
        raise BusinessRuleError(_("La nouvelle échéance doit tomber dans la période du contrat."))
    before = _values(milestone, MILESTONE_AUDITED_FIELDS)
    milestone.due_date = due_date
    milestone.save(update_fields=["due_date"])
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=milestone,
        contract=contract,
        summary=_("Échéance du jalon modifiée"),
        reason=reason,
        changes=diff_fields(before, _values(milestone, MILESTONE_AUDITED_FIELDS)),
    )
    signals.milestone_rescheduled.send(sender=Milestone, milestone=milestone)
    return milestone


@use_case
def submit_milestone_progress(
    *, actor, milestone: Milestone, actual_value: Decimal, comment: str = ""
) -> Milestone:
    """Record the GHT's progress on a milestone: indicator value and comment."""
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    _require_status(milestone, [MilestoneStatus.PLANNED], _("déclarer l'avancement"))
    before = _values(milestone, MILESTONE_AUDITED_FIELDS)
    milestone.actual_value = actual_value
    milestone.progress_comment = comment
    milestone.status = MilestoneStatus.SUBMITTED
    milestone.submitted_by = actor
    milestone.save(update_fields=["actual_value", "progress_comment", "status", "submitted_by"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=milestone.axis.contract,
        summary=_("Avancement du jalon déclaré"),
        reason=comment,
        changes=diff_fields(before, _values(milestone, MILESTONE_AUDITED_FIELDS)),
    )
    return milestone


@use_case
def validate_milestone(*, actor, milestone: Milestone, comment: str = "") -> Milestone:
    """Validate a milestone's declared progress; never by the person who declared it."""
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    _require_status(milestone, [MilestoneStatus.SUBMITTED], _("valider le jalon"))
    _require_other_person(actor=actor, preparer_id=milestone.submitted_by_id, what=_("ce jalon"))
    before = _values(milestone, MILESTONE_AUDITED_FIELDS)
    milestone.status = MilestoneStatus.VALIDATED
    milestone.validated_by = actor
    milestone.validated_at = timezone.now()
    milestone.save(update_fields=["status", "validated_by", "validated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=milestone.axis.contract,
        summary=_("Jalon validé"),
        reason=comment,
        changes=diff_fields(before, _values(milestone, MILESTONE_AUDITED_FIELDS)),
    )
    return milestone


@use_case
def request_milestone_changes(*, actor, milestone: Milestone, reason: str) -> Milestone:
    """Send a declared milestone back to the GHT with a mandatory reason."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif de la demande de complément est obligatoire."))
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    _require_status(milestone, [MilestoneStatus.SUBMITTED], _("demander un complément"))
    _require_other_person(actor=actor, preparer_id=milestone.submitted_by_id, what=_("ce jalon"))
    before = _values(milestone, MILESTONE_AUDITED_FIELDS)
    milestone.status = MilestoneStatus.PLANNED
    milestone.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=milestone.axis.contract,
        summary=_("Complément demandé sur le jalon"),
        reason=reason,
        changes=diff_fields(before, _values(milestone, MILESTONE_AUDITED_FIELDS)),
    )
    return milestone


@use_case
def record_overdue_follow_up(*, actor, milestone: Milestone, comment: str) -> Milestone:
    """Journal how the ARS followed up a milestone whose report is overdue."""
    if not comment.strip():
        raise BusinessRuleError(_("Décrivez la suite donnée au retard du jalon."))
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=milestone,
        contract=milestone.axis.contract,
        summary=_("Retard du jalon traité"),
        reason=comment,
    )
    return milestone

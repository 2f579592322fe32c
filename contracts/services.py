"""Write use cases of the contract domain: keyword-only, atomic, journaled.

Every function checks its business rules, writes, and appends the audit event in the
same transaction; a refused write raises a ``BusinessRuleError`` and changes nothing.
Money invariants that one row can hold are also database constraints (see ``models``);
the envelope, which spans rows, is checked here under a lock on the contract row.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event
from territories.models import Establishment, HospitalGroup, MembershipRole

from . import schemes, signals
from .exceptions import BusinessRuleError, FourEyesError, WrongStatusError
from .models import (
    Amendment,
    ConsumptionStatement,
    Contract,
    ContractStatus,
    CreditDelegation,
    CreditDelegationLine,
    DecisionStatus,
    FundingLine,
    Milestone,
    MilestoneStatus,
    Recovery,
    RecoveryMode,
    StrategicAxis,
    YearlyAllocation,
)
from .money import ZERO, format_euros, round_cents

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


def _send_back(decision, *, actor, reason: str, action: str, what: str, contract, summary: str):
    """Reject a prepared decision (delegation, recovery, amendment): mandatory reason,
    four-eyes, status change journaled. Returns the locked, rejected decision."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif du renvoi est obligatoire."))
    decision = type(decision).objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, [DecisionStatus.PREPARED], action)
    _require_other_person(actor=actor, preparer=decision.prepared_by, what=what)
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


# Contracts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AxisInput:
    number: int
    title: str
    description: str = ""


def support_establishment(hospital_group: HospitalGroup) -> Establishment:
    """Return the support establishment of ``hospital_group`` (the contract's legal party)."""
    membership = (
        hospital_group.memberships.filter(role=MembershipRole.SUPPORT, establishment__isnull=False)
        .select_related("establishment")
        .first()
    )
    if membership is None:
        raise BusinessRuleError(
            _("Le GHT « %(ght)s » n'a pas d'établissement support.") % {"ght": hospital_group}
        )
    return membership.establishment


@transaction.atomic
def create_contract(
    *,
    actor,
    reference: str,
    title: str,
    hospital_group: HospitalGroup,
    start_date: date,
    end_date: date,
    envelope_amount: Decimal,
    axes: Sequence[AxisInput] = (),
    carrier_establishment: Establishment | None = None,
) -> Contract:
    """Create a draft contract with its strategic axes."""
    if end_date < start_date:
        raise BusinessRuleError(_("La date de fin doit suivre la date de début."))
    envelope_amount = round_cents(envelope_amount)
    if envelope_amount <= 0:
        raise BusinessRuleError(_("L'enveloppe du contrat doit être positive."))
    contract = Contract.objects.create(
        reference=reference,
        title=title,
        region=hospital_group.region,
        hospital_group=hospital_group,
        carrier_establishment=carrier_establishment or support_establishment(hospital_group),
        start_date=start_date,
        end_date=end_date,
        envelope_amount=envelope_amount,
    )
    StrategicAxis.objects.bulk_create(
        StrategicAxis(
            contract=contract, number=axis.number, title=axis.title, description=axis.description
        )
        for axis in axes
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=contract,
        summary=_("Contrat créé"),
        changes=diff_fields({}, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@transaction.atomic
def change_contract(*, actor, contract: Contract, reason: str = "", **values) -> Contract:
    """Change a draft contract's dates, envelope or wording (signed ones change by amendment)."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.DRAFT], _("modifier le contrat"))
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    allowed = {"title", "start_date", "end_date", "envelope_amount", "signatories"}
    unknown = set(values) - allowed
    if unknown:
        raise BusinessRuleError(_("Champs non modifiables : %s") % ", ".join(sorted(unknown)))
    for name, value in values.items():
        setattr(contract, name, round_cents(value) if name == "envelope_amount" else value)
    _check_allocations_fit(contract)
    contract.save()
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=contract,
        summary=_("Contrat modifié"),
        reason=reason,
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


def _allocated_total(contract: Contract) -> Decimal:
    total = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).aggregate(
        total=Sum("allocated_amount")
    )["total"]
    return total or ZERO


def _check_allocations_fit(contract: Contract) -> None:
    total = _allocated_total(contract)
    if total > contract.envelope_amount:
        raise BusinessRuleError(
            _(
                "Le total alloué (%(total)s) dépasserait l'enveloppe du contrat (%(envelope)s) : "
                "les lignes ne peuvent pas dépasser l'enveloppe."
            )
            % {
                "total": format_euros(total),
                "envelope": format_euros(contract.envelope_amount),
            }
        )
    out_of_period = YearlyAllocation.objects.filter(
        funding_line__axis__contract=contract, allocated_amount__gt=0
    ).exclude(year__in=contract.years)
    if out_of_period.exists():
        raise BusinessRuleError(
            _("Des montants sont alloués hors de la période du contrat (%(start)s–%(end)s).")
            % {"start": contract.start_date.year, "end": contract.end_date.year}
        )


def _check_scheme_rules(*, scheme: str, amounts_by_year: Mapping[int, Decimal], details) -> None:
    total = sum((round_cents(amount) for amount in amounts_by_year.values()), ZERO)
    try:
        schemes.validate_funding_line(scheme=scheme, amount=total, details=details or {})
    except schemes.RuleViolation as violation:
        raise BusinessRuleError(violation.errors) from violation


def _write_allocations(line: FundingLine, amounts_by_year: Mapping[int, Decimal]) -> dict:
    """Set the line's allocation for each year given; return before/after per year."""
    existing = {
        allocation.year: allocation
        for allocation in YearlyAllocation.objects.select_for_update().filter(funding_line=line)
    }
    changes = {}
    for year, amount in sorted(amounts_by_year.items()):
        amount = round_cents(amount)
        if amount < 0:
            raise BusinessRuleError(
                _("Le montant %(year)s de la ligne %(line)s ne peut pas être négatif.")
                % {"year": year, "line": line.code}
            )
        allocation = existing.get(year)
        if allocation is None:
            YearlyAllocation.objects.create(funding_line=line, year=year, allocated_amount=amount)
            changes[f"{line.code} {year}"] = {"before": None, "after": amount}
        elif allocation.allocated_amount != amount:
            if amount < allocation.delegated_amount:
                raise BusinessRuleError(
                    _(
                        "Ligne %(line)s, année %(year)s : le montant alloué (%(amount)s) ne peut "
                        "pas descendre sous le montant déjà délégué (%(delegated)s)."
                    )
                    % {
                        "line": line.code,
                        "year": year,
                        "amount": format_euros(amount),
                        "delegated": format_euros(allocation.delegated_amount),
                    }
                )
            changes[f"{line.code} {year}"] = {
                "before": allocation.allocated_amount,
                "after": amount,
            }
            allocation.allocated_amount = amount
            allocation.save(update_fields=["allocated_amount"])
    return changes


@transaction.atomic
def add_funding_line(
    *,
    actor,
    axis: StrategicAxis,
    code: str,
    scheme: str,
    label: str,
    beneficiary: Establishment,
    amounts_by_year: Mapping[int, Decimal],
    details: dict | None = None,
    consumption_deadline_date: date | None = None,
    reason: str = "",
    allow_signed: bool = False,
) -> FundingLine:
    """Add a funding line to a draft contract, checked against its scheme and the envelope."""
    contract = _lock_contract(axis.contract)
    if not allow_signed:
        _require_status(contract, [ContractStatus.DRAFT], _("ajouter une ligne"))
    _check_scheme_rules(scheme=scheme, amounts_by_year=amounts_by_year, details=details)
    if FundingLine.objects.filter(axis=axis, code=code).exists():
        raise BusinessRuleError(
            _("La ligne %(code)s existe déjà sur l'axe %(axis)s.")
            % {"code": code, "axis": axis.number}
        )
    line = FundingLine.objects.create(
        axis=axis,
        code=code,
        scheme=scheme,
        label=label,
        beneficiary=beneficiary,
        details=details or {},
        consumption_deadline_date=consumption_deadline_date,
    )
    changes = _write_allocations(line, amounts_by_year)
    _check_allocations_fit(contract)
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=line,
        contract=contract,
        summary=_("Ligne %(code)s ajoutée (%(scheme)s)")
        % {"code": code, "scheme": line.get_scheme_display()},
        reason=reason,
        changes=changes,
    )
    return line


@transaction.atomic
def change_funding_line(
    *,
    actor,
    line: FundingLine,
    amounts_by_year: Mapping[int, Decimal] | None = None,
    label: str | None = None,
    details: dict | None = None,
    beneficiary: Establishment | None = None,
    consumption_deadline_date: date | None = None,
    reason: str = "",
    allow_signed: bool = False,
) -> FundingLine:
    """Change a line's amounts per year or wording; delegated money is never cut under."""
    contract = _lock_contract(line.axis.contract)
    if not allow_signed:
        _require_status(contract, [ContractStatus.DRAFT], _("modifier une ligne"))
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    before = {
        "label": line.label,
        "details": line.details,
        "beneficiary": str(line.beneficiary),
        "consumption_deadline_date": line.consumption_deadline_date,
    }
    if label is not None:
        line.label = label
    if details is not None:
        line.details = details
    if beneficiary is not None:
        line.beneficiary = beneficiary
    if consumption_deadline_date is not None:
        line.consumption_deadline_date = consumption_deadline_date
    changes = {}
    if amounts_by_year is not None or details is not None:
        merged = {a.year: a.allocated_amount for a in line.allocations.all()}
        merged.update(amounts_by_year or {})
        _check_scheme_rules(scheme=line.scheme, amounts_by_year=merged, details=line.details)
    if amounts_by_year is not None:
        changes = _write_allocations(line, amounts_by_year)
    line.save()
    _check_allocations_fit(contract)
    after = {
        "label": line.label,
        "details": line.details,
        "beneficiary": str(line.beneficiary),
        "consumption_deadline_date": line.consumption_deadline_date,
    }
    changes.update(diff_fields(before, after))
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=line,
        contract=contract,
        summary=_("Ligne %(code)s modifiée") % {"code": line.code},
        reason=reason,
        changes=changes,
    )
    return line


@transaction.atomic
def submit_contract(*, actor, contract: Contract) -> Contract:
    """Send a draft contract to a validator."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.DRAFT], _("soumettre le contrat"))
    if not contract.axes.exists():
        raise BusinessRuleError(_("Un contrat doit compter au moins un axe stratégique."))
    if _allocated_total(contract) <= 0:
        raise BusinessRuleError(_("Un contrat doit compter au moins une ligne financée."))
    _check_allocations_fit(contract)
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.SUBMITTED
    contract.submitted_by = actor
    contract.approved_by = None
    contract.save(update_fields=["status", "submitted_by", "approved_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Contrat soumis à validation"),
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@transaction.atomic
def approve_contract(*, actor, contract: Contract, comment: str = "") -> Contract:
    """Approve a submitted contract; never by the person who submitted it."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.SUBMITTED], _("approuver le contrat"))
    _require_other_person(actor=actor, preparer=contract.submitted_by, what=_("ce contrat"))
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.APPROVED
    contract.approved_by = actor
    contract.save(update_fields=["status", "approved_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Contrat approuvé"),
        reason=comment,
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@transaction.atomic
def return_contract(*, actor, contract: Contract, reason: str) -> Contract:
    """Send a submitted contract back to its author, with a mandatory reason."""
    if not reason or not reason.strip():
        raise BusinessRuleError(_("Le motif du renvoi est obligatoire."))
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.SUBMITTED], _("renvoyer le contrat"))
    _require_other_person(actor=actor, preparer=contract.submitted_by, what=_("ce contrat"))
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.DRAFT
    contract.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Contrat renvoyé pour correction"),
        reason=reason,
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@transaction.atomic
def record_signature(
    *, actor, contract: Contract, signature_date: date, signatories: str
) -> Contract:
    """Record the signature of an approved contract, which puts it in force."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.APPROVED], _("enregistrer la signature"))
    if not signatories.strip():
        raise BusinessRuleError(_("Les signataires sont obligatoires."))
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.ACTIVE
    contract.signature_date = signature_date
    contract.signatories = signatories
    contract.save(update_fields=["status", "signature_date", "signatories", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Signature enregistrée, contrat en vigueur"),
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


# Milestones ------------------------------------------------------------------------------


@transaction.atomic
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
            % {"due": due_date.strftime("%d/%m/%Y")}
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
def validate_milestone(*, actor, milestone: Milestone, comment: str = "") -> Milestone:
    """Validate a milestone's declared progress; never by the person who declared it."""
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    _require_status(milestone, [MilestoneStatus.SUBMITTED], _("valider le jalon"))
    _require_other_person(actor=actor, preparer=milestone.submitted_by, what=_("ce jalon"))
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


@transaction.atomic
def request_milestone_changes(*, actor, milestone: Milestone, reason: str) -> Milestone:
    """Send a declared milestone back to the GHT with a mandatory reason."""
    if not reason.strip():
        raise BusinessRuleError(_("Le motif de la demande de complément est obligatoire."))
    milestone = (
        Milestone.objects.select_for_update().select_related("axis__contract").get(pk=milestone.pk)
    )
    _require_status(milestone, [MilestoneStatus.SUBMITTED], _("demander un complément"))
    _require_other_person(actor=actor, preparer=milestone.submitted_by, what=_("ce jalon"))
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


# Credit delegations ----------------------------------------------------------------------


def proposed_delegation_amounts(contract: Contract, year: int) -> dict[int, Decimal]:
    """Return, per allocation id, what is left to delegate for ``year``.

    Credits recovered by offset onto ``year`` are taken off (DOMAIN.md §5: a recovery
    shows in the next delegation), never below zero.
    """
    allocations = list(
        YearlyAllocation.objects.filter(funding_line__axis__contract=contract, year=year)
    )
    offsets: dict[int, Decimal] = {}
    for recovery in Recovery.objects.filter(
        allocation__funding_line__axis__contract=contract,
        mode=RecoveryMode.OFFSET,
        offset_year=year,
        status=DecisionStatus.APPROVED,
    ).select_related("allocation"):
        line_id = recovery.allocation.funding_line_id
        offsets[line_id] = offsets.get(line_id, ZERO) + recovery.amount
    proposal = {}
    for allocation in allocations:
        left = allocation.allocated_amount - allocation.delegated_amount
        left -= offsets.pop(allocation.funding_line_id, ZERO)
        proposal[allocation.pk] = max(left, ZERO)
    return proposal


@transaction.atomic
def prepare_credit_delegation(
    *,
    actor,
    contract: Contract,
    year: int,
    amounts: Mapping[int, Decimal] | None = None,
) -> CreditDelegation:
    """Prepare the year's delegation (default: what is left to delegate on each line)."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.ACTIVE], _("préparer une délégation"))
    if year not in contract.years:
        raise BusinessRuleError(
            _("L'année %(year)s est hors de la période du contrat.") % {"year": year}
        )
    if CreditDelegation.objects.filter(
        contract=contract, year=year, status=DecisionStatus.PREPARED
    ).exists():
        raise BusinessRuleError(
            _("Une délégation %(year)s est déjà en préparation pour ce contrat.") % {"year": year}
        )
    proposal = proposed_delegation_amounts(contract, year)
    chosen = {key: round_cents(value) for key, value in (amounts or proposal).items()}
    unknown = set(chosen) - set(proposal)
    if unknown:
        raise BusinessRuleError(_("Allocation étrangère à ce contrat ou à cette année."))
    allocations = YearlyAllocation.objects.in_bulk(list(chosen))
    for allocation_id, amount in chosen.items():
        allocation = allocations[allocation_id]
        left = allocation.allocated_amount - allocation.delegated_amount
        if amount < 0 or amount > left:
            raise BusinessRuleError(
                _(
                    "Ligne %(line)s, année %(year)s : %(amount)s dépasse le reste à déléguer "
                    "(%(left)s) — le délégué ne peut pas dépasser l'alloué."
                )
                % {
                    "line": allocation.funding_line.code,
                    "year": year,
                    "amount": format_euros(amount),
                    "left": format_euros(left),
                }
            )
    total = sum(chosen.values(), ZERO)
    if total <= 0:
        raise BusinessRuleError(_("Rien à déléguer pour %(year)s.") % {"year": year})
    delegation = CreditDelegation.objects.create(contract=contract, year=year, prepared_by=actor)
    CreditDelegationLine.objects.bulk_create(
        CreditDelegationLine(delegation=delegation, allocation_id=key, amount=value)
        for key, value in chosen.items()
        if value > 0
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=delegation,
        contract=contract,
        summary=_("Délégation %(year)s préparée : %(total)s")
        % {"year": year, "total": format_euros(total)},
        changes={"total": {"before": None, "after": total}},
    )
    return delegation


@transaction.atomic
def approve_credit_delegation(
    *, actor, delegation: CreditDelegation, decision_reference: str, decision_date: date
) -> CreditDelegation:
    """Approve a prepared delegation and add its amounts to the allocations' delegated totals.

    Never by the preparer. The allocations are locked, and the database refuses any
    total that would exceed the allocated amount.
    """
    delegation = CreditDelegation.objects.select_for_update().get(pk=delegation.pk)
    _require_status(delegation, [DecisionStatus.PREPARED], _("approuver la délégation"))
    _require_other_person(actor=actor, preparer=delegation.prepared_by, what=_("cette délégation"))
    if not decision_reference.strip():
        raise BusinessRuleError(_("La référence de la décision est obligatoire."))
    lines = list(delegation.lines.all())
    allocations = YearlyAllocation.objects.select_for_update(of=("self",)).select_related(
        "funding_line"
    )
    locked = allocations.in_bulk([line.allocation_id for line in lines])
    changes = {}
    for line in lines:
        allocation = locked[line.allocation_id]
        if allocation.delegated_amount + line.amount > allocation.allocated_amount:
            raise BusinessRuleError(
                _(
                    "Ligne %(line)s, année %(year)s : délégué %(delegated)s + %(amount)s "
                    "dépasserait l'alloué %(allocated)s."
                )
                % {
                    "line": allocation.funding_line.code,
                    "year": allocation.year,
                    "delegated": format_euros(allocation.delegated_amount),
                    "amount": format_euros(line.amount),
                    "allocated": format_euros(allocation.allocated_amount),
                }
            )
        changes[f"{allocation.funding_line.code} {allocation.year} délégué"] = {
            "before": allocation.delegated_amount,
            "after": allocation.delegated_amount + line.amount,
        }
        YearlyAllocation.objects.filter(pk=allocation.pk).update(
            delegated_amount=F("delegated_amount") + line.amount
        )
    delegation.status = DecisionStatus.APPROVED
    delegation.approved_by = actor
    delegation.decision_reference = decision_reference
    delegation.decision_date = decision_date
    try:
        with transaction.atomic():
            delegation.save(
                update_fields=["status", "approved_by", "decision_reference", "decision_date"]
            )
    except IntegrityError as error:
        raise BusinessRuleError(
            _("Une délégation est déjà approuvée pour ce contrat et cette année.")
        ) from error
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=delegation,
        contract=delegation.contract,
        summary=_("Délégation %(year)s approuvée (décision %(ref)s)")
        % {"year": delegation.year, "ref": decision_reference},
        changes=changes,
    )
    return delegation


@transaction.atomic
def reject_credit_delegation(*, actor, delegation: CreditDelegation, reason: str):
    """Send a prepared delegation back, with a mandatory reason; no money moves."""
    return _send_back(
        delegation,
        actor=actor,
        reason=reason,
        action=_("renvoyer la délégation"),
        what=_("cette délégation"),
        contract=lambda decision: decision.contract,
        summary=_("Délégation %(year)s renvoyée") % {"year": delegation.year},
    )


# Consumption and recoveries --------------------------------------------------------------


@transaction.atomic
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


@transaction.atomic
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


@dataclass(frozen=True)
class RecoveryFigures:
    unused_amount: Decimal
    non_compliant_amount: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unused_amount + self.non_compliant_amount


def compute_recovery(
    *,
    delegated_amount: Decimal,
    consumed_amount: Decimal,
    non_compliant_amount: Decimal,
    already_recovered_amount: Decimal,
) -> RecoveryFigures:
    """Return what is to be recovered: unused credits plus non-compliant spending.

    What was already recovered is taken off the unused part first (DOMAIN.md §5).
    """
    unused = max(delegated_amount - consumed_amount, ZERO)
    already = already_recovered_amount
    unused_left = max(unused - already, ZERO)
    already = max(already - unused, ZERO)
    non_compliant_left = max(non_compliant_amount - already, ZERO)
    return RecoveryFigures(round_cents(unused_left), round_cents(non_compliant_left))


@transaction.atomic
def prepare_recovery(
    *,
    actor,
    allocation: YearlyAllocation,
    mode: str,
    offset_year: int | None = None,
) -> Recovery:
    """Compute and record the recovery of an allocation, to be approved by someone else."""
    allocation = YearlyAllocation.objects.select_for_update().get(pk=allocation.pk)
    figures = preview_recovery(allocation)
    if figures.amount <= 0:
        raise BusinessRuleError(_("Aucun crédit à reprendre sur %(a)s.") % {"a": allocation})
    if mode == RecoveryMode.OFFSET and offset_year is None:
        offset_year = allocation.year + 1
    recovery = Recovery.objects.create(
        allocation=allocation,
        unused_amount=figures.unused_amount,
        non_compliant_amount=figures.non_compliant_amount,
        amount=figures.amount,
        mode=mode,
        offset_year=offset_year if mode == RecoveryMode.OFFSET else None,
        prepared_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=recovery,
        contract=allocation.funding_line.axis.contract,
        summary=_("Reprise calculée : %(amount)s") % {"amount": format_euros(figures.amount)},
        changes={
            "unused_amount": {"before": None, "after": figures.unused_amount},
            "non_compliant_amount": {"before": None, "after": figures.non_compliant_amount},
        },
    )
    return recovery


@transaction.atomic
def approve_recovery(*, actor, recovery: Recovery) -> Recovery:
    """Approve a recovery: it adds to the allocation's recovered total. Never by the preparer."""
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    _require_status(recovery, [DecisionStatus.PREPARED], _("approuver la reprise"))
    _require_other_person(actor=actor, preparer=recovery.prepared_by, what=_("cette reprise"))
    allocation = YearlyAllocation.objects.select_for_update().get(pk=recovery.allocation_id)
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


# Amendments ------------------------------------------------------------------------------


@dataclass
class AmendmentProposal:
    """The figures an amendment changes; anything not named stays as it is."""

    envelope_amount: Decimal | None = None
    end_date: date | None = None
    # {line_id: {year: amount}}
    allocations: dict[int, dict[int, Decimal]] = field(default_factory=dict)
    # {milestone_id: {"due_date": date, "target_value": Decimal}}
    milestones: dict[int, dict] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "envelope_amount": str(self.envelope_amount)
            if self.envelope_amount is not None
            else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "allocations": {
                str(line): {str(year): str(amount) for year, amount in years.items()}
                for line, years in self.allocations.items()
            },
            "milestones": {
                str(pk): {key: str(value) for key, value in values.items()}
                for pk, values in self.milestones.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> "AmendmentProposal":
        return cls(
            envelope_amount=Decimal(data["envelope_amount"])
            if data.get("envelope_amount")
            else None,
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            allocations={
                int(line): {int(year): Decimal(amount) for year, amount in years.items()}
                for line, years in data.get("allocations", {}).items()
            },
            milestones={
                int(pk): {
                    key: (date.fromisoformat(value) if key == "due_date" else Decimal(value))
                    for key, value in values.items()
                }
                for pk, values in data.get("milestones", {}).items()
            },
        )


@transaction.atomic
def draft_amendment(
    *, actor, contract: Contract, reason: str, proposal: AmendmentProposal
) -> Amendment:
    """Draft an amendment of a signed contract, as a proposed new version."""
    if not reason.strip():
        raise BusinessRuleError(_("L'objet de l'avenant est obligatoire."))
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.ACTIVE], _("rédiger un avenant"))
    if contract.amendments.filter(status=DecisionStatus.PREPARED).exists():
        raise BusinessRuleError(_("Un avenant est déjà en cours pour ce contrat."))
    lines = set(FundingLine.objects.filter(axis__contract=contract).values_list("pk", flat=True))
    milestones = set(Milestone.objects.filter(axis__contract=contract).values_list("pk", flat=True))
    if not set(proposal.allocations) <= lines or not set(proposal.milestones) <= milestones:
        raise BusinessRuleError(_("L'avenant vise une ligne ou un jalon d'un autre contrat."))
    number = (contract.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
    amendment = Amendment.objects.create(
        contract=contract,
        number=number,
        reason=reason,
        base_version=contract.version,
        proposed=proposal.as_json(),
        prepared_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=amendment,
        contract=contract,
        summary=_("Avenant n° %(number)s rédigé") % {"number": number},
        reason=reason,
        changes={"proposed": {"before": None, "after": amendment.proposed}},
    )
    return amendment


@transaction.atomic
def approve_amendment(*, actor, amendment: Amendment) -> Contract:
    """Apply an amendment: the contract's figures, dates and milestones follow.

    Never by its author. The new figures must still hold every invariant (delegated
    money cannot be cut under, allocations stay within the envelope).
    """
    amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
    _require_status(amendment, [DecisionStatus.PREPARED], _("approuver l'avenant"))
    _require_other_person(actor=actor, preparer=amendment.prepared_by, what=_("cet avenant"))
    contract = _lock_contract(amendment.contract)
    if contract.version != amendment.base_version:
        raise BusinessRuleError(
            _("Le contrat a changé depuis la rédaction de l'avenant : rédigez-le à nouveau.")
        )
    proposal = AmendmentProposal.from_json(amendment.proposed)
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    if proposal.envelope_amount is not None:
        contract.envelope_amount = round_cents(proposal.envelope_amount)
    if proposal.end_date is not None:
        if proposal.end_date < contract.start_date:
            raise BusinessRuleError(_("La date de fin doit suivre la date de début."))
        contract.end_date = proposal.end_date
    contract.version += 1
    contract.save(update_fields=["envelope_amount", "end_date", "version", "updated_at"])
    changes = diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS))
    for line in FundingLine.objects.filter(pk__in=proposal.allocations):
        merged = {a.year: a.allocated_amount for a in line.allocations.all()}
        merged.update(proposal.allocations[line.pk])
        _check_scheme_rules(scheme=line.scheme, amounts_by_year=merged, details=line.details)
        changes.update(_write_allocations(line, proposal.allocations[line.pk]))
    _check_allocations_fit(contract)
    rescheduled = []
    for milestone in Milestone.objects.select_for_update().filter(pk__in=proposal.milestones):
        values = proposal.milestones[milestone.pk]
        milestone_before = _values(milestone, MILESTONE_AUDITED_FIELDS)
        if "due_date" in values and values["due_date"] != milestone.due_date:
            if not contract.start_date <= values["due_date"] <= contract.end_date:
                raise BusinessRuleError(
                    _("L'échéance d'un jalon doit tomber dans la période du contrat.")
                )
            milestone.due_date = values["due_date"]
            rescheduled.append(milestone)
        if "target_value" in values:
            milestone.target_value = values["target_value"]
        milestone.save(update_fields=["due_date", "target_value"])
        for key, change in diff_fields(
            milestone_before, _values(milestone, MILESTONE_AUDITED_FIELDS)
        ).items():
            changes[f"jalon {milestone.pk} {key}"] = change
    amendment.status = DecisionStatus.APPROVED
    amendment.approved_by = actor
    amendment.save(update_fields=["status", "approved_by"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=amendment,
        contract=contract,
        summary=_("Avenant n° %(number)s approuvé : contrat en version %(version)s")
        % {"number": amendment.number, "version": contract.version},
        reason=amendment.reason,
        changes=changes,
    )
    for milestone in rescheduled:
        signals.milestone_rescheduled.send(sender=Milestone, milestone=milestone)
    return contract


@transaction.atomic
def reject_amendment(*, actor, amendment: Amendment, reason: str) -> Amendment:
    """Send an amendment back, with a mandatory reason; the contract does not change."""
    return _send_back(
        amendment,
        actor=actor,
        reason=reason,
        action=_("renvoyer l'avenant"),
        what=_("cet avenant"),
        contract=lambda decision: decision.contract,
        summary=_("Avenant n° %(number)s renvoyé") % {"number": amendment.number},
    )


@transaction.atomic
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


def preview_recovery(allocation: YearlyAllocation) -> RecoveryFigures:
    """Return what a recovery of ``allocation`` would take back now, without writing."""
    statement = allocation.statements.filter(status=DecisionStatus.APPROVED).order_by("-pk").first()
    return compute_recovery(
        delegated_amount=allocation.delegated_amount,
        consumed_amount=allocation.consumed_amount,
        non_compliant_amount=statement.non_compliant_amount if statement else ZERO,
        already_recovered_amount=allocation.recovered_amount,
    )

"""The contract itself: creation, change of its fields, and its approval path (submit, approve, send back, sign)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event
from territories.models import Establishment, HospitalGroup, MembershipRole

from .. import signals
from ..exceptions import BusinessRuleError
from ..models import (
    Contract,
    ContractKind,
    ContractStatus,
    StrategicAxis,
)
from ..money import round_cents
from ..selectors import submission_blockers
from ._common import (
    CONTRACT_AUDITED_FIELDS,
    _lock_contract,
    _require_not_drafter,
    _require_other_person,
    _require_status,
    _values,
    use_case,
)
from .documents import store_signed_contract
from .lines import _allocated_total, _check_allocations_fit

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


@use_case
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
    note: str = "",
    kind: str = ContractKind.ATTRACTIVENESS,
) -> Contract:
    """Create a draft contract (or funding convention, ``kind``) with its strategic axes."""
    if end_date < start_date:
        raise BusinessRuleError(_("La date de fin doit suivre la date de début."))
    envelope_amount = round_cents(envelope_amount)
    if envelope_amount <= 0:
        raise BusinessRuleError(_("L'enveloppe du contrat doit être positive."))
    contract = Contract.objects.create(
        reference=reference,
        kind=kind,
        title=title,
        region=hospital_group.region,
        hospital_group=hospital_group,
        carrier_establishment=carrier_establishment or support_establishment(hospital_group),
        start_date=start_date,
        end_date=end_date,
        envelope_amount=envelope_amount,
        note=note,
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


@use_case
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


@use_case
def submit_contract(*, actor, contract: Contract, comment: str = "") -> Contract:
    """Send a draft contract to a validator, with the author's comment in the journal."""
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.DRAFT], _("soumettre le contrat"))
    if not contract.axes.exists():
        raise BusinessRuleError(_("Un contrat doit compter au moins un axe stratégique."))
    if _allocated_total(contract) <= 0:
        raise BusinessRuleError(_("Un contrat doit compter au moins une ligne financée."))
    _check_allocations_fit(contract)
    blockers = submission_blockers(contract)
    if blockers:
        raise BusinessRuleError(
            [_("Le contrat n'est pas prêt à être soumis :")] + [b.message for b in blockers]
        )
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
        reason=comment,
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@use_case
def approve_contract(
    *, actor, contract: Contract, comment: str = "", at: datetime | None = None
) -> Contract:
    """Approve a submitted contract; never by the person who submitted it.

    ``at`` is the time of the approval, now unless a past approval is being recorded.
    """
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.SUBMITTED], _("approuver le contrat"))
    _require_other_person(actor=actor, preparer_id=contract.submitted_by_id, what=_("ce contrat"))
    _require_not_drafter(actor=actor, contract=contract)
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.APPROVED
    contract.approved_by = actor
    contract.approved_at = at or timezone.now()
    contract.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Contrat approuvé"),
        reason=comment,
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    return contract


@use_case
def return_contract(*, actor, contract: Contract, reason: str) -> Contract:
    """Send a submitted contract back to its author, with a mandatory reason."""
    if not reason or not reason.strip():
        raise BusinessRuleError(_("Le motif du renvoi est obligatoire."))
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.SUBMITTED], _("renvoyer le contrat"))
    _require_other_person(actor=actor, preparer_id=contract.submitted_by_id, what=_("ce contrat"))
    _require_not_drafter(actor=actor, contract=contract)
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


@use_case
def record_signature(
    *,
    actor,
    contract: Contract,
    signature_date: date,
    signatories: str,
    signed_document=None,
    today: date | None = None,
) -> Contract:
    """Record the signature of an approved contract, which puts it in force.

    ``signed_document`` (the signed PDF) is stored and its SHA-256 journaled; the pages
    require it, loaders of past contracts may have none.
    """
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.APPROVED], _("enregistrer la signature"))
    if not signatories.strip():
        raise BusinessRuleError(_("Les signataires sont obligatoires."))
    problem = contract.signature_date_problem(signature_date, today=today or timezone.localdate())
    if problem:
        raise BusinessRuleError(problem)
    before = _values(contract, CONTRACT_AUDITED_FIELDS)
    contract.status = ContractStatus.ACTIVE
    contract.signature_date = signature_date
    contract.signatories = signatories
    contract.save(update_fields=["status", "signature_date", "signatories", "updated_at"])
    if signed_document is not None:
        store_signed_contract(actor=actor, contract=contract, upload=signed_document)
    record_event(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        summary=_("Signature enregistrée, contrat en vigueur"),
        changes=diff_fields(before, _values(contract, CONTRACT_AUDITED_FIELDS)),
    )
    signals.contract_signed.send(sender=Contract, contract=contract, actor=actor)
    return contract

"""Amendments (avenants): drafted as a proposal, approved by another person, or sent back."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event
from territories.models import Establishment

from .. import signals
from ..exceptions import BusinessRuleError
from ..models import (
    Amendment,
    Contract,
    ContractStatus,
    DecisionStatus,
    FundingLine,
    Milestone,
    StrategicAxis,
)
from ..money import round_cents
from ._common import (
    CONTRACT_AUDITED_FIELDS,
    MILESTONE_AUDITED_FIELDS,
    _lock_contract,
    _require_not_decision_drafter,
    _require_other_person,
    _require_status,
    _send_back,
    _values,
    use_case,
)
from .lines import (
    _check_allocations_fit,
    _check_scheme_rules,
    _write_allocations,
    add_funding_line,
    refuse_derived_amounts,
)

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
    # {line_id: details}: a line's scheme parameters, e.g. its number of students once its
    # individual awards change (``calls.awards``); checked with the line's new amounts.
    details: dict[int, dict] = field(default_factory=dict)

    # New lines, each a NewLine: a granted call dossier becomes a line of the contract.
    new_lines: list["NewLine"] = field(default_factory=list)

    def line_ids(self) -> set[int]:
        return set(self.allocations) | set(self.details)

    def details_of(self, line: FundingLine) -> dict:
        return self.details.get(line.pk, line.details)

    def is_empty(self) -> bool:
        """Return whether the amendment would change nothing."""
        return (
            self.envelope_amount is None
            and self.end_date is None
            and not self.allocations
            and not self.milestones
            and not self.details
            and not self.new_lines
        )

    def as_json(self) -> dict:
        # ``details`` only when given: the proposals drafted on the amendment page keep
        # their shape (``workflows.forms`` compares it to an empty proposal).
        data = {
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
            "new_lines": [line.as_json() for line in self.new_lines],
        }
        if self.details:
            data["details"] = {str(line): details for line, details in self.details.items()}
        return data

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
            details={int(line): details for line, details in data.get("details", {}).items()},
            new_lines=[NewLine.from_json(line) for line in data.get("new_lines", [])],
        )


@dataclass
class NewLine:
    """A funding line an amendment adds, with its yearly amounts and its indicators.

    ``milestones``: ``{"title", "due_date", "indicator_label", "baseline_value",
    "target_value"}`` each, the indicators the line is followed with.
    """

    axis_id: int
    code: str
    scheme: str
    label: str
    beneficiary_id: int
    allocations: dict[int, Decimal]
    details: dict = field(default_factory=dict)
    milestones: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "axis_id": self.axis_id,
            "code": self.code,
            "scheme": self.scheme,
            "label": self.label,
            "beneficiary_id": self.beneficiary_id,
            "allocations": {str(year): str(amount) for year, amount in self.allocations.items()},
            "details": self.details,
            "milestones": [
                {key: str(value) for key, value in milestone.items()}
                for milestone in self.milestones
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> "NewLine":
        return cls(
            axis_id=int(data["axis_id"]),
            code=data["code"],
            scheme=data["scheme"],
            label=data["label"],
            beneficiary_id=int(data["beneficiary_id"]),
            allocations={
                int(year): Decimal(amount) for year, amount in data["allocations"].items()
            },
            details=data.get("details") or {},
            milestones=[
                {
                    **milestone,
                    "due_date": date.fromisoformat(milestone["due_date"]),
                    "baseline_value": Decimal(milestone["baseline_value"]),
                    "target_value": Decimal(milestone["target_value"]),
                }
                for milestone in data.get("milestones", [])
            ],
        )


@use_case
def draft_amendment(
    *, actor, contract: Contract, reason: str, proposal: AmendmentProposal, derived: bool = False
) -> Amendment:
    """Draft an amendment of a signed contract, as a proposed new version.

    ``derived``: the line amounts come from the layer that owns them (``lines.register_amount_owner``).
    """
    if not reason.strip():
        raise BusinessRuleError(_("L'objet de l'avenant est obligatoire."))
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.ACTIVE], _("rédiger un avenant"))
    if contract.amendments.filter(status=DecisionStatus.PREPARED).exists():
        raise BusinessRuleError(_("Un avenant est déjà en cours pour ce contrat."))
    lines = set(FundingLine.objects.filter(axis__contract=contract).values_list("pk", flat=True))
    milestones = set(Milestone.objects.filter(axis__contract=contract).values_list("pk", flat=True))
    if not proposal.line_ids() <= lines or not set(proposal.milestones) <= milestones:
        raise BusinessRuleError(_("L'avenant vise une ligne ou un jalon d'un autre contrat."))
    # Refused when drafted, not only when approved: the validator sees only amendments
    # that hold the scheme rules (checked again at approval, against the same figures).
    for line in FundingLine.objects.filter(pk__in=proposal.line_ids()):
        if not derived:
            refuse_derived_amounts(line, proposal.allocations.get(line.pk, {}))
        merged = {a.year: a.allocated_amount for a in line.allocations.all()}
        merged.update(proposal.allocations.get(line.pk, {}))
        _check_scheme_rules(
            contract=contract,
            scheme=line.scheme,
            amounts_by_year=merged,
            details=proposal.details_of(line),
        )
    _check_new_lines(contract, proposal.new_lines)
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


@use_case
def approve_amendment(*, actor, amendment: Amendment) -> Contract:
    """Apply an amendment: the contract's figures, dates and milestones follow.

    Never by its author. The new figures must still hold every invariant (delegated
    money cannot be cut under, allocations stay within the envelope).
    """
    amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
    _require_status(amendment, [DecisionStatus.PREPARED], _("approuver l'avenant"))
    _require_other_person(actor=actor, preparer_id=amendment.prepared_by_id, what=_("cet avenant"))
    _require_not_decision_drafter(actor=actor, decision=amendment, what=_("cet avenant"))
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
    for line in FundingLine.objects.select_for_update().filter(pk__in=proposal.line_ids()):
        merged = {a.year: a.allocated_amount for a in line.allocations.all()}
        merged.update(proposal.allocations.get(line.pk, {}))
        _check_scheme_rules(
            contract=contract,
            scheme=line.scheme,
            amounts_by_year=merged,
            details=proposal.details_of(line),
        )
        changes.update(_write_allocations(line, proposal.allocations.get(line.pk, {})))
        if line.pk in proposal.details and proposal.details[line.pk] != line.details:
            changes[f"{line.code} paramètres"] = {
                "before": line.details,
                "after": proposal.details[line.pk],
            }
            line.details = proposal.details[line.pk]
            line.save(update_fields=["details"])
    created_lines = _add_new_lines(actor, contract, proposal.new_lines, reason=amendment.reason)
    for line in created_lines:
        changes[f"ligne {line.code}"] = {"before": None, "after": line.label}
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
    signals.amendment_approved.send(
        sender=Amendment, amendment=amendment, created_lines=created_lines, actor=actor
    )
    return contract


def _check_new_lines(contract: Contract, new_lines: list[NewLine]) -> None:
    """Refuse new lines on another contract's axis, a code taken, or against the scheme."""
    axes = set(StrategicAxis.objects.filter(contract=contract).values_list("pk", flat=True))
    for line in new_lines:
        if line.axis_id not in axes:
            raise BusinessRuleError(_("L'avenant ajoute une ligne sur l'axe d'un autre contrat."))
        if FundingLine.objects.filter(axis_id=line.axis_id, code=line.code).exists():
            raise BusinessRuleError(
                _("La ligne %(code)s existe déjà sur cet axe.") % {"code": line.code}
            )
        for milestone in line.milestones:
            if not contract.start_date <= milestone["due_date"] <= contract.end_date:
                raise BusinessRuleError(
                    _("L'échéance d'un jalon doit tomber dans la période du contrat.")
                )
        _check_scheme_rules(
            contract=contract,
            scheme=line.scheme,
            amounts_by_year=line.allocations,
            details=line.details,
        )


def _add_new_lines(actor, contract: Contract, new_lines: list[NewLine], *, reason: str):
    """Create the amendment's new lines and their milestones (the contract is locked)."""
    _check_new_lines(contract, new_lines)
    created = []
    for new in new_lines:
        line = add_funding_line(
            actor=actor,
            axis=StrategicAxis.objects.get(pk=new.axis_id),
            code=new.code,
            scheme=new.scheme,
            label=new.label,
            beneficiary=Establishment.objects.get(pk=new.beneficiary_id),
            amounts_by_year=new.allocations,
            details=new.details,
            reason=reason,
            allow_signed=True,
        )
        for values in new.milestones:
            milestone = Milestone.objects.create(axis=line.axis, **values)
            record_event(
                actor=actor,
                action=AuditAction.CREATE,
                obj=milestone,
                contract=contract,
                summary=_("Jalon ajouté par avenant : %(title)s") % {"title": milestone.title},
                reason=reason,
                changes=_values(milestone, MILESTONE_AUDITED_FIELDS),
            )
        created.append(line)
    return created


@use_case
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

"""Funding lines and their yearly amounts, within the envelope and the scheme rules."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event
from territories.models import Establishment

from .. import schemes
from ..exceptions import BusinessRuleError
from ..models import (
    Contract,
    ContractStatus,
    FundingLine,
    StrategicAxis,
    YearlyAllocation,
    scheme_parameters_on,
)
from ..money import ZERO, format_euros, round_cents
from ._common import _lock_contract, _require_status, use_case

# Lines whose amounts a higher layer derives, e.g. the sum of their individual awards
# (``calls.awards``): ``owner(line) -> str | None`` says why amounts typed by hand are refused.
_amount_owners: list[Callable[[FundingLine], str | None]] = []


def register_amount_owner(owner: Callable[[FundingLine], str | None]) -> None:
    """Add ``owner`` to those asked before a line's amounts change by hand (idempotent)."""
    if owner not in _amount_owners:
        _amount_owners.append(owner)


def refuse_derived_amounts(line: FundingLine, amounts_by_year: Mapping[int, Decimal]) -> None:
    """Refuse amounts typed for a line whose amounts are derived elsewhere, if they differ."""
    current = {a.year: a.allocated_amount for a in line.allocations.all()}
    if all(
        round_cents(amount) == current.get(year, ZERO) for year, amount in amounts_by_year.items()
    ):
        return
    for owner in _amount_owners:
        if message := owner(line):
            raise BusinessRuleError(message)


def _allocated_total(contract: Contract) -> Decimal:
    total = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).aggregate(
        total=Sum("allocated_amount")
    )["total"]
    return total or ZERO


def _out_of_period_message(contract: Contract) -> str:
    return _("Des montants sont alloués hors de la période du contrat (%(start)s–%(end)s).") % {
        "start": contract.start_date.year,
        "end": contract.end_date.year,
    }


def _check_total_fits(contract: Contract, total: Decimal) -> None:
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


def _has_out_of_period_allocations(contract: Contract) -> bool:
    return (
        YearlyAllocation.objects.filter(
            funding_line__axis__contract=contract, allocated_amount__gt=0
        )
        .exclude(year__in=contract.years)
        .exists()
    )


def _check_allocations_fit(contract: Contract) -> None:
    """Refuse a contract whose allocations exceed its envelope or fall outside its period.

    Totals every allocation of the contract: one call per write of a single line. Many
    writes in a row (an import) go through a ``LineBatch`` instead.
    """
    _check_total_fits(contract, _allocated_total(contract))
    if _has_out_of_period_allocations(contract):
        raise BusinessRuleError(_out_of_period_message(contract))


def _allocated_change(changes: Mapping[str, dict]) -> Decimal:
    """Return by how much the writes described by ``changes`` (``_write_allocations``) moved
    the allocated total."""
    return sum((change["after"] - (change["before"] or ZERO) for change in changes.values()), ZERO)


@dataclass
class LineBatch:
    """Many line writes on one contract under one lock (an import), checked incrementally.

    Opened inside the caller's transaction, it locks the contract once and totals its
    allocations once; each write then moves a running total and is refused, like a single
    write, when the total would exceed the envelope or a year falls outside the period. A
    write that fails is rolled back by its savepoint and leaves the running total as it was.
    Without a batch every write re-totals the whole contract, which is quadratic over a file.
    """

    contract: Contract
    allocated: Decimal
    out_of_period: bool
    _parameters: dict[str, schemes.SchemeParameters] = field(default_factory=dict)

    @classmethod
    def open(cls, contract: Contract) -> "LineBatch":
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("A LineBatch holds its lock for a transaction: open one first.")
        contract = _lock_contract(contract)
        return cls(
            contract=contract,
            allocated=_allocated_total(contract),
            out_of_period=_has_out_of_period_allocations(contract),
        )

    def contract_of(self, axis: StrategicAxis) -> Contract:
        if axis.contract_id != self.contract.pk:
            raise ValueError("This batch writes the lines of another contract.")
        return self.contract

    def parameters(self, scheme: str) -> schemes.SchemeParameters:
        if scheme not in self._parameters:
            self._parameters[scheme] = scheme_parameters_for(self.contract, scheme)
        return self._parameters[scheme]

    def total_after(self, changes: Mapping[str, dict], amounts_by_year) -> Decimal:
        """Check the write described by ``changes``; return the total it leads to."""
        total = self.allocated + _allocated_change(changes)
        _check_total_fits(self.contract, total)
        years = self.contract.years
        if self.out_of_period or any(
            year not in years and amount > 0 for year, amount in amounts_by_year.items()
        ):
            raise BusinessRuleError(_out_of_period_message(self.contract))
        return total


def scheme_parameters_for(contract: Contract, scheme: str) -> schemes.SchemeParameters:
    """Return the figures ``contract`` is held to for ``scheme``.

    The parameter sets in force at its signature date, or at its start while unsigned: a
    contract keeps the figures it was signed under when a later campaign changes them.
    """
    return scheme_parameters_on(
        scheme=scheme,
        region=contract.region,
        on=contract.signature_date or contract.start_date,
    )


def _check_scheme_rules(
    *,
    contract: Contract,
    scheme: str,
    amounts_by_year: Mapping[int, Decimal],
    details,
    batch: LineBatch | None = None,
) -> schemes.SchemeParameters:
    """Refuse a line that breaks its scheme's rules; return the figures it was checked with."""
    total = sum((round_cents(amount) for amount in amounts_by_year.values()), ZERO)
    params = (
        batch.parameters(scheme) if batch is not None else scheme_parameters_for(contract, scheme)
    )
    try:
        schemes.validate_funding_line(
            scheme=scheme, amount=total, details=details or {}, params=params
        )
    except schemes.RuleViolation as violation:
        raise BusinessRuleError(violation.errors) from violation
    return params


def _default_consumption_deadline(scheme: str, params: schemes.SchemeParameters) -> date | None:
    """Return the consumption deadline a line of ``scheme`` gets when none is given.

    CLACT: the campaign's deadline (seeds/001: « au plus tard le 31/12/2026 » for 2024).
    """
    if scheme == schemes.SchemeCode.CLACT:
        return schemes.clact_consumption_deadline(params)
    return None


def _write_allocations(
    line: FundingLine, amounts_by_year: Mapping[int, Decimal], *, new: bool = False
) -> dict:
    """Set the line's allocation for each year given; return before/after per year.

    ``new``: the line was just created and has no allocation yet.
    """
    existing = (
        {}
        if new
        else {
            allocation.year: allocation
            for allocation in YearlyAllocation.objects.select_for_update().filter(funding_line=line)
        }
    )
    changes = {}
    created: list[YearlyAllocation] = []
    for year, amount in sorted(amounts_by_year.items()):
        amount = round_cents(amount)
        if amount < 0:
            raise BusinessRuleError(
                _("Le montant %(year)s de la ligne %(line)s ne peut pas être négatif.")
                % {"year": year, "line": line.code}
            )
        allocation = existing.get(year)
        if allocation is None:
            created.append(YearlyAllocation(funding_line=line, year=year, allocated_amount=amount))
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
    # One insert for the new years (the database constraints still hold each row).
    YearlyAllocation.objects.bulk_create(created)
    return changes


@use_case
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
    batch: LineBatch | None = None,
) -> FundingLine:
    """Add a funding line to a draft contract, checked against its scheme and the envelope.

    ``batch``: one of many writes under the batch's lock and running total (an import).
    """
    contract = _lock_contract(axis.contract) if batch is None else batch.contract_of(axis)
    if not allow_signed:
        _require_status(contract, [ContractStatus.DRAFT], _("ajouter une ligne"))
    params = _check_scheme_rules(
        contract=contract,
        scheme=scheme,
        amounts_by_year=amounts_by_year,
        details=details,
        batch=batch,
    )
    if consumption_deadline_date is None:
        consumption_deadline_date = _default_consumption_deadline(scheme, params)
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
    changes = _write_allocations(line, amounts_by_year, new=True)
    if batch is None:
        _check_allocations_fit(contract)
    else:
        total = batch.total_after(changes, amounts_by_year)
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
    if batch is not None:
        batch.allocated = total
    return line


@use_case
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
    batch: LineBatch | None = None,
    derived: bool = False,
) -> FundingLine:
    """Change a line's amounts per year or wording; delegated money is never cut under.

    ``batch``: one of many writes under the batch's lock and running total (an import).
    ``derived``: the amounts come from the layer that owns them (``register_amount_owner``);
    otherwise such a line refuses amounts typed by hand.
    """
    contract = _lock_contract(line.axis.contract) if batch is None else batch.contract_of(line.axis)
    if not allow_signed:
        _require_status(contract, [ContractStatus.DRAFT], _("modifier une ligne"))
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    if amounts_by_year is not None and not derived:
        refuse_derived_amounts(line, amounts_by_year)
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
    # Every change is checked, even of the wording: a line stored before a rule (or a
    # required detail) existed is brought into line at its next change.
    merged = {a.year: a.allocated_amount for a in line.allocations.all()}
    merged.update(amounts_by_year or {})
    _check_scheme_rules(
        contract=contract,
        scheme=line.scheme,
        amounts_by_year=merged,
        details=line.details,
        batch=batch,
    )
    if amounts_by_year is not None:
        changes = _write_allocations(line, amounts_by_year)
    line.save()
    if batch is None:
        _check_allocations_fit(contract)
    else:
        total = batch.total_after(changes, merged)
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
    if batch is not None:
        batch.allocated = total
    return line

"""Yearly credit delegations (FIR): prepared, approved by another person, or sent back."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, Value, When, sql
from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event

from ..compiled import MARKER, CompiledRead
from ..credits import delegation_refusal, left_to_delegate
from ..exceptions import BusinessRuleError
from ..models import (
    Contract,
    ContractStatus,
    CreditDelegation,
    CreditDelegationLine,
    DecisionStatus,
    YearlyAllocation,
)
from ..money import ZERO, MoneyField, format_euros, round_cents
from ._common import (
    _lock_contract,
    _require_not_decision_drafter,
    _require_other_person,
    _require_status,
    _send_back,
    use_case,
)

# Credit delegations ----------------------------------------------------------------------


@use_case
def prepare_credit_delegation(
    *,
    actor,
    contract: Contract,
    year: int,
    amounts: Mapping[int, Decimal] | None = None,
    comment: str = "",
) -> CreditDelegation:
    """Prepare the year's delegation (default: what is left to delegate on each line).

    A year already delegated gets a complementary delegation when credits are left on it
    (e.g. after an amendment raised it); ``credits.delegation_refusal`` says when not.

    ``comment`` (what changed since a send-back) is kept in the journal with the event.
    """
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.ACTIVE], _("préparer une délégation"))
    # One read of what is left, for the refusal and the proposal alike.
    preparing = set()  # the years in preparation, read with what is left (one statement)
    left_by_allocation = left_to_delegate(contract, preparing=preparing)
    refusal = delegation_refusal(contract, year, left=left_by_allocation, preparing=preparing)
    if refusal is not None:
        raise BusinessRuleError(refusal)
    proposal = {
        pk: left
        for pk, (allocation_year, left) in left_by_allocation.items()
        if allocation_year == year
    }
    chosen = {key: round_cents(value) for key, value in (amounts or proposal).items()}
    unknown = set(chosen) - set(proposal)
    if unknown:
        raise BusinessRuleError(_("Allocation étrangère à ce contrat ou à cette année."))
    for allocation_id, amount in chosen.items():
        left = proposal[allocation_id]
        if amount < 0 or amount > left:
            allocation = YearlyAllocation.objects.select_related("funding_line").get(
                pk=allocation_id
            )
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
        reason=comment,
        changes={"total": {"before": None, "after": total}},
    )
    return delegation


@use_case
def approve_credit_delegation(
    *, actor, delegation: CreditDelegation, decision_reference: str, decision_date: date
) -> CreditDelegation:
    """Approve a prepared delegation and add its amounts to the allocations' delegated totals.

    Never by the preparer. The allocations are locked, and the database refuses any
    total that would exceed the allocated amount.
    """
    delegation, lines = _lock_with_lines(delegation)
    _require_status(delegation, [DecisionStatus.PREPARED], _("approuver la délégation"))
    _require_other_person(
        actor=actor, preparer_id=delegation.prepared_by_id, what=_("cette délégation")
    )
    _require_not_decision_drafter(actor=actor, decision=delegation, what=_("cette délégation"))
    if not decision_reference.strip():
        raise BusinessRuleError(_("La référence de la décision est obligatoire."))
    locked = {line.allocation_id: line.allocation for line in lines}
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
    if lines:
        # One statement for every line (one allocation each), its rows locked above; the
        # database still refuses any total above the allocated amount.
        _add_to_delegated(lines)
    delegation.status = DecisionStatus.APPROVED
    delegation.approved_by = actor
    delegation.decision_reference = decision_reference
    delegation.decision_date = decision_date
    delegation.save(update_fields=["status", "approved_by", "decision_reference", "decision_date"])
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


def _delegated_update(pairs) -> sql.UpdateQuery:
    """Return the update adding each ``(allocation id, amount)`` of ``pairs`` to that
    allocation's delegated total."""
    query = sql.UpdateQuery(YearlyAllocation)
    query.add_update_values(
        {
            "delegated_amount": F("delegated_amount")
            + Case(
                *(When(pk=pk, then=Value(amount)) for pk, amount in pairs),
                output_field=MoneyField(),
            )
        }
    )
    query.add_filter("pk__in", [pk for pk, _amount in pairs])
    return query


_DELEGATED_UPDATES: dict[tuple, tuple] = {}


def _add_to_delegated(lines) -> None:
    """Add each line's amount to its allocation's delegated total, in one statement:
    ``_delegated_update``'s, compiled once per number of lines with markers in place of
    the ids and amounts (every approval runs it; compiling cost more than running)."""
    connection = transaction.get_connection()
    key = (connection.alias, connection.vendor, len(lines))
    compiled = _DELEGATED_UPDATES.get(key)
    if compiled is None:
        markers = [(MARKER - index, Decimal(MARKER - index) / 100) for index in range(len(lines))]
        statement, params = _delegated_update(markers).get_compiler(connection=connection).as_sql()
        compiled = _DELEGATED_UPDATES[key] = (statement, tuple(params), markers)
    statement, params, markers = compiled
    values = {}
    for (pk_marker, amount_marker), line in zip(markers, lines, strict=True):
        values[pk_marker] = line.allocation_id
        values[amount_marker] = line.amount
    with connection.cursor() as cursor:
        cursor.execute(statement, [values[param] for param in params])


def _lines_locked(relation: str) -> CompiledRead:
    return CompiledRead(
        lambda delegation_id: (
            CreditDelegationLine.objects.filter(delegation_id=delegation_id)
            .select_related(relation, "allocation__funding_line")
            .select_for_update(of=("delegation", "allocation"))
            .order_by(
                "allocation__funding_line__axis__number",
                "allocation__funding_line__code",
                "allocation__year",
            )
        )
    )


# The lines of a delegation with their allocations, locked; with its contract or not.
# Compiled once (``contracts.compiled``): every approval runs it.
_LINES_LOCKED = {False: _lines_locked("delegation"), True: _lines_locked("delegation__contract")}


def _lock_with_lines(delegation: CreditDelegation):
    """Return the delegation locked with its contract, and its lines, each with its
    allocation locked, in one query.

    The lines come in the model's order of their allocations (one contract: axis, line,
    year; no join to the contract that order starts with), which is the order their
    locks are taken in; the delegation's lock comes with its first line. The journal and
    the GHT's notification (same object, later in the step) read the lines through
    ``delegation.lines.all()`` without a query. A contract the caller read already (a
    step reads it with its process) is not read again: one join fewer, on every line. A
    delegation without lines (none is prepared so) is locked alone.
    """
    contract_field = CreditDelegation._meta.get_field("contract")
    contract = contract_field.get_cached_value(delegation, None)
    lines = _LINES_LOCKED[contract is None](delegation.pk)
    if lines:
        locked = lines[0].delegation
        for line in lines:
            line.delegation = locked
    else:
        locked = (
            CreditDelegation.objects.select_for_update(of=("self",))
            .select_related("contract")
            .get(pk=delegation.pk)
        )
    if contract is not None and contract.pk == locked.contract_id:
        contract_field.set_cached_value(locked, contract)
    queryset = locked.lines.all()
    queryset._result_cache = lines
    queryset._prefetch_done = True
    locked._prefetched_objects_cache = {"lines": queryset}
    return locked, lines


@use_case
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

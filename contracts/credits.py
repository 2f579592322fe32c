"""Credit arithmetic, in one place: what is left to delegate, which years may get a
delegation, what is recoverable.

Pure reads and computations, no writes: the services, the flows' forms, the contract
page's actions and the database constraints all follow these functions, so the answer
cannot drift between them.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from background.db import prepared

from . import schemes
from .models import (
    ConsumptionStatement,
    Contract,
    CreditDelegation,
    DecisionStatus,
    FundingLine,
    Recovery,
    RecoveryMode,
    StrategicAxis,
    YearlyAllocation,
)
from .money import ZERO, round_cents

# What is left to delegate, and when ------------------------------------------------------


# The allocations of a contract with what ``left_to_delegate`` needs of each, in raw SQL
# built once per vendor and number of years: every delegation's preparation reads it
# under the contract's lock, and the ORM's query building (the offsets' correlated
# subquery) cost three times the statement (issue 17). Each value goes through the
# converters the ORM would apply to its column (decimals on SQLite, JSON).
_ALLOCATION_FIELDS = (
    (YearlyAllocation, "id"),
    (YearlyAllocation, "funding_line"),
    (YearlyAllocation, "year"),
    (YearlyAllocation, "allocated_amount"),
    (YearlyAllocation, "delegated_amount"),
    (FundingLine, "scheme"),
    (FundingLine, "details"),
    (Recovery, "amount"),  # the offsets' sum, a money column like its terms
)
_ALLOCATIONS_SQL: dict[tuple[str, int], tuple[str, list]] = {}


def _allocations_sql(connection, year_count: int, with_preparing: bool = False) -> tuple[str, list]:
    quote = connection.ops.quote_name

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    def table(model):
        return quote(model._meta.db_table)

    allocation_line = column(YearlyAllocation, "funding_line")
    # What approved recoveries offset onto the row's year (DOMAIN.md §5), when that year
    # is one of ``years``.
    offsets = (
        f"SELECT SUM(r.{column(Recovery, 'amount')}) FROM {table(Recovery)} r "
        f"JOIN {table(YearlyAllocation)} ra ON ra.{column(YearlyAllocation, 'id')} "
        f"= r.{column(Recovery, 'allocation')} "
        f"WHERE ra.{allocation_line} = a.{allocation_line} "
        f"AND r.{column(Recovery, 'mode')} = %s "
        f"AND r.{column(Recovery, 'offset_year')} = a.{column(YearlyAllocation, 'year')} "
        f"AND r.{column(Recovery, 'offset_year')} IN ({', '.join(['%s'] * year_count)}) "
        f"AND r.{column(Recovery, 'status')} = %s"
    )
    aliases = {YearlyAllocation: "a", FundingLine: "l"}
    selected = [
        f"{aliases[model]}.{column(model, name)}" for model, name in _ALLOCATION_FIELDS[:-1]
    ]
    sql = (
        f"SELECT {', '.join(selected)}, ({offsets}) FROM {table(YearlyAllocation)} a "
        f"JOIN {table(FundingLine)} l ON l.{column(FundingLine, 'id')} = a.{allocation_line} "
        f"JOIN {table(StrategicAxis)} x ON x.{column(StrategicAxis, 'id')} "
        f"= l.{column(FundingLine, 'axis')} "
        f"WHERE x.{column(StrategicAxis, 'contract')} = %s"
    )
    if not with_preparing:
        sql += f" ORDER BY a.{allocation_line}, a.{column(YearlyAllocation, 'year')}"
    else:
        # The years of the contract's delegations in preparation, as rows without an
        # allocation (``_years_in_preparation``), in the same statement; the union sorted
        # as the allocations, by position (line, year).
        sql += (
            f" UNION ALL SELECT NULL, NULL, d.{column(CreditDelegation, 'year')}, "
            f"NULL, NULL, NULL, NULL, NULL FROM {table(CreditDelegation)} d "
            f"WHERE d.{column(CreditDelegation, 'contract')} = %s "
            f"AND d.{column(CreditDelegation, 'status')} = %s ORDER BY 2, 3"
        )
    converters = []
    for model, name in _ALLOCATION_FIELDS:
        col = model._meta.get_field(name).get_col(model._meta.db_table)
        converters.append(
            (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return sql, converters


def _allocation_rows(contract: Contract, years, *, preparing: set | None = None) -> list[tuple]:
    """Return (id, line id, year, allocated, delegated, scheme, details, offset) for each
    allocation of ``contract``, by line and year; ``offset`` only for ``years``.

    With ``preparing`` (an empty set), add to it the years of the contract's delegations
    in preparation, read in the same statement."""
    connection = transaction.get_connection()
    with_preparing = preparing is not None
    key = (connection.vendor, len(years), with_preparing)
    compiled = _ALLOCATIONS_SQL.get(key)
    if compiled is None:
        compiled = _ALLOCATIONS_SQL[key] = _allocations_sql(connection, len(years), with_preparing)
    sql, converters = compiled
    params = [
        str(RecoveryMode.OFFSET),
        *sorted(years),
        str(DecisionStatus.APPROVED),
        contract.pk,
    ]
    if with_preparing:
        params += [contract.pk, str(DecisionStatus.PREPARED)]
    with prepared(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if with_preparing:
        preparing.update(row[2] for row in rows if row[0] is None)
        rows = [row for row in rows if row[0] is not None]
    converted = []
    for row in rows:
        values = []
        for value, (col, functions) in zip(row, converters, strict=True):
            for function in functions:
                value = function(value, col, connection)
            values.append(value)
        converted.append(tuple(values))
    return converted


def left_to_delegate(
    contract: Contract, years=None, *, today=None, preparing: set | None = None
) -> dict[int, tuple[int, Decimal]]:
    """Return, per allocation id, its year and what is left to delegate on it.

    Left = allocated − delegated − credits recovered by offset onto that year (DOMAIN.md
    §5: a recovery shows in the next delegation), never below zero. A delegation may be
    complementary: after an amendment raises a year already delegated, the difference is
    left to delegate. A PECH line follows its two instalments (``schemes.pech_due_amount``):
    what is left on the line is at most what is payable by ``today`` less what it already
    got, taken from its earliest years first.

    ``preparing`` (an empty set) receives the years of the contract's delegations in
    preparation, read in the same statement (``delegation_refusals``'s other question).
    """
    today = today or timezone.localdate()
    years = set(contract.years if years is None else years)
    if not years:
        if preparing is not None:
            preparing.update(_years_in_preparation(contract.pk))
        return {}
    allocations = _allocation_rows(contract, years, preparing=preparing)
    pech_room = _pech_room(allocations, today)
    left_by_allocation = {}
    for pk, line_id, year, allocated, delegated, _scheme, _details, offset in allocations:
        left = max(allocated - delegated - (offset or ZERO), ZERO)
        if line_id in pech_room:
            left = min(left, pech_room[line_id])
            pech_room[line_id] -= left
        if year in years:
            left_by_allocation[pk] = (year, left)
    return left_by_allocation


def _pech_room(allocations, today) -> dict[int, Decimal]:
    """Return, per PECH line, what its instalments due by ``today`` leave to delegate."""
    lines: dict[int, list] = {}
    for _pk, line_id, _year, allocated, delegated, scheme, details, _offset in allocations:
        if scheme == schemes.SchemeCode.PECH:
            totals = lines.setdefault(line_id, [ZERO, ZERO, details or {}])
            totals[0] += allocated
            totals[1] += delegated
    return {
        line_id: max(schemes.pech_due_amount(allocated, details, today) - delegated, ZERO)
        for line_id, (allocated, delegated, details) in lines.items()
    }


def proposed_delegation_amounts(contract: Contract, year: int, *, today=None) -> dict[int, Decimal]:
    """Return, per allocation id, what is left to delegate for ``year`` (PECH: by instalment)."""
    return {
        pk: left for pk, (_year, left) in left_to_delegate(contract, [year], today=today).items()
    }


def delegation_refusals(contract: Contract, *, left=None, preparing=None) -> dict[int, str]:
    """Return, per year of the contract, why it cannot get a delegation now (none: it can).

    A year may get a delegation when credits are left to delegate on it and no delegation
    of it is in preparation (the database holds one prepared delegation per contract and
    year, and delegated ≤ allocated on each allocation). ``left`` is
    ``left_to_delegate(contract)`` when the caller has it already, ``preparing`` the years
    in preparation it read with it.
    """
    left_by_year = dict.fromkeys(contract.years, ZERO)
    for year, amount in (left_to_delegate(contract) if left is None else left).values():
        left_by_year[year] += amount
    if preparing is None:
        preparing = _years_in_preparation(contract.pk)
    refusals = {}
    for year, left in left_by_year.items():
        if year in preparing:
            refusals[year] = _(
                "Une délégation %(year)s est déjà en préparation pour ce contrat."
            ) % {"year": year}
        elif left <= 0:
            refusals[year] = _("Rien à déléguer pour %(year)s.") % {"year": year}
    return refusals


_PREPARING_SQL: dict[str, str] = {}


def _years_in_preparation(contract_id: int) -> set[int]:
    """Return the years of the contract's delegations in preparation.

    In raw SQL, built once per vendor: every preparation asks it under the contract's
    lock, and the ORM's query building cost more than the statement (issue 17).
    """
    connection = transaction.get_connection()
    sql = _PREPARING_SQL.get(connection.vendor)
    if sql is None:
        meta = CreditDelegation._meta
        quote = connection.ops.quote_name
        column = {
            name: quote(meta.get_field(name).column) for name in ("year", "contract", "status")
        }
        sql = _PREPARING_SQL[connection.vendor] = (
            f"SELECT {column['year']} FROM {quote(meta.db_table)} "
            f"WHERE {column['contract']} = %s AND {column['status']} = %s"
        )
    with prepared(connection), connection.cursor() as cursor:
        cursor.execute(sql, [contract_id, str(DecisionStatus.PREPARED)])
        return {year for (year,) in cursor.fetchall()}


def delegation_refusal(contract: Contract, year: int, *, left=None, preparing=None) -> str | None:
    """Return why ``year`` cannot get a delegation now, or ``None`` if it can."""
    if year not in contract.years:
        return _("L'année %(year)s est hors de la période du contrat.") % {"year": year}
    return delegation_refusals(contract, left=left, preparing=preparing).get(year)


def delegable_years(contract: Contract) -> list[int]:
    """Return the years of ``contract`` that may get a delegation now."""
    refusals = delegation_refusals(contract)
    return [year for year in contract.years if year not in refusals]


# What is recoverable ---------------------------------------------------------------------


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

    ``already_recovered_amount`` (recovered or being recovered) is taken off the unused
    part first (DOMAIN.md §5), so the total is delegated − eligible consumption − already.
    """
    unused = max(delegated_amount - consumed_amount, ZERO)
    already = already_recovered_amount
    unused_left = max(unused - already, ZERO)
    already = max(already - unused, ZERO)
    non_compliant_left = max(non_compliant_amount - already, ZERO)
    return RecoveryFigures(round_cents(unused_left), round_cents(non_compliant_left))


def recoverable(allocation: YearlyAllocation, *, excluding: Recovery | None = None):
    """Return what may still be recovered on ``allocation``, as ``RecoveryFigures``.

    Recoverable = delegated − eligible consumption − recovered − *prepared*: a recovery
    waiting for approval already holds its credits. ``excluding`` leaves one prepared
    recovery out (the one being approved, which is checked against the rest).
    """
    statement = (
        ConsumptionStatement.objects.filter(allocation=allocation, status=DecisionStatus.APPROVED)
        .order_by("-pk")
        .first()
    )
    prepared = Recovery.objects.filter(allocation=allocation, status=DecisionStatus.PREPARED)
    if excluding is not None:
        prepared = prepared.exclude(pk=excluding.pk)
    prepared_amount = prepared.aggregate(total=Sum("amount"))["total"] or ZERO
    return compute_recovery(
        delegated_amount=allocation.delegated_amount,
        consumed_amount=allocation.consumed_amount,
        non_compliant_amount=statement.non_compliant_amount if statement else ZERO,
        already_recovered_amount=allocation.recovered_amount + prepared_amount,
    )


def preview_recovery(allocation: YearlyAllocation) -> RecoveryFigures:
    """Return what a recovery of ``allocation`` would take back now, without writing."""
    return recoverable(allocation)


def decided_recoverable(allocation: YearlyAllocation, *, excluding: Recovery | None = None):
    """Return what a decided repayment (a CAE breach) may still take back from ``allocation``.

    Its amount is not computed from a statement: it is decided elsewhere and counted as
    non-compliant spending, bounded by what the allocation had delegated less what was
    recovered and what prepared recoveries already hold (``excluding`` one of them, the one
    being approved).
    """
    prepared = Recovery.objects.filter(allocation=allocation, status=DecisionStatus.PREPARED)
    if excluding is not None:
        prepared = prepared.exclude(pk=excluding.pk)
    prepared_amount = prepared.aggregate(total=Sum("amount"))["total"] or ZERO
    return max(
        round_cents(allocation.delegated_amount - allocation.recovered_amount - prepared_amount),
        ZERO,
    )

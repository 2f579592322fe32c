"""Credit arithmetic, in one place: what is left to delegate, what is recoverable.

Pure reads and computations, no writes: the services, the flows' forms and the pages all
ask these functions, so the answer cannot drift between them.
"""

from dataclasses import dataclass
from decimal import Decimal

from .models import Contract, DecisionStatus, Recovery, RecoveryMode, YearlyAllocation
from .money import ZERO, round_cents


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


def preview_recovery(allocation: YearlyAllocation) -> RecoveryFigures:
    """Return what a recovery of ``allocation`` would take back now, without writing."""
    statement = allocation.statements.filter(status=DecisionStatus.APPROVED).order_by("-pk").first()
    return compute_recovery(
        delegated_amount=allocation.delegated_amount,
        consumed_amount=allocation.consumed_amount,
        non_compliant_amount=statement.non_compliant_amount if statement else ZERO,
        already_recovered_amount=allocation.recovered_amount,
    )

"""Reads across relations, always filtered in SQL to what the user may see.

Money figures
-------------
Every figure is summed from ``YearlyAllocation`` rows, so the figures of a contract are
exactly the sum of those of its axes, lines, years or schemes:

- ``allocated``: the amount planned in the contract for the line and year;
- ``delegated``: what approved credit delegations gave (≤ allocated);
- ``consumed``: what checked consumption statements declared spent (≤ delegated);
- ``recovered``: what approved recoveries took back, unused or non-compliant (≤ delegated);
- ``to_delegate`` = allocated − delegated: still to be delegated;
- ``settled`` = min(delegated, consumed + recovered), per line and year: delegated money
  that is either spent or taken back. Non-compliant spending is both consumed and
  recovered; the minimum counts it once;
- ``remaining`` = allocated − settled: money of the contract neither spent nor taken back
  (still to delegate, or delegated and not yet spent).

``settled`` is computed per line and year before summing, never on totals, so that the
figures add up at every level.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Least
from django.utils.translation import gettext as _

from territories.access import has_national_scope, visible_hospital_group_ids
from territories.models import Establishment

from . import schemes
from .models import (
    Contract,
    ContractDocument,
    EvidenceDocument,
    FundingLine,
    Milestone,
    StrategicAxis,
    YearlyAllocation,
)
from .money import ZERO, format_euros, money_sum, round_cents


def visible_contracts(user) -> QuerySet[Contract]:
    """Return the contracts of the GHTs ``user`` may see (by their ids: see ``access``)."""
    if not user.is_authenticated or not user.is_active:
        return Contract.objects.none()
    if has_national_scope(user):
        return Contract.objects.all()
    return Contract.objects.filter(hospital_group_id__in=sorted(visible_hospital_group_ids(user)))


# Money figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyFigures:
    """The money of a set of yearly allocations (see the module docstring)."""

    allocated: Decimal = ZERO
    delegated: Decimal = ZERO
    consumed: Decimal = ZERO
    recovered: Decimal = ZERO
    settled: Decimal = ZERO

    @property
    def to_delegate(self) -> Decimal:
        return self.allocated - self.delegated

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.settled

    def __add__(self, other: "MoneyFigures") -> "MoneyFigures":
        return MoneyFigures(
            allocated=self.allocated + other.allocated,
            delegated=self.delegated + other.delegated,
            consumed=self.consumed + other.consumed,
            recovered=self.recovered + other.recovered,
            settled=self.settled + other.settled,
        )

    @classmethod
    def of_allocation(
        cls, *, allocated: Decimal, delegated: Decimal, consumed: Decimal, recovered: Decimal
    ) -> "MoneyFigures":
        """Return the figures of one yearly allocation."""
        return cls(
            allocated=allocated,
            delegated=delegated,
            consumed=consumed,
            recovered=recovered,
            settled=min(delegated, consumed + recovered),
        )

    @classmethod
    def total(cls, figures: Iterable["MoneyFigures"]) -> "MoneyFigures":
        return sum(figures, cls())


@dataclass(frozen=True)
class ContractFigures:
    """A contract's money at every level; each breakdown adds up to ``total``."""

    total: MoneyFigures
    by_axis: dict[int, MoneyFigures]  # axis id
    by_line: dict[int, MoneyFigures]  # funding line id
    by_year: dict[int, MoneyFigures]
    by_scheme: dict[str, MoneyFigures]
    by_line_and_year: dict[tuple[int, int], MoneyFigures]

    def axis(self, axis_id: int) -> MoneyFigures:
        return self.by_axis.get(axis_id, MoneyFigures())

    def line(self, line_id: int) -> MoneyFigures:
        return self.by_line.get(line_id, MoneyFigures())

    def line_year(self, line_id: int, year: int) -> MoneyFigures | None:
        return self.by_line_and_year.get((line_id, year))


def contract_figures(contract: Contract) -> ContractFigures:
    """Return the money of ``contract`` per axis, line, year and scheme, in one query."""
    rows = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).values_list(
        "funding_line_id",
        "funding_line__axis_id",
        "funding_line__scheme",
        "year",
        "allocated_amount",
        "delegated_amount",
        "consumed_amount",
        "recovered_amount",
    )
    by_axis: dict[int, MoneyFigures] = defaultdict(MoneyFigures)
    by_line: dict[int, MoneyFigures] = defaultdict(MoneyFigures)
    by_year: dict[int, MoneyFigures] = defaultdict(MoneyFigures)
    by_scheme: dict[str, MoneyFigures] = defaultdict(MoneyFigures)
    by_line_and_year: dict[tuple[int, int], MoneyFigures] = {}
    total = MoneyFigures()
    for line_id, axis_id, scheme, year, allocated, delegated, consumed, recovered in rows:
        figures = MoneyFigures.of_allocation(
            allocated=allocated, delegated=delegated, consumed=consumed, recovered=recovered
        )
        by_line_and_year[(line_id, year)] = figures
        by_axis[axis_id] += figures
        by_line[line_id] += figures
        by_year[year] += figures
        by_scheme[scheme] += figures
        total += figures
    return ContractFigures(
        total=total,
        by_axis=dict(by_axis),
        by_line=dict(by_line),
        by_year=dict(sorted(by_year.items())),
        by_scheme=dict(sorted(by_scheme.items())),
        by_line_and_year=by_line_and_year,
    )


def money_by_contract(allocations: QuerySet[YearlyAllocation]) -> dict[int, MoneyFigures]:
    """Return the money of ``allocations`` summed per contract, in one grouped query."""
    rows = (
        allocations.values("funding_line__axis__contract_id")
        .annotate(
            allocated=money_sum("allocated_amount"),
            delegated=money_sum("delegated_amount"),
            consumed=money_sum("consumed_amount"),
            recovered=money_sum("recovered_amount"),
            settled=money_sum(
                Least(F("delegated_amount"), F("consumed_amount") + F("recovered_amount"))
            ),
        )
        .order_by()
    )
    return {
        row["funding_line__axis__contract_id"]: MoneyFigures(
            allocated=round_cents(row["allocated"]),
            delegated=round_cents(row["delegated"]),
            consumed=round_cents(row["consumed"]),
            recovered=round_cents(row["recovered"]),
            settled=round_cents(row["settled"]),
        )
        for row in rows
    }


def figures_by_contract(contract_ids: Iterable[int]) -> dict[int, MoneyFigures]:
    """Return the total money of each contract of ``contract_ids``, in one grouped query."""
    return money_by_contract(
        YearlyAllocation.objects.filter(funding_line__axis__contract_id__in=list(contract_ids))
    )


# Contract pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractListItem:
    contract: Contract
    figures: MoneyFigures


def contract_list_items(contracts: Iterable[Contract]) -> list[ContractListItem]:
    """Return ``contracts`` each with its money figures (one query for all of them)."""
    contracts = list(contracts)
    figures = figures_by_contract(contract.pk for contract in contracts)
    return [
        ContractListItem(contract=contract, figures=figures.get(contract.pk, MoneyFigures()))
        for contract in contracts
    ]


@dataclass(frozen=True)
class YearCell:
    year: int
    figures: MoneyFigures | None  # None: no allocation for that year


@dataclass(frozen=True)
class LineOverview:
    line: FundingLine
    figures: MoneyFigures
    years: list[YearCell]


@dataclass(frozen=True)
class MilestoneOverview:
    milestone: Milestone
    is_late: bool


@dataclass(frozen=True)
class AxisOverview:
    axis: StrategicAxis
    figures: MoneyFigures
    lines: list[LineOverview] = field(default_factory=list)
    milestones: list[MilestoneOverview] = field(default_factory=list)


@dataclass(frozen=True)
class ContractOverview:
    contract: Contract
    years: list[int]
    figures: ContractFigures
    axes: list[AxisOverview]

    @property
    def year_totals(self) -> list[YearCell]:
        return [YearCell(year, self.figures.by_year.get(year)) for year in self.years]


def contract_overview(contract: Contract, *, today: datetime.date) -> ContractOverview:
    """Return the contract's axes, lines, milestones and money, in a constant number of queries.

    ``today`` decides which milestones are late.
    """
    figures = contract_figures(contract)
    axes = list(StrategicAxis.objects.filter(contract=contract).order_by("number"))
    lines = FundingLine.objects.filter(axis__contract=contract).select_related("beneficiary")
    milestones = Milestone.objects.filter(axis__contract=contract).order_by("due_date", "pk")
    allocation_years = {year for _, year in figures.by_line_and_year}
    years = sorted(set(contract.years) | allocation_years)
    lines_by_axis: dict[int, list[LineOverview]] = defaultdict(list)
    for line in lines.order_by("code"):
        lines_by_axis[line.axis_id].append(
            LineOverview(
                line=line,
                figures=figures.line(line.pk),
                years=[YearCell(year, figures.line_year(line.pk, year)) for year in years],
            )
        )
    milestones_by_axis: dict[int, list[MilestoneOverview]] = defaultdict(list)
    for milestone in milestones:
        milestones_by_axis[milestone.axis_id].append(
            MilestoneOverview(milestone=milestone, is_late=milestone.is_late(today))
        )
    return ContractOverview(
        contract=contract,
        years=years,
        figures=figures,
        axes=[
            AxisOverview(
                axis=axis,
                figures=figures.axis(axis.pk),
                lines=lines_by_axis[axis.pk],
                milestones=milestones_by_axis[axis.pk],
            )
            for axis in axes
        ],
    )


def eligible_beneficiaries(contract: Contract) -> QuerySet[Establishment]:
    """Return the establishments of the contract's GHT, members or partners, and the carrier.

    Includes the sites of member legal entities.
    """
    hospital_group = contract.hospital_group_id
    return (
        Establishment.objects.filter(
            Q(memberships__hospital_group=hospital_group)
            | Q(legal_entity__memberships__hospital_group=hospital_group)
            | Q(pk=contract.carrier_establishment_id)
        )
        .distinct()
        .order_by("name", "pk")
    )


# Snapshot --------------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def contract_snapshot(contract: Contract) -> dict:
    """Return the contract's axes, lines, yearly allocations and milestones as plain JSON.

    Amounts and dates are strings (``"12000.50"``, ``"2026-03-31"``), keys are sorted by
    axis number, line code and year, so two snapshots compare field by field.
    """
    axes = list(StrategicAxis.objects.filter(contract=contract).order_by("number"))
    lines = list(
        FundingLine.objects.filter(axis__contract=contract)
        .select_related("beneficiary")
        .order_by("code", "pk")
    )
    allocations = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).order_by(
        "year"
    )
    milestones = Milestone.objects.filter(axis__contract=contract).order_by("due_date", "pk")
    allocations_by_line: dict[int, dict[str, dict]] = defaultdict(dict)
    for allocation in allocations:
        allocations_by_line[allocation.funding_line_id][str(allocation.year)] = {
            "allocated": _text(allocation.allocated_amount),
            "delegated": _text(allocation.delegated_amount),
            "consumed": _text(allocation.consumed_amount),
            "recovered": _text(allocation.recovered_amount),
        }
    lines_by_axis: dict[int, list[dict]] = defaultdict(list)
    for line in lines:
        lines_by_axis[line.axis_id].append(
            {
                "id": line.pk,
                "code": line.code,
                "scheme": line.scheme,
                "label": line.label,
                "beneficiary": {
                    "id": line.beneficiary_id,
                    "finess": line.beneficiary.finess,
                    "name": line.beneficiary.name,
                },
                "details": line.details,
                "consumption_deadline_date": _text(line.consumption_deadline_date),
                "allocations": allocations_by_line[line.pk],
            }
        )
    milestones_by_axis: dict[int, list[dict]] = defaultdict(list)
    for milestone in milestones:
        milestones_by_axis[milestone.axis_id].append(
            {
                "id": milestone.pk,
                "title": milestone.title,
                "due_date": _text(milestone.due_date),
                "indicator_label": milestone.indicator_label,
                "indicator_unit": milestone.indicator_unit,
                "baseline_value": _text(milestone.baseline_value),
                "target_value": _text(milestone.target_value),
                "actual_value": _text(milestone.actual_value),
                "status": milestone.status,
            }
        )
    return {
        "reference": contract.reference,
        "title": contract.title,
        "version": contract.version,
        "status": contract.status,
        "start_date": _text(contract.start_date),
        "end_date": _text(contract.end_date),
        "envelope_amount": _text(contract.envelope_amount),
        "axes": [
            {
                "number": axis.number,
                "title": axis.title,
                "description": axis.description,
                "lines": lines_by_axis[axis.pk],
                "milestones": milestones_by_axis[axis.pk],
            }
            for axis in axes
        ],
    }


@dataclass(frozen=True)
class ContractDocuments:
    signed: list
    evidence: list


def contract_documents(contract: Contract) -> ContractDocuments:
    """Return the contract's stored documents and milestone evidence, in two queries."""
    return ContractDocuments(
        signed=list(ContractDocument.objects.filter(contract=contract).order_by("uploaded_at")),
        evidence=list(
            EvidenceDocument.objects.filter(milestone__axis__contract=contract)
            .select_related("milestone")
            .order_by("milestone__due_date", "uploaded_at")
        ),
    )


@dataclass(frozen=True)
class SubmissionBlocker:
    """One thing missing from a draft before it can be submitted, in the user's words."""

    message: str


def submission_blockers(contract: Contract) -> list[SubmissionBlocker]:
    """Return what stops ``contract`` from being submitted; an empty list means ready.

    The one place that says so: the draft page lists it and ``submit_contract`` refuses
    while it is not empty.
    """
    axes = list(contract.axes.order_by("number"))
    if not axes:
        return [SubmissionBlocker(_("Le contrat n'a aucun axe stratégique."))]
    lines = list(
        FundingLine.objects.filter(axis__contract=contract)
        .select_related("axis")
        .order_by("axis__number", "code")
    )
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, amount in YearlyAllocation.objects.filter(
        funding_line__axis__contract=contract
    ).values_list("funding_line_id", "allocated_amount"):
        amounts[line_id] += amount
    blockers = []
    axes_with_lines = {line.axis_id for line in lines}
    for axis in axes:
        if axis.pk not in axes_with_lines:
            blockers.append(
                SubmissionBlocker(
                    _("L'axe %(number)s « %(title)s » n'a aucune ligne de financement.")
                    % {"number": axis.number, "title": axis.title}
                )
            )
    for line in lines:
        if amounts[line.pk] <= ZERO:
            blockers.append(
                SubmissionBlocker(
                    _("La ligne %(code)s (axe %(axis)s) n'a aucun montant annuel.")
                    % {"code": line.code, "axis": line.axis.number}
                )
            )
        for message in schemes.missing_details(line.scheme, line.details or {}):
            blockers.append(SubmissionBlocker(f"{line.code} : {message}"))
    total = sum(amounts.values(), ZERO)
    if total != contract.envelope_amount:
        blockers.append(
            SubmissionBlocker(
                _(
                    "Le total des lignes (%(total)s) diffère de l'enveloppe du contrat "
                    "(%(envelope)s)."
                )
                % {"total": format_euros(total), "envelope": format_euros(contract.envelope_amount)}
            )
        )
    if not Milestone.objects.filter(axis__contract=contract).exists():
        blockers.append(SubmissionBlocker(_("Le contrat n'a aucun jalon.")))
    return blockers

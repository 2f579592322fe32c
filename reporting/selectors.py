"""Reads of the progress pages: contract progress, regional overview, deadline calendar.

Every read is filtered in SQL to the user's scope (``visible_contracts``, ``scoped_tasks``)
and costs a constant number of queries whatever the number of contracts, axes, lines or
milestones: rows are fetched in bulk, then grouped in Python.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least, NullIf
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts.models import (
    Contract,
    ContractStatus,
    FundingLine,
    Milestone,
    MilestoneStatus,
    YearlyAllocation,
)
from contracts.money import ZERO, money_sum
from contracts.schemes import SchemeCode
from contracts.selectors import (
    ContractOverview,
    MoneyFigures,
    YearCell,
    contract_overview,
    money_by_contract,
    visible_contracts,
)
from territories.access import has_national_scope, visible_region_ids
from workflows.selectors import open_processes_in_scope, scoped_tasks

HUNDRED = Decimal(100)
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


def has_regional_view(user) -> bool:
    """Return whether ``user`` sees whole regions (ARS staff, auditors), not one GHT."""
    if not user.is_authenticated or not user.is_active:
        return False
    return has_national_scope(user) or bool(visible_region_ids(user))


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    """Return ``part`` as a percentage of ``whole`` to one decimal, ``None`` if ``whole`` is 0."""
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Milestones -------------------------------------------------------------------------------


class MilestoneState:
    DONE = "DONE"
    SUBMITTED = "SUBMITTED"
    LATE = "LATE"
    DUE = "DUE"

    LABELS = {
        DONE: _("validé"),
        SUBMITTED: _("déclaré, à valider"),
        LATE: _("en retard"),
        DUE: _("à venir"),
    }


def milestone_state(milestone: Milestone, *, today: datetime.date) -> str:
    """Return whether ``milestone`` is done, submitted, late or still due on ``today``."""
    if milestone.status == MilestoneStatus.VALIDATED:
        return MilestoneState.DONE
    if milestone.is_late(today):
        return MilestoneState.LATE
    if milestone.status == MilestoneStatus.SUBMITTED:
        return MilestoneState.SUBMITTED
    return MilestoneState.DUE


def indicator_percent(milestone: Milestone) -> Decimal | None:
    """Return how far the indicator went from its baseline to its target, in percent.

    ``None`` while nothing is reported; a target equal to the baseline is reached or not.
    """
    if milestone.actual_value is None:
        return None
    span = milestone.target_value - milestone.baseline_value
    if span == 0:
        return HUNDRED if milestone.actual_value >= milestone.target_value else ZERO
    return ((milestone.actual_value - milestone.baseline_value) * HUNDRED / span).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class MilestoneProgress:
    milestone: Milestone
    state: str
    percent: Decimal | None

    @property
    def state_label(self) -> str:
        return str(MilestoneState.LABELS[self.state])


# Pending decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingDecision:
    task: Task
    contract_id: int
    title: str
    process_title: str
    created_date: datetime.date


def process_label(task: Task) -> str:
    """Return the French name of the task's flow, e.g. « Validation d'un contrat »."""
    return flow_label(task.flow_task.flow_class)


def flow_label(flow_class) -> str:
    """Return the French name of ``flow_class``'s processes, e.g. « Validation d'un contrat »."""
    return capfirst(str(flow_class.process_class._meta.verbose_name))


def open_tasks(user, contract_ids) -> QuerySet[Task]:
    """Return the open human tasks of the processes of ``contract_ids`` in ``user``'s scope.

    Read from the open processes of the user's GHTs (a partial index) about those
    contracts, then their tasks by process: not every open task of the country.
    """
    processes = open_processes_in_scope(user).filter(contract_id__in=contract_ids)
    return Task.objects.filter(process_id__in=processes, status__in=OPEN_TASK_STATUSES)


def pending_decisions(user, contract_ids) -> list[PendingDecision]:
    """Return the open tasks of the contracts, oldest first, in one query."""
    tasks = (
        open_tasks(user, contract_ids)
        .select_related("process__contractprocess")
        .order_by("created", "pk")
    )
    return [
        PendingDecision(
            task=task,
            contract_id=task.process.contractprocess.contract_id,
            title=str(task.flow_task.task_title),
            process_title=process_label(task),
            created_date=timezone.localtime(task.created).date(),
        )
        for task in tasks
    ]


# Contract progress --------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeFigures:
    scheme: str
    label: str
    figures: MoneyFigures


@dataclass(frozen=True)
class AxisProgress:
    axis: object
    figures: MoneyFigures
    years: list[YearCell]
    schemes: list[SchemeFigures]
    milestones: list[MilestoneProgress]

    def count(self, state: str) -> int:
        return sum(1 for entry in self.milestones if entry.state == state)

    @property
    def done_count(self) -> int:
        return self.count(MilestoneState.DONE)

    @property
    def late_count(self) -> int:
        return self.count(MilestoneState.LATE)

    @property
    def due_count(self) -> int:
        return self.count(MilestoneState.DUE) + self.count(MilestoneState.SUBMITTED)


@dataclass(frozen=True)
class ContractProgress:
    contract: Contract
    today: datetime.date
    overview: ContractOverview
    axes: list[AxisProgress]
    schemes: list[SchemeFigures]
    pending: list[PendingDecision] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return self.overview.years

    @property
    def total(self) -> MoneyFigures:
        return self.overview.figures.total

    @property
    def year_totals(self) -> list[YearCell]:
        return self.overview.year_totals

    @property
    def consumed_of_delegated(self) -> Decimal | None:
        return rate(self.total.consumed, self.total.delegated)

    @property
    def consumed_of_allocated(self) -> Decimal | None:
        return rate(self.total.consumed, self.total.allocated)

    @property
    def late_count(self) -> int:
        return sum(axis.late_count for axis in self.axes)


def _scheme_list(figures: dict[str, MoneyFigures]) -> list[SchemeFigures]:
    labels = dict(SchemeCode.choices)
    return [
        SchemeFigures(scheme, labels.get(scheme, scheme), money)
        for scheme, money in sorted(figures.items())
    ]


def contract_progress(contract: Contract, *, user, today: datetime.date) -> ContractProgress:
    """Return the contract's progress per axis: milestones, money per year and per scheme.

    Five queries: the money, the axes, the lines, the milestones, the open tasks.
    """
    overview = contract_overview(contract, today=today)
    axes = []
    all_schemes: dict[str, MoneyFigures] = defaultdict(MoneyFigures)
    for item in overview.axes:
        years: dict[int, MoneyFigures] = {}
        schemes: dict[str, MoneyFigures] = defaultdict(MoneyFigures)
        for row in item.lines:
            for cell in row.years:
                if cell.figures is not None:
                    years[cell.year] = years.get(cell.year, MoneyFigures()) + cell.figures
            schemes[row.line.scheme] += row.figures
            all_schemes[row.line.scheme] += row.figures
        axes.append(
            AxisProgress(
                axis=item.axis,
                figures=item.figures,
                years=[YearCell(year, years.get(year)) for year in overview.years],
                schemes=_scheme_list(schemes),
                milestones=[
                    MilestoneProgress(
                        milestone=entry.milestone,
                        state=milestone_state(entry.milestone, today=today),
                        percent=indicator_percent(entry.milestone),
                    )
                    for entry in item.milestones
                ],
            )
        )
    return ContractProgress(
        contract=contract,
        today=today,
        overview=overview,
        axes=axes,
        schemes=_scheme_list(all_schemes),
        pending=pending_decisions(user, [contract.pk]),
    )


# Regional overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewFilters:
    hospital_group_id: int | None = None
    scheme: str | None = None
    axis_number: int | None = None
    year: int | None = None

    @property
    def restricts_money(self) -> bool:
        return bool(self.scheme or self.axis_number or self.year)


@dataclass(frozen=True)
class OverviewRow:
    contract: Contract
    figures: MoneyFigures
    late_count: int
    pending_count: int

    @property
    def consumed_of_delegated(self) -> Decimal | None:
        return rate(self.figures.consumed, self.figures.delegated)

    @property
    def consumed_of_allocated(self) -> Decimal | None:
        return rate(self.figures.consumed, self.figures.allocated)


SORT_KEYS = ("reference", "ght", "delegated_rate", "allocated_rate", "late", "pending")
DEFAULT_SORT = "reference"


def _allocation_filter(filters: OverviewFilters) -> Q:
    condition = Q()
    if filters.scheme:
        condition &= Q(funding_line__scheme=filters.scheme)
    if filters.axis_number:
        condition &= Q(funding_line__axis__number=filters.axis_number)
    if filters.year:
        condition &= Q(year=filters.year)
    return condition


def _late_milestones(filters: OverviewFilters, today: datetime.date) -> QuerySet[Milestone]:
    late = Milestone.objects.late(today)
    if filters.axis_number:
        late = late.filter(axis__number=filters.axis_number)
    if filters.year:
        late = late.filter(due_date__year=filters.year)
    return late


def _per_contract(queryset: QuerySet, contract_path: str, total) -> Subquery:
    """Return ``total`` over the rows of ``queryset`` about the outer contract, as a subquery."""
    return Subquery(
        queryset.filter(**{contract_path: OuterRef("pk")})
        .order_by()
        .values(contract_path)
        .annotate(total=total)
        .values("total")
    )


def _sort_expression(user, sort_key: str, filters: OverviewFilters, today: datetime.date):
    """Return the SQL value a sort key orders by (``None``: a plain column)."""
    allocations = YearlyAllocation.objects.filter(_allocation_filter(filters))
    contract_path = "funding_line__axis__contract_id"
    if sort_key in ("delegated_rate", "allocated_rate"):
        whole = "delegated_amount" if sort_key == "delegated_rate" else "allocated_amount"
        consumed = _per_contract(allocations, contract_path, Sum("consumed_amount"))
        total = _per_contract(allocations, contract_path, Sum(whole))
        # Unknown (nothing delegated or allocated) is NULL: last whatever the direction.
        return consumed * Value(Decimal("1.0")) / NullIf(total, Value(ZERO))
    if sort_key == "late":
        return Coalesce(
            _per_contract(_late_milestones(filters, today), "axis__contract_id", Count("pk")),
            0,
        )
    if sort_key == "pending":
        tasks = scoped_tasks(user, Task.objects.filter(status__in=OPEN_TASK_STATUSES))
        return Coalesce(
            _per_contract(tasks, "process__contractprocess__contract_id", Count("pk")), 0
        )
    return None


def overview_contracts(
    user, *, filters: OverviewFilters, sort: str = DEFAULT_SORT, today: datetime.date
) -> QuerySet[Contract]:
    """Return the contracts in scope that match ``filters``, sorted in SQL by ``sort``.

    ``sort`` is a key of ``SORT_KEYS``, ``-`` first for descending; unknown rates go
    last. Sorted and paginated by the database: a national auditor's overview is 2,000
    contracts, of which a page is read.
    """
    contracts = visible_contracts(user).select_related("hospital_group")
    if filters.hospital_group_id:
        contracts = contracts.filter(hospital_group_id=filters.hospital_group_id)
    if filters.restricts_money:
        allocations = YearlyAllocation.objects.filter(_allocation_filter(filters))
        contracts = contracts.filter(pk__in=allocations.values("funding_line__axis__contract_id"))
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    if sort_key not in SORT_KEYS:
        sort_key, descending = DEFAULT_SORT, False
    if sort_key == "reference":
        key = F("reference")
    elif sort_key == "ght":
        key = F("hospital_group__name")
    else:
        contracts = contracts.annotate(sort_value=_sort_expression(user, sort_key, filters, today))
        key = F("sort_value")
    reference = F("reference")
    if descending:
        return contracts.order_by(key.desc(nulls_last=True), reference.desc())
    return contracts.order_by(key.asc(nulls_last=True), reference.asc())


def overview_rows_of(
    user, contracts: Iterable[Contract], *, today: datetime.date, filters: OverviewFilters
) -> list[OverviewRow]:
    """Return the rows of ``contracts`` (in their order): figures, late milestones, open tasks.

    Three queries whatever the number of contracts.
    """
    contracts = list(contracts)
    ids = [contract.pk for contract in contracts]
    allocations = YearlyAllocation.objects.filter(_allocation_filter(filters))
    money = money_by_contract(allocations.filter(funding_line__axis__contract_id__in=ids))
    late_counts = dict(
        _late_milestones(filters, today)
        .filter(axis__contract_id__in=ids)
        .values("axis__contract_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("axis__contract_id", "count")
    )
    pending_counts = dict(
        open_tasks(user, ids)
        .values("process__contractprocess__contract_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("process__contractprocess__contract_id", "count")
    )
    return [
        OverviewRow(
            contract=contract,
            figures=money.get(contract.pk, MoneyFigures()),
            late_count=late_counts.get(contract.pk, 0),
            pending_count=pending_counts.get(contract.pk, 0),
        )
        for contract in contracts
    ]


def overview_rows(
    user, *, today: datetime.date, filters: OverviewFilters, sort: str = DEFAULT_SORT
) -> list[OverviewRow]:
    """Return every contract in scope with its figures, late milestones and open tasks.

    Filters on scheme, axis number or year restrict the money and the late milestones to
    those lines, axes or years, and keep only the contracts that have some. Four queries
    (the region export); the overview page reads one page of ``overview_contracts``.
    """
    contracts = overview_contracts(user, filters=filters, sort=sort, today=today)
    return overview_rows_of(user, contracts, today=today, filters=filters)


# Deadline calendar ----------------------------------------------------------------------------


class DeadlineKind:
    MILESTONE = "MILESTONE"
    CONSUMPTION = "CONSUMPTION"
    CONTRACT_END = "CONTRACT_END"
    DECISION = "DECISION"

    LABELS = {
        MILESTONE: _("Échéance de jalon"),
        CONSUMPTION: _("Date limite de consommation"),
        CONTRACT_END: _("Fin du contrat"),
        DECISION: _("Décision en attente depuis"),
    }


@dataclass(frozen=True)
class Deadline:
    day: datetime.date
    kind: str
    uid: str
    contract_id: int
    contract_reference: str
    title: str
    detail: str
    is_late: bool

    @property
    def kind_label(self) -> str:
        return _kind_label(self.kind, translation.get_language())


@functools.lru_cache(maxsize=64)
def _kind_label(kind: str, language: str | None) -> str:
    """Translate a kind once per language: a calendar has thousands of entries."""
    with translation.override(language):
        return str(DeadlineKind.LABELS[kind])


# The national calendar (the auditor's, the whole country) shows this many days on either
# side of today: the country holds tens of thousands of deadlines.
NATIONAL_CALENDAR_DAYS = 92


def calendar_window(user, *, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """Return the days the calendar of ``user`` covers: bounded for a national scope only."""
    if not has_national_scope(user):
        return None
    span = datetime.timedelta(days=NATIONAL_CALENDAR_DAYS)
    return today - span, today + span


def deadlines(user, *, today: datetime.date, window=None) -> list[Deadline]:
    """Return every open contractual deadline in ``user``'s scope: late first, then upcoming.

    Open means: a milestone not yet validated; a consumption deadline of a line whose
    delegated credits are not all consumed or recovered; the end of a contract not closed;
    a decision waiting in a workflow task (dated by the task's creation). Four queries,
    each filtered by the scope's contracts first, then by ``window`` (first and last day
    included) when given.
    """
    contracts = visible_contracts(user)
    within = (lambda field: {f"{field}__range": window}) if window else (lambda field: {})
    entries: list[Deadline] = []
    # Plain tuples rather than model instances: a region holds thousands of milestones.
    milestone_detail = str(_("Axe %(number)s – %(indicator)s"))
    milestones = (
        Milestone.objects.filter(axis__contract__in=contracts, **within("due_date"))
        .unvalidated()
        .with_lateness(today)
        .values_list(
            "pk",
            "title",
            "due_date",
            "indicator_label",
            "axis__number",
            "axis__contract_id",
            "axis__contract__reference",
            "late",
        )
    )
    for pk, title, due_date, indicator, number, contract_id, reference, late in milestones:
        entries.append(
            Deadline(
                day=due_date,
                kind=DeadlineKind.MILESTONE,
                uid=f"milestone-{pk}",
                contract_id=contract_id,
                contract_reference=reference,
                title=title,
                detail=milestone_detail % {"number": number, "indicator": indicator},
                is_late=late,
            )
        )
    consumption_detail = str(_("Crédits délégués non soldés"))
    lines = (
        FundingLine.objects.filter(
            axis__contract__in=contracts,
            consumption_deadline_date__isnull=False,
            **within("consumption_deadline_date"),
        )
        .annotate(
            unsettled=money_sum("allocations__delegated_amount")
            - money_sum(
                Least(
                    F("allocations__delegated_amount"),
                    F("allocations__consumed_amount") + F("allocations__recovered_amount"),
                )
            )
        )
        .values_list(
            "pk",
            "code",
            "label",
            "consumption_deadline_date",
            "unsettled",
            "axis__contract_id",
            "axis__contract__reference",
        )
    )
    for pk, code, label, deadline_date, unsettled, contract_id, reference in lines:
        if deadline_date < today and unsettled <= 0:
            continue
        entries.append(
            Deadline(
                day=deadline_date,
                kind=DeadlineKind.CONSUMPTION,
                uid=f"consumption-{pk}",
                contract_id=contract_id,
                contract_reference=reference,
                title=f"{code} – {label}",
                detail=consumption_detail,
                is_late=deadline_date < today,
            )
        )
    end_detail = str(_("Date de fin du contrat (incluse)"))
    ends = (
        contracts.filter(**within("end_date"))
        .exclude(status=ContractStatus.CLOSED)
        .values_list("pk", "reference", "title", "end_date")
    )
    for pk, reference, title, end_date in ends:
        entries.append(
            Deadline(
                day=end_date,
                kind=DeadlineKind.CONTRACT_END,
                uid=f"contract-end-{pk}",
                contract_id=pk,
                contract_reference=reference,
                title=title,
                detail=end_detail,
                is_late=end_date < today,
            )
        )
    # Plain tuples here too: a region has hundreds of open tasks, each a task, a process,
    # a contract process and a contract as model instances.
    tasks = (
        open_tasks(user, contracts.values("pk"))
        .filter(**within("created__date"))
        .order_by("created", "pk")
        .values_list(
            "pk",
            "flow_task",
            "created",
            "process__contractprocess__contract_id",
            "process__contractprocess__contract__reference",
        )
    )
    titles, labels = {}, {}
    for pk, node, created, contract_id, reference in tasks:
        if node not in titles:
            titles[node] = str(node.task_title)
            labels[node] = flow_label(node.flow_class)
        created_date = timezone.localtime(created).date()
        entries.append(
            Deadline(
                day=created_date,
                kind=DeadlineKind.DECISION,
                uid=f"task-{pk}",
                contract_id=contract_id,
                contract_reference=reference,
                title=titles[node],
                detail=labels[node],
                is_late=created_date < today,
            )
        )
    return sort_deadlines(entries)


def sort_deadlines(entries: Iterable[Deadline]) -> list[Deadline]:
    """Return late deadlines first (oldest first), then upcoming ones (soonest first)."""
    return sorted(entries, key=lambda entry: (not entry.is_late, entry.day, entry.uid))

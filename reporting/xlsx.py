"""Progress figures as XLSX workbooks: one contract, or a whole region.

Amounts are written as numbers (a number cell is never read as a formula); every text
cell goes through ``neutralise_cell`` so that no spreadsheet runs it as a formula.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from audit.spreadsheet import neutralise_cell
from contracts.models import Milestone, YearlyAllocation
from contracts.selectors import MoneyFigures

from .selectors import (
    ContractProgress,
    MilestoneState,
    OverviewFilters,
    indicator_percent,
    milestone_state,
    overview_rows,
)

EUROS_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = '0.0\\ "%"'
MONEY_HEADERS = ["Alloué (€)", "Délégué (€)", "Consommé (€)", "Repris (€)", "Reste disponible (€)"]
MILESTONE_HEADERS = [
    "Intitulé",
    "Échéance",
    "Indicateur",
    "Unité",
    "Référence",
    "Cible",
    "Atteint",
    "Avancement (%)",
    "État",
]


def _cell(value):
    if isinstance(value, Decimal | int | float | datetime.date) or value is None:
        return value
    return neutralise_cell(str(value))


def _money(figures: MoneyFigures | None) -> list:
    if figures is None:
        return [None] * len(MONEY_HEADERS)
    return [
        figures.allocated,
        figures.delegated,
        figures.consumed,
        figures.recovered,
        figures.remaining,
    ]


class _Sheet:
    """A worksheet written row by row, headers bold, money and percent columns formatted."""

    def __init__(self, workbook: Workbook, title: str, headers: list[str], *, first=False):
        self.sheet = workbook.active if first else workbook.create_sheet()
        self.sheet.title = title
        self.headers = headers
        self.sheet.append([_cell(header) for header in headers])
        for cell in self.sheet[1]:
            cell.font = Font(bold=True)
        self.sheet.freeze_panes = "A2"

    def append(self, values: list) -> None:
        self.sheet.append([_cell(value) for value in values])
        row = self.sheet.max_row
        for column, header in enumerate(self.headers, start=1):
            cell = self.sheet.cell(row=row, column=column)
            if "(€)" in header:
                cell.number_format = EUROS_FORMAT
            elif "(%)" in header:
                cell.number_format = PERCENT_FORMAT
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"

    def widen(self, width: int = 18) -> None:
        for column in self.sheet.columns:
            self.sheet.column_dimensions[column[0].column_letter].width = width


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _milestone_row(milestone: Milestone, state: str, percent) -> list:
    return [
        milestone.title,
        milestone.due_date,
        milestone.indicator_label,
        milestone.indicator_unit,
        milestone.baseline_value,
        milestone.target_value,
        milestone.actual_value,
        percent,
        str(MilestoneState.LABELS[state]),
    ]


def contract_workbook(progress: ContractProgress) -> bytes:
    """Return the contract's progress as an XLSX file: summary, axes × years, schemes, milestones."""
    contract = progress.contract
    workbook = Workbook()
    summary = _Sheet(workbook, "Synthèse", ["Rubrique", "Valeur"], first=True)
    for label, value in [
        ("Référence", contract.reference),
        ("Intitulé", contract.title),
        ("GHT", contract.hospital_group.name),
        ("Début", contract.start_date),
        ("Fin (incluse)", contract.end_date),
        ("Statut", str(contract.get_status_display())),
        ("Enveloppe (€)", contract.envelope_amount),
        ("Situation au", progress.today),
    ]:
        summary.append([label, value])
        if "(€)" in label:
            summary.sheet.cell(row=summary.sheet.max_row, column=2).number_format = EUROS_FORMAT
    summary.widen(40)

    years = _Sheet(
        workbook, "Axes et années", ["Axe", "Intitulé de l'axe", "Année", *MONEY_HEADERS]
    )
    for axis in progress.axes:
        for cell in axis.years:
            years.append([axis.axis.number, axis.axis.title, cell.year, *_money(cell.figures)])
        years.append([axis.axis.number, axis.axis.title, "Total", *_money(axis.figures)])
    years.append(["", "Contrat", "Total", *_money(progress.total)])
    years.widen()

    schemes = _Sheet(workbook, "Dispositifs", ["Axe", "Dispositif", *MONEY_HEADERS])
    for axis in progress.axes:
        for scheme in axis.schemes:
            schemes.append([axis.axis.number, scheme.label, *_money(scheme.figures)])
    for scheme in progress.schemes:
        schemes.append(["Contrat", scheme.label, *_money(scheme.figures)])
    schemes.widen()

    milestones = _Sheet(workbook, "Jalons", ["Axe", *MILESTONE_HEADERS])
    for axis in progress.axes:
        for entry in axis.milestones:
            milestones.append(
                [axis.axis.number, *_milestone_row(entry.milestone, entry.state, entry.percent)]
            )
    milestones.widen()
    return _save(workbook)


def region_workbook(
    user,
    *,
    today: datetime.date,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> bytes:
    """Return every contract in ``user``'s scope as an XLSX file, reporting progress.

    ``on_progress(done, total)`` is called as the sheets fill (``total`` counts the
    contracts three times: overview, money, milestones).
    """
    rows = overview_rows(user, today=today, filters=OverviewFilters())
    contract_ids = [row.contract.pk for row in rows]
    total = max(len(rows) * 3, 1)
    done = 0
    workbook = Workbook()
    overview = _Sheet(
        workbook,
        "Contrats",
        [
            "Référence",
            "GHT",
            "Statut",
            *MONEY_HEADERS,
            "Consommé / délégué (%)",
            "Consommé / alloué (%)",
            "Jalons en retard",
            "Décisions en attente",
        ],
        first=True,
    )
    for row in rows:
        overview.append(
            [
                row.contract.reference,
                row.contract.hospital_group.name,
                str(row.contract.get_status_display()),
                *_money(row.figures),
                row.consumed_of_delegated,
                row.consumed_of_allocated,
                row.late_count,
                row.pending_count,
            ]
        )
        done += 1
        on_progress(done, total)
    overview.widen()

    money: dict[tuple, MoneyFigures] = defaultdict(MoneyFigures)
    allocations = YearlyAllocation.objects.filter(
        funding_line__axis__contract_id__in=contract_ids
    ).values_list(
        "funding_line__axis__contract__reference",
        "funding_line__axis__number",
        "funding_line__axis__title",
        "year",
        "allocated_amount",
        "delegated_amount",
        "consumed_amount",
        "recovered_amount",
    )
    for reference, number, title, year, allocated, delegated, consumed, recovered in allocations:
        money[(reference, number, title, year)] += MoneyFigures.of_allocation(
            allocated=allocated, delegated=delegated, consumed=consumed, recovered=recovered
        )
    years = _Sheet(
        workbook, "Axes et années", ["Contrat", "Axe", "Intitulé de l'axe", "Année", *MONEY_HEADERS]
    )
    seen_contracts = set()
    for key in sorted(money):
        years.append([*key, *_money(money[key])])
        if key[0] not in seen_contracts:
            seen_contracts.add(key[0])
            done += 1
            on_progress(done, total)
    years.widen()

    milestones = _Sheet(workbook, "Jalons", ["Contrat", "Axe", *MILESTONE_HEADERS])
    seen_contracts = set()
    for milestone in (
        Milestone.objects.filter(axis__contract_id__in=contract_ids)
        .select_related("axis__contract")
        .order_by("axis__contract__reference", "axis__number", "due_date", "pk")
    ):
        reference = milestone.axis.contract.reference
        milestones.append(
            [
                reference,
                milestone.axis.number,
                *_milestone_row(
                    milestone,
                    milestone_state(milestone, today=today),
                    indicator_percent(milestone),
                ),
            ]
        )
        if reference not in seen_contracts:
            seen_contracts.add(reference)
            done += 1
            on_progress(done, total)
    milestones.widen()
    on_progress(total, total)
    return _save(workbook)

"""The charts of a contract's progress, built from the selectors' results (no queries)."""

from . import charts
from .selectors import AxisProgress, ContractProgress, MilestoneState

STATE_PATTERNS = {
    MilestoneState.DONE: charts.SOLID,
    MilestoneState.SUBMITTED: charts.DOTTED,
    MilestoneState.LATE: charts.HATCHED,
    MilestoneState.DUE: charts.OUTLINED,
}
STATE_SHAPES = {
    MilestoneState.DONE: charts.CIRCLE,
    MilestoneState.SUBMITTED: charts.SQUARE,
    MilestoneState.LATE: charts.TRIANGLE,
    MilestoneState.DUE: charts.HOLLOW_CIRCLE,
}
MONEY_SERIES = (("Alloué", "allocated"), ("Délégué", "delegated"), ("Consommé", "consumed"))


def axis_money_chart(axis: AxisProgress, progress: ContractProgress) -> charts.Chart:
    """Return the grouped bars of the axis's money per year: allocated, delegated, consumed."""
    cells = [cell for cell in axis.years if cell.figures is not None]
    return charts.grouped_bars_layout(
        chart_id=f"axis-{axis.axis.number}-money",
        title=f"Axe {axis.axis.number} : montants alloués, délégués et consommés par année",
        groups=[str(cell.year) for cell in cells],
        series=[
            charts.BarSeries(label, [getattr(cell.figures, name) for cell in cells])
            for label, name in MONEY_SERIES
        ],
    )


def indicator_chart(axis: AxisProgress) -> charts.Chart:
    """Return the axis's indicators as horizontal bars: percentage of the target reached."""
    bars = []
    for entry in axis.milestones:
        milestone = entry.milestone
        unit = f" {milestone.indicator_unit}" if milestone.indicator_unit else ""
        detail = (
            f"{charts.format_number(milestone.actual_value)} / "
            f"{charts.format_number(milestone.target_value)}{unit}"
            if milestone.actual_value is not None
            else f"non déclaré, cible {charts.format_number(milestone.target_value)}{unit}"
        )
        bars.append(
            charts.ProgressBar(
                label=milestone.title,
                percent=entry.percent,
                detail=detail,
                state_label=entry.state_label,
                pattern=STATE_PATTERNS[entry.state],
            )
        )
    return charts.progress_bars_layout(
        chart_id=f"axis-{axis.axis.number}-indicators",
        title=f"Axe {axis.axis.number} : avancement des indicateurs par rapport à la cible",
        bars=bars,
    )


def timeline_chart(progress: ContractProgress) -> charts.Chart:
    """Return the contract's milestones and deadlines on a time line."""
    events = [
        charts.TimelineEvent(
            day=entry.milestone.due_date,
            label=f"Axe {axis.axis.number} – {entry.milestone.title}",
            state_label=entry.state_label,
            shape=STATE_SHAPES[entry.state],
        )
        for axis in progress.axes
        for entry in axis.milestones
    ]
    lines = [row.line for axis in progress.overview.axes for row in axis.lines]
    events += [
        charts.TimelineEvent(
            day=line.consumption_deadline_date,
            label=f"{line.code} – date limite de consommation",
            state_label="échéance",
            shape=charts.DIAMOND,
        )
        for line in lines
        if line.consumption_deadline_date
    ]
    contract = progress.contract
    events.append(
        charts.TimelineEvent(
            day=contract.end_date,
            label="Fin du contrat",
            state_label="échéance",
            shape=charts.DIAMOND,
        )
    )
    return charts.timeline_layout(
        chart_id="contract-timeline",
        title=f"Calendrier des jalons et échéances du contrat {contract.reference}",
        start=contract.start_date,
        end=contract.end_date,
        today=progress.today,
        events=events,
    )

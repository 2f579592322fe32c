"""Charts of the progress pages: pure functions from figures to a layout, then to SVG.

A chart is first laid out (``*_layout``: rectangles, markers and texts in a coordinate
system whose y axis points down, as in SVG), then drawn: ``render_svg`` for the web
pages, ``reporting.pdf`` for the reports. Nothing here reads the database.

Every chart reads without colour: bars carry their value as text, series differ by
pattern (solid, hatched, dotted) and markers by shape, and the SVG carries a ``<title>``,
a ``<desc>`` and an ``aria-label``; the pages also show the same figures as a table.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.formats import date_format, number_format

from contracts.money import format_euros

# Series fills, told apart by pattern as much as by shade.
SOLID, HATCHED, DOTTED, OUTLINED = "solid", "hatched", "dotted", "outlined"
PATTERNS = (SOLID, HATCHED, DOTTED, OUTLINED)
INK = "#1e1e1e"
PRIMARY = "#000091"

# Marker shapes of the timeline.
CIRCLE, HOLLOW_CIRCLE, SQUARE, TRIANGLE, DIAMOND = (
    "circle",
    "hollow-circle",
    "square",
    "triangle",
    "diamond",
)

FONT_SIZE = 11
NBSP = "\u00a0"


# Number formats ---------------------------------------------------------------------------


def format_percent(value: Decimal | None) -> str:
    """Return ``value`` as a whole French percentage, e.g. ``75 %`` (``—`` if unknown)."""
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('1'), rounding=ROUND_HALF_UP)}{NBSP}%"


def format_number(value: Decimal | None) -> str:
    """Return ``value`` in French form without useless decimals: ``12``, ``12,5``."""
    if value is None:
        return "—"
    return number_format(value.normalize() if value == value.to_integral() else value.normalize())


def format_compact_euros(amount: Decimal) -> str:
    """Return ``amount`` short enough for a bar label: ``850 €``, ``56,9 k€``, ``1,2 M€``."""
    magnitude = abs(amount)
    if magnitude >= 1_000_000:
        return (
            f"{format_number((amount / 1_000_000).quantize(Decimal('0.1'), ROUND_HALF_UP))}{NBSP}M€"
        )
    if magnitude >= 1_000:
        return f"{format_number((amount / 1_000).quantize(Decimal('0.1'), ROUND_HALF_UP))}{NBSP}k€"
    return f"{format_number(amount.quantize(Decimal('1'), ROUND_HALF_UP))}{NBSP}€"


def short_date(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


# Layout primitives ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    pattern: str = SOLID
    label: str = ""  # read by screen readers (SVG <title>) and shown nowhere else


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start, middle, end
    bold: bool = False
    size: int = FONT_SIZE


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    shape: str
    label: str = ""


@dataclass(frozen=True)
class Chart:
    """A laid-out chart, ready to be drawn as SVG or PDF."""

    chart_id: str
    title: str
    description: str
    width: float
    height: float
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)


# Grouped bars: money per year ---------------------------------------------------------------


@dataclass(frozen=True)
class BarSeries:
    label: str
    values: list[Decimal]  # one per group


def grouped_bars_layout(
    *,
    chart_id: str,
    title: str,
    groups: list[str],
    series: list[BarSeries],
    width: float = 640,
    bar_area_height: float = 180,
) -> Chart:
    """Lay out vertical bars, one group per label of ``groups``, one bar per series.

    Each bar carries its value in short form above it and its full value in its label;
    the legend names each series next to a swatch of its pattern.
    """
    top, left, legend_height, axis_height = 24.0, 12.0, 22.0, 20.0
    maximum = max((value for one in series for value in one.values), default=Decimal(0))
    scale = float(bar_area_height) / float(maximum) if maximum > 0 else 0.0
    group_width = (width - 2 * left) / max(len(groups), 1)
    bar_width = min(48.0, (group_width - 16) / max(len(series), 1))
    baseline = top + legend_height + bar_area_height + 14
    chart = Chart(
        chart_id=chart_id,
        title=title,
        description="",
        width=width,
        height=baseline + axis_height,
    )
    for index, one in enumerate(series):
        x = left + index * 170
        chart.rects.append(Rect(x, top, 14, 12, PATTERNS[index % len(PATTERNS)], one.label))
        chart.texts.append(Text(x + 20, top + 11, one.label))
    chart.lines.append(Line(left, baseline, width - left, baseline))
    sentences = []
    for group_index, group in enumerate(groups):
        group_left = left + group_index * group_width
        bars_left = group_left + (group_width - bar_width * len(series)) / 2
        parts = []
        for index, one in enumerate(series):
            value = one.values[group_index]
            bar_height = float(value) * scale
            x = bars_left + index * bar_width
            label = f"{group} – {one.label} : {format_euros(value)}"
            chart.rects.append(
                Rect(
                    x + 2,
                    baseline - bar_height,
                    bar_width - 4,
                    bar_height,
                    PATTERNS[index % len(PATTERNS)],
                    label,
                )
            )
            chart.texts.append(
                Text(
                    x + bar_width / 2,
                    baseline - bar_height - 3,
                    format_compact_euros(value),
                    "middle",
                    size=9,
                )
            )
            parts.append(f"{one.label.lower()} {format_euros(value)}")
        chart.texts.append(
            Text(group_left + group_width / 2, baseline + 15, group, "middle", bold=True)
        )
        sentences.append(f"{group} : {', '.join(parts)}.")
    return _described(chart, " ".join(sentences) or "Aucun montant.")


# Horizontal bars: indicator progress ---------------------------------------------------------


@dataclass(frozen=True)
class ProgressBar:
    label: str
    percent: Decimal | None  # None: nothing reported yet
    detail: str  # e.g. "15 / 20 personnes"
    state_label: str  # e.g. "validé", "en retard"
    pattern: str = SOLID


def progress_bars_layout(
    *, chart_id: str, title: str, bars: list[ProgressBar], width: float = 640
) -> Chart:
    """Lay out one horizontal bar per indicator, its percentage of the target written on it.

    Bars stop at 100 % (a dashed line marks the target); the text says the true figure.
    """
    row_height, label_width, top = 40.0, 220.0, 8.0
    bar_left, bar_right = label_width + 8, width - 12
    full = bar_right - bar_left
    chart = Chart(
        chart_id=chart_id,
        title=title,
        description="",
        width=width,
        height=top + row_height * max(len(bars), 1) + 22,
    )
    sentences = []
    for row, bar in enumerate(bars):
        y = top + row * row_height
        chart.texts.append(Text(8, y + 14, _truncate(bar.label, 34)))
        chart.texts.append(Text(8, y + 30, bar.state_label, size=9))
        ratio = min(max(float(bar.percent or 0) / 100, 0.0), 1.0)
        summary = f"{bar.detail} ({bar.state_label})"
        if bar.percent is not None:
            summary = f"{format_percent(bar.percent)} – {summary}"
        chart.texts.append(Text(bar_left, y + 12, summary, bold=True, size=10))
        chart.rects.append(Rect(bar_left, y + 17, full, 14, OUTLINED, ""))
        if ratio > 0:
            chart.rects.append(
                Rect(bar_left, y + 17, full * ratio, 14, bar.pattern, f"{bar.label} : {summary}")
            )
        sentences.append(f"{bar.label} : {summary}.")
    target_y = top + row_height * max(len(bars), 1)
    chart.lines.append(Line(bar_right, top, bar_right, target_y, dashed=True))
    chart.texts.append(Text(bar_right, target_y + 14, "cible 100\u00a0%", "end", size=9))
    return _described(chart, " ".join(sentences) or "Aucun indicateur.")


# Timeline: milestones and deadlines ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    day: datetime.date
    label: str
    state_label: str
    shape: str


def timeline_layout(
    *,
    chart_id: str,
    title: str,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    events: list[TimelineEvent],
    width: float = 640,
) -> Chart:
    """Lay out events on a time axis from ``start`` to ``end``, one row per event.

    Each event is a marker whose shape tells its state, with its date, label and state
    written next to it; a dashed line marks ``today``.
    """
    left, right, top, row_height = 12.0, width - 12, 40.0, 20.0
    first = min([start, today, *(event.day for event in events)])
    last = max([end, today, *(event.day for event in events)])
    span = max((last - first).days, 1)

    def x_of(day: datetime.date) -> float:
        return left + (right - left) * (day - first).days / span

    bottom = top + row_height * max(len(events), 1)
    chart = Chart(chart_id=chart_id, title=title, description="", width=width, height=bottom + 10)
    chart.lines.append(Line(left, 24, right, 24))
    for year in range(first.year, last.year + 2):
        tick = datetime.date(year, 1, 1)
        if first <= tick <= last:
            chart.lines.append(Line(x_of(tick), 20, x_of(tick), bottom, dashed=True))
            chart.texts.append(Text(x_of(tick) + 2, 16, str(year), size=9))
    chart.lines.append(Line(x_of(today), 20, x_of(today), bottom))
    chart.texts.append(
        Text(x_of(today), 36, f"Aujourd'hui ({short_date(today)})", "middle", bold=True, size=9)
    )
    sentences = []
    for row, event in enumerate(sorted(events, key=lambda event: event.day)):
        x, y = x_of(event.day), top + row * row_height + 10
        text = f"{short_date(event.day)} – {event.label} ({event.state_label})"
        chart.markers.append(Marker(x, y, event.shape, text))
        if x > (left + right) / 2:
            chart.texts.append(Text(x - 9, y + 4, _truncate(text, 70), "end", size=10))
        else:
            chart.texts.append(Text(x + 9, y + 4, _truncate(text, 70), size=10))
        sentences.append(text + ".")
    return _described(chart, " ".join(sentences) or "Aucune échéance.")


def _described(chart: Chart, description: str) -> Chart:
    return Chart(
        chart_id=chart.chart_id,
        title=chart.title,
        description=description,
        width=chart.width,
        height=chart.height,
        rects=chart.rects,
        lines=chart.lines,
        texts=chart.texts,
        markers=chart.markers,
    )


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# SVG -----------------------------------------------------------------------------------------


def _pattern_defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatched" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" stroke-width="2.5"/>'
        "</pattern>"
        f'<pattern id="{chart_id}-dotted" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<rect width="5" height="5" fill="#ffffff"/><circle cx="2.5" cy="2.5" r="1.3" fill="{INK}"/>'
        "</pattern>"
        "</defs>"
    )


def _fill(chart_id: str, pattern: str) -> str:
    if pattern == SOLID:
        return f'fill="{PRIMARY}"'
    if pattern == OUTLINED:
        return f'fill="#ffffff" stroke="{INK}" stroke-width="1"'
    return f'fill="url(#{chart_id}-{pattern})" stroke="{INK}" stroke-width="1"'


def _marker_svg(marker: Marker) -> str:
    x, y = marker.x, marker.y
    title = f"<title>{escape(marker.label)}</title>"
    stroke = f'stroke="{INK}" stroke-width="1.5" class="marker" data-shape="{marker.shape}"'
    if marker.shape == CIRCLE:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{INK}" {stroke}>'
        return shape + title + "</circle>"
    if marker.shape == HOLLOW_CIRCLE:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#ffffff" {stroke}>{title}</circle>'
    if marker.shape == SQUARE:
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#ffffff" {stroke}>{title}</rect>'
    if marker.shape == TRIANGLE:
        points = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y + 6:.1f} {x - 7:.1f},{y + 6:.1f}"
        return f'<polygon points="{points}" fill="{INK}" {stroke}>{title}</polygon>'
    points = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="#ffffff" {stroke}>{title}</polygon>'


def render_svg(chart: Chart) -> str:
    """Return ``chart`` as a standalone, accessible inline SVG element."""
    cid = chart.chart_id
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="progress-chart" role="img" '
        f'width="{chart.width:.0f}" height="{chart.height:.0f}" '
        f'viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" '
        f'aria-labelledby="{cid}-title {cid}-desc" aria-label={quoteattr(chart.title)} '
        f'font-family="Marianne, Arial, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
        _pattern_defs(cid),
    ]
    for line in chart.lines:
        dash = ' stroke-dasharray="4 3"' if line.dashed else ""
        parts.append(
            f'<line x1="{line.x1:.1f}" y1="{line.y1:.1f}" x2="{line.x2:.1f}" y2="{line.y2:.1f}" '
            f'stroke="{INK}" stroke-width="1"{dash}/>'
        )
    for rect in chart.rects:
        title = f"<title>{escape(rect.label)}</title>" if rect.label else ""
        parts.append(
            f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{max(rect.width, 0):.1f}" '
            f'height="{max(rect.height, 0):.1f}" {_fill(cid, rect.pattern)} '
            f'data-pattern="{rect.pattern}">{title}</rect>'
        )
    parts.extend(_marker_svg(marker) for marker in chart.markers)
    for text in chart.texts:
        weight = ' font-weight="bold"' if text.bold else ""
        size = f' font-size="{text.size}"' if text.size != FONT_SIZE else ""
        parts.append(
            f'<text x="{text.x:.1f}" y="{text.y:.1f}" text-anchor="{text.anchor}" fill="{INK}"'
            f"{weight}{size}>{escape(text.text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)

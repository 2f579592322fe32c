"""The contract progress report as PDF, for a governing board (reportlab).

The charts are the same layouts as the web page's (``charts``), drawn with reportlab
shapes; patterns become line hatchings so the report also reads in black and white.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, String
from reportlab.graphics.shapes import Line as PdfLine
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contracts.money import format_euros

from . import charts
from .contract_charts import axis_money_chart, indicator_chart, timeline_chart
from .selectors import ContractProgress

# The shapes below are built by code, not typed by users: skip reportlab's per-attribute
# validation, which costs more than drawing them.
rl_config.shapeChecking = 0

INK = colors.HexColor(charts.INK)
PRIMARY = colors.HexColor(charts.PRIMARY)
MARGIN = 1.8 * cm
# The frame's usable size: the page less the margins and the frame's own padding.
FRAME_WIDTH = A4[0] - 2 * MARGIN - 12
FRAME_HEIGHT = A4[1] - 2 * MARGIN - 24


def pdf_text(text: str) -> str:
    """Return ``text`` in the characters of the standard PDF fonts (WinAnsi)."""
    return str(text).replace("\u202f", "\u00a0")


def euros(amount) -> str:
    return pdf_text(format_euros(amount))


class NumberedCanvas(canvas.Canvas):
    """A canvas that writes « Page n sur N » at the foot of every page once N is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        count = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.drawRightString(
                A4[0] - MARGIN, 1 * cm, pdf_text(f"Page {self._pageNumber} sur {count}")
            )
            super().showPage()
        super().save()


def _drawing(chart: charts.Chart, width: float, height: float = FRAME_HEIGHT) -> Drawing:
    """Return ``chart`` as a reportlab drawing at most ``width`` × ``height`` points."""
    scale = min(1.0, width / chart.width, height / chart.height)
    group = Group()
    height = chart.height

    def y(value: float) -> float:
        return height - value

    for line in chart.lines:
        group.add(
            PdfLine(
                line.x1,
                y(line.y1),
                line.x2,
                y(line.y2),
                strokeColor=INK,
                strokeWidth=0.8,
                strokeDashArray=[3, 2] if line.dashed else None,
            )
        )
    for rect in chart.rects:
        _add_rect(group, rect, y(rect.y + rect.height))
    for marker in chart.markers:
        _add_marker(group, marker.shape, marker.x, y(marker.y))
    for text in chart.texts:
        group.add(
            String(
                text.x,
                y(text.y),
                pdf_text(text.text),
                fontName="Helvetica-Bold" if text.bold else "Helvetica",
                fontSize=text.size,
                fillColor=INK,
                textAnchor=text.anchor,
            )
        )
    group.scale(scale, scale)
    drawing = Drawing(chart.width * scale, chart.height * scale)
    drawing.add(group)
    return drawing


def _add_rect(group: Group, rect: charts.Rect, bottom: float) -> None:
    if rect.width <= 0 or rect.height <= 0:
        return
    solid = rect.pattern == charts.SOLID
    group.add(
        PdfRect(
            rect.x,
            bottom,
            rect.width,
            rect.height,
            fillColor=PRIMARY if solid else colors.white,
            strokeColor=INK,
            strokeWidth=0.8,
        )
    )
    if rect.pattern == charts.HATCHED:
        step = 4.0
        level = bottom + step
        while level < bottom + rect.height:
            group.add(PdfLine(rect.x, level, rect.x + rect.width, level, strokeColor=INK))
            level += step
    elif rect.pattern == charts.DOTTED:
        step = 4.0
        position = rect.x + step / 2
        while position < rect.x + rect.width:
            group.add(
                PdfLine(
                    position,
                    bottom,
                    position,
                    bottom + rect.height,
                    strokeColor=INK,
                    strokeDashArray=[1, 2],
                )
            )
            position += step


def _add_marker(group: Group, shape: str, x: float, y: float) -> None:
    style = {"strokeColor": INK, "strokeWidth": 1.2}
    if shape == charts.CIRCLE:
        group.add(Circle(x, y, 5, fillColor=INK, **style))
    elif shape == charts.HOLLOW_CIRCLE:
        group.add(Circle(x, y, 5, fillColor=colors.white, **style))
    elif shape == charts.SQUARE:
        group.add(PdfRect(x - 4.5, y - 4.5, 9, 9, fillColor=colors.white, **style))
    elif shape == charts.TRIANGLE:
        group.add(Polygon([x, y + 6, x + 6, y - 5, x - 6, y - 5], fillColor=INK, **style))
    else:
        group.add(
            Polygon([x, y + 6, x + 6, y, x, y - 6, x - 6, y], fillColor=colors.white, **style)
        )


def _table(rows: list[list], *, money_columns: int = 0) -> Table:
    table = Table(rows, repeatRows=1, hAlign="LEFT")
    commands = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if money_columns:
        commands.append(("ALIGN", (-money_columns, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(commands))
    return table


def _money_row(label, figures) -> list:
    if figures is None:
        return [label, "—", "—", "—", "—", "—"]
    return [
        label,
        euros(figures.allocated),
        euros(figures.delegated),
        euros(figures.consumed),
        euros(figures.recovered),
        euros(figures.remaining),
    ]


MONEY_HEADER = ["Alloué", "Délégué", "Consommé", "Repris", "Reste disponible"]


def contract_report(progress: ContractProgress) -> bytes:
    """Return the contract's progress report as PDF bytes."""
    contract = progress.contract
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=9)
    small = ParagraphStyle("small", parent=body, fontSize=8)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontName="Helvetica-Bold", fontSize=15)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontName="Helvetica-Bold", fontSize=12)
    h3 = ParagraphStyle("h3", parent=styles["Heading3"], fontName="Helvetica-Bold", fontSize=10)

    def paragraph(text: str, style=body) -> Paragraph:
        return Paragraph(escape(pdf_text(text)), style)

    frame_width = FRAME_WIDTH
    story = [
        paragraph(f"Suivi du contrat {contract.reference}", h1),
        paragraph(contract.title, h2),
        paragraph(
            f"GHT : {contract.hospital_group.name} – période du "
            f"{contract.start_date:%d/%m/%Y} au {contract.end_date:%d/%m/%Y} – "
            f"enveloppe {euros(contract.envelope_amount)} – {contract.get_status_display()}"
        ),
        paragraph(f"Situation au {progress.today:%d/%m/%Y}.", small),
        Spacer(1, 6),
        paragraph("Le contrat", h2),
        _table(
            [
                ["Année", *MONEY_HEADER],
                *[_money_row(str(cell.year), cell.figures) for cell in progress.year_totals],
                _money_row("Total", progress.total),
            ],
            money_columns=5,
        ),
        Spacer(1, 6),
        _table(
            [
                ["Dispositif", *MONEY_HEADER],
                *[
                    _money_row(paragraph(scheme.label, small), scheme.figures)
                    for scheme in progress.schemes
                ],
            ],
            money_columns=5,
        ),
        Spacer(1, 6),
        _drawing(timeline_chart(progress), frame_width),
    ]
    if progress.pending:
        story.append(paragraph("Décisions en attente", h3))
        story.append(
            _table(
                [
                    ["Depuis le", "Étape", "Processus"],
                    *[
                        [
                            f"{decision.created_date:%d/%m/%Y}",
                            decision.title,
                            decision.process_title,
                        ]
                        for decision in progress.pending
                    ],
                ]
            )
        )
    for axis in progress.axes:
        title = f"Axe {axis.axis.number} – {axis.axis.title}"
        story.append(paragraph(title, h2))
        story.append(
            paragraph(
                f"Jalons : {axis.done_count} validé(s), {axis.due_count} à venir, "
                f"{axis.late_count} en retard."
            )
        )
        story.append(
            _table(
                [
                    ["Année", *MONEY_HEADER],
                    *[_money_row(str(cell.year), cell.figures) for cell in axis.years],
                    _money_row("Total de l'axe", axis.figures),
                ],
                money_columns=5,
            )
        )
        story.append(Spacer(1, 4))
        story.append(KeepTogether([_drawing(axis_money_chart(axis, progress), frame_width)]))
        if axis.milestones:
            story.append(
                _table(
                    [
                        ["Jalon", "Échéance", "Cible", "Atteint", "Avancement", "État"],
                        *[
                            [
                                paragraph(entry.milestone.title, small),
                                f"{entry.milestone.due_date:%d/%m/%Y}",
                                paragraph(_value(entry.milestone.target_value, entry), right),
                                paragraph(_value(entry.milestone.actual_value, entry), right),
                                pdf_text(charts.format_percent(entry.percent)),
                                entry.state_label,
                            ]
                            for entry in axis.milestones
                        ],
                    ]
                )
            )
            story.append(Spacer(1, 4))
            story.append(_drawing(indicator_chart(axis), frame_width))
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=pdf_text(f"Suivi du contrat {contract.reference}"),
        author="ARS",
        lang="fr-FR",
    )
    document.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def _value(value, entry) -> str:
    unit = entry.milestone.indicator_unit
    text = charts.format_number(value)
    return pdf_text(f"{text} {unit}" if value is not None and unit else text)

"""Decision letters and the committee sheet as PDF (reportlab, as ``reporting.pdf`` does).

The standard PDF fonts read WinAnsi: narrow no-break spaces of the French number format
become ordinary no-break spaces.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contracts.money import format_euros

from .models import GRANTING_OUTCOMES

PRIMARY = colors.HexColor("#000091")


def pdf_text(text) -> str:
    """Return ``text`` escaped for reportlab, in the characters of the standard fonts."""
    return escape(str(text)).replace("\u202f", "\u00a0")


def euros(amount) -> str:
    return pdf_text(format_euros(amount))


def _day(value) -> str:
    return formats.date_format(value, "j F Y")


def decision_text(*, dossier, decision) -> str:
    """Return the decision in one paragraph (the letter's core and the DS motivation)."""
    values = {
        "campaign": dossier.campaign.title,
        "project": dossier.project_title or _("votre projet"),
        "date": _day(decision.committee.session_date),
        "amount": format_euros(decision.granted_amount),
        "reasons": decision.reasons,
    }
    if decision.outcome in GRANTING_OUTCOMES:
        if decision.outcome == "PARTIAL":
            text = _(
                "Le comité de sélection du %(date)s a retenu partiellement « %(project)s » "
                "au titre de l'%(campaign)s, pour un financement de %(amount)s."
            )
        else:
            text = _(
                "Le comité de sélection du %(date)s a retenu « %(project)s » au titre de "
                "l'%(campaign)s, pour un financement de %(amount)s."
            )
    elif decision.outcome == "ON_HOLD":
        text = _("Le comité de sélection du %(date)s a ajourné « %(project)s ».")
    else:
        text = _(
            "Le comité de sélection du %(date)s n'a pas retenu « %(project)s » au titre de "
            "l'%(campaign)s."
        )
    return (text + " " + _("Motifs : %(reasons)s")) % values


def decision_letter(*, dossier, decision, letter_date, signatory) -> bytes:
    """Return the French decision letter of ``dossier`` as PDF bytes."""
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=pdf_text(_("Décision – dossier %(number)s") % {"number": dossier.ds_number}),
        author=pdf_text(
            _("Agence régionale de santé %(region)s") % {"region": dossier.campaign.region}
        ),
    )
    region = dossier.campaign.region
    story = [
        Paragraph(
            pdf_text(_("Agence régionale de santé %(region)s") % {"region": region}),
            styles["Heading2"],
        ),
        Spacer(1, 0.4 * cm),
        Paragraph(pdf_text(dossier.applicant_name), body),
        Paragraph(pdf_text(_("SIRET %(siret)s") % {"siret": dossier.applicant_siret}), body),
        Spacer(1, 0.4 * cm),
        Paragraph(pdf_text(_("Le %(date)s") % {"date": _day(letter_date)}), body),
        Spacer(1, 0.4 * cm),
        Paragraph(
            pdf_text(
                _("Objet : %(campaign)s – décision sur le dossier n° %(number)s")
                % {"campaign": dossier.campaign.title, "number": dossier.ds_number}
            ),
            styles["Heading4"],
        ),
        Paragraph(pdf_text(_("Madame, Monsieur,")), body),
        Paragraph(pdf_text(decision_text(dossier=dossier, decision=decision)), body),
    ]
    actions = [a for a in dossier.actions.all() if a.ars_granted_amount]
    if actions:
        rows = [[_("Priorité"), _("Action"), _("Coût"), _("Part ARS accordée")]]
        rows += [
            [
                str(a.rank),
                Paragraph(pdf_text(a.label), body),
                euros(a.cost_amount),
                euros(a.ars_granted_amount),
            ]
            for a in actions
        ]
        table = Table(rows, colWidths=[2 * cm, 8.6 * cm, 3 * cm, 3 * cm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [Spacer(1, 0.3 * cm), table, Spacer(1, 0.3 * cm)]
        deadline = dossier.campaign.consumption_deadline_date
        if deadline:
            story.append(
                Paragraph(
                    pdf_text(
                        _(
                            "Les crédits seront versés par avenant au contrat ou par convention "
                            "de financement, et devront être consommés au plus tard le %(date)s."
                        )
                        % {"date": _day(deadline)}
                    ),
                    body,
                )
            )
    story += [
        Spacer(1, 0.6 * cm),
        Paragraph(
            pdf_text(
                _("Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
            ),
            body,
        ),
        Spacer(1, 0.6 * cm),
        Paragraph(pdf_text(signatory.get_full_name() or signatory.get_username()), body),
    ]
    document.build(story)
    return buffer.getvalue()


def committee_sheet_pdf(*, campaign, rows, totals) -> bytes:
    """Return the committee sheet (dossiers ranked by score) as a landscape PDF."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=pdf_text(_("Fiche du comité – %(campaign)s") % {"campaign": campaign.title}),
    )
    header = [
        _("Rang"),
        _("Dossier"),
        _("Porteur"),
        _("Note /15"),
        _("Avis"),
        _("Demandé"),
        _("Proposé"),
        _("Accordé"),
        _("Décision"),
    ]
    data = [header] + [
        [
            str(index),
            str(row.ds_number),
            Paragraph(pdf_text(row.applicant_name), small),
            "" if row.score is None else str(row.score),
            pdf_text(row.opinion_label),
            euros(row.ars_asked),
            euros(row.proposed),
            euros(row.granted),
            pdf_text(row.outcome_label),
        ]
        for index, row in enumerate(rows, start=1)
    ]
    data.append(
        [
            "",
            "",
            pdf_text(_("Total")),
            "",
            "",
            euros(totals["asked"]),
            euros(totals["proposed"]),
            euros(totals["granted"]),
            "",
        ]
    )
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), PRIMARY),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("ALIGN", (5, 1), (7, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [
        Paragraph(pdf_text(_("Fiche du comité de sélection")), styles["Heading2"]),
        Paragraph(pdf_text(campaign.title), styles["BodyText"]),
        Paragraph(
            pdf_text(
                _("Enveloppe : %(envelope)s ; accordé : %(granted)s ; reste : %(left)s")
                % {
                    "envelope": format_euros(campaign.envelope_amount),
                    "granted": format_euros(totals["granted"]),
                    "left": format_euros(campaign.envelope_amount - totals["granted"]),
                }
            ),
            styles["BodyText"],
        ),
        Spacer(1, 0.3 * cm),
        table,
    ]
    document.build(story)
    return buffer.getvalue()

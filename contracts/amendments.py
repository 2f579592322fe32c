"""Read an amendment against the contract it changes: the diff a validator approves."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Amendment, FundingLine, Milestone, StrategicAxis
from .services.amendments import AmendmentProposal


@dataclass(frozen=True)
class DiffRow:
    """One changed figure: where it is (axis, line, year) and its before/after values."""

    axis: str
    item: str
    year: int | None
    before: object
    after: object

    @property
    def delta(self) -> Decimal | None:
        if isinstance(self.before, Decimal) and isinstance(self.after, Decimal):
            return self.after - self.before
        return None


def _details_text(details: dict) -> str:
    return " ; ".join(f"{key} : {value}" for key, value in sorted((details or {}).items()))


def amendment_diff(amendment: Amendment) -> list[DiffRow]:
    """Return the changes ``amendment`` proposes, per axis, line and year, contract first."""
    contract = amendment.contract
    proposal = AmendmentProposal.from_json(amendment.proposed)
    rows = []
    if proposal.envelope_amount is not None:
        rows.append(
            DiffRow(
                _("Contrat"),
                _("Enveloppe"),
                None,
                contract.envelope_amount,
                proposal.envelope_amount,
            )
        )
    if proposal.end_date is not None:
        rows.append(
            DiffRow(_("Contrat"), _("Date de fin"), None, contract.end_date, proposal.end_date)
        )
    lines = FundingLine.objects.filter(pk__in=proposal.line_ids()).select_related("axis")
    current = {
        (allocation.funding_line_id, allocation.year): allocation.allocated_amount
        for line in lines.prefetch_related("allocations")
        for allocation in line.allocations.all()
    }
    for line in sorted(lines, key=lambda line: (line.axis.number, line.code)):
        if line.pk in proposal.details and proposal.details[line.pk] != line.details:
            rows.append(
                DiffRow(
                    f"{line.axis.number}. {line.axis.title}",
                    _("%(line)s : paramètres du dispositif")
                    % {"line": f"{line.code} – {line.label}"},
                    None,
                    _details_text(line.details),
                    _details_text(proposal.details[line.pk]),
                )
            )
        for year, amount in sorted(proposal.allocations.get(line.pk, {}).items()):
            rows.append(
                DiffRow(
                    f"{line.axis.number}. {line.axis.title}",
                    f"{line.code} – {line.label}",
                    year,
                    current.get((line.pk, year), Decimal("0.00")),
                    amount,
                )
            )
    milestones = Milestone.objects.filter(pk__in=proposal.milestones).select_related("axis")
    for milestone in sorted(milestones, key=lambda m: (m.axis.number, m.due_date)):
        values = proposal.milestones[milestone.pk]
        if "due_date" in values:
            rows.append(
                DiffRow(
                    f"{milestone.axis.number}. {milestone.axis.title}",
                    _("Échéance : %(title)s") % {"title": milestone.title},
                    None,
                    milestone.due_date,
                    values["due_date"],
                )
            )
    axes = StrategicAxis.objects.in_bulk({line.axis_id for line in proposal.new_lines})
    for new in proposal.new_lines:
        axis = axes.get(new.axis_id)
        where = f"{axis.number}. {axis.title}" if axis else ""
        for year, amount in sorted(new.allocations.items()):
            rows.append(
                DiffRow(
                    where,
                    _("Nouvelle ligne %(code)s – %(label)s")
                    % {"code": new.code, "label": new.label},
                    year,
                    Decimal("0.00"),
                    amount,
                )
            )
        for milestone in new.milestones:
            rows.append(
                DiffRow(
                    where,
                    _("Nouvel indicateur : %(label)s (cible %(target)s)")
                    % {"label": milestone["indicator_label"], "target": milestone["target_value"]},
                    None,
                    None,
                    milestone["due_date"],
                )
            )
    return rows

"""Drafting a contract from an existing one: same axes, lines and milestones, new dates."""

import calendar
from datetime import date

from django.utils.translation import gettext as _

from audit.journal import AuditAction, record_event
from territories.models import HospitalGroup

from ..models import Contract, FundingLine, Milestone, YearlyAllocation
from ._common import use_case
from .contract import AxisInput, create_contract
from .lines import add_funding_line
from .milestones import add_milestone


def shift_years(day: date, years: int) -> date:
    """Return ``day`` moved by whole years; 29 February becomes 28 February when needed."""
    year = day.year + years
    last_day = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last_day))


@use_case
def copy_contract_structure(
    *,
    actor,
    source: Contract,
    reference: str,
    title: str,
    start_date: date,
    hospital_group: HospitalGroup | None = None,
    note: str = "",
) -> Contract:
    """Create a draft with the axes, lines, yearly amounts and milestones of ``source``.

    Every date moves by the whole years between the two start dates, so a contract of
    2025-2028 copied to start in 2029 covers 2029-2032 with its milestones in the same
    months. A beneficiary outside the new GHT becomes the new GHT's support establishment.
    """
    offset = start_date.year - source.start_date.year
    hospital_group = hospital_group or source.hospital_group
    axes = list(source.axes.order_by("number"))
    contract = create_contract(
        actor=actor,
        reference=reference,
        title=title,
        hospital_group=hospital_group,
        start_date=start_date,
        end_date=shift_years(source.end_date, offset),
        envelope_amount=source.envelope_amount,
        axes=[AxisInput(axis.number, axis.title, axis.description) for axis in axes],
        note=note,
    )
    new_axes = {axis.number: axis for axis in contract.axes.all()}
    same_group = hospital_group.pk == source.hospital_group_id
    lines = FundingLine.objects.filter(axis__contract=source).select_related("axis", "beneficiary")
    amounts: dict[int, dict[int, object]] = {}
    for allocation in YearlyAllocation.objects.filter(funding_line__axis__contract=source):
        amounts.setdefault(allocation.funding_line_id, {})[allocation.year + offset] = (
            allocation.allocated_amount
        )
    for line in lines.order_by("axis__number", "code"):
        deadline = line.consumption_deadline_date
        add_funding_line(
            actor=actor,
            axis=new_axes[line.axis.number],
            code=line.code,
            scheme=line.scheme,
            label=line.label,
            beneficiary=line.beneficiary if same_group else contract.carrier_establishment,
            amounts_by_year=amounts.get(line.pk, {}),
            details=dict(line.details or {}),
            consumption_deadline_date=shift_years(deadline, offset) if deadline else None,
        )
    milestones = Milestone.objects.filter(axis__contract=source).select_related("axis")
    for milestone in milestones.order_by("due_date", "pk"):
        add_milestone(
            actor=actor,
            axis=new_axes[milestone.axis.number],
            title=milestone.title,
            due_date=shift_years(milestone.due_date, offset),
            indicator_label=milestone.indicator_label,
            indicator_unit=milestone.indicator_unit,
            baseline_value=milestone.baseline_value,
            target_value=milestone.target_value,
        )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=contract,
        summary=_("Structure copiée du contrat %(reference)s") % {"reference": source.reference},
    )
    return contract

"""A draft's structure, edited in the pages: axes (add, change, move, remove), removing a
funding line, changing or removing a milestone. Draft contracts only; every change is
journaled with its before/after values."""

from datetime import date

from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event

from ..exceptions import BusinessRuleError
from ..models import Contract, ContractStatus, FundingLine, Milestone, StrategicAxis
from ._common import MILESTONE_AUDITED_FIELDS, _lock_contract, _require_status, _values, use_case

AXIS_AUDITED_FIELDS = ["number", "title", "description"]
MILESTONE_CHANGEABLE_FIELDS = {
    "title",
    "due_date",
    "indicator_label",
    "indicator_unit",
    "baseline_value",
    "target_value",
}


def _lock_draft(contract: Contract, action: str) -> Contract:
    contract = _lock_contract(contract)
    _require_status(contract, [ContractStatus.DRAFT], action)
    return contract


def _require_in_period(contract: Contract, due_date: date) -> None:
    if not contract.start_date <= due_date <= contract.end_date:
        raise BusinessRuleError(
            _("L'échéance du jalon (%(due)s) doit tomber dans la période du contrat.")
            % {"due": date_format(due_date, "SHORT_DATE_FORMAT")}
        )


# Axes ------------------------------------------------------------------------------------


@use_case
def add_axis(*, actor, contract: Contract, title: str, description: str = "") -> StrategicAxis:
    """Add an axis at the end of a draft contract's axes."""
    contract = _lock_draft(contract, _("ajouter un axe"))
    if not title.strip():
        raise BusinessRuleError(_("L'intitulé de l'axe est obligatoire."))
    last = contract.axes.aggregate(last=Max("number"))["last"] or 0
    axis = StrategicAxis.objects.create(
        contract=contract, number=last + 1, title=title.strip(), description=description
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=axis,
        contract=contract,
        summary=_("Axe %(number)s ajouté") % {"number": axis.number},
        changes=diff_fields({}, _values(axis, AXIS_AUDITED_FIELDS)),
    )
    return axis


@use_case
def change_axis(*, actor, axis: StrategicAxis, title: str, description: str = "") -> StrategicAxis:
    """Change the wording of an axis of a draft contract."""
    contract = _lock_draft(axis.contract, _("modifier un axe"))
    if not title.strip():
        raise BusinessRuleError(_("L'intitulé de l'axe est obligatoire."))
    axis = StrategicAxis.objects.select_for_update().get(pk=axis.pk)
    before = _values(axis, AXIS_AUDITED_FIELDS)
    axis.title = title.strip()
    axis.description = description
    axis.save(update_fields=["title", "description"])
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=axis,
        contract=contract,
        summary=_("Axe %(number)s modifié") % {"number": axis.number},
        changes=diff_fields(before, _values(axis, AXIS_AUDITED_FIELDS)),
    )
    return axis


def _renumber(contract: Contract, order: list[StrategicAxis]) -> dict:
    """Give the axes of ``order`` the numbers 1..n; return the numbers that changed."""
    changes = {}
    offset = (contract.axes.aggregate(last=Max("number"))["last"] or 0) + len(order)
    moved = [axis for number, axis in enumerate(order, start=1) if axis.number != number]
    # Two passes: out of the way first, so the (contract, number) constraint never trips.
    for axis in moved:
        StrategicAxis.objects.filter(pk=axis.pk).update(number=axis.number + offset)
    for number, axis in enumerate(order, start=1):
        if axis.number != number:
            changes[f"axe « {axis.title} »"] = {"before": axis.number, "after": number}
            StrategicAxis.objects.filter(pk=axis.pk).update(number=number)
            axis.number = number
    return changes


@use_case
def move_axis(*, actor, axis: StrategicAxis, direction: int) -> StrategicAxis:
    """Move an axis one place up (``direction=-1``) or down (``+1``) among its contract's."""
    if direction not in (-1, 1):
        raise BusinessRuleError(_("Un axe monte ou descend d'une place."))
    contract = _lock_draft(axis.contract, _("réordonner les axes"))
    order = list(contract.axes.select_for_update().order_by("number"))
    index = next(i for i, item in enumerate(order) if item.pk == axis.pk)
    target = index + direction
    if not 0 <= target < len(order):
        raise BusinessRuleError(_("L'axe est déjà à cette extrémité."))
    order[index], order[target] = order[target], order[index]
    changes = _renumber(contract, order)
    moved = order[target]
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=moved,
        contract=contract,
        summary=_("Axes réordonnés"),
        changes=changes,
    )
    return moved


@use_case
def remove_axis(*, actor, axis: StrategicAxis) -> None:
    """Remove an empty axis of a draft contract; the following axes move up one number."""
    contract = _lock_draft(axis.contract, _("retirer un axe"))
    axis = StrategicAxis.objects.select_for_update().get(pk=axis.pk)
    if axis.lines.exists() or axis.milestones.exists():
        raise BusinessRuleError(
            _("Retirez d'abord les lignes et les jalons de l'axe %(number)s.")
            % {"number": axis.number}
        )
    before = _values(axis, AXIS_AUDITED_FIELDS)
    label = str(axis)
    record_event(
        actor=actor,
        action=AuditAction.DELETE,
        obj=axis,
        contract=contract,
        summary=_("Axe %(number)s retiré") % {"number": axis.number},
        changes=diff_fields(before, {}),
        object_label=label,
    )
    axis.delete()
    changes = _renumber(contract, list(contract.axes.order_by("number")))
    if changes:
        record_event(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=contract,
            summary=_("Axes renumérotés"),
            changes=changes,
        )


# Funding lines ---------------------------------------------------------------------------


@use_case
def remove_funding_line(*, actor, line: FundingLine) -> None:
    """Remove a funding line (and its yearly amounts) from a draft contract."""
    contract = _lock_draft(line.axis.contract, _("retirer une ligne"))
    line = FundingLine.objects.select_for_update().select_related("axis").get(pk=line.pk)
    before = {
        "axis": line.axis.number,
        "code": line.code,
        "scheme": line.scheme,
        "label": line.label,
        "beneficiary": str(line.beneficiary),
        "details": line.details,
        **{
            f"{line.code} {allocation.year}": allocation.allocated_amount
            for allocation in line.allocations.order_by("year")
        },
    }
    record_event(
        actor=actor,
        action=AuditAction.DELETE,
        obj=line,
        contract=contract,
        summary=_("Ligne %(code)s retirée") % {"code": line.code},
        changes=diff_fields(before, {}),
    )
    line.delete()


# Milestones ------------------------------------------------------------------------------


@use_case
def change_milestone(*, actor, milestone: Milestone, axis: StrategicAxis | None = None, **values):
    """Change a milestone of a draft contract: wording, indicator, figures, due date."""
    contract = _lock_draft(milestone.axis.contract, _("modifier un jalon"))
    unknown = set(values) - MILESTONE_CHANGEABLE_FIELDS
    if unknown:
        raise BusinessRuleError(_("Champs non modifiables : %s") % ", ".join(sorted(unknown)))
    milestone = Milestone.objects.select_for_update().select_related("axis").get(pk=milestone.pk)
    if "due_date" in values:
        _require_in_period(contract, values["due_date"])
    if axis is not None and axis.contract_id != contract.pk:
        raise BusinessRuleError(_("L'axe choisi n'appartient pas à ce contrat."))
    fields = [*MILESTONE_AUDITED_FIELDS, "indicator_unit"]
    before = {**_values(milestone, fields), "axis": milestone.axis.number}
    for name, value in values.items():
        setattr(milestone, name, value)
    if axis is not None:
        milestone.axis = axis
    milestone.save()
    record_event(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=milestone,
        contract=contract,
        summary=_("Jalon modifié : %(title)s") % {"title": milestone.title},
        changes=diff_fields(before, {**_values(milestone, fields), "axis": milestone.axis.number}),
    )
    return milestone


@use_case
def remove_milestone(*, actor, milestone: Milestone) -> None:
    """Remove a milestone from a draft contract."""
    contract = _lock_draft(milestone.axis.contract, _("retirer un jalon"))
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    before = _values(milestone, [*MILESTONE_AUDITED_FIELDS, "indicator_unit"])
    record_event(
        actor=actor,
        action=AuditAction.DELETE,
        obj=milestone,
        contract=contract,
        summary=_("Jalon retiré : %(title)s") % {"title": milestone.title},
        changes=diff_fields(before, {}),
    )
    milestone.delete()

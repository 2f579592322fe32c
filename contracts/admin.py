"""The admin: a read-mostly window on contracts, their money and the journal.

Money, dates, statuses and decisions are read-only here: they change through the
application pages and flows, whose services check the rules and write the journal.
What the admin may change (wording only) is journaled by ``JournaledAdminMixin``. No
contract object is added or deleted here; the journal cannot be changed at all.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.journal import AuditAction, record_event

from .models import (
    Amendment,
    ConsumptionStatement,
    Contract,
    CreditDelegation,
    CreditDelegationLine,
    FundingLine,
    Milestone,
    Recovery,
    SchemeParameterSet,
    StrategicAxis,
    YearlyAllocation,
)
from .schemes import scheme_parameter_defaults


def _all_fields(model) -> list[str]:
    return [f.name for f in model._meta.get_fields() if f.concrete and not f.auto_created]


class ReadOnlyAdminMixin:
    """Show everything, change nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return _all_fields(self.model)


class JournaledAdminMixin:
    """Allow only ``editable_fields`` and journal each change with its before/after values."""

    editable_fields: tuple[str, ...] = ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [
            name for name in _all_fields(self.model) if name not in self.editable_fields
        ] + list(super().get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        if form.changed_data:
            # The admin's change view runs in one transaction: the event commits with it.
            record_event(
                actor=request.user,
                action=AuditAction.CHANGE,
                obj=obj,
                contract=self.contract_of(obj),
                summary=_("Modifié depuis l'administration"),
                changes={
                    name: {"before": before[name], "after": form.cleaned_data.get(name)}
                    for name in form.changed_data
                },
            )

    def contract_of(self, obj):
        return None


def _application_link(contract_id):
    url = reverse("contracts:contract_detail", args=[contract_id])
    return format_html('<a href="{}">{}</a>', url, _("Ouvrir dans l'application"))


class StrategicAxisInline(ReadOnlyInline):
    model = StrategicAxis
    fields = ["number", "title"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "hospital_group",
        "start_date",
        "end_date",
        "envelope_amount",
        "status",
    ]
    list_filter = ["status", "region"]
    list_select_related = ["hospital_group"]
    search_fields = ["reference", "title", "hospital_group__name"]
    inlines = [StrategicAxisInline]
    readonly_fields = ["application_link"]

    @admin.display(description=gettext_lazy("application"))
    def application_link(self, obj):
        return _application_link(obj.pk)


class YearlyAllocationInline(ReadOnlyInline):
    model = YearlyAllocation
    show_change_link = False


@admin.register(FundingLine)
class FundingLineAdmin(JournaledAdminMixin, admin.ModelAdmin):
    editable_fields = ("label",)
    list_display = ["code", "label", "scheme", "axis", "beneficiary"]
    list_filter = ["scheme"]
    list_select_related = ["axis__contract", "beneficiary"]
    search_fields = ["code", "label", "axis__contract__reference"]
    inlines = [YearlyAllocationInline]

    def contract_of(self, obj):
        return obj.axis.contract


@admin.register(Milestone)
class MilestoneAdmin(JournaledAdminMixin, admin.ModelAdmin):
    editable_fields = ("title", "indicator_label", "indicator_unit")
    list_display = ["title", "due_date", "status", "axis"]
    list_filter = ["status"]
    list_select_related = ["axis__contract"]
    search_fields = ["title", "axis__contract__reference"]

    def contract_of(self, obj):
        return obj.axis.contract


class CreditDelegationLineInline(ReadOnlyInline):
    model = CreditDelegationLine
    show_change_link = False


@admin.register(CreditDelegation)
class CreditDelegationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "year", "status", "decision_reference", "decision_date"]
    list_filter = ["status", "year"]
    list_select_related = ["contract"]
    inlines = [CreditDelegationLineInline]


@admin.register(ConsumptionStatement)
class ConsumptionStatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["allocation", "consumed_amount", "non_compliant_amount", "status"]
    list_filter = ["status"]
    list_select_related = ["allocation__funding_line"]


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "allocation",
        "amount",
        "mode",
        "offset_year",
        "basis",
        "basis_reference",
        "status",
    ]
    list_filter = ["status", "mode", "basis"]
    list_select_related = ["allocation__funding_line"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "number", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["contract"]


_PARAMETER_SET_FIELDS = ("scheme", "region", "effective_date", "values", "note")


def _parameter_set_state(obj: SchemeParameterSet) -> dict:
    return {
        "scheme": obj.scheme,
        "region": str(obj.region) if obj.region_id else None,
        "effective_date": obj.effective_date,
        "values": obj.values,
        "note": obj.note,
    }


@admin.register(SchemeParameterSet)
class SchemeParameterSetAdmin(admin.ModelAdmin):
    """Scheme figures per region and campaign, each change journaled with before/after.

    A set that a signed contract may hold (a contract of its region signed on or after its
    effective date) is read-only: the new figures of a campaign go in a new set with its
    own effective date, so a contract keeps the figures it was signed under.
    """

    list_display = ["scheme", "region", "effective_date"]
    list_filter = ["scheme", "region"]
    list_select_related = ["region"]
    readonly_fields = ["figures_in_code"]
    actions = None

    @admin.display(description=gettext_lazy("Valeurs par défaut (code) et sources"))
    def figures_in_code(self, obj):
        if obj is None or not obj.scheme:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{}</code> = {} — {}</li>",
                (
                    (name, spec["value"] if spec["value"] is not None else "—", spec["source"])
                    for name, spec in scheme_parameter_defaults(obj.scheme).items()
                ),
            ),
        )

    def is_in_use(self, obj) -> bool:
        if obj is None or obj.pk is None:
            return False
        contracts = Contract.objects.filter(signature_date__gte=obj.effective_date)
        if obj.region_id:
            contracts = contracts.filter(region_id=obj.region_id)
        return contracts.exists()

    def get_readonly_fields(self, request, obj=None):
        if self.is_in_use(obj):
            return [*_PARAMETER_SET_FIELDS, "figures_in_code"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_in_use(obj)

    def save_model(self, request, obj, form, change):
        before = _parameter_set_state(SchemeParameterSet.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        after = _parameter_set_state(obj)
        changes = {
            name: {"before": before.get(name), "after": after[name]}
            for name in _PARAMETER_SET_FIELDS
            if before.get(name) != after[name]
        }
        if change and not changes:
            return
        # The admin's change view runs in one transaction: the event commits with it.
        record_event(
            actor=request.user,
            action=AuditAction.CHANGE if change else AuditAction.CREATE,
            obj=obj,
            summary=_("Paramètres du dispositif %(scheme)s modifiés depuis l'administration")
            % {"scheme": obj.scheme},
            changes=changes,
        )

    def delete_model(self, request, obj):
        before = _parameter_set_state(obj)
        record_event(
            actor=request.user,
            action=AuditAction.DELETE,
            obj=obj,
            summary=_("Paramètres du dispositif %(scheme)s supprimés depuis l'administration")
            % {"scheme": obj.scheme},
            changes={name: {"before": before[name], "after": None} for name in before},
        )
        super().delete_model(request, obj)

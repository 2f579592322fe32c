"""Admin pages of the territory; list pages join their relations so queries stay constant."""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from import_export.admin import ExportMixin, ImportExportMixin

from .models import (
    Department,
    Establishment,
    HospitalGroup,
    HospitalGroupMembership,
    LegalEntity,
    Region,
)
from .resources import EstablishmentResource, HospitalGroupMembershipResource


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "agency_name")
    search_fields = ("code", "name", "agency_name")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_select_related = ("region",)
    list_filter = ("region",)
    search_fields = ("code", "name")


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ("name", "finess", "siren", "department", "finess_plus_id")
    list_select_related = ("department",)
    search_fields = ("finess", "siren", "name", "long_name", "department__code")
    raw_id_fields = ("department",)


@admin.register(Establishment)
class EstablishmentAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [EstablishmentResource]
    list_display = ("name", "finess", "siret", "legal_entity", "department", "commune")
    list_select_related = ("legal_entity", "department")
    search_fields = ("finess", "siret", "name", "long_name", "commune", "department__code")
    raw_id_fields = ("legal_entity", "department")


class HospitalGroupMembershipInline(admin.TabularInline):
    model = HospitalGroupMembership
    extra = 0
    raw_id_fields = ("establishment", "legal_entity")


@admin.register(HospitalGroup)
class HospitalGroupAdmin(GuardedModelAdmin):
    list_display = ("name", "code", "region", "convention_date")
    list_select_related = ("region",)
    list_filter = ("region",)
    search_fields = ("code", "name", "finess_plus_id")
    inlines = [HospitalGroupMembershipInline]


@admin.register(HospitalGroupMembership)
class HospitalGroupMembershipAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [HospitalGroupMembershipResource]
    list_display = ("hospital_group", "role", "establishment", "legal_entity")
    list_select_related = ("hospital_group", "establishment", "legal_entity")
    list_filter = ("role",)
    search_fields = (
        "hospital_group__code",
        "hospital_group__name",
        "establishment__finess",
        "establishment__name",
        "legal_entity__finess",
        "legal_entity__name",
    )
    raw_id_fields = ("hospital_group", "establishment", "legal_entity")

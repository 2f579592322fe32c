"""Admin pages of the territory; list pages join their relations so queries stay constant."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from guardian.admin import GuardedModelAdmin
from import_export.admin import ExportMixin

from .access import (
    acting_as,
    check_can_manage_user,
    check_superuser_only,
    grantable_groups,
)
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
class HospitalGroupMembershipAdmin(ExportMixin, admin.ModelAdmin):
    """Members of GHTs; they are imported on the page « Importer les membres des GHT »
    (a dry run, then the import, as tasks), not here."""

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


# Users and groups: an administrator manages other people's roles and scopes; superuser
# and staff status, raw permissions and the administrator role are a superuser's to give.
# The fields below only shape the form: the guards in ``territories.access`` refuse the
# change server-side whatever is posted.

SUPERUSER_ONLY_USER_FIELDS = ("is_superuser", "is_staff", "user_permissions")


class RightsUserAdmin(UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += SUPERUSER_ONLY_USER_FIELDS
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["groups", "is_active"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and not request.user.is_superuser
            and (obj.is_superuser or obj.is_staff or obj.pk == request.user.pk)
        ):
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            check_superuser_only_fields(request.user, obj, form)
            if change:
                check_can_manage_user(request.user, obj)
        with acting_as(request.user):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)


class RightsGroupAdmin(GroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("permissions")
        return readonly

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and not request.user.is_superuser
            and not grantable_groups(request.user).filter(pk=obj.pk).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and "permissions" in form.data:
            check_superuser_only(request.user)
        with acting_as(request.user):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)


def check_superuser_only_fields(actor, obj, form) -> None:
    """Refuse a posted superuser-only field, even if the form would ignore it."""
    posted = {name for name in SUPERUSER_ONLY_USER_FIELDS if name in form.data}
    changed = obj.pk is not None and any(
        getattr(obj, flag) != value
        for flag, value in get_user_model()
        ._default_manager.filter(pk=obj.pk)
        .values("is_superuser", "is_staff")
        .first()
        .items()
    )
    if posted or changed or (obj.pk is None and (obj.is_superuser or obj.is_staff)):
        check_superuser_only(actor)


admin.site.unregister(get_user_model())
admin.site.unregister(Group)
admin.site.register(get_user_model(), RightsUserAdmin)
admin.site.register(Group, RightsGroupAdmin)

"""The journal in the admin: readable, never writable."""

from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "stream",
        "sequence",
        "occurred_at",
        "actor_name",
        "action",
        "object_label",
        "summary",
    ]
    list_filter = ["action"]
    search_fields = ["summary", "object_label", "actor_name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["stream"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    list_display = ["number", "taken_at", "event_count", "hash"]
    date_hierarchy = "taken_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

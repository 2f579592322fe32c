"""The audit pages, mounted in the viewflow Site as an application (namespace ``audit``)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class AuditApp(Application):
    app_name = "audit"
    title = _("Audit")
    icon = "policy"
    menu_template_name = "reporting/history/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and user.has_perm(views.READ_PERMISSION)

    search_path = path("search/", views.SearchView.as_view(), name="search")
    timeline_path = path("contracts/<int:pk>/", views.TimelineView.as_view(), name="timeline")
    timeline_export_path = path(
        "contracts/<int:pk>/export.<str:file_format>",
        views.TimelineExportView.as_view(),
        name="timeline_export",
    )

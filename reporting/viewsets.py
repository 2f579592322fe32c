"""The progress pages, mounted in the viewflow Site as the « Suivi » application."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class ProgressApp(Application):
    app_name = "progress"
    title = _("Suivi")
    icon = "insights"
    menu_template_name = "reporting/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    index_path = path("", views.IndexView.as_view(), name="index")
    overview_path = path("overview/", views.OverviewView.as_view(), name="overview")
    calendar_path = path("calendar/", views.CalendarView.as_view(), name="calendar")
    calendar_ics_path = path(
        "calendar/echeances.ics", views.CalendarIcsView.as_view(), name="calendar_ics"
    )
    contract_path = path(
        "contracts/<int:pk>/", views.ContractProgressView.as_view(), name="contract"
    )
    contract_pdf_path = path(
        "contracts/<int:pk>/report.pdf",
        views.ContractProgressPdfView.as_view(),
        name="contract_pdf",
    )
    contract_xlsx_path = path(
        "contracts/<int:pk>/figures.xlsx",
        views.ContractProgressXlsxView.as_view(),
        name="contract_xlsx",
    )
    region_export_path = path("export/", views.RegionExportView.as_view(), name="region_export")
    region_export_status_path = path(
        "export/<uuid:token>/",
        views.RegionExportStatusView.as_view(),
        name="region_export_status",
    )
    region_export_progress_path = path(
        "export/<uuid:token>/progress.json",
        views.RegionExportProgressView.as_view(),
        name="region_export_progress",
    )
    region_export_download_path = path(
        "export/<uuid:token>/download.xlsx",
        views.RegionExportDownloadView.as_view(),
        name="region_export_download",
    )

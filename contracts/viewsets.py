"""The contract pages, mounted in the viewflow Site as an application."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class ContractsApp(Application):
    app_name = "contracts"
    title = _("Contrats")
    icon = "description"
    menu_template_name = "contracts/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    contract_list_path = path("", views.ContractListView.as_view(), name="index")
    contract_add_path = path("add/", views.ContractCreateView.as_view(), name="contract_add")
    contract_copy_path = path("copy/", views.ContractCopyView.as_view(), name="contract_copy")
    contract_detail_path = path(
        "<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"
    )
    line_add_path = path(
        "<int:pk>/lines/add/", views.FundingLineCreateView.as_view(), name="line_add"
    )
    line_change_path = path(
        "<int:pk>/lines/<int:line_pk>/change/",
        views.FundingLineUpdateView.as_view(),
        name="line_change",
    )
    milestone_add_path = path(
        "<int:pk>/milestones/add/", views.MilestoneCreateView.as_view(), name="milestone_add"
    )
    milestone_reschedule_path = path(
        "<int:pk>/milestones/<int:milestone_pk>/reschedule/",
        views.MilestoneRescheduleView.as_view(),
        name="milestone_reschedule",
    )
    axis_add_path = path("<int:pk>/axes/add/", views.AxisCreateView.as_view(), name="axis_add")
    axis_change_path = path(
        "<int:pk>/axes/<int:axis_pk>/change/", views.AxisUpdateView.as_view(), name="axis_change"
    )
    axis_move_path = path(
        "<int:pk>/axes/<int:axis_pk>/move/<str:direction>/",
        views.AxisMoveView.as_view(),
        name="axis_move",
    )
    axis_remove_path = path(
        "<int:pk>/axes/<int:axis_pk>/remove/", views.AxisRemoveView.as_view(), name="axis_remove"
    )
    line_remove_path = path(
        "<int:pk>/lines/<int:line_pk>/remove/",
        views.FundingLineRemoveView.as_view(),
        name="line_remove",
    )
    milestone_change_path = path(
        "<int:pk>/milestones/<int:milestone_pk>/change/",
        views.MilestoneUpdateView.as_view(),
        name="milestone_change",
    )
    milestone_remove_path = path(
        "<int:pk>/milestones/<int:milestone_pk>/remove/",
        views.MilestoneRemoveView.as_view(),
        name="milestone_remove",
    )
    import_path = path("<int:pk>/import/", views.ContractImportView.as_view(), name="import")
    import_job_path = path(
        "<int:pk>/import/<uuid:token>/", views.ContractImportJobView.as_view(), name="import_job"
    )
    import_progress_path = path(
        "<int:pk>/import/<uuid:token>/progress.json",
        views.ContractImportProgressView.as_view(),
        name="import_progress",
    )
    import_confirm_path = path(
        "<int:pk>/import/<uuid:token>/confirm/",
        views.ContractImportConfirmView.as_view(),
        name="import_confirm",
    )
    export_path = path(
        "<int:pk>/export/<str:kind>.<str:file_format>",
        views.ContractExportView.as_view(),
        name="export",
    )
    document_download_path = path(
        "<int:pk>/documents/<int:document_pk>/",
        views.DocumentDownloadView.as_view(),
        name="document_download",
    )
    evidence_download_path = path(
        "<int:pk>/evidence/<int:document_pk>/",
        views.EvidenceDownloadView.as_view(),
        name="evidence_download",
    )

"""The GHT pages, mounted in the viewflow Site as an application."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class TerritoriesApp(Application):
    app_name = "territories"
    title = _("GHT")
    icon = "account_tree"
    menu_template_name = "territories/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    index_path = path("", views.HospitalGroupListView.as_view(), name="index")
    add_path = path("add/", views.HospitalGroupFormView.as_view(), name="add")
    change_path = path("<int:pk>/change/", views.HospitalGroupFormView.as_view(), name="change")
    finess_import_path = path(
        "finess/import/", views.FinessImportView.as_view(), name="finess_import"
    )
    finess_import_job_path = path(
        "finess/import/<uuid:token>/",
        views.FinessImportJobView.as_view(),
        name="finess_import_job",
    )
    finess_import_progress_path = path(
        "finess/import/<uuid:token>/progress.json",
        views.FinessImportProgressView.as_view(),
        name="finess_import_progress",
    )
    finess_import_confirm_path = path(
        "finess/import/<uuid:token>/confirm/",
        views.FinessImportConfirmView.as_view(),
        name="finess_import_confirm",
    )
    members_import_path = path(
        "members/import/", views.MembersImportView.as_view(), name="members_import"
    )
    members_import_job_path = path(
        "members/import/<uuid:token>/",
        views.MembersImportJobView.as_view(),
        name="members_import_job",
    )
    members_import_progress_path = path(
        "members/import/<uuid:token>/progress.json",
        views.MembersImportProgressView.as_view(),
        name="members_import_progress",
    )
    members_import_confirm_path = path(
        "members/import/<uuid:token>/confirm/",
        views.MembersImportConfirmView.as_view(),
        name="members_import_confirm",
    )

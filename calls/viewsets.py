"""The calls pages, mounted in the viewflow Site as an application."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import award_views, views


class CallsApp(Application):
    app_name = "calls"
    title = _("Appels à candidatures")
    icon = "campaign"
    menu_template_name = "calls/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and user.has_perm("calls.view_campaign")

    campaign_list_path = path("", views.CampaignListView.as_view(), name="index")
    campaign_add_path = path("add/", views.CampaignCreateView.as_view(), name="campaign_add")
    campaign_detail_path = path(
        "<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"
    )
    campaign_open_path = path(
        "<int:pk>/open/", views.CampaignOpenView.as_view(), name="campaign_open"
    )
    campaign_export_path = path(
        "<int:pk>/export.xlsx", views.CampaignExportView.as_view(), name="campaign_export"
    )
    committee_sheet_path = path(
        "<int:pk>/comite/", views.CommitteeSheetView.as_view(), name="committee_sheet"
    )
    committee_export_path = path(
        "<int:pk>/comite/fiche.<str:file_format>",
        views.CommitteeSheetExportView.as_view(),
        name="committee_export",
    )
    dossier_decision_path = path(
        "dossiers/<int:pk>/decision/", views.DossierDecisionView.as_view(), name="dossier_decision"
    )
    letter_download_path = path(
        "dossiers/<int:pk>/lettres/<int:letter_pk>/",
        views.DecisionLetterDownloadView.as_view(),
        name="letter_download",
    )
    dossier_detail_path = path(
        "dossiers/<int:pk>/", views.DossierDetailView.as_view(), name="dossier_detail"
    )
    document_download_path = path(
        "dossiers/<int:pk>/documents/<int:document_pk>/",
        views.DossierDocumentDownloadView.as_view(),
        name="document_download",
    )
    line_awards_path = path(
        "lines/<int:line_pk>/awards/", award_views.AwardListView.as_view(), name="line_awards"
    )
    award_add_path = path(
        "lines/<int:line_pk>/awards/add/", award_views.AwardCreateView.as_view(), name="award_add"
    )
    dossier_awards_path = path(
        "dossiers/<int:dossier_pk>/awards/",
        award_views.AwardListView.as_view(),
        name="dossier_awards",
    )
    dossier_award_add_path = path(
        "dossiers/<int:dossier_pk>/awards/add/",
        award_views.AwardCreateView.as_view(),
        name="dossier_award_add",
    )
    award_change_path = path(
        "awards/<int:pk>/change/", award_views.AwardChangeView.as_view(), name="award_change"
    )
    award_detail_path = path(
        "awards/<int:pk>/", award_views.AwardDetailView.as_view(), name="award_detail"
    )
    award_step_path = path(
        "awards/<int:pk>/step/<slug:event>/",
        award_views.AwardStepView.as_view(),
        name="award_step",
    )
    award_recovery_path = path(
        "awards/<int:pk>/recovery/",
        award_views.AwardRecoveryView.as_view(),
        name="award_recovery",
    )
    award_breach_path = path(
        "awards/<int:pk>/breach/", award_views.AwardBreachView.as_view(), name="award_breach"
    )

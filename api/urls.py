"""The routes of ``/api/v1/``."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("hospital-groups", views.HospitalGroupViewSet, basename="hospital-group")
router.register("establishments", views.EstablishmentViewSet, basename="establishment")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("delegations", views.DelegationViewSet, basename="delegation")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("recoveries", views.RecoveryViewSet, basename="recovery")
router.register("amendments", views.AmendmentViewSet, basename="amendment")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("dossiers", views.DossierViewSet, basename="dossier")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("journal", views.JournalViewSet, basename="journal")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
    # Anything else under /api/v1/ is a problem-details 404, not Django's HTML page.
    re_path(r"^.*$", views.unknown_route, name="api-unknown"),
]

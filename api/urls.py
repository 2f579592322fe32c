"""The routes of ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False

urlpatterns = [
    path("moi/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]

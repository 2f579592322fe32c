"""The application's front door: the viewflow Site, the admin and the API."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from viewflow.contrib.auth import AuthViewset

from background.views import health
from config.site import site

admin.site.site_header = "Contrats d'attractivité territoriale – administration"
admin.site.site_title = "Administration"

handler403 = "config.errors.permission_denied"

urlpatterns = [
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # The French of viewflow's scripts (selection counts, calendar): one file a day per browser.
    path(
        "jsi18n/",
        cache_page(24 * 3600)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", site.urls),
]

"""The application's front door: the viewflow Site, the admin and the API."""

from django.contrib import admin
from django.urls import path
from viewflow.contrib.auth import AuthViewset

from config.site import site

admin.site.site_header = "Contrats d'attractivité territoriale – administration"
admin.site.site_title = "Administration"

handler403 = "config.errors.permission_denied"

urlpatterns = [
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("admin/", admin.site.urls),
    path("", site.urls),
]

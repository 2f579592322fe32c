"""The token page, mounted in the viewflow Site as an application (its menu and layout)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import pages


class ApiTokensApp(Application):
    app_name = "api_tokens"
    title = _("Jetons d'API")
    icon = "key"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    index_path = path("", pages.TokenListView.as_view(), name="index")
    revoke_path = path("<int:pk>/revoke/", pages.TokenRevokeView.as_view(), name="revoke")

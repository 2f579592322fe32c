"""Error pages: people who are not logged in are sent to the login page, not shown a 403."""

from django.contrib.auth.views import redirect_to_login
from django.views import defaults


def permission_denied(request, exception=None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return defaults.permission_denied(request, exception)

"""Authentication backends."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from territories.access import load_rights


class DemoGuardModelBackend(ModelBackend):
    """Authenticate as usual, but refuse the demo password where demo accounts are off.

    The demo password is published in the README; a production database seeded with the
    demo data by mistake must not open to it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEMO_ACCOUNTS_ALLOWED and password == settings.DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        """Django's answer, read with the user's scope in one statement
        (``territories.access.load_rights``): every page asks both, first the permissions."""
        # A superuser's are every permission, read by Django; an inactive user has none.
        holder = user_obj.is_active and not user_obj.is_anonymous and not user_obj.is_superuser
        if holder and obj is None and not hasattr(user_obj, "_perm_cache"):
            load_rights(user_obj)
        return super().get_all_permissions(user_obj, obj)

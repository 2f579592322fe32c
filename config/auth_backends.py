"""Authentication backends."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


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
        """Django's answer, read in one query (its own and its groups' permissions, a
        ``UNION``) instead of two: every page asks it first."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _all_permissions(user_obj)
        return user_obj._perm_cache


def _all_permissions(user) -> set[str]:
    names = ("content_type__app_label", "codename")
    if user.is_superuser:
        rows = Permission.objects.values_list(*names).order_by()
    else:
        own = Permission.objects.filter(user=user).values_list(*names).order_by()
        of_groups = Permission.objects.filter(group__user=user).values_list(*names).order_by()
        rows = own.union(of_groups)
    return {f"{app_label}.{codename}" for app_label, codename in rows}

"""Authentication backends."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class DemoGuardModelBackend(ModelBackend):
    """Authenticate as usual, but refuse the demo password where demo accounts are off.

    The demo password is published in the README; a production database seeded with the
    demo data by mistake must not open to it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEMO_ACCOUNTS_ALLOWED and password == settings.DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

application = get_wsgi_application()

from background.startup import load_and_freeze  # noqa: E402 - needs the settings loaded above

load_and_freeze()

"""The task that runs one periodic job, queued by the scheduler."""

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.utils import normalize_json


@task()
def run_periodic_job(name: str):
    """Run the periodic job ``name`` of ``settings.PERIODIC_JOBS``; return what it returns."""
    result = import_string(settings.PERIODIC_JOBS[name]["function"])()
    try:
        return normalize_json(result)
    except (TypeError, ValueError):
        return None

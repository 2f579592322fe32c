"""How long finished tasks are kept: their rows and progress go after ``TASK_RESULT_DAYS``."""

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import TaskProgress


def prune_finished_tasks() -> dict:
    """Delete the tasks finished more than ``TASK_RESULT_DAYS`` ago (periodic job)."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.TASK_RESULT_DAYS)
    ids = [
        str(pk)
        for pk in DBTaskResult.objects.finished()
        .filter(finished_at__lt=cutoff)
        .values_list("pk", flat=True)
    ]
    TaskProgress.objects.filter(task_id__in=ids).delete()
    deleted, _ = DBTaskResult.objects.filter(pk__in=ids).delete()
    return {"deleted": deleted}

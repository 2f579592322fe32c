"""Workers' heartbeats, and tasks queued again when their worker stopped beating.

django-tasks-db marks a task RUNNING when a worker claims it and leaves it so for ever if
that worker dies (killed, machine lost). Each worker therefore beats every
``TASK_HEARTBEAT_SECONDS``; a RUNNING task whose last worker has not beaten for
``TASK_WORKER_TIMEOUT`` seconds is queued again, for any worker to take, up to
``TASK_MAX_ATTEMPTS`` attempts, after which it is marked failed.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import TaskProgress, WorkerHeartbeat

logger = logging.getLogger(__name__)

# A heartbeat row left by a worker that died is kept this long for the health page, then dropped.
FORGET_DEAD_WORKERS_AFTER = datetime.timedelta(days=1)


class WorkerLost(Exception):
    """The task's worker stopped beating while running it, too many times."""


def beat(worker_id: str, *, started_at: datetime.datetime) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"started_at": started_at, "beat_at": timezone.now()}
    )


def forget(worker_id: str) -> None:
    """Drop the heartbeat of a worker that stops cleanly."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def expiry_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Return the moment before which a worker's last beat means it is dead."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.TASK_WORKER_TIMEOUT)


def live_workers(now: datetime.datetime | None = None):
    return WorkerHeartbeat.objects.filter(beat_at__gte=expiry_cutoff(now))


def requeue_expired_tasks(now: datetime.datetime | None = None) -> int:
    """Queue again each RUNNING task whose worker stopped beating; return how many.

    A task already tried ``TASK_MAX_ATTEMPTS`` times is marked failed instead, so a task
    that kills its worker (memory, a crash) does not go round for ever.
    """
    now = now or timezone.now()
    cutoff = expiry_cutoff(now)
    alive = set(live_workers(now).values_list("worker_id", flat=True))
    count = 0
    with transaction.atomic():
        # skip_locked: another worker's sweep holding a row is dealing with it.
        expired = (
            DBTaskResult.objects.running()
            .filter(started_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .only("id", "worker_ids", "status")
        )
        for task in expired:
            if task.worker_ids and task.worker_ids[-1] in alive:
                continue
            if len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
                task.set_failed(
                    WorkerLost(
                        _("L'exécutant s'est arrêté pendant la tâche (%(count)d tentatives).")
                        % {"count": len(task.worker_ids)}
                    )
                )
                logger.error(
                    "Task %s failed: its worker died %d times", task.pk, len(task.worker_ids)
                )
            else:
                DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
                # The next attempt starts from the beginning: so does its progress.
                TaskProgress.objects.filter(task_id=str(task.pk)).delete()
                logger.warning("Task %s queued again: its worker stopped beating", task.pk)
            count += 1
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_DEAD_WORKERS_AFTER).delete()
    return count

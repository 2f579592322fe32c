"""The one scheduler of the periodic work, guaranteed by a database lock.

The periodic jobs are the list ``settings.PERIODIC_JOBS`` (name → function path and period):
the one place that knows them all, at the top of the layers; one line adds a job. Each tick
locks the ``SchedulerLease`` row (``SELECT … FOR UPDATE``): only the holder of an unexpired
lease goes on, so two schedulers started by mistake never both queue a job. A job is queued
as a task (``background.tasks.run_periodic_job``) when its period has passed and its previous
run is no longer queued or running: a slow run is never overlapped by the next.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import SCHEDULER_LEASE, PeriodicJobRun, SchedulerLease

PENDING = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    function: str
    every: datetime.timedelta


def periodic_jobs() -> list[PeriodicJob]:
    """Return the periodic jobs of ``settings.PERIODIC_JOBS``."""
    return [
        PeriodicJob(
            name=name, function=job["function"], every=datetime.timedelta(seconds=job["every"])
        )
        for name, job in settings.PERIODIC_JOBS.items()
    ]


def _lease() -> SchedulerLease:
    lease = SchedulerLease.objects.select_for_update().filter(name=SCHEDULER_LEASE).first()
    if lease is None:  # the migration creates it; a flushed database does not have it
        SchedulerLease.objects.get_or_create(name=SCHEDULER_LEASE)
        lease = SchedulerLease.objects.select_for_update().get(name=SCHEDULER_LEASE)
    return lease


def tick(*, holder: str, now: datetime.datetime | None = None) -> list[str] | None:
    """Queue every due periodic job if ``holder`` is (or becomes) the scheduler.

    Return the names of the jobs queued, or None when another scheduler holds the lease.
    """
    from .tasks import run_periodic_job

    now = now or timezone.now()
    with transaction.atomic():
        lease = _lease()
        if lease.holder not in ("", holder) and lease.expires_at and lease.expires_at > now:
            return None
        lease.holder = holder
        lease.expires_at = now + datetime.timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
        lease.last_tick_at = now
        lease.save()
        runs = {run.name: run for run in PeriodicJobRun.objects.all()}
        pending = set(
            DBTaskResult.objects.filter(
                pk__in=[run.task_id for run in runs.values()], status__in=PENDING
            ).values_list("pk", flat=True)
        )
        pending = {str(task_id) for task_id in pending}
        queued = []
        for job in periodic_jobs():
            run = runs.get(job.name)
            if run is not None and (run.enqueued_at + job.every > now or run.task_id in pending):
                continue
            result = run_periodic_job.enqueue(job.name)
            PeriodicJobRun.objects.update_or_create(
                name=job.name, defaults={"enqueued_at": now, "task_id": str(result.id)}
            )
            queued.append(job.name)
    return queued


def release(*, holder: str) -> None:
    """Give the lease up (a scheduler stopping cleanly), so another can take over at once."""
    SchedulerLease.objects.filter(name=SCHEDULER_LEASE, holder=holder).update(
        holder="", expires_at=None
    )

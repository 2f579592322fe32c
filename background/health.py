"""What the health endpoint reports: the database, the workers' heartbeats, the scheduler."""

import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .leases import expiry_cutoff
from .models import SCHEDULER_LEASE, SchedulerLease, WorkerHeartbeat


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def health_report(now: datetime.datetime | None = None) -> dict:
    """Return the health facts (no names, hosts or secrets): four queries at most."""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        workers = WorkerHeartbeat.objects.aggregate(
            alive=Count("pk", filter=Q(beat_at__gte=expiry_cutoff(now))), last=Max("beat_at")
        )
        lease = SchedulerLease.objects.filter(name=SCHEDULER_LEASE).first()
        queue = DBTaskResult.objects.aggregate(
            ready=Count("pk", filter=Q(status=TaskResultStatus.READY)),
            running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        )
    except DatabaseError:
        return {"status": "down", "database": {"ok": False}}
    last_tick = lease.last_tick_at if lease else None
    scheduler_ok = bool(
        last_tick
        and last_tick >= now - datetime.timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
    )
    workers_ok = workers["alive"] > 0
    return {
        "status": "ok" if workers_ok and scheduler_ok else "degraded",
        "database": {"ok": True, "vendor": connection.vendor},
        "workers": {
            "ok": workers_ok,
            "alive": workers["alive"],
            "last_beat_at": _iso(workers["last"]),
        },
        "scheduler": {"ok": scheduler_ok, "last_run_at": _iso(last_tick)},
        "queue": {"ready": queue["ready"], "running": queue["running"]},
    }

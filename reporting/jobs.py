"""Region exports run in the background, their progress kept on an ``ExportJob`` row.

The web request only creates the row; a thread started after the commit runs the export
(``run_export``), writing its progress as it goes, so the page is never blocked. Any web
process can then report progress and serve the file. ``manage.py run_export_jobs``
runs jobs left pending (e.g. by a restart).
"""

import datetime
import threading

from django.db import connections, transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import ExportJob, ExportStatus
from .xlsx import region_workbook


def request_region_export(*, user, today: datetime.date) -> ExportJob:
    """Record an export of every contract in ``user``'s scope and start it after commit."""
    job = ExportJob.objects.create(owner=user, situation_date=today)
    transaction.on_commit(lambda: start_in_thread(job.pk))
    return job


def start_in_thread(job_id: int) -> threading.Thread:
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"export-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_thread(job_id: int) -> None:
    try:
        run_export(job_id)
    finally:
        # The thread's own connections: nobody else would ever close them.
        connections.close_all()


def run_export(job_id: int) -> ExportJob:
    """Run the job ``job_id`` if nobody else has: write its progress, then its file."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    if not claimed:
        return job
    last_percent = -1

    def on_progress(done: int, total: int) -> None:
        nonlocal last_percent
        percent = done * 100 // total if total else 0
        if percent != last_percent:  # one write per percent, not per row
            last_percent = percent
            ExportJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        content = region_workbook(job.owner, today=job.situation_date, on_progress=on_progress)
    except Exception as error:  # noqa: BLE001  (the page must show the failure, not hang)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=str(error)[:1000], finished_at=timezone.now()
        )
    else:
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.DONE,
            content=content,
            filename=f"contrats-{slugify(job.situation_date.isoformat())}.xlsx",
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def run_pending_jobs() -> int:
    """Run every pending job here and now; return how many ran."""
    count = 0
    for job_id in ExportJob.objects.filter(status=ExportStatus.PENDING).values_list(
        "pk", flat=True
    ):
        run_export(job_id)
        count += 1
    return count

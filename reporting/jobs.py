"""Region exports built by a task: progress reported as it goes, the file in the storage.

The web request records the ``ExportJob`` and queues the task in the same transaction; a
worker (``manage.py db_worker``, any machine) builds the workbook, reporting its progress
under the task's id, and stores the file in Django's default storage, where it expires after
``EXPORT_FILE_HOURS``. A worker that dies mid-export leaves the task to another worker
(``background.leases``), which builds the file again from the start.
"""

import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tasks import TaskContext, task

from background.progress import report_progress

from .models import ExportJob
from .xlsx import region_workbook

EXPORT_DIRECTORY = "exports"


def request_region_export(*, user, today: datetime.date) -> ExportJob:
    """Record an export of every contract in ``user``'s scope and queue the task building it."""
    with transaction.atomic():
        job = ExportJob.objects.create(owner=user, situation_date=today)
        job.task_id = str(export_region.enqueue(job.pk).id)
        job.save(update_fields=["task_id"])
    return job


def export_path(job: ExportJob) -> str:
    return f"{EXPORT_DIRECTORY}/{job.token}.xlsx"


@task(takes_context=True)
def export_region(context: TaskContext, job_id: int) -> dict:
    """Build the workbook of the job ``job_id``, store it, return where and until when."""
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    task_id = str(context.task_result.id)
    last_percent = -1

    def on_progress(done: int, total: int) -> None:
        nonlocal last_percent
        percent = done * 100 // total if total else 0
        if percent != last_percent:  # one write per percent, not per row
            last_percent = percent
            report_progress(task_id, done=done, total=total)

    content = region_workbook(job.owner, today=job.situation_date, on_progress=on_progress)
    path = export_path(job)
    if default_storage.exists(path):  # left by an attempt that died after storing it
        default_storage.delete(path)
    stored = default_storage.save(path, ContentFile(content))
    expires_at = timezone.now() + datetime.timedelta(hours=settings.EXPORT_FILE_HOURS)
    return {
        "path": stored,
        "filename": f"contrats-{slugify(job.situation_date.isoformat())}.xlsx",
        "expires_at": expires_at.isoformat(),
    }


def delete_expired_exports() -> dict:
    """Delete the export files older than ``EXPORT_FILE_HOURS`` (periodic job)."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.EXPORT_FILE_HOURS)
    if not default_storage.exists(EXPORT_DIRECTORY):
        return {"deleted": 0}
    deleted = 0
    for name in default_storage.listdir(EXPORT_DIRECTORY)[1]:
        path = f"{EXPORT_DIRECTORY}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            deleted += 1
    return {"deleted": deleted}

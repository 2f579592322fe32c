"""The FINESS registry imported from an uploaded file, as tasks (``background.imports``).

An administrator uploads an extract (CSV) or a FINESS+ feed (JSON); ``check_finess_import``
runs the dry run on the stored file, and once confirmed ``run_finess_import`` writes it
through ``import_finess_file`` — the service ``manage.py import_finess`` calls — all or
nothing, journaled under the administrator's name, once.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _
from django_tasks import TaskContext, task

from background.imports import (
    confirm_import,
    progress_of,
    read_stored,
    run_once,
    store_upload,
    stored_path,
    task_id_of,
)
from background.models import ImportJob

from .importers import OUTCOMES, ImportReport, import_finess_file
from .membership_import import import_membership_file
from .models import Establishment, HospitalGroup, HospitalGroupMembership, LegalEntity

KIND = "finess"
MODELS = (LegalEntity, Establishment, HospitalGroup, HospitalGroupMembership)
# The page lists this many rejected or skipped records; the counts cover them all.
LINES_SHOWN = 500


def _line_count(path: Path) -> int:
    """Return the number of lines of ``path`` (its records, but for the header)."""
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return max(count - 1, 0)


def report_as_dict(report: ImportReport) -> dict:
    """Return a FINESS import report as JSON-ready data (a task's result, a page's context)."""
    return {
        "valid": report.succeeded,
        "written": report.written,
        "source_format": report.source_format,
        "extract_date": report.extract_date.isoformat() if report.extract_date else None,
        "records_read": report.records_read,
        "file_error": report.file_error or "",
        "counts": [
            {
                "label": str(model._meta.verbose_name_plural),
                **{outcome: report.get(model, outcome) for outcome in OUTCOMES},
            }
            for model in MODELS
        ],
        "rejected_count": len(report.rejected),
        "rejected": [
            {"location": line.location, "reason": str(line.reason)}
            for line in report.rejected[:LINES_SHOWN]
        ],
        "skipped_count": len(report.skipped),
        "skipped": [
            {"location": line.location, "reason": str(line.reason)}
            for line in report.skipped[:LINES_SHOWN]
        ],
    }


def _import(job: ImportJob, *, task_id: str, wet_run: bool) -> dict:
    with stored_path(job) as path, progress_of(task_id) as progress:
        total = _line_count(path) if path.suffix == ".csv" else 0
        progress(0, total)
        report = import_finess_file(
            path=path,
            wet_run=wet_run,
            progress=(lambda done: progress(done, total)) if total else None,
            actor=job.owner if wet_run else None,
            filename=job.filename,
        )
        progress(total, total)
    return report_as_dict(report)


@task(takes_context=True)
def check_finess_import(context: TaskContext, job_id: int) -> dict:
    """Dry run: report what importing the job's file would change, writing nothing."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    return _import(job, task_id=task_id_of(context), wet_run=False)


@task(takes_context=True)
def run_finess_import(context: TaskContext, job_id: int) -> dict:
    """Import the job's file, confirmed after its dry run; never twice."""
    task_id = task_id_of(context)

    def write(job: ImportJob) -> dict:
        job = ImportJob.objects.select_related("owner").get(pk=job.pk)
        return _import(job, task_id=task_id, wet_run=True)

    return run_once(job_id, write)


def request_finess_import(*, user, upload) -> ImportJob:
    """Keep ``upload`` and queue its dry run."""
    return store_upload(owner=user, kind=KIND, upload=upload, check_task=check_finess_import)


def confirm_finess_import(*, user, job: ImportJob) -> bool:
    """Queue the import of a checked file once (False: it was already queued)."""
    return confirm_import(job=job, user=user, run_task=run_finess_import)


FORMAT_LABELS = {
    "extract": _("extrait FINESS (CSV)"),
    "finess_plus": _("flux FINESS+ (JSON)"),
}


# GHT members: a CSV file of (GHT, role, establishment or legal entity) rows.

MEMBERS_KIND = "ght_members"


def _import_members(job: ImportJob, *, task_id: str, dry_run: bool) -> dict:
    with progress_of(task_id) as progress:
        return import_membership_file(
            content=read_stored(job),
            dry_run=dry_run,
            actor=job.owner,
            filename=job.filename,
            progress=progress,
        )


@task(takes_context=True)
def check_members_import(context: TaskContext, job_id: int) -> dict:
    """Dry run: report what importing the job's GHT members would change, writing nothing."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    return _import_members(job, task_id=task_id_of(context), dry_run=True)


@task(takes_context=True)
def run_members_import(context: TaskContext, job_id: int) -> dict:
    """Import the job's GHT members, confirmed after its dry run; never twice."""
    task_id = task_id_of(context)

    def write(job: ImportJob) -> dict:
        job = ImportJob.objects.select_related("owner").get(pk=job.pk)
        return _import_members(job, task_id=task_id, dry_run=False)

    return run_once(job_id, write)


def request_members_import(*, user, upload) -> ImportJob:
    return store_upload(
        owner=user, kind=MEMBERS_KIND, upload=upload, check_task=check_members_import
    )


def confirm_members_import(*, user, job: ImportJob) -> bool:
    return confirm_import(job=job, user=user, run_task=run_members_import)

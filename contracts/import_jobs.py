"""A contract's lines or milestones imported from a file, as tasks (``background.imports``).

The page keeps the uploaded file and queues ``check_contract_import``, the dry run; once its
owner confirms it, ``run_contract_import`` writes the file through ``import_contract_file``
— the same service the management command calls — all or nothing, journaled, once.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskContext, task

from background.imports import (
    confirm_import,
    progress_of,
    read_stored,
    run_once,
    store_upload,
    task_id_of,
)
from background.models import ImportJob

from .imports import import_contract_file
from .models import Contract

KIND = "contract"
KIND_LABELS = {"lines": _("Lignes de financement"), "milestones": _("Jalons")}


def _json(report) -> dict:
    return json.loads(json.dumps(report.as_dict(), cls=DjangoJSONEncoder))


def _import(job: ImportJob, *, task_id: str, dry_run: bool) -> dict:
    contract = Contract.objects.get(pk=job.target_id)
    with progress_of(task_id) as progress:
        report = import_contract_file(
            actor=job.owner,
            contract=contract,
            kind=job.options["kind"],
            file_format=job.options["file_format"],
            content=read_stored(job),
            dry_run=dry_run,
            filename=job.filename,
            progress=progress,
        )
    return _json(report)


@task(takes_context=True)
def check_contract_import(context: TaskContext, job_id: int) -> dict:
    """Dry run: report what importing the job's file would change, writing nothing."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    return _import(job, task_id=task_id_of(context), dry_run=True)


@task(takes_context=True)
def run_contract_import(context: TaskContext, job_id: int) -> dict:
    """Import the job's file, confirmed after its dry run; never twice."""
    task_id = task_id_of(context)

    def write(job: ImportJob) -> dict:
        job = ImportJob.objects.select_related("owner").get(pk=job.pk)
        return _import(job, task_id=task_id, dry_run=False)

    return run_once(job_id, write)


def request_contract_import(*, user, contract: Contract, kind: str, upload) -> ImportJob:
    """Keep ``upload`` and queue its dry run against ``contract``."""
    return store_upload(
        owner=user,
        kind=KIND,
        target_id=contract.pk,
        options={"kind": kind, "file_format": upload.file_format},
        upload=upload,
        check_task=check_contract_import,
    )


def confirm_contract_import(*, user, job: ImportJob) -> bool:
    """Queue the import of a checked file once (False: it was already queued)."""
    return confirm_import(job=job, user=user, run_task=run_contract_import)

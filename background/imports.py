"""File imports run as tasks: the upload is kept, a dry run checks it, a confirmation writes it.

Every import of the product follows the same steps, whatever it imports:

1. ``store_upload`` keeps the uploaded file in Django's storage (``imports/``, deleted after
   ``IMPORT_FILE_HOURS``) and records an ``ImportJob`` whose dry-run task it queues, in one
   transaction;
2. the dry-run task reads the stored file and returns its report (``valid``, counts, errors);
3. ``confirm_import`` — only for the job's owner, only after a valid dry run, only while the
   file is kept — queues the import task once: the job row is locked and a second
   confirmation finds its task already set;
4. the import task runs the importer through ``run_once``, which writes the outcome on the
   job in the import's own transaction: a task run again (its worker died after the commit)
   returns that outcome instead of importing twice.

Each importer (contracts, territories) supplies its own two tasks and reports; the pages
read where a job stands with ``import_stage`` and the progress of its current task.
"""

import datetime
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q, TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ImportJob
from .progress import TaskState, report_progress, task_state

IMPORT_DIRECTORY = "imports"


class ImportRefused(Exception):
    """A confirmation that cannot be accepted; the message is in French."""


class ImportStage(TextChoices):
    """Where an import stands, as its page tells it."""

    CHECKING = "CHECKING", gettext_lazy("Simulation en cours")
    CHECKED = "CHECKED", gettext_lazy("Simulation terminée : prêt à importer")
    REFUSED = "REFUSED", gettext_lazy("Fichier refusé : rien n'a été enregistré")
    CHECK_FAILED = "CHECK_FAILED", gettext_lazy("La simulation a échoué : rien n'a été enregistré")
    EXPIRED = "EXPIRED", gettext_lazy("Fichier expiré")
    IMPORTING = "IMPORTING", gettext_lazy("Import en cours")
    DONE = "DONE", gettext_lazy("Import enregistré")
    RUN_REFUSED = "RUN_REFUSED", gettext_lazy("Import refusé : rien n'a été enregistré")
    FAILED = "FAILED", gettext_lazy("L'import a échoué : rien n'a été enregistré")

    @property
    def running(self) -> bool:
        return self in (ImportStage.CHECKING, ImportStage.IMPORTING)


@dataclass(frozen=True)
class ImportView:
    """What a page needs of a job: its stage, its running task's state, the reports."""

    job: ImportJob
    stage: ImportStage
    task: TaskState | None  # the task of the current step (dry run, then import)
    check_report: dict | None  # the dry run's report, once it is done
    outcome: dict | None  # the import's report, once it is done

    @property
    def confirmable(self) -> bool:
        return self.stage == ImportStage.CHECKED

    @property
    def error(self) -> str:
        return self.task.error if self.task and self.task.error else ""


def progress_facts(view: ImportView, *, rows_text: str) -> dict:
    """Return what a page shows of the running step of an import (JSON-ready).

    ``rows_text`` words the progress, with ``%(done)d`` and ``%(total)d``.
    """
    task = view.task
    done, total = (task.done, task.total) if task else (0, 0)
    return {
        "stage": view.stage.value,
        "stage_label": str(view.stage.label),
        "running": view.stage.running,
        "percent": task.percent if task else 0,
        "done": done,
        "total": total,
        "rows_text": rows_text % {"done": done, "total": total}
        if total
        else _("Lecture du fichier…"),
        "retry_text": _(
            "Le traitement a été interrompu par l'arrêt d'un serveur : il a repris depuis le "
            "début (tentative %(attempt)d)."
        )
        % {"attempt": task.attempts}
        if task and task.attempts > 1 and not task.finished
        else "",
    }


def import_file_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=settings.IMPORT_FILE_HOURS)


def file_is_kept(job: ImportJob) -> bool:
    return not job.file_deleted and job.expires_at > timezone.now()


def store_upload(
    *, owner, kind: str, upload, check_task, target_id: int | None = None, options=None
) -> ImportJob:
    """Keep ``upload`` in the storage, record its job and queue its dry run (``check_task``)."""
    job = ImportJob(
        owner=owner,
        kind=kind,
        target_id=target_id,
        options=options or {},
        filename=Path(upload.name).name[:255],
        size=upload.size,
        expires_at=import_file_expiry(),
    )
    suffix = Path(upload.name).suffix.lower()[:8]
    job.path = default_storage.save(f"{IMPORT_DIRECTORY}/{job.token}{suffix}", upload)
    try:
        with transaction.atomic():
            job.save()
            job.check_task_id = str(check_task.enqueue(job.pk).id)
            job.save(update_fields=["check_task_id"])
    except BaseException:
        default_storage.delete(job.path)  # no job, no file: nothing left behind
        raise
    return job


def confirm_import(*, job: ImportJob, user, run_task) -> bool:
    """Queue the import of ``job``'s file once; return False if it was already queued.

    Raise ``ImportRefused`` when the dry run is not done, found errors, or the file expired.
    """
    if job.owner_id != user.pk:
        raise ImportRefused(_("Seule la personne qui a déposé le fichier confirme son import."))
    if ImportJob.objects.filter(pk=job.pk).exclude(run_task_id="").exists():
        return False  # already confirmed: no lock, the import may be holding it
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.run_task_id:
            return False
        stage = _check_stage(locked, task_state(locked.check_task_id))
        if stage == ImportStage.EXPIRED:
            raise ImportRefused(_("Le fichier a expiré : déposez-le à nouveau."))
        if stage != ImportStage.CHECKED:
            raise ImportRefused(
                _("La simulation doit être terminée et sans erreur avant l'import.")
            )
        locked.confirmed_at = timezone.now()
        locked.run_task_id = str(run_task.enqueue(locked.pk).id)
        locked.save(update_fields=["confirmed_at", "run_task_id"])
    job.refresh_from_db()
    return True


def run_once(job_id: int, write: Callable[[ImportJob], dict]) -> dict:
    """Run ``write`` (the import) for job ``job_id`` unless it already ran; return its outcome.

    ``write`` returns its report with ``written`` saying whether it wrote; the outcome is saved
    on the job in the same transaction as the import's writes, so the two commit together.
    """
    done = ImportJob.objects.filter(pk=job_id, outcome__isnull=False).values("outcome").first()
    if done:
        return done["outcome"]
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.outcome is not None:
            return job.outcome
        if job.confirmed_at is None:
            raise ImportRefused(_("Cet import n'a pas été confirmé."))
        if not file_is_kept(job):
            raise ImportRefused(_("Le fichier a expiré : déposez-le à nouveau."))
        outcome = write(job)
        job.outcome = outcome
        if outcome.get("written"):
            job.imported_at = timezone.now()
        job.save(update_fields=["outcome", "imported_at"])
    return outcome


def read_stored(job: ImportJob) -> bytes:
    """Return the content of ``job``'s file (``ImportRefused`` once it has expired)."""
    try:
        with default_storage.open(job.path, "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        raise ImportRefused(_("Le fichier a expiré : déposez-le à nouveau.")) from None


@contextmanager
def stored_path(job: ImportJob) -> Iterator[Path]:
    """Yield a local path of ``job``'s file: the storage's own, else a temporary copy."""
    try:
        local = Path(default_storage.path(job.path))
    except NotImplementedError:
        local = None  # a remote storage: copy the file next to the worker
    if local is not None:
        if not local.is_file():
            raise ImportRefused(_("Le fichier a expiré : déposez-le à nouveau."))
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=Path(job.path).suffix) as copy:
        copy.write(read_stored(job))
        copy.flush()
        yield Path(copy.name)


def _check_stage(job: ImportJob, check: TaskState | None) -> ImportStage:
    if check is None:
        return ImportStage.EXPIRED  # the task's row was pruned long after the file
    if not check.finished:
        return ImportStage.CHECKING
    if check.status.name == "FAILED":
        return ImportStage.CHECK_FAILED
    if not (check.return_value or {}).get("valid"):
        return ImportStage.REFUSED
    return ImportStage.CHECKED if file_is_kept(job) else ImportStage.EXPIRED


def import_view(job: ImportJob) -> ImportView:
    """Return where ``job`` stands, read from its tasks (one query per task) and its row."""
    check = task_state(job.check_task_id) if job.check_task_id else None
    check_report = check.return_value if check and check.status.name == "SUCCESSFUL" else None
    if not job.run_task_id:
        return ImportView(job, _check_stage(job, check), check, check_report, None)
    run = task_state(job.run_task_id)
    if job.outcome is not None:
        stage = ImportStage.DONE if job.outcome.get("written") else ImportStage.RUN_REFUSED
    elif run is not None and run.status.name == "FAILED":
        stage = ImportStage.FAILED
    else:
        stage = ImportStage.IMPORTING
    return ImportView(job, stage, run, check_report, job.outcome)


def delete_expired_import_files() -> dict:
    """Delete the import files kept past ``IMPORT_FILE_HOURS`` (periodic job).

    A confirmed import still waiting for its worker keeps its file until it has run.
    """
    expired = ImportJob.objects.filter(expires_at__lte=timezone.now(), file_deleted=False).exclude(
        Q(confirmed_at__isnull=False) & Q(outcome__isnull=True)
    )
    deleted = 0
    for job in expired.only("pk", "path"):
        if default_storage.exists(job.path):
            default_storage.delete(job.path)
            deleted += 1
        ImportJob.objects.filter(pk=job.pk).update(file_deleted=True)
    return {"deleted": deleted}


class ProgressReporter:
    """Report a task's progress (``done`` of ``total`` steps), visible while it runs.

    An import writes inside one transaction, which would hide its progress until the end: on
    PostgreSQL the progress then goes through a connection of its own, committed at once.
    SQLite allows one writer at a time, so there the progress shows when the import commits
    (and so it does with ``TASK_PROGRESS_OWN_CONNECTION`` off). Writes only when the figures
    change.
    """

    def __init__(self, task_id: str):
        self.task_id = str(task_id)
        self.last: tuple[int, int] | None = None
        self._connection = None

    def __call__(self, done: int, total: int) -> None:
        done = min(done, total)
        if (done, total) == self.last:
            return
        self.last = (done, total)
        main = connections[DEFAULT_DB_ALIAS]
        own = settings.TASK_PROGRESS_OWN_CONNECTION and main.vendor == "postgresql"
        if not (own and main.in_atomic_block):
            report_progress(self.task_id, done=done, total=total)
            return
        if self._connection is None:
            self._connection = main.__class__(main.settings_dict, DEFAULT_DB_ALIAS)
        with self._connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO background_taskprogress (task_id, done, total, updated_at) "
                "VALUES (%s, %s, %s, now()) ON CONFLICT (task_id) DO UPDATE SET "
                "done = EXCLUDED.done, total = EXCLUDED.total, updated_at = EXCLUDED.updated_at",
                [self.task_id, done, total],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@contextmanager
def progress_of(task_id: str) -> Iterator[ProgressReporter]:
    reporter = ProgressReporter(task_id)
    try:
        yield reporter
    finally:
        reporter.close()


def task_id_of(context: Any) -> str:
    return str(context.task_result.id)

"""What the task engine keeps beside django-tasks-db's own table (``DBTaskResult``).

Workers beat (``WorkerHeartbeat``) so that a task whose worker died is found and queued again;
tasks report their progress (``TaskProgress``) under their id; one scheduler at a time holds
the ``SchedulerLease`` row and records each periodic job's last run (``PeriodicJobRun``);
an uploaded file waits in the storage for its dry run and its import (``ImportJob``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SCHEDULER_LEASE = "scheduler"


class WorkerHeartbeat(models.Model):
    """A worker process alive as of ``beat_at`` (no beat for a while: the worker is dead)."""

    worker_id = models.CharField(_("exécutant"), max_length=64, primary_key=True)
    started_at = models.DateTimeField(_("démarré le"))
    beat_at = models.DateTimeField(_("dernier signe de vie"), db_index=True)

    class Meta:
        verbose_name = _("exécutant de tâches")
        verbose_name_plural = _("exécutants de tâches")

    def __str__(self):
        return self.worker_id


class TaskProgress(models.Model):
    """How far a running task is: ``done`` steps of ``total``, written by the task itself."""

    task_id = models.CharField(_("tâche"), max_length=64, primary_key=True)
    done = models.PositiveIntegerField(_("étapes faites"), default=0)
    total = models.PositiveIntegerField(_("étapes en tout"), default=0)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("avancement d'une tâche")
        verbose_name_plural = _("avancements des tâches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")),
                name="task_progress_done_within_total",
                violation_error_message=_("L'avancement dépasse le total."),
            ),
        ]

    def __str__(self):
        return f"{self.task_id} : {self.done}/{self.total}"


class SchedulerLease(models.Model):
    """The lock of the periodic work: whoever holds an unexpired lease is the one scheduler.

    The row is created by the migration and locked (``SELECT … FOR UPDATE``) by every tick,
    so two schedulers' ticks never overlap, and a tick by one that lost its lease does nothing.
    """

    name = models.CharField(_("nom"), max_length=32, primary_key=True)
    holder = models.CharField(_("détenteur"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    last_tick_at = models.DateTimeField(_("dernier passage"), null=True, blank=True)

    class Meta:
        verbose_name = _("verrou du planificateur")
        verbose_name_plural = _("verrous du planificateur")

    def __str__(self):
        return self.name


class PeriodicJobRun(models.Model):
    """The last time the scheduler queued a periodic job, and the task it queued."""

    name = models.CharField(_("travail périodique"), max_length=64, primary_key=True)
    enqueued_at = models.DateTimeField(_("mis en file le"))
    task_id = models.CharField(_("tâche"), max_length=64)

    class Meta:
        verbose_name = _("passage d'un travail périodique")
        verbose_name_plural = _("passages des travaux périodiques")

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    """An uploaded file to import: checked by one task (the dry run), written by another.

    The file stays in Django's storage (``path``) until ``expires_at``; each task reads it
    there. ``run_task_id`` is set once, under a row lock, when the owner confirms the dry
    run: a second confirmation finds it set and queues nothing. ``imported_at`` and
    ``outcome`` are written in the import's own transaction, so a task run again after its
    worker died sees the import done and never writes it twice.
    """

    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    kind = models.CharField(_("nature"), max_length=32)
    target_id = models.PositiveBigIntegerField(_("objet visé"), null=True, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    path = models.CharField(_("fichier stocké"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("fichier conservé jusqu'au"), db_index=True)
    file_deleted = models.BooleanField(_("fichier supprimé"), default=False)
    check_task_id = models.CharField(_("tâche de simulation"), max_length=64, blank=True)
    run_task_id = models.CharField(_("tâche d'import"), max_length=64, blank=True)
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    outcome = models.JSONField(_("résultat de l'import"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | ~models.Q(run_task_id=""),
                name="import_job_confirmed_has_its_task",
                violation_error_message=_("Un import confirmé a sa tâche d'import."),
            ),
            models.CheckConstraint(
                condition=models.Q(imported_at__isnull=True) | models.Q(confirmed_at__isnull=False),
                name="import_job_imported_once_confirmed",
                violation_error_message=_("Un import n'est écrit qu'une fois confirmé."),
            ),
        ]

    def __str__(self):
        return f"Import {self.token} ({self.filename})"

"""A region export asked by a user: the task that builds it holds its progress and result.

The row only says who asked, for which day, and which task runs it; the task's own rows
(``background.progress.task_state``) give its status, progress, attempts, and once done the
file's place in the storage and its expiry. Any web process on any machine reads them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus

from background.progress import TaskState, task_state


class ExportStatus(models.TextChoices):
    """What the export page says of its task's status."""

    PENDING = "PENDING", _("En attente")
    RUNNING = "RUNNING", _("En cours")
    DONE = "DONE", _("Terminé")
    FAILED = "FAILED", _("Échec")

    @classmethod
    def of(cls, status: TaskResultStatus) -> "ExportStatus":
        return {
            TaskResultStatus.READY: cls.PENDING,
            TaskResultStatus.RUNNING: cls.RUNNING,
            TaskResultStatus.SUCCESSFUL: cls.DONE,
            TaskResultStatus.FAILED: cls.FAILED,
        }[status]


class ExportJob(models.Model):
    """An export of every contract in its owner's scope, as XLSX, built by a task."""

    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    task_id = models.CharField(_("tâche"), max_length=64, blank=True)
    situation_date = models.DateField(_("situation au"))
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("export en arrière-plan")
        verbose_name_plural = _("exports en arrière-plan")
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export {self.token}"

    def state(self) -> TaskState | None:
        """Return the state of the task building the export (one query)."""
        return task_state(self.task_id) if self.task_id else None

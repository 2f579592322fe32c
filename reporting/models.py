"""A long export run in the background: its progress and, once done, its file.

The row lives in the database so that any web process can report progress and serve
the file, whichever process runs the export.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "PENDING", _("En attente")
    RUNNING = "RUNNING", _("En cours")
    DONE = "DONE", _("Terminé")
    FAILED = "FAILED", _("Échec")


class ExportJob(models.Model):
    """An export of every contract in its owner's scope, as XLSX."""

    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    done = models.PositiveIntegerField(_("étapes faites"), default=0)
    total = models.PositiveIntegerField(_("étapes en tout"), default=0)
    filename = models.CharField(_("nom du fichier"), max_length=100, blank=True)
    content = models.BinaryField(_("contenu"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    situation_date = models.DateField(_("situation au"))
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("export en arrière-plan")
        verbose_name_plural = _("exports en arrière-plan")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values),
                name="export_job_status_valid",
                violation_error_message=_("Statut d'export inconnu."),
            ),
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")),
                name="export_job_done_within_total",
                violation_error_message=_("L'avancement dépasse le total."),
            ),
        ]

    def __str__(self):
        return f"Export {self.token} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0

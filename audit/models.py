"""The journal's tables: append-only events, chained by hash, and the chain head.

The journal is the lowest layer: every app journals through ``audit.journal``, and the
events name the contract they belong to by id only (no foreign key upwards).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    CREATE = "CREATE", _("Création")
    CHANGE = "CHANGE", _("Modification")
    DELETE = "DELETE", _("Suppression")
    IMPORT = "IMPORT", _("Import")
    EXPORT = "EXPORT", _("Export")
    TRANSITION = "TRANSITION", _("Étape de workflow")
    ASSIGN = "ASSIGN", _("Prise en charge d'une tâche")
    UNASSIGN = "UNASSIGN", _("Abandon d'une tâche")
    CANCEL = "CANCEL", _("Annulation")
    UNDO = "UNDO", _("Retour arrière")
    REVIVE = "REVIVE", _("Reprise d'une tâche annulée")
    VIEW = "VIEW", _("Consultation auditeur")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune modification.")

    def delete(self):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune suppression.")


class AuditEvent(models.Model):
    """One journaled event. Never updated, never deleted."""

    sequence = models.BigIntegerField(_("numéro d'ordre"), unique=True)
    occurred_at = models.DateTimeField(_("date"), db_index=True)
    # DO_NOTHING, not SET_NULL: deleting a user must not rewrite the events they signed
    # (the actor id is part of each hash); ``actor_name`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("acteur"),
    )
    actor_name = models.CharField(_("acteur (nom)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=12, choices=AuditAction.choices)
    # The contract's id, not a foreign key: the journal sits below the contracts layer and
    # keeps the events of a contract even if it were ever removed.
    contract_id = models.BigIntegerField(_("contrat"), null=True, blank=True)
    object_type = models.CharField(_("type d'objet"), max_length=60)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=60, blank=True)
    object_label = models.CharField(_("objet"), max_length=255, blank=True)
    summary = models.CharField(_("résumé"), max_length=255)
    reason = models.TextField(_("motif"), blank=True)
    changes = models.JSONField(_("valeurs avant / après"), default=dict, blank=True)
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64)
    hash = models.CharField(_("empreinte"), max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["contract_id", "sequence"], name="audit_contract_seq_idx"),
            models.Index(fields=["actor", "sequence"], name="audit_actor_seq_idx"),
            # The history of one object (a dossier's page) reads its events by type and id.
            models.Index(
                fields=["object_type", "object_id", "sequence"], name="audit_object_seq_idx"
            ),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Le journal d'audit est en ajout seul : aucune modification.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune suppression.")


class AuditChainHead(models.Model):
    """The single row that holds the chain's last sequence and hash (the append lock)."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("tête de chaîne du journal")

    def __str__(self):
        return f"#{self.last_sequence} {self.last_hash[:12]}"

"""The journal's tables: append-only events in hash-chained streams, and checkpoints.

Each event belongs to one stream (a contract, a call for applications, the territory
registry, rights…) and is chained to the previous event of that stream only, so two
contracts never wait for each other. Periodic checkpoints chain the heads of every
stream into one national chain.

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


class AuditStream(models.Model):
    """One hash chain of the journal and its head: the lock of its appends, and only its.

    ``key`` names what the stream covers (``contract:42``, ``campaign:7``, ``territories``,
    ``rights``…). The head moves one event at a time: ``prev_hash`` is the hash the last
    event was chained to, ``last_hash`` the last event's own.
    """

    key = models.CharField(_("flux"), max_length=60, unique=True)
    last_sequence = models.BigIntegerField(_("dernier numéro"), default=0)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_hash = models.CharField(_("dernière empreinte"), max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("flux du journal")
        verbose_name_plural = _("flux du journal")

    def __str__(self):
        return f"{self.key} #{self.last_sequence}"


class AuditEvent(models.Model):
    """One journaled event. Never updated, never deleted.

    ``id`` orders the whole journal; ``sequence`` numbers the events of one stream, from 1.
    """

    stream = models.ForeignKey(
        AuditStream,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("flux"),
        # The unique (stream, sequence) index serves every lookup by stream: one index
        # less to maintain on each append.
        db_index=False,
    )
    sequence = models.BigIntegerField(_("numéro dans le flux"))
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
    # The contract's GHT, copied at append (a contract never changes GHT): the scope of a
    # journal search, as a token of the search document (``audit.search``), so that the
    # full-text index finds a region's matches without the country's. Not hashed: it
    # follows from ``contract_id``, which is; it can only narrow what a search finds.
    hospital_group_id = models.BigIntegerField(
        _("GHT du contrat"), null=True, blank=True, editable=False
    )
    object_type = models.CharField(_("type d'objet"), max_length=60)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=60, blank=True)
    object_label = models.CharField(_("objet"), max_length=255, blank=True)
    summary = models.CharField(_("résumé"), max_length=255)
    reason = models.TextField(_("motif"), blank=True)
    changes = models.JSONField(_("valeurs avant / après"), default=dict, blank=True)
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64)
    # Not indexed: nothing looks an event up by its hash, and an index of random keys (two
    # on PostgreSQL, the unique one and its ``LIKE`` twin) made half of each append's cost
    # at national scale, 240 MB per million events (issue 17). What it guarded is held
    # otherwise: one event per place in its stream (``audit_stream_sequence``), each hash
    # chained to the one before it, and ``verify_audit`` names any event that breaks it.
    hash = models.CharField(_("empreinte"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "sequence"], name="audit_stream_sequence"),
        ]
        indexes = [
            models.Index(fields=["contract_id", "id"], name="audit_contract_id_idx"),
            models.Index(fields=["actor", "id"], name="audit_actor_id_idx"),
            # The history of one object (a dossier's page) reads its events by type and id.
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_id_idx"),
            # Four-eyes: did this person act on this contract? One probe per listed process
            # (``Contract.drafted_by``), not the person's whole journal.
            models.Index(fields=["contract_id", "actor"], name="audit_contract_actor_idx"),
        ]

    def __str__(self):
        return f"{self.stream_id}#{self.sequence} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Le journal d'audit est en ajout seul : aucune modification.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune suppression.")


class AuditCheckpoint(models.Model):
    """One link of the national chain: the heads of the streams that moved since the last.

    Its hash covers its number, time, the previous checkpoint's hash and its entries, so
    a checkpoint kept outside the database vouches for every stream up to its heads.
    """

    number = models.BigIntegerField(_("numéro"), unique=True)
    taken_at = models.DateTimeField(_("date"))
    event_count = models.BigIntegerField(_("événements couverts"))
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64)
    hash = models.CharField(_("empreinte"), max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("point de contrôle du journal")
        verbose_name_plural = _("points de contrôle du journal")
        ordering = ["number"]

    def __str__(self):
        return f"#{self.number} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Le journal d'audit est en ajout seul : aucune modification.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune suppression.")


class AuditCheckpointEntry(models.Model):
    """The head of one stream as a checkpoint saw it."""

    checkpoint = models.ForeignKey(
        AuditCheckpoint, on_delete=models.PROTECT, related_name="entries"
    )
    stream = models.ForeignKey(
        AuditStream, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream", "sequence"], name="audit_checkpoint_entry_stream_seq"
            ),
        ]

    def __str__(self):
        return f"{self.stream_id}#{self.sequence} {self.hash[:12]}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul : aucune suppression.")

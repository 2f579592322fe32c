"""Milestones of an axis, measured by one indicator, and the evidence filed with their reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..money import ZERO
from .contract import StrategicAxis
from .four_eyes import four_eyes_constraint, person_field


class MilestoneStatus(models.TextChoices):
    PLANNED = "PLANNED", _("Prévu")
    SUBMITTED = "SUBMITTED", _("Déclaré par le GHT")
    VALIDATED = "VALIDATED", _("Validé par l'ARS")


def late_condition(today) -> Q:
    """Return the SQL condition of a late milestone: past due and not validated on ``today``."""
    return Q(due_date__lt=today) & ~Q(status=MilestoneStatus.VALIDATED)


class MilestoneQuerySet(models.QuerySet):
    def unvalidated(self):
        """Return the milestones not validated yet (still open)."""
        return self.exclude(status=MilestoneStatus.VALIDATED)

    def late(self, today):
        """Return the milestones late on ``today`` (see ``Milestone.is_late``)."""
        return self.filter(late_condition(today))

    def with_lateness(self, today):
        """Annotate each milestone with ``late``: whether it is late on ``today``."""
        return self.annotate(
            late=models.ExpressionWrapper(late_condition(today), output_field=models.BooleanField())
        )


class Milestone(models.Model):
    """A dated milestone of an axis, measured by one indicator."""

    # Four-eyes: who prepared what is decided, and who decides (read by flows and lists).
    preparer_field = "submitted_by"
    decider_field = "validated_by"

    axis = models.ForeignKey(
        StrategicAxis, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("axe")
    )
    title = models.CharField(_("intitulé"), max_length=255)
    due_date = models.DateField(_("échéance"))
    indicator_label = models.CharField(_("indicateur"), max_length=255)
    indicator_unit = models.CharField(_("unité"), max_length=50, blank=True)
    baseline_value = models.DecimalField(
        _("valeur de référence"), max_digits=14, decimal_places=2, default=ZERO
    )
    target_value = models.DecimalField(_("cible"), max_digits=14, decimal_places=2)
    actual_value = models.DecimalField(
        _("valeur atteinte"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    progress_comment = models.TextField(_("commentaire d'avancement"), blank=True)
    submitted_by = person_field(_("déclaré par"), optional=True)
    validated_by = person_field(_("validé par"), optional=True)
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values),
                name="milestone_status_valid",
                violation_error_message=_("Statut de jalon inconnu."),
            ),
            four_eyes_constraint(
                name="milestone_four_eyes",
                preparer="submitted_by",
                decider="validated_by",
                message=_("Le déclarant ne peut pas valider son propre jalon."),
            ),
            models.CheckConstraint(
                condition=~Q(status="VALIDATED") | Q(actual_value__isnull=False),
                name="validated_milestone_has_value",
                violation_error_message=_("Un jalon validé doit avoir une valeur atteinte."),
            ),
        ]

    def __str__(self):
        return self.title

    def is_late(self, today) -> bool:
        """Return whether the milestone is past due and not validated on ``today``.

        The same rule as ``late_condition``, for a row already loaded.
        """
        return self.status != MilestoneStatus.VALIDATED and self.due_date < today


def evidence_upload_path(instance, filename):
    return f"evidence/{instance.milestone.axis.contract_id}/{instance.milestone_id}/{filename}"


class EvidenceDocument(models.Model):
    """A document uploaded as evidence of a milestone's progress."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("jalon")
    )
    file = models.FileField(_("fichier"), upload_to=evidence_upload_path)
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("déposé par")
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    content_type = models.CharField(_("type de contenu"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.description or self.file.name

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]

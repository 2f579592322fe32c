"""The four-eyes base of every decision: one person prepares, another decides."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DecisionStatus(models.TextChoices):
    PREPARED = "PREPARED", _("Préparée")
    APPROVED = "APPROVED", _("Validée")
    REJECTED = "REJECTED", _("Renvoyée")


def four_eyes_constraint(*, name: str, preparer: str, decider: str, message):
    """Return the constraint that whoever decides on a row is never whoever prepared it."""
    return models.CheckConstraint(
        condition=~Q(**{decider: F(preparer)}), name=name, violation_error_message=message
    )


class FourEyesDecision(models.Model):
    """A decision prepared by one person and taken by another (four-eyes).

    ``preparer_field`` and ``decider_field`` name who prepared and who decides: the flows
    (who may not take the task), the lists (whose queue hides it) and the services read
    them from the decision, so the four-eyes path is declared once per decision.
    """

    preparer_field = "prepared_by"
    decider_field = "approved_by"

    status = models.CharField(
        _("statut"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PREPARED
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("préparé par"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def preparer_id(self) -> int | None:
        """Return the id of whoever prepared this decision."""
        return getattr(self, f"{self.preparer_field}_id")

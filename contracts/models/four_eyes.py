"""The four-eyes base of every decision: one person prepares, another decides."""

from django.conf import settings
from django.db import models
from django.db.models import CharField, Exists, F, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from audit.journal import drafting_actors, object_actors
from audit.models import AuditAction, AuditEvent


class DecisionStatus(models.TextChoices):
    PREPARED = "PREPARED", _("Préparée")
    APPROVED = "APPROVED", _("Validée")
    REJECTED = "REJECTED", _("Renvoyée")


def person_field(verbose_name, *, optional: bool = False) -> models.ForeignKey:
    """Return the column of a person who prepares or decides (kept if the user is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=optional,
        blank=optional,
        related_name="+",
        verbose_name=verbose_name,
    )


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
    prepared_by = person_field(_("préparé par"))
    approved_by = person_field(_("validé par"), optional=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def preparer_id(self) -> int | None:
        """Return the id of whoever prepared this decision."""
        return getattr(self, f"{self.preparer_field}_id")


DRAFTING_ACTIONS = (AuditAction.CREATE, AuditAction.CHANGE)


class JournaledDrafters:
    """A decision whose drafters are read from the journal: whoever created or changed it.

    The preparer wrote the proposal; whoever changed it afterwards (its amounts, its
    proposed version) wrote figures of it too, and may not approve it either (four-eyes).
    ``drafter_ids`` is read by the services and the task checks, ``drafted_by`` by the
    queue as one subquery, like ``Contract``'s.
    """

    @classmethod
    def drafting_events(cls):
        return AuditEvent.objects.filter(
            object_type=cls._meta.label,
            action__in=DRAFTING_ACTIONS,
            actor__isnull=False,
        )

    def drafter_ids(self) -> set[int]:
        """Return the ids of the people who created or changed this decision."""
        # ``drafting_events`` of this object, read as the journal reads its own index.
        ids = set(
            drafting_actors(
                (self._meta.label, self.pk),
                lambda: object_actors(self._meta.label, str(self.pk), DRAFTING_ACTIONS),
            )
        )
        if self.preparer_id:
            ids.add(self.preparer_id)
        return ids

    @classmethod
    def drafted_by(cls, user, decision_id):
        """Return whether ``user`` created or changed the decision ``decision_id`` (an
        ``OuterRef``), as an ``Exists``: one probe of the journal's object index per row."""
        return Exists(
            cls.drafting_events().filter(object_id=Cast(decision_id, CharField()), actor=user)
        )

"""The bare flow's tables: the yardstick a product transition is measured against.

A plain artifact and a process subclass pointing at it, as a minimal viewflow 2.4
project would write them (viewflow cookbook): no journal, no scope, no four-eyes.
Only the benchmarks use them; no runtime app imports this module.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Process


class BareDelegation(models.Model):
    """An amount prepared by one person and approved by another."""

    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    approved = models.BooleanField(default=False)
    decision_reference = models.CharField(max_length=100, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "délégation (flux nu)"

    def __str__(self):
        return f"Délégation nue n° {self.pk}"


class BareProcess(Process):
    """The bare flow's process: the delegation it decides and the decision."""

    delegation = models.ForeignKey(
        BareDelegation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decision = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = "processus (flux nu)"
        permissions = [
            ("prepare_bare", "Préparer une délégation (flux nu)"),
            ("approve_bare", "Valider une délégation (flux nu)"),
        ]

    def __str__(self):
        return f"Processus nu n° {self.pk}"

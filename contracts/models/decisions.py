"""Decisions on a contract's money and figures, each on the four-eyes base."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..money import ZERO, MoneyField
from .contract import Contract, YearlyAllocation
from .four_eyes import (
    DecisionStatus,
    FourEyesDecision,
    JournaledDrafters,
    four_eyes_constraint,
    person_field,
)


class CreditDelegation(JournaledDrafters, FourEyesDecision):
    """A yearly delegation of credits (délégation de crédits) for a contract."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="delegations", verbose_name=_("contrat")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    decision_reference = models.CharField(_("référence de la décision"), max_length=60, blank=True)
    decision_date = models.DateField(_("date de la décision"), null=True, blank=True)

    class Meta(FourEyesDecision.Meta):
        abstract = False
        verbose_name = _("délégation de crédits")
        verbose_name_plural = _("délégations de crédits")
        ordering = ["contract", "year", "pk"]
        constraints = [
            four_eyes_constraint(
                name="delegation_four_eyes",
                preparer="prepared_by",
                decider="approved_by",
                message=_("La personne qui a préparé la délégation ne peut pas l'approuver."),
            ),
            models.CheckConstraint(
                condition=~Q(status="APPROVED")
                | (
                    Q(approved_by__isnull=False)
                    & Q(decision_date__isnull=False)
                    & ~Q(decision_reference="")
                ),
                name="approved_delegation_is_complete",
                violation_error_message=_(
                    "Une délégation approuvée porte un approbateur, une référence et une date."
                ),
            ),
            # Several approved delegations of one year are allowed (complementary, after an
            # amendment); delegated ≤ allocated holds on each allocation. One is prepared
            # at a time: see ``credits.delegation_refusals``.
            models.UniqueConstraint(
                fields=["contract", "year"],
                condition=Q(status="PREPARED"),
                name="one_prepared_delegation_per_contract_and_year",
                violation_error_message=_(
                    "Une délégation de cette année est déjà en préparation pour ce contrat."
                ),
            ),
        ]

    def __str__(self):
        return f"Délégation {self.year} – {self.contract.reference}"


class CreditDelegationLine(models.Model):
    """The amount a delegation gives to one yearly allocation."""

    delegation = models.ForeignKey(
        CreditDelegation,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("délégation"),
    )
    allocation = models.ForeignKey(
        YearlyAllocation,
        on_delete=models.PROTECT,
        related_name="delegation_lines",
        verbose_name=_("allocation"),
    )
    amount = MoneyField(_("montant"))

    class Meta:
        verbose_name = _("ligne de délégation")
        verbose_name_plural = _("lignes de délégation")
        constraints = [
            models.UniqueConstraint(
                fields=["delegation", "allocation"], name="unique_allocation_per_delegation"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="delegation_line_not_negative",
                violation_error_message=_("Un montant délégué ne peut pas être négatif."),
            ),
        ]

    def __str__(self):
        return f"{self.allocation}: {self.amount} €"


class ConsumptionStatement(models.Model):
    """A consumption statement (état récapitulatif) of one allocation."""

    # Four-eyes: who prepared what is decided, and who decides (read by flows and lists).
    preparer_field = "submitted_by"
    decider_field = "checked_by"

    allocation = models.ForeignKey(
        YearlyAllocation,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("allocation"),
    )
    consumed_amount = MoneyField(_("montant consommé"))
    non_compliant_amount = MoneyField(_("dont montant non conforme"), default=ZERO)
    status = models.CharField(
        _("statut"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PREPARED
    )
    submitted_by = person_field(_("déclaré par"))
    checked_by = person_field(_("vérifié par"), optional=True)
    comment = models.TextField(_("commentaire"), blank=True)
    submitted_at = models.DateTimeField(_("déclaré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("état récapitulatif")
        verbose_name_plural = _("états récapitulatifs")
        ordering = ["allocation", "submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consumed_amount__gte=0)
                & Q(non_compliant_amount__gte=0)
                & Q(non_compliant_amount__lte=F("consumed_amount")),
                name="statement_amounts_consistent",
                violation_error_message=_(
                    "Le montant non conforme doit être compris entre zéro et le montant consommé."
                ),
            ),
            four_eyes_constraint(
                name="statement_four_eyes",
                preparer="submitted_by",
                decider="checked_by",
                message=_("Le déclarant ne peut pas vérifier son propre état."),
            ),
        ]

    def __str__(self):
        return f"État récapitulatif {self.allocation}"


class RecoveryMode(models.TextChoices):
    RECOVER = "RECOVER", _("Récupération par titre de recette")
    OFFSET = "OFFSET", _("Récupération sur la prochaine notification de crédits")


class RecoveryBasis(models.TextChoices):
    """What a recovery's amount comes from: a consumption statement, or a decided repayment."""

    STATEMENT = "STATEMENT", _("État récapitulatif (crédits non consommés ou non conformes)")
    AWARD_BREACH = "AWARD_BREACH", _("Rupture d'engagement d'une attribution individuelle")


class Recovery(FourEyesDecision):
    """Credits taken back from an allocation: unused or non-compliant (DOMAIN.md §5).

    ``basis`` says where the amount comes from: the allocation's consumption statement
    (computed by ``credits.recoverable``), or a repayment decided elsewhere (a CAE breach:
    an amount counted as non-compliant spending, bounded by ``credits.decided_recoverable``).
    """

    allocation = models.ForeignKey(
        YearlyAllocation,
        on_delete=models.PROTECT,
        related_name="recoveries",
        verbose_name=_("allocation"),
    )
    unused_amount = MoneyField(_("crédits non consommés"), default=ZERO)
    non_compliant_amount = MoneyField(_("crédits non conformes"), default=ZERO)
    amount = MoneyField(_("montant repris"))
    mode = models.CharField(_("modalité"), max_length=10, choices=RecoveryMode.choices)
    offset_year = models.PositiveSmallIntegerField(_("année d'imputation"), null=True, blank=True)
    basis = models.CharField(
        _("origine"), max_length=20, choices=RecoveryBasis.choices, default=RecoveryBasis.STATEMENT
    )
    basis_reference = models.CharField(_("référence de l'origine"), max_length=120, blank=True)

    class Meta(FourEyesDecision.Meta):
        abstract = False
        verbose_name = _("reprise de crédits")
        verbose_name_plural = _("reprises de crédits")
        ordering = ["allocation", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount=F("unused_amount") + F("non_compliant_amount"))
                & Q(unused_amount__gte=0)
                & Q(non_compliant_amount__gte=0),
                name="recovery_amount_is_the_sum",
                violation_error_message=_(
                    "Le montant repris est la somme des crédits non consommés et non conformes."
                ),
            ),
            four_eyes_constraint(
                name="recovery_four_eyes",
                preparer="prepared_by",
                decider="approved_by",
                message=_("La personne qui a préparé la reprise ne peut pas l'approuver."),
            ),
            models.CheckConstraint(
                condition=~Q(mode="OFFSET") | Q(offset_year__isnull=False),
                name="offset_recovery_has_year",
                violation_error_message=_("Une imputation précise l'année de la délégation visée."),
            ),
            # The credits a prepared recovery holds cannot be recovered a second time.
            models.UniqueConstraint(
                fields=["allocation"],
                condition=Q(status="PREPARED"),
                name="one_prepared_recovery_per_allocation",
                violation_error_message=_(
                    "Une reprise de cette ligne et de cette année attend déjà son approbation."
                ),
            ),
        ]

    def __str__(self):
        return f"Reprise {self.allocation}: {self.amount} €"


class Amendment(JournaledDrafters, FourEyesDecision):
    """An amendment (avenant): a new version of the contract's figures and milestones.

    ``proposed`` holds the whole proposed version (the shape of
    ``selectors.contract_snapshot``); the diff against the current contract is derived.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("contrat")
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    reason = models.TextField(_("objet de l'avenant"))
    base_version = models.PositiveIntegerField(_("version de départ"))
    proposed = models.JSONField(_("version proposée"))

    class Meta(FourEyesDecision.Meta):
        abstract = False
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="unique_amendment_number_per_contract",
                violation_error_message=_("Ce numéro d'avenant existe déjà."),
            ),
            four_eyes_constraint(
                name="amendment_four_eyes",
                preparer="prepared_by",
                decider="approved_by",
                message=_("La personne qui a préparé l'avenant ne peut pas l'approuver."),
            ),
        ]

    def __str__(self):
        return f"Avenant n° {self.number} – {self.contract.reference}"

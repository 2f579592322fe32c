"""A territorial attractiveness contract, its axes, funding lines, milestones and money.

Money invariants that one row can state are database constraints on ``YearlyAllocation``
(delegated ≤ allocated, consumed ≤ delegated, recovered ≤ delegated); since sums keep
``≤``, they hold at every level (line, axis, contract, year). The one invariant that
spans rows, allocated ≤ envelope, is checked by the services under a row lock.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from audit.journal import AuditChainHead, AuditEvent  # noqa: F401  (registers the journal models)
from territories.models import Establishment, HospitalGroup, Region

from .money import ZERO, MoneyField
from .schemes import SchemeCode


class ContractStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Brouillon")
    SUBMITTED = "SUBMITTED", _("Soumis à validation")
    APPROVED = "APPROVED", _("Approuvé, en attente de signature")
    ACTIVE = "ACTIVE", _("Signé, en vigueur")
    CLOSED = "CLOSED", _("Clos")


class Contract(models.Model):
    """A multi-year contract between an ARS (region) and a GHT."""

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    title = models.CharField(_("intitulé"), max_length=255)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("région")
    )
    hospital_group = models.ForeignKey(
        HospitalGroup, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("GHT")
    )
    carrier_establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        related_name="carried_contracts",
        verbose_name=_("établissement porteur"),
        help_text=_("La partie au contrat : l'établissement support du GHT."),
    )
    start_date = models.DateField(_("date de début"))
    end_date = models.DateField(_("date de fin (incluse)"))
    signature_date = models.DateField(_("date de signature"), null=True, blank=True)
    signatories = models.CharField(_("signataires"), max_length=255, blank=True)
    envelope_amount = MoneyField(_("enveloppe"))
    status = models.CharField(
        _("statut"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("soumis par"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("contrat")
        verbose_name_plural = _("contrats")
        ordering = ["-start_date", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(envelope_amount__gte=0),
                name="contract_envelope_not_negative",
                violation_error_message=_("L'enveloppe du contrat ne peut pas être négative."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contract_ends_after_start",
                violation_error_message=_("La date de fin doit suivre la date de début."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values),
                name="contract_status_valid",
                violation_error_message=_("Statut de contrat inconnu."),
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=F("submitted_by")),
                name="contract_four_eyes",
                violation_error_message=_(
                    "La personne qui a soumis le contrat ne peut pas l'approuver."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="ACTIVE") | Q(signature_date__isnull=False),
                name="active_contract_is_signed",
                violation_error_message=_(
                    "Un contrat en vigueur doit avoir une date de signature."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    @property
    def years(self) -> list[int]:
        """Return the calendar years the contract covers, ends included."""
        return list(range(self.start_date.year, self.end_date.year + 1))


class StrategicAxis(models.Model):
    """One of the contract's strategic axes (e.g. « Développer une marque employeur »)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="axes", verbose_name=_("contrat")
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("axe stratégique")
        verbose_name_plural = _("axes stratégiques")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="unique_axis_number_per_contract",
                violation_error_message=_("Ce numéro d'axe existe déjà dans le contrat."),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="axis_number_positive",
                violation_error_message=_("Les axes sont numérotés à partir de 1."),
            ),
        ]

    def __str__(self):
        return f"Axe {self.number} – {self.title}"


class FundingLine(models.Model):
    """A measure funded under an axis: a scheme, a beneficiary and an amount per year."""

    axis = models.ForeignKey(
        StrategicAxis, on_delete=models.CASCADE, related_name="lines", verbose_name=_("axe")
    )
    code = models.CharField(_("code"), max_length=30)
    scheme = models.CharField(_("dispositif"), max_length=10, choices=SchemeCode.choices)
    label = models.CharField(_("libellé"), max_length=255)
    beneficiary = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        related_name="funding_lines",
        verbose_name=_("établissement bénéficiaire"),
    )
    details = models.JSONField(
        _("paramètres du dispositif"),
        default=dict,
        blank=True,
        help_text=_("Par exemple le nombre d'étudiants IPA ou d'actions CLACT."),
    )
    consumption_deadline_date = models.DateField(
        _("date limite de consommation"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        ordering = ["axis", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["axis", "code"],
                name="unique_line_code_per_axis",
                violation_error_message=_("Ce code de ligne existe déjà sur cet axe."),
            ),
            models.CheckConstraint(
                condition=Q(scheme__in=SchemeCode.values),
                name="funding_line_scheme_valid",
                violation_error_message=_("Dispositif inconnu."),
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.label}"


class YearlyAllocation(models.Model):
    """The money of one funding line for one year, with its running totals.

    The totals are written only by the services, in the same transaction as the
    delegation, statement or recovery they sum, so the constraints below hold the
    invariants even against a concurrent writer.
    """

    funding_line = models.ForeignKey(
        FundingLine, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("ligne")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    allocated_amount = MoneyField(_("montant alloué"), default=ZERO)
    delegated_amount = MoneyField(_("montant délégué"), default=ZERO)
    consumed_amount = MoneyField(_("montant consommé"), default=ZERO)
    recovered_amount = MoneyField(_("montant repris"), default=ZERO)

    class Meta:
        verbose_name = _("allocation annuelle")
        verbose_name_plural = _("allocations annuelles")
        ordering = ["funding_line", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["funding_line", "year"],
                name="unique_allocation_per_line_and_year",
                violation_error_message=_("Cette ligne a déjà une allocation pour cette année."),
            ),
            models.CheckConstraint(
                condition=Q(allocated_amount__gte=0)
                & Q(delegated_amount__gte=0)
                & Q(consumed_amount__gte=0)
                & Q(recovered_amount__gte=0),
                name="allocation_amounts_not_negative",
                violation_error_message=_("Un montant ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(delegated_amount__lte=F("allocated_amount")),
                name="delegated_within_allocated",
                violation_error_message=_("Le montant délégué dépasse le montant alloué."),
            ),
            models.CheckConstraint(
                condition=Q(consumed_amount__lte=F("delegated_amount")),
                name="consumed_within_delegated",
                violation_error_message=_("Le montant consommé dépasse le montant délégué."),
            ),
            models.CheckConstraint(
                condition=Q(recovered_amount__lte=F("delegated_amount")),
                name="recovered_within_delegated",
                violation_error_message=_("Le montant repris dépasse le montant délégué."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="allocation_year_plausible",
                violation_error_message=_("Année hors limites."),
            ),
        ]

    def __str__(self):
        return f"{self.funding_line.code} {self.year}"


class MilestoneStatus(models.TextChoices):
    PLANNED = "PLANNED", _("Prévu")
    SUBMITTED = "SUBMITTED", _("Déclaré par le GHT")
    VALIDATED = "VALIDATED", _("Validé par l'ARS")


class Milestone(models.Model):
    """A dated milestone of an axis, measured by one indicator."""

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
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déclaré par"),
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validé par"),
    )
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)

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
            models.CheckConstraint(
                condition=~Q(validated_by=F("submitted_by")),
                name="milestone_four_eyes",
                violation_error_message=_("Le déclarant ne peut pas valider son propre jalon."),
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
        """Return whether the milestone is past due and not validated on ``today``."""
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

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.description or self.file.name


class DecisionStatus(models.TextChoices):
    PREPARED = "PREPARED", _("Préparée")
    APPROVED = "APPROVED", _("Approuvée")
    REJECTED = "REJECTED", _("Renvoyée")


class CreditDelegation(models.Model):
    """A yearly delegation of credits (délégation de crédits) for a contract."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="delegations", verbose_name=_("contrat")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(
        _("statut"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PREPARED
    )
    decision_reference = models.CharField(_("référence de la décision"), max_length=60, blank=True)
    decision_date = models.DateField(_("date de la décision"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("préparée par"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("délégation de crédits")
        verbose_name_plural = _("délégations de crédits")
        ordering = ["contract", "year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(approved_by=F("prepared_by")),
                name="delegation_four_eyes",
                violation_error_message=_(
                    "La personne qui a préparé la délégation ne peut pas l'approuver."
                ),
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
            models.UniqueConstraint(
                fields=["contract", "year"],
                condition=Q(status="APPROVED"),
                name="one_approved_delegation_per_contract_and_year",
                violation_error_message=_("Une délégation est déjà approuvée pour cette année."),
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
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déclaré par"),
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )
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
            models.CheckConstraint(
                condition=~Q(checked_by=F("submitted_by")),
                name="statement_four_eyes",
                violation_error_message=_("Le déclarant ne peut pas vérifier son propre état."),
            ),
        ]

    def __str__(self):
        return f"État récapitulatif {self.allocation}"


class RecoveryMode(models.TextChoices):
    RECOVER = "RECOVER", _("Reprise des crédits (titre de recette)")
    OFFSET = "OFFSET", _("Imputation sur la prochaine délégation")


class Recovery(models.Model):
    """Credits taken back from an allocation: unused or non-compliant (DOMAIN.md §5)."""

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
    status = models.CharField(
        _("statut"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PREPARED
    )
    offset_year = models.PositiveSmallIntegerField(_("année d'imputation"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("préparée par"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
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
            models.CheckConstraint(
                condition=~Q(approved_by=F("prepared_by")),
                name="recovery_four_eyes",
                violation_error_message=_(
                    "La personne qui a préparé la reprise ne peut pas l'approuver."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(mode="OFFSET") | Q(offset_year__isnull=False),
                name="offset_recovery_has_year",
                violation_error_message=_("Une imputation précise l'année de la délégation visée."),
            ),
        ]

    def __str__(self):
        return f"Reprise {self.allocation}: {self.amount} €"


class Amendment(models.Model):
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
        verbose_name=_("approuvé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="unique_amendment_number_per_contract",
                violation_error_message=_("Ce numéro d'avenant existe déjà."),
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=F("prepared_by")),
                name="amendment_four_eyes",
                violation_error_message=_(
                    "La personne qui a préparé l'avenant ne peut pas l'approuver."
                ),
            ),
        ]

    def __str__(self):
        return f"Avenant n° {self.number} – {self.contract.reference}"

"""The contract, its strategic axes, funding lines and yearly amounts (the money invariants)."""

from django.db import models
from django.db.models import Exists, F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from audit.journal import drafting_actors
from audit.models import AuditAction, AuditEvent
from territories.models import Establishment, HospitalGroup, Region

from ..money import ZERO, MoneyField
from ..schemes import SchemeCode
from .four_eyes import four_eyes_constraint, person_field


class ContractStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Brouillon")
    SUBMITTED = "SUBMITTED", _("Soumis à validation")
    APPROVED = "APPROVED", _("Validé, en attente de signature")
    ACTIVE = "ACTIVE", _("Signé, en vigueur")
    CLOSED = "CLOSED", _("Clos")


class ContractKind(models.TextChoices):
    """What a contract is: the GHT's multi-year contract, or the funding convention of one
    granted dossier of a call for applications (same money rules, its own lines)."""

    ATTRACTIVENESS = "ATTRACTIVENESS", _("Contrat d'attractivité territoriale")
    FUNDING_CONVENTION = "FUNDING_CONVENTION", _("Convention de financement")


# What "writing a contract's figures" is, in the journal: creating, changing, importing or
# deleting the contract, its axes, lines, yearly amounts or milestones.
FIGURE_ACTIONS = (AuditAction.CREATE, AuditAction.CHANGE, AuditAction.IMPORT, AuditAction.DELETE)
FIGURE_OBJECT_TYPES = (
    "contracts.Contract",
    "contracts.StrategicAxis",
    "contracts.FundingLine",
    "contracts.YearlyAllocation",
    "contracts.Milestone",
)


def figure_events():
    """Return the journal events that wrote figures of a contract."""
    return AuditEvent.objects.filter(
        action__in=FIGURE_ACTIONS, object_type__in=FIGURE_OBJECT_TYPES, actor__isnull=False
    )


class Contract(models.Model):
    """A multi-year contract between an ARS (region) and a GHT, or a funding convention
    between an ARS and one establishment (``kind``): the same axes, lines and money rules."""

    # Four-eyes: who prepared what is decided, and who decides (read by flows and lists).
    preparer_field = "submitted_by"
    decider_field = "approved_by"

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    kind = models.CharField(
        _("nature"),
        max_length=20,
        choices=ContractKind.choices,
        default=ContractKind.ATTRACTIVENESS,
    )
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
    submitted_by = person_field(_("soumis par"), optional=True)
    approved_by = person_field(_("approuvé par"), optional=True)
    approved_at = models.DateTimeField(_("approuvé le"), null=True, blank=True)
    note = models.TextField(
        _("avertissement"),
        blank=True,
        help_text=_("Affiché en tête de la page du contrat (par exemple : chiffres illustratifs)."),
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
                condition=Q(kind__in=ContractKind.values),
                name="contract_kind_valid",
                violation_error_message=_("Nature de contrat inconnue."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values),
                name="contract_status_valid",
                violation_error_message=_("Statut de contrat inconnu."),
            ),
            four_eyes_constraint(
                name="contract_four_eyes",
                preparer="submitted_by",
                decider="approved_by",
                message=_("La personne qui a soumis le contrat ne peut pas l'approuver."),
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

    def drafter_ids(self) -> set[int]:
        """Return the ids of the people who wrote figures of this contract (four-eyes).

        Whoever drafted the contract, its lines or milestones may not approve it, even
        when a colleague submitted it.
        """
        return set(
            drafting_actors(
                ("contract figures", self.pk),
                lambda: (
                    figure_events().filter(contract_id=self.pk).values_list("actor_id", flat=True)
                ),
            )
        )

    @staticmethod
    def drafted_by(user, contract_id):
        """Return whether ``user`` wrote figures of the contract ``contract_id`` (an
        ``OuterRef``), as an ``Exists``: one probe of the journal's (contract, actor) index
        per row of the caller's list, never the user's whole journal."""
        return Exists(figure_events().filter(contract_id=contract_id, actor=user))

    def signature_date_problem(self, signature_date, *, today) -> str | None:
        """Return why ``signature_date`` is implausible for this contract, or None."""
        if self.approved_at and signature_date < timezone.localdate(self.approved_at):
            return _("La signature ne peut pas précéder l'approbation du contrat (%(date)s).") % {
                "date": date_format(timezone.localdate(self.approved_at), "SHORT_DATE_FORMAT")
            }
        if signature_date > today:
            return _("La date de signature ne peut pas être dans le futur.")
        if signature_date > self.end_date:
            return _("La signature ne peut pas suivre la fin du contrat (%(date)s).") % {
                "date": date_format(self.end_date, "SHORT_DATE_FORMAT")
            }
        return None

    @property
    def is_funding_convention(self) -> bool:
        return self.kind == ContractKind.FUNDING_CONVENTION

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
        verbose_name = _("tranche annuelle")
        verbose_name_plural = _("tranches annuelles")
        ordering = ["funding_line", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["funding_line", "year"],
                name="unique_allocation_per_line_and_year",
                violation_error_message=_(
                    "Cette ligne a déjà une tranche annuelle pour cette année."
                ),
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

"""A dossier filed in a campaign, its establishment profile, actions, partners and documents."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.money import MoneyField
from contracts.schemes import ClactDocument
from territories.access import visible_regions
from territories.models import Establishment, LegalEntity
from territories.validators import validate_finess, validate_siret

from .campaigns import Campaign


class DossierState(models.TextChoices):
    """The states of CALLS.md 3.2, from filing to the funding instrument."""

    DRAFT = "DRAFT", _("Brouillon")
    FILED = "FILED", _("Déposé")
    INADMISSIBLE = "INADMISSIBLE", _("Irrecevable")
    INCOMPLETE = "INCOMPLETE", _("Incomplet")
    COMPLEMENT_REQUESTED = "COMPLEMENT_REQUESTED", _("Compléments demandés")
    REJECTED_INCOMPLETE = "REJECTED_INCOMPLETE", _("Rejeté : compléments non reçus")
    ADMISSIBLE = "ADMISSIBLE", _("Recevable")
    UNDER_REVIEW = "UNDER_REVIEW", _("En instruction")
    SUBMITTED_TO_COMMITTEE = "SUBMITTED_TO_COMMITTEE", _("Présenté au comité")
    ON_HOLD = "ON_HOLD", _("Ajourné")
    SELECTED = "SELECTED", _("Retenu")
    PARTIALLY_SELECTED = "PARTIALLY_SELECTED", _("Retenu partiellement")
    NOT_SELECTED = "NOT_SELECTED", _("Non retenu")
    NOTIFIED = "NOTIFIED", _("Notifié")
    CONTRACTED = "CONTRACTED", _("Financé (avenant ou convention signée)")


class FundingInstrument(models.TextChoices):
    """How a granted dossier is funded (seed 001: « un avenant au CPOM ou une convention »)."""

    CONTRACT_AMENDMENT = "CONTRACT_AMENDMENT", _("Ligne du contrat du GHT, par avenant")
    FUNDING_CONVENTION = "FUNDING_CONVENTION", _("Convention de financement")


class DsState(models.TextChoices):
    """The state of the dossier on Démarches simplifiées (``DossierState`` of its API)."""

    EN_CONSTRUCTION = "en_construction", _("En construction")
    EN_INSTRUCTION = "en_instruction", _("En instruction")
    ACCEPTE = "accepte", _("Accepté")
    REFUSE = "refuse", _("Refusé")
    SANS_SUITE = "sans_suite", _("Classé sans suite")


class DocumentKind(models.TextChoices):
    """The pieces of a dossier; CLACT's come from ``contracts.schemes.ClactDocument``."""

    SIGNED_CONTRACT = ClactDocument.SIGNED_CONTRACT.value, ClactDocument.SIGNED_CONTRACT.label
    CSE_OPINION = ClactDocument.CSE_OPINION.value, ClactDocument.CSE_OPINION.label
    DUERP_AND_PREVENTION_PLAN = (
        ClactDocument.DUERP_AND_PREVENTION_PLAN.value,
        ClactDocument.DUERP_AND_PREVENTION_PLAN.label,
    )
    BANK_DETAILS = ClactDocument.BANK_DETAILS.value, ClactDocument.BANK_DETAILS.label
    FINANCING_SUMMARY = (
        ClactDocument.FINANCING_SUMMARY.value,
        ClactDocument.FINANCING_SUMMARY.label,
    )
    MONITORING_INDICATORS = (
        ClactDocument.MONITORING_INDICATORS.value,
        ClactDocument.MONITORING_INDICATORS.label,
    )
    PRIOR_DIAGNOSTIC = "PRIOR_DIAGNOSTIC", _("Diagnostic préalable")
    QUOTE = "QUOTE", _("Devis de l'action")
    DOCTORS_COMMITMENT = "DOCTORS_COMMITMENT", _("Engagement écrit des médecins de l'ESP/MSP")
    TRIPARTITE_CONVENTION = "TRIPARTITE_CONVENTION", _("Convention tripartite")
    OTHER = "OTHER", _("Autre pièce")


class DocumentStatus(models.TextChoices):
    PENDING = "PENDING", _("À examiner")
    ACCEPTED = "ACCEPTED", _("Acceptée")
    REFUSED = "REFUSED", _("Refusée")


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the dossiers of the campaigns of the regions ``user`` may see."""
        return self.filter(campaign__region__in=visible_regions(user).values("pk"))

    def live(self):
        """Return the dossiers not deleted on Démarches simplifiées."""
        return self.filter(is_deleted=False)


class Dossier(models.Model):
    """An application filed in a campaign (CALLS.md 3.2), as read from Démarches simplifiées.

    The applicant is kept as filed (name, SIRET, FINESS) and linked to the registry when
    its numbers match one of its rows; the checks of the last sync are kept with it.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("campagne")
    )
    ds_number = models.PositiveBigIntegerField(_("numéro de dossier DS"), unique=True)
    ds_state = models.CharField(_("état sur DS"), max_length=20, choices=DsState.choices)
    ds_updated_at = models.DateTimeField(_("dernière modification sur DS"))
    ds_fingerprint = models.CharField(_("empreinte de la dernière lecture"), max_length=64)
    is_deleted = models.BooleanField(_("supprimé sur DS"), default=False)
    state = models.CharField(
        _("état"), max_length=25, choices=DossierState.choices, default=DossierState.FILED
    )
    submitted_at = models.DateTimeField(_("déposé le"))
    applicant_name = models.CharField(_("raison sociale du demandeur"), max_length=255)
    applicant_siret = models.CharField(
        _("SIRET du demandeur"), max_length=14, validators=[validate_siret]
    )
    applicant_finess = models.CharField(
        _("FINESS de l'établissement"), max_length=9, blank=True, validators=[validate_finess]
    )
    applicant = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_dossiers",
        verbose_name=_("entité juridique"),
    )
    carrier_establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_call_dossiers",
        verbose_name=_("établissement porteur"),
    )
    project_title = models.CharField(_("intitulé du projet"), max_length=255, blank=True)
    is_mutualised = models.BooleanField(_("projet mutualisé"), default=False)
    total_cost_amount = MoneyField(_("coût total déclaré"), null=True, blank=True)
    cofunding_amount = MoneyField(_("cofinancement de l'établissement"), null=True, blank=True)
    requested_amount = MoneyField(_("montant demandé à l'ARS"), null=True, blank=True)
    planned_start_date = models.DateField(_("début prévu"), null=True, blank=True)
    planned_end_date = models.DateField(_("fin prévue"), null=True, blank=True)
    check_results = models.JSONField(
        _("résultats des contrôles"),
        default=list,
        blank=True,
        help_text=_("Liste de {code, outcome, message, source}."),
    )
    granted_amount = MoneyField(_("montant accordé"), null=True, blank=True)
    decision_reason = models.TextField(_("motifs de la décision"), blank=True)
    funding_instrument = models.CharField(
        _("instrument de financement"),
        max_length=20,
        choices=FundingInstrument.choices,
        blank=True,
    )
    amendment = models.ForeignKey(
        "contracts.Amendment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_dossiers",
        verbose_name=_("avenant"),
    )
    contract_line = models.ForeignKey(
        "contracts.FundingLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_dossiers",
        verbose_name=_("ligne du contrat"),
    )

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier de candidature")
        verbose_name_plural = _("dossiers de candidature")
        ordering = ["campaign", "ds_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "applicant_siret"],
                condition=Q(is_deleted=False),
                name="calls_one_live_dossier_per_applicant_and_campaign",
                violation_error_message=_(
                    "Cet établissement a déjà déposé un dossier dans cette campagne."
                ),
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__isnull=True) | Q(requested_amount__gte=0),
                name="calls_dossier_requested_not_negative",
                violation_error_message=_("Le montant demandé ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(planned_start_date__isnull=True)
                | Q(planned_end_date__isnull=True)
                | Q(planned_start_date__lte=F("planned_end_date")),
                name="calls_dossier_planned_dates_ordered",
                violation_error_message=_("La fin prévue doit suivre le début prévu."),
            ),
        ]

    def __str__(self):
        return f"{self.ds_number} – {self.applicant_name}"


class EstablishmentProfile(models.Model):
    """The establishment's figures as declared in the dossier: the indicators' baseline."""

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="profile", verbose_name=_("dossier")
    )
    headcount = models.PositiveIntegerField(_("effectif total"), null=True, blank=True)
    medical_fte = models.DecimalField(
        _("ETP médicaux"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    non_medical_fte = models.DecimalField(
        _("ETP non médicaux"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    beds_and_places = models.PositiveIntegerField(_("lits et places"), null=True, blank=True)
    absenteeism_rate = models.DecimalField(
        _("taux d'absentéisme (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    turnover_rate = models.DecimalField(
        _("taux de rotation (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("profil de l'établissement")
        verbose_name_plural = _("profils des établissements")
        constraints = [
            models.CheckConstraint(
                condition=Q(absenteeism_rate__isnull=True)
                | Q(absenteeism_rate__gte=0, absenteeism_rate__lte=100),
                name="calls_profile_absenteeism_is_a_percentage",
                violation_error_message=_("Le taux d'absentéisme est un pourcentage."),
            ),
            models.CheckConstraint(
                condition=Q(turnover_rate__isnull=True) | Q(turnover_rate__gte=0),
                name="calls_profile_turnover_not_negative",
                violation_error_message=_("Le taux de rotation ne peut pas être négatif."),
            ),
        ]

    def __str__(self):
        return str(_("Profil du dossier %(number)s") % {"number": self.dossier.ds_number})


class DossierPartner(models.Model):
    """A partner establishment of a mutualised dossier, as filed (SIRET) and as matched."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="partners", verbose_name=_("dossier")
    )
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    name = models.CharField(_("raison sociale"), max_length=255, blank=True)
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_call_dossiers",
        verbose_name=_("établissement"),
    )

    class Meta:
        verbose_name = _("établissement partenaire")
        verbose_name_plural = _("établissements partenaires")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "siret"], name="calls_partner_once_per_dossier"
            )
        ]

    def __str__(self):
        return self.name or self.siret


class DossierAction(models.Model):
    """One action of a dossier (CALLS.md 3.4), ranked by the applicant's priority."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="actions", verbose_name=_("dossier")
    )
    rank = models.PositiveSmallIntegerField(_("priorité"))
    axis = models.CharField(_("axe"), max_length=255, blank=True)
    theme = models.CharField(_("thématique"), max_length=255, blank=True)
    label = models.TextField(_("description"))
    cost_amount = MoneyField(_("coût"))
    ars_requested_amount = MoneyField(_("part ARS demandée"))
    establishment_share_amount = MoneyField(_("part de l'établissement"))
    agents_concerned = models.PositiveIntegerField(_("agents concernés"), null=True, blank=True)
    planned_start_date = models.DateField(_("début prévu"), null=True, blank=True)
    planned_end_date = models.DateField(_("fin prévue"), null=True, blank=True)
    ars_proposed_amount = MoneyField(_("part ARS proposée"), null=True, blank=True)
    ars_granted_amount = MoneyField(_("part ARS accordée"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["dossier", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "rank"],
                name="calls_action_rank_unique_per_dossier",
                violation_error_message=_("Deux actions du dossier ont la même priorité."),
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1),
                name="calls_action_rank_from_one",
                violation_error_message=_("La priorité commence à 1."),
            ),
            models.CheckConstraint(
                condition=Q(cost_amount__gte=0, ars_requested_amount__gte=0),
                name="calls_action_amounts_not_negative",
                violation_error_message=_("Les montants d'une action ne peuvent être négatifs."),
            ),
            models.CheckConstraint(
                condition=Q(
                    establishment_share_amount=F("cost_amount") - F("ars_requested_amount")
                ),
                name="calls_action_shares_add_up_to_cost",
                violation_error_message=_(
                    "La part ARS et la part de l'établissement doivent faire le coût."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ars_proposed_amount__isnull=True)
                | Q(ars_proposed_amount__gte=0, ars_proposed_amount__lte=F("cost_amount")),
                name="calls_action_proposed_within_cost",
                violation_error_message=_("La part ARS proposée doit rester entre 0 et le coût."),
            ),
            models.CheckConstraint(
                condition=Q(ars_granted_amount__isnull=True)
                | Q(ars_granted_amount__gte=0, ars_granted_amount__lte=F("cost_amount")),
                name="calls_action_granted_within_cost",
                violation_error_message=_("La part ARS accordée doit rester entre 0 et le coût."),
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.label[:60]}"


class DossierDocument(models.Model):
    """A piece of a dossier (CALLS.md 3.3): its kind, its file as filed on DS, its review."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="documents", verbose_name=_("dossier")
    )
    action = models.ForeignKey(
        DossierAction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("action"),
    )
    kind = models.CharField(_("nature"), max_length=30, choices=DocumentKind.choices)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(_("type"), max_length=150, blank=True)
    checksum = models.CharField(_("empreinte DS"), max_length=64, blank=True)
    byte_size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, blank=True)
    file = models.FileField(_("fichier"), upload_to="calls/%Y/", blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("pièce du dossier")
        verbose_name_plural = _("pièces des dossiers")
        ordering = ["dossier", "kind", "filename"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="REFUSED") | ~Q(refusal_reason=""),
                name="calls_document_refusal_has_reason",
                violation_error_message=_("Une pièce refusée doit indiquer le motif du refus."),
            ),
        ]

    def __str__(self):
        return self.filename

"""Individual awards (CALLS.md 3.9): IPA, CAE, PET, ASTP and PECH, under a line or a dossier.

One table for the five kinds: they share who (identifier and name only: the personal data
the rules need), when, how much and the schedule; each kind fills the figures its rule
reads. Amounts and instalments are computed by ``calls.schedules`` from the scheme rules
(``contracts.schemes``), never typed in; the line's yearly amounts are their sum
(``calls.awards.sync_line_amounts``).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.models import FundingLine, Recovery
from contracts.models.four_eyes import four_eyes_constraint, person_field
from contracts.money import MoneyField
from contracts.schemes import PetDerogation, SchemeCode
from territories.access import visible_regions
from territories.models import Region

from ..award_states import AwardStatus, initial_status, status_constraint
from .dossiers import Dossier


class AwardKind(models.TextChoices):
    """The schemes that fund a person; the codes are the ``SchemeCode`` ones."""

    IPA = SchemeCode.IPA.value, _("Formation IPA (étudiant infirmier en pratique avancée)")
    CAE = SchemeCode.CAE.value, _("Contrat d'allocation d'études (CAE)")
    PET = SchemeCode.PET.value, _("Prime d'exercice territorial (PET)")
    ASTP = SchemeCode.ASTP.value, _("Poste d'assistant spécialiste à temps partagé (ASTP)")
    PECH = SchemeCode.PECH.value, _("Prime d'engagement de carrière hospitalière (PECH)")


class IndividualAwardQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the awards of the regions ``user`` may see (one SQL subquery).

        Only ARS staff hold ``calls.view_individualaward``: the pages check it before this.
        """
        return self.filter(region__in=visible_regions(user).values("pk"))


class IndividualAward(models.Model):
    """An award to one person: a student (IPA, CAE) or a practitioner (PET, ASTP, PECH)."""

    # Four-eyes on the breach of a CAE commitment: who recorded it never decides it.
    preparer_field = "breach_recorded_by"
    decider_field = "breach_decided_by"

    kind = models.CharField(_("dispositif"), max_length=10, choices=AwardKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("région")
    )
    funding_line = models.ForeignKey(
        FundingLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="individual_awards",
        verbose_name=_("ligne de financement"),
    )
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="individual_awards",
        verbose_name=_("dossier"),
    )
    # Each kind has its own lifecycle (``calls.award_states``); empty: its initial state.
    status = models.CharField(_("statut"), max_length=20, choices=AwardStatus.choices)
    status_date = models.DateField(_("date de la dernière étape"), null=True, blank=True)
    # Personal data: only what the rules and the payments need.
    identifier = models.CharField(
        _("identifiant"),
        max_length=20,
        help_text=_("RPPS du praticien ou de l'infirmier, numéro d'étudiant sinon."),
    )
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    start_date = models.DateField(_("date de début"))
    end_date = models.DateField(_("date de fin (incluse)"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(
        _("nombre de mois financés"),
        null=True,
        blank=True,
        help_text=_("CAE : mois d'allocation ; PET : mois de prime."),
    )
    # IPA (seeds/000: « frais pédagogiques » and « coût de remplacement »).
    tuition_amount = MoneyField(_("frais pédagogiques"), null=True, blank=True)
    replacement_amount = MoneyField(_("coût de remplacement"), null=True, blank=True)
    # CAE allowance and ASTP salary share when the campaign stores no average cost.
    yearly_amount = MoneyField(_("montant annuel"), null=True, blank=True)
    # PET, and the PET of an ASTP.
    half_days = models.DecimalField(
        _("demi-journées hebdomadaires hors site principal"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
    )
    other_sites = models.PositiveSmallIntegerField(
        _("nombre de sites hors site principal"), null=True, blank=True
    )
    distance_km = models.DecimalField(
        _("distance entre les sites (km)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    derogation = models.CharField(
        _("dérogation à la règle des 20 km"),
        max_length=20,
        choices=PetDerogation.choices,
        blank=True,
    )
    # PECH.
    locally_scarce = models.BooleanField(
        _("spécialité en tension dans l'établissement"), default=False
    )
    nationally_scarce = models.BooleanField(
        _("spécialité en tension au niveau national"), default=False
    )
    working_time_ratio = models.DecimalField(
        _("quotité de travail"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    appointment_date = models.DateField(_("date de prise de poste comme PH"), null=True, blank=True)
    # Computed by the rules (``calls.schedules``).
    total_amount = MoneyField(_("montant total"))
    commitment_months = models.PositiveSmallIntegerField(
        _("durée d'engagement (mois)"), null=True, blank=True
    )
    commitment_start_date = models.DateField(
        _("début de l'engagement (embauche)"), null=True, blank=True
    )
    commitment_end_date = models.DateField(_("fin de l'engagement"), null=True, blank=True)
    # CAE breach: recorded by one person, decided by another.
    breach_date = models.DateField(_("date de la rupture"), null=True, blank=True)
    served_months = models.PositiveSmallIntegerField(
        _("mois d'engagement effectués"), null=True, blank=True
    )
    recovery_amount = MoneyField(_("montant à reverser"), null=True, blank=True)
    breach_reason = models.TextField(_("motif de la rupture"), blank=True)
    breach_recorded_by = person_field(_("rupture constatée par"), optional=True)
    breach_decided_by = person_field(_("reversement décidé par"), optional=True)
    breach_decided_at = models.DateTimeField(_("reversement décidé le"), null=True, blank=True)
    # Why the decided repayment could not be taken back from the line's credits, when it
    # could not (shown next to the decision); the recoveries are ``AwardRecovery`` rows.
    recovery_refusal = models.TextField(_("reprise non préparée : motif"), blank=True)
    created_by = person_field(_("saisi par"))
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = IndividualAwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution individuelle")
        verbose_name_plural = _("attributions individuelles")
        ordering = ["kind", "last_name", "first_name", "pk"]
        permissions = [
            ("decide_award_recovery", _("Décider le reversement d'une attribution individuelle"))
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(funding_line__isnull=False) | Q(dossier__isnull=False),
                name="award_under_a_line_or_a_dossier",
                violation_error_message=_(
                    "Une attribution individuelle relève d'une ligne de financement ou d'un dossier."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AwardKind.values),
                name="award_kind_valid",
                violation_error_message=_("Dispositif inconnu."),
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & (Q(recovery_amount__isnull=True) | Q(recovery_amount__gte=0)),
                name="award_amounts_not_negative",
                violation_error_message=_("Un montant ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="award_ends_after_start",
                violation_error_message=_("La date de fin doit suivre la date de début."),
            ),
            models.CheckConstraint(
                condition=status_constraint(),
                name="award_status_of_its_kind",
                violation_error_message=_("Ce statut n'existe pas pour ce dispositif."),
            ),
            four_eyes_constraint(
                name="award_breach_four_eyes",
                preparer="breach_recorded_by",
                decider="breach_decided_by",
                message=_(
                    "La personne qui a constaté la rupture ne peut pas décider le reversement."
                ),
            ),
        ]

    def __str__(self):
        # No personal data: this label goes to the journal, which auditors read.
        return _("Attribution %(kind)s n° %(pk)s") % {"kind": self.kind, "pk": self.pk}

    def save(self, *args, **kwargs):
        if not self.status:
            self.status = initial_status(
                self.kind, commitment_start_date=self.commitment_start_date
            )
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


class AwardInstalment(models.Model):
    """One payment of an award's schedule; ``due_date`` empty until the event is known."""

    award = models.ForeignKey(
        IndividualAward,
        on_delete=models.CASCADE,
        related_name="instalments",
        verbose_name=_("attribution"),
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    label = models.CharField(_("échéance"), max_length=120)
    due_date = models.DateField(_("date prévue"), null=True, blank=True)
    amount = MoneyField(_("montant"))

    class Meta:
        verbose_name = _("échéance d'une attribution")
        verbose_name_plural = _("échéances des attributions")
        ordering = ["award", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "number"],
                name="unique_instalment_number_per_award",
                violation_error_message=_("Cette échéance existe déjà."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="instalment_amount_not_negative",
                violation_error_message=_("Un montant ne peut pas être négatif."),
            ),
        ]

    def __str__(self):
        return f"{self.award} – {self.number}"


class AwardRecovery(models.Model):
    """A recovery of credits prepared for an award's decided repayment (``calls.awards``).

    One per year of the line the repayment is taken back from; each recovery belongs to
    one award at most.
    """

    award = models.ForeignKey(
        IndividualAward,
        on_delete=models.PROTECT,
        related_name="recovery_links",
        verbose_name=_("attribution"),
    )
    recovery = models.OneToOneField(
        Recovery,
        on_delete=models.PROTECT,
        related_name="award_link",
        verbose_name=_("reprise de crédits"),
    )

    class Meta:
        verbose_name = _("reprise d'un reversement")
        verbose_name_plural = _("reprises des reversements")
        ordering = ["award", "recovery"]

    def __str__(self):
        return f"{self.award} – {self.recovery}"

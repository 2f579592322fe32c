"""A call for applications: one per region, scheme and year, with its calendar and figures."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts import schemes
from contracts.money import MoneyField
from contracts.schemes import SchemeCode
from territories.access import visible_regions
from territories.models import Region


class CampaignState(models.TextChoices):
    DRAFT = "DRAFT", _("En préparation")
    OPEN = "OPEN", _("Ouverte")
    CLOSED = "CLOSED", _("Close")
    IN_REVIEW = "IN_REVIEW", _("En instruction")
    DECIDED = "DECIDED", _("Décidée")
    ARCHIVED = "ARCHIVED", _("Archivée")


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the campaigns of the regions ``user`` may see (one SQL subquery)."""
        return self.filter(region__in=visible_regions(user).values("pk"))


class Campaign(models.Model):
    """A yearly call for applications of a region for one scheme (CALLS.md 3.1).

    ``parameters`` is the copy of the scheme's figures taken when the campaign opens: every
    check of its dossiers reads them, so a later change of ``SchemeParameterSet`` never
    changes the rules of a call already published.
    """

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("région")
    )
    scheme = models.CharField(_("dispositif"), max_length=10, choices=SchemeCode.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    title = models.CharField(_("intitulé"), max_length=255)
    state = models.CharField(
        _("état"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    envelope_amount = MoneyField(_("enveloppe"))
    opens_at = models.DateTimeField(_("ouverture"))
    deadline_at = models.DateTimeField(
        _("date limite de dépôt"),
        help_text=_("Heure de Paris ; un dossier déposé après est irrecevable."),
    )
    instruction_start_date = models.DateField(_("début de l'instruction"), null=True, blank=True)
    instruction_end_date = models.DateField(_("fin de l'instruction"), null=True, blank=True)
    complements_deadline_date = models.DateField(
        _("date limite des compléments"), null=True, blank=True
    )
    answer_date = models.DateField(_("date de réponse"), null=True, blank=True)
    notification_from_date = models.DateField(_("notification à partir du"), null=True, blank=True)
    contracting_from_date = models.DateField(
        _("conventionnement à partir du"), null=True, blank=True
    )
    consumption_deadline_date = models.DateField(
        _("consommation des crédits jusqu'au"), null=True, blank=True
    )
    parameters = models.JSONField(
        _("paramètres figés à l'ouverture"),
        default=dict,
        blank=True,
        help_text=_("Copie des paramètres du dispositif en vigueur à l'ouverture (texte)."),
    )
    required_documents = models.JSONField(_("pièces obligatoires"), default=list, blank=True)
    ds_demarche_number = models.PositiveIntegerField(
        _("numéro de démarche Démarches simplifiées"), null=True, blank=True, unique=True
    )
    ds_champ_mapping = models.JSONField(
        _("correspondance des champs DS"),
        default=dict,
        blank=True,
        help_text=_("Identifiant stable du champ DS → donnée du dossier."),
    )
    ds_synced_until = models.DateTimeField(_("dernière modification DS lue"), null=True, blank=True)
    contact_email = models.EmailField(_("courriel de contact"), blank=True)
    opened_at = models.DateTimeField(_("ouverte le"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["-year", "region__name", "scheme"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "scheme", "year"],
                name="calls_one_campaign_per_region_scheme_year",
                violation_error_message=_(
                    "Une campagne existe déjà pour cette région, ce dispositif et cette année."
                ),
            ),
            models.CheckConstraint(
                condition=Q(deadline_at__gt=F("opens_at")),
                name="calls_campaign_deadline_after_opening",
                violation_error_message=_("La date limite doit suivre l'ouverture."),
            ),
            models.CheckConstraint(
                condition=Q(instruction_start_date__isnull=True)
                | Q(instruction_end_date__isnull=True)
                | Q(instruction_start_date__lte=F("instruction_end_date")),
                name="calls_campaign_instruction_dates_ordered",
                violation_error_message=_("L'instruction doit finir après avoir commencé."),
            ),
            models.CheckConstraint(
                condition=Q(envelope_amount__gte=0),
                name="calls_campaign_envelope_not_negative",
                violation_error_message=_("L'enveloppe ne peut pas être négative."),
            ),
            models.CheckConstraint(
                condition=Q(state="DRAFT") | Q(opened_at__isnull=False),
                name="calls_campaign_opened_at_once_open",
                violation_error_message=_("Une campagne ouverte indique sa date d'ouverture."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.state == CampaignState.DRAFT

    def scheme_parameters(self) -> schemes.SchemeParameters:
        """Return the frozen figures (the code defaults while the campaign is a draft)."""
        return schemes.DEFAULT_PARAMETERS.with_values(self.parameters or {})

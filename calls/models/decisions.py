"""What the ARS decides on a dossier (CALLS.md 3.2, 3.5): complements, instruction, committee,
letters, and what is written back to Démarches simplifiées."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.models.four_eyes import four_eyes_constraint, person_field
from contracts.money import MoneyField

from .campaigns import Campaign
from .dossiers import Dossier


class ComplementRequest(models.Model):
    """Pieces asked of the applicant, by a deadline (seed 001: after it, « automatiquement
    rejeté »)."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="complement_requests",
        verbose_name=_("dossier"),
    )
    message = models.TextField(_("message au porteur"))
    deadline_date = models.DateField(_("date limite des compléments"))
    requested_by = person_field(_("demandé par"))
    requested_at = models.DateTimeField(_("demandé le"))
    answered_at = models.DateTimeField(_("compléments reçus le"), null=True, blank=True)
    answered_by = person_field(_("réception constatée par"), optional=True)
    expired_at = models.DateTimeField(_("échue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande de compléments")
        verbose_name_plural = _("demandes de compléments")
        ordering = ["dossier", "-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(expired_at__isnull=True),
                name="calls_complement_answered_or_expired",
                violation_error_message=_("Une demande est reçue ou échue, pas les deux."),
            ),
        ]

    def __str__(self):
        return str(_("Compléments du dossier %(number)s") % {"number": self.dossier.ds_number})

    def is_overdue(self, today) -> bool:
        """Return whether the deadline (inclusive) passed without an answer."""
        return self.answered_at is None and today > self.deadline_date


class Opinion(models.TextChoices):
    FAVORABLE = "FAVORABLE", _("Favorable")
    RESERVED = "RESERVED", _("Favorable avec réserves")
    UNFAVORABLE = "UNFAVORABLE", _("Défavorable")
    ON_HOLD = "ON_HOLD", _("Ajournement proposé")


# The selection criteria of seed 001 (« critères de sélection »), each scored 0 to 3.
SCORE_FIELDS = (
    "score_mutualisation",
    "score_agents",
    "score_priority",
    "score_innovation",
    "score_timeline",
)
MAX_SCORE = 3


def _score(label):
    return models.PositiveSmallIntegerField(label, default=0, help_text=_("De 0 à 3."))


class DossierReview(models.Model):
    """The instructor's opinion on a dossier: scores, amounts proposed, past conventions.

    Its author prepared what the committee decides: never the decider (four-eyes).
    """

    preparer_field = "prepared_by"

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="review", verbose_name=_("dossier")
    )
    opinion = models.CharField(_("avis"), max_length=12, choices=Opinion.choices)
    comment = models.TextField(_("motivation de l'avis"))
    score_mutualisation = _score(_("mutualisation entre établissements ou au sein du GHT"))
    score_agents = _score(_("nombre d'agents concernés"))
    score_priority = _score(_("priorité nationale ou régionale"))
    score_innovation = _score(_("caractère innovant"))
    score_timeline = _score(_("réalisation dans l'année ou sous 24 mois"))
    total_score = models.PositiveSmallIntegerField(_("note totale"), default=0)
    proposed_amount = MoneyField(_("montant proposé"))
    previous_conventions = models.TextField(
        _("exécution des conventions CLACT précédentes"), blank=True
    )
    has_unexecuted_past_actions = models.BooleanField(
        _("actions financées il y a plus de 2 ans non réalisées"), default=False
    )
    prepared_by = person_field(_("instruit par"))
    prepared_at = models.DateTimeField(_("instruit le"))

    class Meta:
        verbose_name = _("instruction du dossier")
        verbose_name_plural = _("instructions des dossiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{f"{name}__lte": MAX_SCORE for name in SCORE_FIELDS},
                ),
                name="calls_review_scores_at_most_three",
                violation_error_message=_("Chaque critère est noté de 0 à 3."),
            ),
            models.CheckConstraint(
                condition=Q(proposed_amount__gte=0),
                name="calls_review_proposed_not_negative",
                violation_error_message=_("Le montant proposé ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=~Q(has_unexecuted_past_actions=True) | ~Q(previous_conventions=""),
                name="calls_review_unexecuted_actions_explained",
                violation_error_message=_(
                    "Décrivez les actions non réalisées des conventions précédentes."
                ),
            ),
        ]

    def __str__(self):
        return str(_("Instruction du dossier %(number)s") % {"number": self.dossier.ds_number})


class SelectionCommittee(models.Model):
    """A session of the selection committee of a campaign (CALLS.md 3.5)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="committees", verbose_name=_("campagne")
    )
    session_date = models.DateField(_("date de la séance"))
    members = models.TextField(_("membres ARS"))
    external_partners = models.TextField(
        _("partenaires extérieurs"), blank=True, help_text=_("Par exemple : CARSAT Nord-Est.")
    )
    minutes = models.TextField(_("procès-verbal"), blank=True)
    created_by = person_field(_("créé par"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("comité de sélection")
        verbose_name_plural = _("comités de sélection")
        ordering = ["campaign", "-session_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "session_date"],
                name="calls_one_committee_per_campaign_and_day",
                violation_error_message=_("Une séance existe déjà ce jour pour cette campagne."),
            ),
        ]

    def __str__(self):
        return str(
            _("Comité du %(date)s – %(campaign)s")
            % {"date": self.session_date.strftime("%d/%m/%Y"), "campaign": self.campaign}
        )


class CommitteeOutcome(models.TextChoices):
    SELECTED = "SELECTED", _("Retenu")
    PARTIAL = "PARTIAL", _("Retenu partiellement")
    NOT_SELECTED = "NOT_SELECTED", _("Non retenu")
    ON_HOLD = "ON_HOLD", _("Ajourné")


GRANTING_OUTCOMES = (CommitteeOutcome.SELECTED, CommitteeOutcome.PARTIAL)


class CommitteeDecision(models.Model):
    """The committee's decision on one dossier, never taken by its instructor."""

    committee = models.ForeignKey(
        SelectionCommittee,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("séance"),
    )
    dossier = models.OneToOneField(
        Dossier,
        on_delete=models.PROTECT,
        related_name="committee_decision",
        verbose_name=_("dossier"),
    )
    outcome = models.CharField(_("décision"), max_length=12, choices=CommitteeOutcome.choices)
    granted_amount = MoneyField(_("montant accordé"))
    reasons = models.TextField(_("motifs"))
    instructed_by = person_field(_("instruit par"))
    decided_by = person_field(_("décidé par"))
    decided_at = models.DateTimeField(_("décidé le"))

    class Meta:
        verbose_name = _("décision du comité")
        verbose_name_plural = _("décisions du comité")
        constraints = [
            four_eyes_constraint(
                name="calls_committee_decider_is_not_instructor",
                preparer="instructed_by",
                decider="decided_by",
                message=_("L'instructeur du dossier ne peut pas en décider."),
            ),
            models.CheckConstraint(
                condition=Q(granted_amount__gte=0),
                name="calls_decision_granted_not_negative",
                violation_error_message=_("Le montant accordé ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in GRANTING_OUTCOMES]) | Q(granted_amount=0),
                name="calls_decision_nothing_granted_unless_selected",
                violation_error_message=_("Seul un dossier retenu reçoit un montant."),
            ),
        ]

    def __str__(self):
        return f"{self.dossier} : {self.get_outcome_display()}"


class DecisionLetter(models.Model):
    """The French decision letter sent to the applicant (PDF), kept as sent."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="letters", verbose_name=_("dossier")
    )
    file = models.FileField(_("lettre"), upload_to="calls/letters/%Y/")
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    letter_date = models.DateField(_("date de la lettre"))
    generated_by = person_field(_("signée par"))
    generated_at = models.DateTimeField(_("produite le"))

    class Meta:
        verbose_name = _("lettre de décision")
        verbose_name_plural = _("lettres de décision")
        ordering = ["dossier", "-generated_at"]

    def __str__(self):
        return self.file.name.rsplit("/", 1)[-1]


class WriteBackKind(models.TextChoices):
    MESSAGE = "MESSAGE", _("Message au porteur")
    ACCEPT = "ACCEPT", _("Dossier accepté")
    REFUSE = "REFUSE", _("Dossier refusé")


class WriteBackStatus(models.TextChoices):
    DISABLED = "DISABLED", _("Non envoyé (écriture vers DS désactivée)")
    PENDING = "PENDING", _("À envoyer")
    SENT = "SENT", _("Envoyé")
    FAILED = "FAILED", _("Échec")


class DsWriteBack(models.Model):
    """One write to Démarches simplifiées, sent after the decision's transaction commits.

    Kept whatever happens: a failure is visible and can be sent again; the ARS decision
    never waits on DS (VIEWFLOW_NOTES trap 11).
    """

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="ds_writes", verbose_name=_("dossier")
    )
    kind = models.CharField(_("nature"), max_length=10, choices=WriteBackKind.choices)
    body = models.TextField(_("texte"))
    status = models.CharField(_("statut"), max_length=10, choices=WriteBackStatus.choices)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )

    class Meta:
        verbose_name = _("écriture vers Démarches simplifiées")
        verbose_name_plural = _("écritures vers Démarches simplifiées")
        ordering = ["dossier", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="SENT") | Q(sent_at__isnull=False),
                name="calls_writeback_sent_has_date",
                violation_error_message=_("Une écriture envoyée porte sa date d'envoi."),
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(sent_at__gte=F("created_at")),
                name="calls_writeback_sent_after_created",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.dossier.ds_number}"

"""Process models of the flows: one concrete subclass of viewflow's ``Process``.

It carries real foreign keys to the contract and to the GHT and region (the scope every
list filters on in SQL), and to the object a flow decides on. Each flow uses a proxy of
it, so its permissions and admin stay its own while every list joins one table.
"""

import copy

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from calls.models import Campaign, ComplementRequest, Dossier, DossierReview
from contracts.models import (
    Amendment,
    ConsumptionStatement,
    Contract,
    CreditDelegation,
    Milestone,
    Recovery,
    YearlyAllocation,
)
from territories.models import HospitalGroup, Region


class WritesChangedFields(models.Model):
    """A process that writes, when saved whole, only the columns changed since it was read
    or last saved, and nothing when none did.

    Viewflow saves the whole process at each activation: its start saves again the row it
    has just inserted, each step saves it once more. On these processes that is two
    statements of every column of both tables (viewflow's and ours) each time, for a row
    often unchanged (issue 17). A save naming ``update_fields`` writes what it names; a
    new row is inserted whole. A column another object wrote meanwhile is not written back
    with this object's older value unless this object changed it.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        named = kwargs.get("update_fields")
        if named is None and not args and not kwargs.get("force_insert"):
            changed = self.changed_fields()
            if changed is not None and not kwargs.get("force_update"):
                # An empty list: Django writes nothing (and sends no signal).
                kwargs["update_fields"] = changed
        super().save(*args, **kwargs)
        loaded = self._loaded_values()
        if named is None:
            # Inserted or written whole, or each changed column: the row is what is loaded.
            self._known_values = loaded
            return
        known = self.__dict__.get("_known_values")
        if known is not None:
            names = set(named)
            for field in self._meta.concrete_fields:
                if (field.name in names or field.attname in names) and field.attname in loaded:
                    known[field.attname] = loaded[field.attname]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._known_values = instance._loaded_values()
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = self._loaded_values()
        known = self.__dict__.get("_known_values")
        if fields is None or known is None:
            self._known_values = loaded
        else:
            names = set(fields)
            for field in self._meta.concrete_fields:
                if (field.name in names or field.attname in names) and field.attname in loaded:
                    known[field.attname] = loaded[field.attname]

    def _loaded_values(self) -> dict:
        """Return the loaded columns' values (a copy of the JSON ones, changed in place)."""
        values = {}
        for field in self._meta.concrete_fields:
            if field.attname in self.__dict__:
                value = self.__dict__[field.attname]
                values[field.attname] = (
                    copy.deepcopy(value) if isinstance(value, dict | list) else value
                )
        return values

    def changed_fields(self) -> list[str] | None:
        """Return the names of the columns changed since the last read or save, or ``None``
        when there is nothing to compare with (a new row, one built by hand)."""
        known = self.__dict__.get("_known_values")
        if known is None or self._state.adding:
            return None
        missing = object()
        return [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key
            and field.attname in self.__dict__
            and known.get(field.attname, missing) != self.__dict__[field.attname]
        ]


def preparer_field():
    """Return the process's ``preparer``: who completed its last human step.

    Written by ``workflows.steps.complete_step`` with the rest of the process, so that a
    decision waiting on the process has its preparer on the process row: the queue's
    four-eyes exclusion is a column compare on the rows in scope, not joins to every
    decision table (issue 17).
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("préparé par"),
    )


class ContractProcess(WritesChangedFields, Process):
    """A workflow process about one contract (and one of its objects)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="processes", verbose_name=_("contrat")
    )
    hospital_group = models.ForeignKey(
        HospitalGroup, on_delete=models.PROTECT, related_name="+", verbose_name=_("GHT")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("région")
    )
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="processes",
        verbose_name=_("jalon"),
    )
    allocation = models.ForeignKey(
        YearlyAllocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="processes",
        verbose_name=_("allocation"),
    )
    delegation = models.ForeignKey(
        CreditDelegation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("délégation"),
    )
    statement = models.ForeignKey(
        ConsumptionStatement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("état récapitulatif"),
    )
    recovery = models.ForeignKey(
        Recovery,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reprise"),
    )
    amendment = models.ForeignKey(
        Amendment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avenant"),
    )
    decision = models.CharField(_("décision"), max_length=10, blank=True)
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    escalated_at = models.DateTimeField(_("signalé le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("relancé le"), null=True, blank=True)
    # A copy of "not finished nor cancelled" on this table, written by ``save``: viewflow's
    # status lives on the parent table, which a partial unique index here cannot read.
    is_open = models.BooleanField(_("en cours"), default=True, editable=False)
    preparer = preparer_field()

    class Meta:
        verbose_name = _("processus de contrat")
        verbose_name_plural = _("processus de contrat")
        ordering = ["-created"]
        # Node permissions: codenames are a public API (roles, migrations, audits).
        permissions = [
            ("submit_contract", _("Soumettre un contrat à validation")),
            ("approve_contract", _("Valider ou renvoyer un contrat")),
            ("record_signature", _("Enregistrer la signature d'un contrat")),
            ("prepare_delegation", _("Préparer une délégation de crédits")),
            ("approve_delegation", _("Valider une délégation de crédits FIR")),
            ("report_milestone", _("Déclarer l'avancement d'un jalon")),
            ("review_milestone", _("Valider l'avancement d'un jalon")),
            ("submit_statement", _("Déclarer un état récapitulatif")),
            ("check_statement", _("Vérifier un état récapitulatif et calculer la reprise")),
            ("approve_recovery", _("Valider une reprise de crédits FIR")),
            ("draft_amendment", _("Rédiger un avenant")),
            ("approve_amendment", _("Valider un avenant")),
        ]
        indexes = [
            models.Index(fields=["hospital_group"], name="process_scope_ght_idx"),
            models.Index(fields=["region"], name="process_scope_region_idx"),
            # The queue and the four-eyes exclusion start from the open processes of the
            # user's GHTs (a tenth of the processes), not from every open task.
            models.Index(
                fields=["hospital_group"],
                condition=models.Q(is_open=True),
                name="process_open_scope_ght_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(milestone__isnull=False),
                name="one_review_process_per_milestone",
                violation_error_message=_("Ce jalon a déjà son processus de suivi."),
            ),
            models.UniqueConstraint(
                fields=["allocation"],
                condition=models.Q(allocation__isnull=False, is_open=True),
                name="one_open_closing_per_allocation",
                violation_error_message=_(
                    "Une clôture de cette ligne et de cette année est déjà en cours."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.flow_class.process_title if self.flow_class else ''} – {self.contract.reference}"

    def save(self, *args, **kwargs):
        # Viewflow finishes, cancels and reopens a process through ``save()``.
        self.is_open = self.finished is None and self.status != PROCESS.CANCELED
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "is_open"}
        super().save(*args, **kwargs)


class ContractApprovalProcess(ContractProcess):
    class Meta:
        proxy = True
        verbose_name = _("validation de contrat")
        verbose_name_plural = _("validations de contrat")


class CreditDelegationProcess(ContractProcess):
    class Meta:
        proxy = True
        verbose_name = _("délégation de crédits")
        verbose_name_plural = _("délégations de crédits")


class MilestoneReviewProcess(ContractProcess):
    class Meta:
        proxy = True
        verbose_name = _("suivi de jalon")
        verbose_name_plural = _("suivis de jalon")


class ConsumptionClosingProcess(ContractProcess):
    class Meta:
        proxy = True
        verbose_name = _("clôture de consommation")
        verbose_name_plural = _("clôtures de consommation")


class AmendmentProcess(ContractProcess):
    class Meta:
        proxy = True
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")


class DossierProcess(WritesChangedFields, Process):
    """A workflow process about one dossier of a call for applications.

    Scoped by the campaign's region (ARS staff only: a GHT director never sees another
    establishment's application). ``kind`` keeps one completeness and one decision
    process per dossier.
    """

    COMPLETENESS, DECISION = "COMPLETENESS", "DECISION"

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="processes", verbose_name=_("dossier")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campagne")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("région")
    )
    kind = models.CharField(
        _("étape"),
        max_length=12,
        choices=[(COMPLETENESS, _("Complétude")), (DECISION, _("Instruction et décision"))],
    )
    complement = models.ForeignKey(
        ComplementRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demande de compléments"),
    )
    review = models.ForeignKey(
        DossierReview,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("instruction"),
    )
    decision = models.CharField(_("décision"), max_length=12, blank=True)
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    preparer = preparer_field()

    class Meta:
        verbose_name = _("processus de dossier")
        verbose_name_plural = _("processus de dossier")
        ordering = ["-created"]
        permissions = [
            ("check_dossier", _("Vérifier la complétude d'un dossier de candidature")),
            ("instruct_dossier", _("Instruire un dossier de candidature")),
            ("decide_dossier", _("Enregistrer la décision du comité de sélection")),
            ("notify_dossier", _("Notifier la décision sur un dossier")),
            ("fund_dossier", _("Financer un dossier retenu")),
        ]
        indexes = [models.Index(fields=["region"], name="dossier_process_region_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "kind"],
                name="one_process_per_dossier_and_kind",
                violation_error_message=_("Ce dossier a déjà ce processus."),
            ),
        ]

    def __str__(self):
        title = self.flow_class.process_title if self.flow_class else ""
        return f"{title} – {self.dossier}"


class DossierCompletenessProcess(DossierProcess):
    class Meta:
        proxy = True
        verbose_name = _("complétude de dossier")
        verbose_name_plural = _("complétudes de dossier")


class DossierDecisionProcess(DossierProcess):
    class Meta:
        proxy = True
        verbose_name = _("instruction et décision de dossier")
        verbose_name_plural = _("instructions et décisions de dossier")

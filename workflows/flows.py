"""The five flows of a contract's life (DESIGN.md, "The flows").

Each flow is a declarative graph: order, hand-offs and who may act. Every decision is
taken by a ``contracts`` service called from the task view; every flow locks its
process row (``select_for_update``) so two people can never complete one task twice.
Node names are a public API: permissions, URLs and the BPMN exports derive from them.
"""

from datetime import datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from . import dossier_views, notifications, steps, views
from .models import (
    AmendmentProcess,
    ConsumptionClosingProcess,
    ContractApprovalProcess,
    CreditDelegationProcess,
    DossierCompletenessProcess,
    DossierDecisionProcess,
    DossierProcess,
    MilestoneReviewProcess,
)
from .nodes import DossierView, If, ScopedStart, ScopedView, prepared_by_owner
from .selectors import can_see_workflows, process_in_scope

APPROVED = "APPROVED"
ABANDONED = "ABANDONED"


def _status(process) -> str:
    """``process.get_status_display()``, its labels translated once per language."""
    return _status_labels(type(process), get_language()).get(process.status, process.status)


@lru_cache(maxsize=64)
def _status_labels(model, language) -> dict[str, str]:
    del language  # part of the key: the labels are translated into it
    return {value: str(label) for value, label in model._meta.get_field("status").flatchoices}


class ContractFlow(flow.Flow):
    """Base of the contract flows: row lock, scoped visibility."""

    lock_impl = lock.select_for_update_lock
    # What the lists show of a process: its flow and its contract, not the long description.
    process_summary_template = (
        "{{ flow_class.process_title }} – {{ process.contract.reference }}"
        " ({{ process.get_status_display }})"
    )

    @classmethod
    def list_summary(cls, process) -> str:
        """``process_summary_template`` as the lists write it for each row, without the
        template engine (25 rows: some 5 ms); a test keeps the two the same."""
        return f"{cls.process_title} – {process.contract.reference} ({_status(process)})"

    def has_view_permission(self, user, obj=None):
        if not can_see_workflows(user):
            return False
        return obj is None or process_in_scope(user, obj)

    def has_manage_permission(self, user, obj=None):
        # Cancelling or undoing tasks rewrites history: reserved to superusers.
        return user.is_authenticated and user.is_superuser


def _local_moment(day, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


class ContractApprovalFlow(ContractFlow):
    """Validation d'un contrat

    Le chargé de mission soumet le contrat ; un validateur, autre que lui, le valide
    ou le renvoie avec un motif ; la signature est enregistrée et le contrat entre en
    vigueur.
    """

    # Explicit: viewflow would take the first docstring line of the base class.
    process_title = _("Validation d'un contrat")
    process_class = ContractApprovalProcess

    start = (
        ScopedStart(views.SubmitContractView.as_view())
        .Annotation(
            title=_("Soumettre le contrat"),
            description=_("Le chargé de mission soumet le contrat complet à validation."),
        )
        .Permission("workflows.submit_contract")
        .Next(this.approve, task_data=prepared_by_owner)
    )

    approve = (
        ScopedView(views.ContractDecisionView.as_view())
        .Annotation(
            title=_("Valider le contrat"),
            description=_(
                "Un validateur, autre que la personne qui a soumis, valide le contrat "
                "ou le renvoie avec un motif."
            ),
        )
        .Permission("workflows.approve_contract")
        .Decides("contract")
        .Next(this.is_approved)
    )

    is_approved = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Contrat validé ?"))
        .Then(this.sign)
        .Else(this.revise)
    )

    revise = (
        ScopedView(views.ResubmitContractView.as_view())
        .Annotation(
            title=_("Corriger et soumettre à nouveau"),
            description=_("Le chargé de mission corrige le contrat renvoyé et le soumet."),
        )
        .Permission("workflows.submit_contract")
        .Next(this.approve, task_data=prepared_by_owner)
    )

    sign = (
        ScopedView(views.RecordSignatureView.as_view())
        .Annotation(
            title=_("Enregistrer la signature"),
            description=_("Date de signature et signataires ; le contrat entre en vigueur."),
        )
        .Permission("workflows.record_signature")
        .Next(this.end)
    )

    end = flow.End().Annotation(title=_("Contrat en vigueur"))


class CreditDelegationFlow(ContractFlow):
    """Délégation de crédits FIR annuelle

    Le chargé de mission prépare la délégation de l'année à partir des tranches annuelles
    et des reprises ; un validateur, autre que lui, la valide ; la délégation est
    enregistrée avec sa décision et le GHT est informé.
    """

    process_title = _("Délégation de crédits FIR annuelle")
    process_class = CreditDelegationProcess

    start = (
        ScopedStart(views.PrepareDelegationView.as_view())
        .Annotation(
            title=_("Préparer la délégation"),
            description=_(
                "Montants par ligne : alloué de l'année, moins le déjà délégué et les "
                "reprises imputées."
            ),
        )
        .Permission("workflows.prepare_delegation")
        .Next(this.approve, task_data=prepared_by_owner)
    )

    approve = (
        ScopedView(views.DelegationDecisionView.as_view())
        .Annotation(
            title=_("Valider la délégation"),
            description=_(
                "Un validateur, autre que le préparateur, valide (référence et date de la "
                "décision) ou renvoie avec un motif. Les crédits ne bougent qu'ici."
            ),
        )
        .Permission("workflows.approve_delegation")
        .Decides("delegation")
        .Next(this.is_approved)
    )

    is_approved = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Délégation validée ?"))
        .Then(this.notify)
        .Else(this.revise)
    )

    revise = (
        ScopedView(views.RevisePreparedDelegationView.as_view())
        .Annotation(
            title=_("Préparer à nouveau"),
            description=_("Le chargé de mission prépare une nouvelle délégation."),
        )
        .Permission("workflows.prepare_delegation")
        .Next(this.approve, task_data=prepared_by_owner)
    )

    notify = (
        flow.Function(notifications.notify_delegation)
        .Annotation(
            title=_("Informer le GHT"),
            description=_(
                "Message à la direction de l'établissement support (GHT), après validation."
            ),
        )
        .Next(this.end)
    )

    end = flow.End().Annotation(title=_("Délégation enregistrée"))


def review_reminder_moment(activation):
    """Return when to remind the GHT: N days before the due date, 9 h Paris time."""
    milestone = activation.process.coerced.milestone
    day = milestone.due_date - timedelta(days=settings.MILESTONE_REMINDER_DAYS)
    return _local_moment(day, time(9, 0))


def review_escalation_moment(activation):
    """Return when the due date has passed: the next day, 0 h Paris time."""
    milestone = activation.process.coerced.milestone
    return _local_moment(milestone.due_date + timedelta(days=1), time(0, 0))


class MilestoneReviewFlow(ContractFlow):
    """Suivi du jalon

    Ouverte avant l'échéance du jalon : le directeur de l'établissement support (GHT) déclare l'avancement
    (valeur de l'indicateur, pièces) ; le chargé de mission valide ou demande un
    complément. Relance avant l'échéance, alerte au chargé de mission après.
    """

    process_title = _("Suivi du jalon")
    process_class = MilestoneReviewProcess

    start = (
        flow.StartHandle(this.open_review)
        .Annotation(
            title=_("Ouvrir le suivi"),
            description=_("Ouverte automatiquement avant l'échéance du jalon."),
        )
        .Next(this.report)
    )

    report = (
        ScopedView(views.ReportMilestoneView.as_view())
        .Annotation(
            title=_("Déclarer l'avancement"),
            description=_(
                "Le directeur de l'établissement support (GHT) déclare la valeur atteinte et joint ses pièces."
            ),
        )
        .Permission("workflows.report_milestone")
        .OnTimeout(
            review_reminder_moment,
            this.remind,
            interrupting=False,
            title=_("Relance avant échéance"),
        )
        .OnTimeout(
            review_escalation_moment,
            this.escalate,
            interrupting=False,
            title=_("Échéance dépassée : alerte au chargé de mission"),
        )
        .Next(this.review, task_data=prepared_by_owner)
    )

    remind = (
        flow.Function(notifications.remind_milestone)
        .Annotation(
            title=_("Relancer le GHT"),
            description=_(
                "Message au directeur de l'établissement support (GHT) avant l'échéance."
            ),
        )
        .Next(this.reminded)
    )

    reminded = flow.End().Annotation(title=_("Relance envoyée"))

    escalate = (
        flow.Function(notifications.escalate_milestone)
        .Annotation(
            title=_("Signaler au chargé de mission"),
            description=_("L'échéance est passée sans déclaration."),
        )
        .Next(this.follow_up)
    )

    follow_up = (
        ScopedView(views.FollowUpOverdueView.as_view())
        .Annotation(
            title=_("Traiter le retard"),
            description=_("Le chargé de mission relance le GHT et consigne la suite donnée."),
        )
        .Permission("workflows.review_milestone")
        .Next(this.followed_up)
    )

    followed_up = flow.End().Annotation(title=_("Retard traité"))

    review = (
        ScopedView(views.ReviewMilestoneView.as_view())
        .Annotation(
            title=_("Valider l'avancement"),
            description=_(
                "Le chargé de mission valide ou demande un complément (motif obligatoire) ; "
                "jamais la personne qui a déclaré."
            ),
        )
        .Permission("workflows.review_milestone")
        .Decides("milestone")
        .Next(this.is_validated)
    )

    is_validated = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Jalon validé ?"))
        .Then(this.end)
        .Else(this.report)
    )

    end = flow.End().Annotation(title=_("Jalon validé"))

    def open_review(self, activation, *, milestone):
        """Fill the new review process from its milestone (called by ``start.run``)."""
        contract = milestone.axis.contract
        process = activation.process
        process.milestone = milestone
        process.contract = contract
        process.hospital_group_id = contract.hospital_group_id
        process.region_id = contract.region_id
        return process


class ConsumptionClosingFlow(ContractFlow):
    """Clôture de consommation et reprise

    Le GHT déclare l'état récapitulatif d'une ligne pour une année ; le chargé de
    mission le vérifie et calcule les crédits non consommés ou non conformes ; un
    validateur valide la reprise ou sa déduction sur la délégation suivante.
    """

    process_title = _("Clôture de consommation et reprise")
    process_class = ConsumptionClosingProcess

    start = (
        ScopedStart(views.OpenClosingView.as_view())
        .Annotation(
            title=_("Ouvrir la clôture"),
            description=_("Le chargé de mission ouvre la clôture d'une ligne pour une année."),
        )
        .Permission("workflows.check_statement")
        .Next(this.declare)
    )

    start_at_deadline = (
        flow.StartHandle(this.open_closing)
        .Annotation(
            title=_("Date limite de consommation"),
            description=_("Ouverte automatiquement à la date limite de consommation."),
        )
        .Next(this.declare)
    )

    declare = (
        ScopedView(views.DeclareStatementView.as_view())
        .Annotation(
            title=_("Déclarer l'état récapitulatif"),
            description=_("Le GHT déclare les crédits consommés, dont non conformes."),
        )
        .Permission("workflows.submit_statement")
        .Next(this.check, task_data=prepared_by_owner)
    )

    check = (
        ScopedView(views.CheckStatementView.as_view())
        .Annotation(
            title=_("Vérifier et calculer la reprise"),
            description=_(
                "Le chargé de mission vérifie l'état ; les crédits à reprendre sont "
                "calculés à partir des montants."
            ),
        )
        .Permission("workflows.check_statement")
        .Decides("statement")
        .Next(this.has_recovery, task_data=prepared_by_owner)
    )

    has_recovery = (
        If(lambda activation: activation.process.recovery_id is not None)
        .Annotation(title=_("Des crédits à reprendre ?"))
        .Then(this.approve_recovery)
        .Else(this.end)
    )

    approve_recovery = (
        ScopedView(views.RecoveryDecisionView.as_view())
        .Annotation(
            title=_("Valider la reprise"),
            description=_(
                "Un validateur, autre que le préparateur, valide la reprise ou sa "
                "déduction sur la prochaine notification de crédits."
            ),
        )
        .Permission("workflows.approve_recovery")
        .Decides("recovery")
        .Next(this.is_approved)
    )

    is_approved = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Reprise validée ?"))
        .Then(this.end)
        .Else(this.check)
    )

    end = flow.End().Annotation(title=_("Clôture terminée"))

    def open_closing(self, activation, *, allocation):
        """Fill the new closing process from its allocation (called by ``start_at_deadline``)."""
        contract = allocation.funding_line.axis.contract
        process = activation.process
        process.allocation = allocation
        process.year = allocation.year
        process.contract = contract
        process.hospital_group_id = contract.hospital_group_id
        process.region_id = contract.region_id
        return process


def amendment_author(activation):
    """The person who drafted the amendment sent back: the correction goes back to them."""
    return activation.process.amendment.prepared_by


class AmendmentFlow(ContractFlow):
    """Avenant

    Le chargé de mission rédige l'avenant (montants par axe, ligne et année, dates,
    jalons) ; un validateur, autre que lui, le valide au vu des différences ; le
    contrat, les délégations à venir et les suivis de jalon ouverts suivent.
    """

    process_title = _("Avenant")
    process_class = AmendmentProcess

    start = (
        ScopedStart(views.DraftAmendmentView.as_view())
        .Annotation(
            title=_("Rédiger l'avenant"),
            description=_("Nouvelle version des montants, dates et jalons du contrat."),
        )
        .Permission("workflows.draft_amendment")
        .Next(this.approve, task_data=prepared_by_owner)
    )

    approve = (
        ScopedView(views.AmendmentDecisionView.as_view())
        .Annotation(
            title=_("Valider l'avenant"),
            description=_(
                "Un validateur, autre que le rédacteur, valide au vu des différences par "
                "axe, ligne et année, ou renvoie avec un motif."
            ),
        )
        .Permission("workflows.approve_amendment")
        .Decides("amendment")
        .Next(this.is_approved)
    )

    is_approved = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Avenant validé ?"))
        .Then(this.end)
        .Else(this.revise)
    )

    revise = (
        ScopedView(views.ReviseAmendmentView.as_view())
        .Annotation(
            title=_("Corriger et soumettre à nouveau"),
            description=_(
                "Le rédacteur voit le motif du renvoi, corrige l'avenant prérempli et le "
                "soumet à nouveau, ou l'abandonne."
            ),
        )
        .Permission("workflows.draft_amendment")
        .Assign(amendment_author)
        .Next(this.is_resubmitted)
    )

    is_resubmitted = (
        If(lambda activation: activation.process.decision != ABANDONED)
        .Annotation(title=_("Avenant soumis à nouveau ?"))
        .Then(this.approve)
        .Else(this.rejected)
    )

    end = flow.End().Annotation(title=_("Avenant en vigueur"))

    rejected = flow.End().Annotation(title=_("Avenant abandonné"))


FLOWS = [
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
    ConsumptionClosingFlow,
    AmendmentFlow,
]


# Calls for applications (CALLS.md 3.2 to 3.5) ---------------------------------------------


class DossierFlow(ContractFlow):
    """Base of the dossier flows: the contract flows' lock and scope, summed up by dossier."""

    process_summary_template = (
        "{{ flow_class.process_title }} – dossier {{ process.dossier.ds_number }}"
        " ({{ process.get_status_display }})"
    )

    @classmethod
    def list_summary(cls, process) -> str:
        return f"{cls.process_title} – dossier {process.dossier.ds_number} ({_status(process)})"

    def fill(self, activation, *, dossier, kind: str):
        process = activation.process
        process.dossier = dossier
        process.campaign_id = dossier.campaign_id
        process.region_id = dossier.campaign.region_id
        process.kind = kind
        return process


def complement_deadline_moment(activation):
    """Return when the complements are late: the day after the deadline, 0 h Paris time."""
    complement = activation.process.coerced.complement
    return _local_moment(complement.deadline_date + timedelta(days=1), time(0, 0))


def open_instruction(activation) -> None:
    """Open the instruction of the dossier declared complete (its decision flow)."""
    DossierDecisionFlow.start.run(dossier=activation.process.coerced.dossier)


class DossierCompletenessFlow(DossierFlow):
    """Complétude d'un dossier de candidature

    L'instructeur vérifie les pièces ; il déclare le dossier complet ou demande des
    compléments au porteur avec une date limite ; sans retour à cette date, le dossier
    est rejeté automatiquement.
    """

    process_title = _("Complétude d'un dossier de candidature")
    process_class = DossierCompletenessProcess

    start = (
        flow.StartHandle(this.open_check)
        .Annotation(
            title=_("Ouvrir la vérification"),
            description=_("Ouverte pour chaque dossier déposé, une fois la campagne close."),
        )
        .Next(this.check)
    )

    check = (
        DossierView(dossier_views.CheckDossierView.as_view())
        .Annotation(
            title=_("Vérifier les pièces"),
            description=_(
                "L'instructeur déclare le dossier complet ou demande des compléments au "
                "porteur (message sur Démarches simplifiées, date limite)."
            ),
        )
        .Permission("workflows.check_dossier")
        .Next(this.is_complete)
    )

    is_complete = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Dossier complet ?"))
        .Then(this.admit)
        .Else(this.await_complements)
    )

    await_complements = (
        DossierView(dossier_views.RecordComplementsView.as_view())
        .Annotation(
            title=_("Constater le retour des compléments"),
            description=_("Le porteur a déposé les pièces demandées : le dossier est revérifié."),
        )
        .Permission("workflows.check_dossier")
        .OnTimeout(
            complement_deadline_moment,
            this.reject,
            title=_("Date limite des compléments dépassée"),
        )
        .Next(this.check)
    )

    reject = (
        flow.Function(dossier_views.reject_incomplete_dossier)
        .Annotation(
            title=_("Rejeter le dossier"),
            description=_(
                "Compléments non reçus à la date limite : le dossier n'est pas instruit et "
                "est rejeté automatiquement (cahier des charges CLACT)."
            ),
        )
        .Next(this.rejected)
    )

    rejected = flow.End().Annotation(title=_("Dossier rejeté (incomplet)"))

    admit = (
        flow.Function(open_instruction)
        .Annotation(
            title=_("Ouvrir l'instruction"),
            description=_("Le dossier complet est recevable : son instruction s'ouvre."),
        )
        .Next(this.end)
    )

    end = flow.End().Annotation(title=_("Dossier recevable"))

    def open_check(self, activation, *, dossier):
        """Fill the new completeness process from its dossier (called by ``start.run``)."""
        return self.fill(activation, dossier=dossier, kind=DossierProcess.COMPLETENESS)


class DossierDecisionFlow(DossierFlow):
    """Instruction et décision d'un dossier de candidature

    L'instructeur donne son avis, note les critères et propose un montant par action ;
    le comité de sélection décide, enregistré par une autre personne que l'instructeur ;
    la décision est notifiée au porteur, puis le dossier retenu devient une ligne du
    contrat de son GHT par avenant, ou une convention de financement.
    """

    process_title = _("Instruction et décision d'un dossier de candidature")
    process_class = DossierDecisionProcess

    start = (
        flow.StartHandle(this.open_decision)
        .Annotation(
            title=_("Ouvrir l'instruction"),
            description=_("Ouverte quand le dossier est déclaré complet."),
        )
        .Next(this.instruct)
    )

    instruct = (
        DossierView(dossier_views.InstructDossierView.as_view())
        .Annotation(
            title=_("Instruire le dossier"),
            description=_(
                "Avis, notes par critère du cahier des charges, montant proposé par action "
                "et exécution des conventions CLACT précédentes."
            ),
        )
        .Permission("workflows.instruct_dossier")
        .Next(this.decide, task_data=prepared_by_owner)
    )

    decide = (
        DossierView(dossier_views.DecideDossierView.as_view())
        .Annotation(
            title=_("Enregistrer la décision du comité"),
            description=_(
                "Retenu, retenu partiellement, non retenu ou ajourné, avec ses motifs et le "
                "montant accordé ; jamais par l'instructeur ; l'enveloppe est respectée."
            ),
        )
        .Permission("workflows.decide_dossier")
        .Decides("review")
        .Next(this.is_on_hold)
    )

    is_on_hold = (
        If(lambda activation: activation.process.decision == steps.ON_HOLD)
        .Annotation(title=_("Dossier ajourné ?"))
        .Then(this.decide)
        .Else(this.notify)
    )

    notify = (
        DossierView(dossier_views.NotifyDecisionView.as_view())
        .Annotation(
            title=_("Notifier la décision"),
            description=_(
                "Lettre de décision au porteur, pas avant la date de notification de la "
                "campagne ; la décision est reportée sur Démarches simplifiées."
            ),
        )
        .Permission("workflows.notify_dossier")
        .Next(this.is_granted)
    )

    is_granted = (
        If(lambda activation: activation.process.decision == APPROVED)
        .Annotation(title=_("Dossier retenu ?"))
        .Then(this.fund)
        .Else(this.not_selected)
    )

    fund = (
        DossierView(dossier_views.FundDossierView.as_view())
        .Annotation(
            title=_("Financer le dossier"),
            description=_(
                "Le dossier retenu devient une ligne du contrat du GHT par avenant, ou une "
                "convention de financement avec l'établissement porteur (ses actions, ses "
                "indicateurs) : l'avenant ou la convention est ensuite validé par un "
                "validateur."
            ),
        )
        .Permission("workflows.fund_dossier")
        .Next(this.funded)
    )

    funded = flow.End().Annotation(title=_("Avenant ou convention de financement rédigé"))

    not_selected = flow.End().Annotation(title=_("Dossier non retenu, notifié"))

    def open_decision(self, activation, *, dossier):
        """Fill the new decision process from its dossier (called by ``start.run``)."""
        return self.fill(activation, dossier=dossier, kind=DossierProcess.DECISION)


CALL_FLOWS = [DossierCompletenessFlow, DossierDecisionFlow]
ALL_FLOWS = FLOWS + CALL_FLOWS

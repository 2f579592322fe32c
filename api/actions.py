"""The API's writes: each runs one workflow step through ``workflows.steps``, the code path
of the task pages, inside the flow's lock, journaled with the channel "api".

The object comes from the caller's scope (else 404); its open step is looked up (none:
409); ``can_assign`` / ``can_execute`` are checked for the caller (refused: 403 with the
reason, e.g. four-eyes); the service's refusals and a held lock become problem details.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from viewflow.workflow.models import Task

from audit.journal import journal_channel
from calls.models import SCORE_FIELDS, CommitteeOutcome, FundingInstrument, Opinion
from workflows import dossier_forms, dossier_views, steps
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    DossierCompletenessFlow,
    DossierDecisionFlow,
    MilestoneReviewFlow,
)
from workflows.forms import AmendmentForm
from workflows.models import DossierProcess

from .filters import MAX_ID
from .problems import StepConflict

CHANNEL = "api"
APPROVED, RETURNED = steps.APPROVED, steps.RETURNED
MONEY = {"max_digits": 14, "decimal_places": 2}


# Inputs ------------------------------------------------------------------------------------


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(APPROVED, "Approuver"), (RETURNED, "Renvoyer")],
        help_text="APPROVED pour approuver, RETURNED pour renvoyer (motif obligatoire).",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs):
        if attrs["decision"] == RETURNED and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": _("Indiquez le motif du renvoi.")})
        return attrs


class DelegationDecisionInput(DecisionInput):
    decision_reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=60
    )
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["decision"] == APPROVED:
            errors = {}
            if not attrs["decision_reference"].strip():
                errors["decision_reference"] = _("La référence de la décision est requise.")
            if attrs["decision_date"] is None:
                errors["decision_date"] = _("La date de la décision est requise.")
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class MilestoneReportInput(serializers.Serializer):
    actual_value = serializers.DecimalField(**MONEY, help_text="Valeur atteinte de l'indicateur.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    evidence = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="Pièce justificative."
    )
    evidence_description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255
    )


class StatementInput(serializers.Serializer):
    line = serializers.CharField(max_length=30, help_text="Code de la ligne de financement.")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    consumed_amount = serializers.DecimalField(**MONEY, min_value=0)
    non_compliant_amount = serializers.DecimalField(**MONEY, min_value=0, default=0)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class YearInput(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class AmendmentAllocationInput(serializers.Serializer):
    line = serializers.IntegerField(help_text="Identifiant de la ligne de financement.")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    amount = serializers.DecimalField(
        **MONEY, min_value=0, help_text="Nouveau montant programmé de la ligne pour l'année (€)."
    )


class AmendmentMilestoneInput(serializers.Serializer):
    milestone = serializers.IntegerField(help_text="Identifiant du jalon.")
    due_date = serializers.DateField(help_text="Nouvelle échéance du jalon.")


class AmendmentInput(serializers.Serializer):
    """The proposal of an amendment; what is not named stays as it is.

    Checked by the page's own form (``workflows.forms.AmendmentForm``: period, envelope,
    at least one change), whose errors come back under the API's field names.
    """

    reason = serializers.CharField(max_length=5000, help_text="Objet de l'avenant.")
    envelope_amount = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Nouvelle enveloppe (€).",
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Nouvelle date de fin."
    )
    allocations = AmendmentAllocationInput(many=True, required=False, default=list)
    milestones = AmendmentMilestoneInput(many=True, required=False, default=list)

    def validate(self, attrs):
        contract = self.context["contract"]
        form_data = {
            "reason": attrs["reason"],
            "envelope_amount": attrs["envelope_amount"],
            "end_date": attrs["end_date"],
        }
        # form field name -> the API field that carries it
        where = {"reason": "reason", "envelope_amount": "envelope_amount", "end_date": "end_date"}
        form = AmendmentForm(contract=contract)
        errors = {}
        for kind, items, key, value in (
            ("allocations", attrs["allocations"], "allocation_{line}_{year}", "amount"),
            ("milestones", attrs["milestones"], "milestone_{milestone}", "due_date"),
        ):
            item_errors = []
            for index, item in enumerate(items):
                name = key.format(**item)
                item_errors.append({})
                if name not in form.fields:
                    first = "line" if kind == "allocations" else "milestone"
                    item_errors[index][first] = [
                        _("Aucune ligne de ce contrat n'a d'allocation pour cette année.")
                        if kind == "allocations"
                        else _("Aucun jalon de ce contrat ne porte cet identifiant.")
                    ]
                elif name in form_data:
                    item_errors[index][value] = [_("Cette valeur est donnée deux fois.")]
                else:
                    form_data[name] = item[value]
                    where[name] = (kind, index, value)
            if any(item_errors):
                errors[kind] = item_errors
        if errors:
            raise serializers.ValidationError(errors)
        form = AmendmentForm(
            {k: v for k, v in form_data.items() if v is not None}, contract=contract
        )
        if not form.is_valid():
            raise serializers.ValidationError(_api_errors(form, where, attrs))
        return {"reason": form.cleaned_data["reason"], "proposal": form.proposal()}


def _api_errors(form, where, attrs) -> dict:
    """Return the form's errors under the API's field names."""
    errors = {}
    for name, messages in form.errors.items():
        target = where.get(name)
        if name == "__all__" or target is None:
            errors.setdefault("non_field_errors", []).extend(messages)
        elif isinstance(target, str):
            errors.setdefault(target, []).extend(messages)
        else:
            kind, index, value = target
            items = errors.setdefault(kind, [{} for _item in attrs[kind]])
            items[index].setdefault(value, []).extend(messages)
    return errors


# Dossier steps: checked by the page's own form (``workflows.dossier_forms``) ---------------


class ActionAmountInput(serializers.Serializer):
    action = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Identifiant de l'action du dossier."
    )
    amount = serializers.DecimalField(**MONEY, min_value=0, help_text="Part ARS (€).")


def _amounts_field(help_text: str):
    return ActionAmountInput(many=True, required=False, default=list, help_text=help_text)


def _page_form(form_class, attrs, form_data: dict, where: dict, *, amounts=(), **kwargs):
    """Return the page's bound form, valid, with ``form_data`` and the amounts per action.

    An action not named keeps the value the page shows in its field (``initial``); a form
    error comes back under the API's field name (``where``).
    """
    form = form_class(**kwargs)
    errors = []
    for index, item in enumerate(amounts):
        name = f"{form.amount_prefix}{item['action']}"
        if name not in form.fields:
            errors.append({"action": [_("Aucune action de ce dossier ne porte cet identifiant.")]})
        elif name in form_data:
            errors.append({"amount": [_("Cette valeur est donnée deux fois.")]})
        else:
            errors.append({})
            form_data[name] = item["amount"]
            where[name] = ("amounts", index, "amount")
    if any(errors):
        raise serializers.ValidationError({"amounts": errors})
    for action in getattr(form, "actions", []):
        name = f"{form.amount_prefix}{action.pk}"
        if name not in form_data:
            form_data[name] = form.fields[name].initial
            where[name] = "amounts"
    form = form_class({k: v for k, v in form_data.items() if v is not None}, **kwargs)
    if not form.is_valid():
        raise serializers.ValidationError(_api_errors(form, where, attrs))
    return form


class CompletenessOutcome(models.TextChoices):
    COMPLETE = dossier_forms.COMPLETE, "Dossier complet"
    INCOMPLETE = dossier_forms.INCOMPLETE, "Compléments demandés"


class CheckDossierInput(serializers.Serializer):
    """The completeness check: complete, or complements asked by a deadline."""

    outcome = serializers.ChoiceField(
        choices=CompletenessOutcome.choices,
        help_text="COMPLETE : dossier complet (recevable) ; INCOMPLETE : demander des "
        "compléments au porteur (message et date limite obligatoires).",
    )
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Message au porteur (pièces attendues), envoyé sur Démarches simplifiées.",
    )
    deadline_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Date limite des compléments ; sans retour, le dossier est rejeté.",
    )

    def validate(self, attrs):
        names = ("outcome", "message", "deadline_date")
        form = _page_form(
            dossier_forms.CheckDossierForm,
            attrs,
            {name: attrs[name] for name in names},
            {name: name for name in names},
        )
        return {"form": form}


SCORE_NAMES = {name.removeprefix("score_"): name for name in SCORE_FIELDS}


class ScoresInput(serializers.Serializer):
    """The five selection criteria of the call, each from 0 (absent) to 3 (strong)."""

    mutualisation = serializers.IntegerField(min_value=0, max_value=3)
    agents = serializers.IntegerField(min_value=0, max_value=3)
    priority = serializers.IntegerField(min_value=0, max_value=3)
    innovation = serializers.IntegerField(min_value=0, max_value=3)
    timeline = serializers.IntegerField(min_value=0, max_value=3)


class InstructDossierInput(serializers.Serializer):
    """The instruction: opinion, scores, ARS share proposed per action, past conventions."""

    opinion = serializers.ChoiceField(choices=Opinion.choices, help_text="Avis de l'instructeur.")
    comment = serializers.CharField(max_length=5000, help_text="Motivation de l'avis.")
    scores = ScoresInput(help_text="Notes par critère du cahier des charges (0 à 3).")
    amounts = _amounts_field(
        "Part ARS proposée par action ; une action non nommée reçoit son plafond (part ARS "
        "du coût, arrondie, et au plus la demande), comme la page le propose."
    )
    previous_conventions = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Exécution des conventions CLACT précédentes.",
    )
    has_unexecuted_past_actions = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Des actions financées il y a plus de 2 ans n'ont pas été réalisées.",
    )

    def validate(self, attrs):
        plain = ("opinion", "comment", "previous_conventions", "has_unexecuted_past_actions")
        form_data = {name: attrs[name] for name in plain}
        where = {name: name for name in plain}
        for short, name in SCORE_NAMES.items():
            form_data[name] = attrs["scores"][short]
            where[name] = f"scores.{short}"
        form = _page_form(
            dossier_forms.InstructDossierForm,
            attrs,
            form_data,
            where,
            amounts=attrs["amounts"],
            **dossier_forms.instruct_form_kwargs(self.context["dossier"]),
        )
        return {"form": form}


class DecideDossierInput(serializers.Serializer):
    """The committee's decision, recorded by an ARS validator who did not instruct."""

    committee = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="Séance du comité (identifiant lu dans `GET campaigns/{id}/`).",
    )
    outcome = serializers.ChoiceField(choices=CommitteeOutcome.choices, help_text="Décision.")
    reasons = serializers.CharField(max_length=5000, help_text="Motifs de la décision.")
    amounts = _amounts_field(
        "Part ARS accordée par action ; une action non nommée reçoit le montant proposé par "
        "l'instructeur, comme la page le propose."
    )

    def validate(self, attrs):
        names = ("committee", "outcome", "reasons")
        form = _page_form(
            dossier_forms.DecideDossierForm,
            attrs,
            {name: attrs[name] for name in names},
            {name: name for name in names},
            amounts=attrs["amounts"],
            **dossier_forms.decide_form_kwargs(self.context["dossier"]),
        )
        return {"form": form}


class FundDossierInput(serializers.Serializer):
    """How the granted dossier is funded: a new line of its GHT's contract by amendment, or a
    funding convention of its own; one indicator followed as a milestone."""

    instrument = serializers.ChoiceField(
        choices=FundingInstrument.choices,
        help_text="CONTRACT_AMENDMENT : ligne du contrat du GHT par avenant (contrat, axe et "
        "code obligatoires) ; FUNDING_CONVENTION : convention de financement avec "
        "l'établissement porteur.",
    )
    contract = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="Contrat en vigueur du GHT (avenant seulement).",
    )
    axis = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="Axe de ce contrat (avenant seulement).",
    )
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=30,
        help_text="Code de la nouvelle ligne (avenant seulement).",
    )
    indicator_label = serializers.CharField(max_length=255, help_text="Indicateur suivi.")
    baseline_value = serializers.DecimalField(**MONEY, help_text="Valeur de départ.")
    target_value = serializers.DecimalField(**MONEY, help_text="Cible.")
    due_date = serializers.DateField(help_text="Échéance de l'indicateur.")

    def validate(self, attrs):
        names = (
            "instrument",
            "contract",
            "axis",
            "code",
            "indicator_label",
            "baseline_value",
            "target_value",
            "due_date",
        )
        form = _page_form(
            dossier_forms.FundDossierForm,
            attrs,
            {name: attrs[name] for name in names},
            {name: name for name in names},
            **dossier_forms.fund_form_kwargs(
                self.context["dossier"], self.context["user"], today=timezone.localdate()
            ),
        )
        return {"form": form}


class StepResultSerializer(serializers.Serializer):
    process = serializers.IntegerField(help_text="Processus concerné.")
    task = serializers.IntegerField(help_text="Tâche terminée.")
    detail = serializers.CharField()


def _result(activation, *, created=False) -> Response:
    task = activation.task
    body = {
        "process": activation.process.pk,
        "task": task.pk,
        "detail": _("L'étape « %(task)s » est terminée.") % {"task": task.flow_task.task_title},
    }
    return Response(
        StepResultSerializer(body).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def complete_open_step(*, user, node, perform, **process_lookup) -> Response:
    """Complete the open task of ``node`` on the process matching ``process_lookup``."""
    return _complete(
        user=user, node=node, task=steps.open_step(node, **process_lookup), perform=perform
    )


def complete_dossier_step(*, user, node, dossier, perform) -> Response:
    """Complete the open task of ``node`` on the process of ``dossier``."""
    return _complete(
        user=user, node=node, task=steps.open_dossier_step(node, dossier), perform=perform
    )


def _complete(*, user, node, task, perform) -> Response:
    if task is None:
        raise StepConflict(
            _("Aucune étape « %(step)s » n'est ouverte pour cet objet.") % {"step": node.task_title}
        )
    try:
        with journal_channel(CHANNEL):
            activation = steps.run_task(user=user, task=task, perform=perform)
    except steps.StepGone as error:
        raise StepConflict() from error
    return _result(activation)


def start_process(*, user, node, perform) -> Response:
    with journal_channel(CHANNEL):
        activation = steps.run_start(user=user, node=node, perform=perform)
    return _result(activation, created=True)


# The actions -------------------------------------------------------------------------------


def submit_contract(*, user, contract) -> Response:
    """Submit a draft, or resubmit a returned contract (its ``revise`` step)."""
    if steps.open_step(ContractApprovalFlow.revise, contract=contract) is not None:
        return complete_open_step(
            user=user,
            node=ContractApprovalFlow.revise,
            contract=contract,
            perform=lambda process: steps.resubmit_contract(process, actor=user),
        )
    return start_process(
        user=user,
        node=ContractApprovalFlow.start,
        perform=lambda process: steps.submit_contract(process, actor=user, contract=contract),
    )


def decide_contract(*, user, contract, data) -> Response:
    return complete_open_step(
        user=user,
        node=ContractApprovalFlow.approve,
        contract=contract,
        perform=lambda process: steps.decide_contract(
            process, actor=user, approved=data["decision"] == APPROVED, reason=data["reason"]
        ),
    )


def prepare_delegation(*, user, contract, year: int) -> Response:
    return start_process(
        user=user,
        node=CreditDelegationFlow.start,
        perform=lambda process: steps.prepare_delegation(
            process, actor=user, contract=contract, year=year
        ),
    )


def decide_delegation(*, user, delegation, data) -> Response:
    return complete_open_step(
        user=user,
        node=CreditDelegationFlow.approve,
        delegation=delegation,
        perform=lambda process: steps.decide_delegation(
            process,
            actor=user,
            approved=data["decision"] == APPROVED,
            reason=data["reason"],
            decision_reference=data["decision_reference"],
            decision_date=data["decision_date"],
        ),
    )


def report_milestone(*, user, milestone, data) -> Response:
    return complete_open_step(
        user=user,
        node=MilestoneReviewFlow.report,
        milestone=milestone,
        perform=lambda process: steps.report_milestone(
            process,
            actor=user,
            actual_value=data["actual_value"],
            comment=data["comment"],
            evidence=data["evidence"],
            evidence_description=data["evidence_description"],
        ),
    )


def review_milestone(*, user, milestone, data) -> Response:
    return complete_open_step(
        user=user,
        node=MilestoneReviewFlow.review,
        milestone=milestone,
        perform=lambda process: steps.review_milestone(
            process, actor=user, approved=data["decision"] == APPROVED, reason=data["reason"]
        ),
    )


def declare_statement(*, user, allocation, data) -> Response:
    return complete_open_step(
        user=user,
        node=ConsumptionClosingFlow.declare,
        allocation=allocation,
        perform=lambda process: steps.declare_statement(
            process,
            actor=user,
            consumed_amount=data["consumed_amount"],
            non_compliant_amount=data["non_compliant_amount"],
            comment=data["comment"],
        ),
    )


def decide_recovery(*, user, recovery, data) -> Response:
    return complete_open_step(
        user=user,
        node=ConsumptionClosingFlow.approve_recovery,
        recovery=recovery,
        perform=lambda process: steps.decide_recovery(
            process, actor=user, approved=data["decision"] == APPROVED, reason=data["reason"]
        ),
    )


def draft_amendment(*, user, contract, data) -> Response:
    return start_process(
        user=user,
        node=AmendmentFlow.start,
        perform=lambda process: steps.draft_amendment(
            process,
            actor=user,
            contract=contract,
            reason=data["reason"],
            proposal=data["proposal"],
        ),
    )


def decide_amendment(*, user, amendment, data) -> Response:
    return complete_open_step(
        user=user,
        node=AmendmentFlow.approve,
        amendment=amendment,
        perform=lambda process: steps.decide_amendment(
            process, actor=user, approved=data["decision"] == APPROVED, reason=data["reason"]
        ),
    )


# The dossier steps: the same ``steps`` functions as the pages' ``perform`` --------------


def _form_step(*, user, dossier, node, step, data) -> Response:
    """Complete ``node`` on ``dossier`` by ``step`` with the values of the page's form."""
    values = data["form"].step_values()
    return complete_dossier_step(
        user=user,
        node=node,
        dossier=dossier,
        perform=lambda process: step(process, actor=user, now=timezone.now(), **values),
    )


def check_dossier(*, user, dossier, data) -> Response:
    node = DossierCompletenessFlow.check
    return _form_step(user=user, dossier=dossier, node=node, step=steps.check_dossier, data=data)


def record_complements(*, user, dossier) -> Response:
    return complete_dossier_step(
        user=user,
        node=DossierCompletenessFlow.await_complements,
        dossier=dossier,
        perform=lambda process: steps.record_complements(process, actor=user, now=timezone.now()),
    )


def instruct_dossier(*, user, dossier, data) -> Response:
    node = DossierDecisionFlow.instruct
    return _form_step(user=user, dossier=dossier, node=node, step=steps.instruct_dossier, data=data)


def decide_dossier(*, user, dossier, data) -> Response:
    node = DossierDecisionFlow.decide
    return _form_step(user=user, dossier=dossier, node=node, step=steps.decide_dossier, data=data)


def notify_dossier(*, user, dossier) -> Response:
    return complete_dossier_step(
        user=user,
        node=DossierDecisionFlow.notify,
        dossier=dossier,
        perform=lambda process: steps.notify_decision(
            process, actor=user, today=timezone.localdate(), now=timezone.now()
        ),
    )


def fund_dossier(*, user, dossier, data) -> Response:
    form = data["form"]
    return complete_dossier_step(
        user=user,
        node=DossierDecisionFlow.fund,
        dossier=dossier,
        perform=lambda process: dossier_views.fund_dossier(process, actor=user, form=form),
    )


# Where each open task is acted on through the API (shown in the task list) ----------------

_TASK_ACTIONS = {
    (ContractApprovalFlow, "approve"): lambda p: f"/api/v1/contracts/{p.contract_id}/decision/",
    (ContractApprovalFlow, "revise"): lambda p: f"/api/v1/contracts/{p.contract_id}/submit/",
    (CreditDelegationFlow, "approve"): lambda p: f"/api/v1/delegations/{p.delegation_id}/decision/",
    (MilestoneReviewFlow, "report"): lambda p: f"/api/v1/milestones/{p.milestone_id}/report/",
    (MilestoneReviewFlow, "review"): lambda p: f"/api/v1/milestones/{p.milestone_id}/review/",
    (ConsumptionClosingFlow, "declare"): lambda p: f"/api/v1/contracts/{p.contract_id}/statements/",
    (ConsumptionClosingFlow, "approve_recovery"): lambda p: (
        f"/api/v1/recoveries/{p.recovery_id}/decision/"
    ),
    (AmendmentFlow, "approve"): lambda p: f"/api/v1/amendments/{p.amendment_id}/decision/",
    (DossierCompletenessFlow, "check"): lambda p: f"/api/v1/dossiers/{p.dossier_id}/completeness/",
    (DossierCompletenessFlow, "await_complements"): lambda p: (
        f"/api/v1/dossiers/{p.dossier_id}/complements-received/"
    ),
    (DossierDecisionFlow, "instruct"): lambda p: f"/api/v1/dossiers/{p.dossier_id}/instruction/",
    (DossierDecisionFlow, "decide"): lambda p: f"/api/v1/dossiers/{p.dossier_id}/decision/",
    (DossierDecisionFlow, "notify"): lambda p: f"/api/v1/dossiers/{p.dossier_id}/notification/",
    (DossierDecisionFlow, "fund"): lambda p: f"/api/v1/dossiers/{p.dossier_id}/funding/",
}


def _dossier_process(task):
    """Return the dossier process of ``task`` (selected with it by the list), or ``None``."""
    cache = task.process._state.fields_cache
    if "dossierprocess" in cache:
        return cache["dossierprocess"]
    return (
        DossierProcess.objects.select_related("dossier", "campaign")
        .filter(pk=task.process_id)
        .first()
    )


def action_url(task) -> str | None:
    """Return the API address that completes ``task``, if the API offers one."""
    node = task.flow_task
    url = _TASK_ACTIONS.get((node.flow_class, node.name))
    if url is None:
        return None
    return url(_dossier_process(task) or task.process.contractprocess)


def dossier_steps(dossier) -> list[dict]:
    """Return the open steps of ``dossier``'s processes, each with its API action."""
    tasks = (
        Task.objects.filter(
            process__dossierprocess__dossier=dossier, status__in=steps.OPEN_STATUSES
        )
        .select_related("process__dossierprocess", "owner")
        .order_by("pk")
    )
    return [
        {
            "task": task.pk,
            "node": task.flow_task.name,
            "title": str(task.flow_task.task_title),
            "owner": task.owner.get_username() if task.owner_id else None,
            "action": action_url(task),
        }
        for task in tasks
    ]


def task_subject(task) -> dict:
    """Return what ``task`` is about: its contract, or its dossier with its campaign and the
    dossier's address in the API (read from the rows selected with the task)."""
    process = _dossier_process(task)
    if process is None:
        return {"contract": task.process.contractprocess.contract_id}
    return {
        "contract": None,
        "dossier": {
            "id": process.dossier_id,
            "number": process.dossier.ds_number,
            "applicant": process.dossier.applicant_name,
            "campaign": process.campaign_id,
            "campaign_title": process.campaign.title,
            "url": f"/api/v1/dossiers/{process.dossier_id}/",
        },
    }

"""The API's writes: each runs one workflow step through ``workflows.steps``, the code path
of the task pages, inside the flow's lock, journaled with the channel "api".

The object comes from the caller's scope (else 404); its open step is looked up (none:
409); ``can_assign`` / ``can_execute`` are checked for the caller (refused: 403 with the
reason, e.g. four-eyes); the service's refusals and a held lock become problem details.
"""

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response

from audit.journal import journal_channel
from workflows import steps
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)
from workflows.forms import AmendmentForm

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
    task = steps.open_step(node, **process_lookup)
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
}


def action_url(task) -> str | None:
    """Return the API address that completes ``task``, if the API offers one."""
    node = task.flow_task
    url = _TASK_ACTIONS.get((node.flow_class, node.name))
    return url(task.process.contractprocess) if url else None

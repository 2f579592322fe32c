"""Task views: validate a form, call one ``contracts`` service, complete the task.

A refused decision (``BusinessRuleError``, e.g. four-eyes) is shown on the form with
everything the user typed, and nothing is written: the service runs in a savepoint.
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.workflow.flow.views import mixins

from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.models import (
    ContractStatus,
    YearlyAllocation,
)
from contracts.selectors import visible_contracts

from . import facts, forms, steps
from .models import ContractProcess


class ServiceTaskView(
    mixins.SuccessMessageMixin,
    mixins.TaskSuccessUrlMixin,
    mixins.TaskViewTemplateNames,
    generic.FormView,
):
    """Base of every human step: one form, one service call, then the task completes."""

    template_filename = "task.html"
    success_message = gettext_lazy("« {title} » : c'est enregistré.")
    #: The facts the person decides on, shown above the form (``workflows/facts/``).
    facts_template: str | None = None

    @property
    def activation(self):
        return self.request.activation

    @property
    def process(self):
        return self.request.activation.process

    def get_facts(self) -> dict:
        return {}

    def get_template_names(self):
        if self.template_name is None and (self.facts_template or self.process.pk):
            # Every task form: the facts it decides on (if any) and one « Enregistrer ».
            return ["workflows/task_facts.html"]
        return super().get_template_names()

    def get_success_message(self, cleaned_data):
        title = self.activation.flow_task.task_title or self.process.flow_class.process_title
        return self.success_message.format(title=title)

    def get_success_url(self):
        """Back to the contract the step was about; the technical page only without one."""
        if self.process.contract_id:
            return reverse("contracts:contract_detail", args=[self.process.contract_id])
        return super().get_success_url()

    def perform(self, form) -> None:
        """Call the service of this step; raise ``BusinessRuleError`` to refuse."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            steps.complete_step(self.activation, lambda process: self.perform(form))
        except BusinessRuleError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        success_message = self.get_success_message(form.cleaned_data)
        messages.success(self.request, success_message, fail_silently=True)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400 if self.request.method == "POST" else 200
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["process"] = self.process
        if self.facts_template:
            context["facts_template"] = self.facts_template
            context["facts"] = self.get_facts()
        return context


class StartServiceView(ServiceTaskView):
    template_filename = "start.html"

    def set_contract(self, contract) -> None:
        steps.set_contract(self.process, contract)

    def get_initial(self):
        initial = super().get_initial()
        if "contract" in self.request.GET:
            initial["contract"] = self.request.GET["contract"]
        return initial

    def contracts(self, *statuses):
        return visible_contracts(self.request.user).filter(status__in=statuses)


def _decide(process, form) -> None:
    steps.record_decision(
        process, approved=form.approved, reason=form.cleaned_data.get("reason", "")
    )


# Contract approval -----------------------------------------------------------------------


class SubmitContractView(StartServiceView):
    form_class = forms.SubmitContractForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contracts": self.contracts(ContractStatus.DRAFT)}

    def perform(self, form):
        steps.submit_contract(
            self.process,
            actor=self.request.user,
            contract=form.cleaned_data["contract"],
            comment=form.cleaned_data["comment"],
        )


class ContractDecisionView(ServiceTaskView):
    form_class = forms.ContractDecisionForm
    facts_template = "workflows/facts/contract.html"

    def get_facts(self):
        return facts.contract_summary(self.process.contract)

    def perform(self, form):
        steps.decide_contract(
            self.process,
            actor=self.request.user,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
        )


class ResubmitContractView(ServiceTaskView):
    form_class = forms.ResubmitContractForm
    facts_template = "workflows/facts/contract.html"

    def get_facts(self):
        return facts.contract_summary(self.process.contract)

    def perform(self, form):
        steps.resubmit_contract(
            self.process, actor=self.request.user, comment=form.cleaned_data["comment"]
        )


class RecordSignatureView(ServiceTaskView):
    form_class = forms.SignatureForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "contract": self.process.contract,
            "today": timezone.localdate(),
        }

    def perform(self, form):
        services.record_signature(
            actor=self.request.user,
            contract=self.process.contract,
            signature_date=form.cleaned_data["signature_date"],
            signatories=form.cleaned_data["signatories"],
            signed_document=form.cleaned_data["signed_document"],
        )


# Credit delegation -----------------------------------------------------------------------


class PrepareDelegationView(StartServiceView):
    form_class = forms.PrepareDelegationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contracts": self.contracts(ContractStatus.ACTIVE)}

    def get_initial(self):
        initial = super().get_initial()
        if "year" in self.request.GET:
            initial["year"] = self.request.GET["year"]
        return initial

    def perform(self, form):
        steps.prepare_delegation(
            self.process,
            actor=self.request.user,
            contract=form.cleaned_data["contract"],
            year=form.cleaned_data["year"],
        )


class DelegationDecisionView(ServiceTaskView):
    form_class = forms.DelegationDecisionForm
    facts_template = "workflows/facts/delegation.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "contract": self.process.contract,
            "today": timezone.localdate(),
        }

    def get_facts(self):
        return facts.delegation_lines(
            self.process.contract, year=self.process.year, delegation=self.process.delegation
        )

    def perform(self, form):
        steps.decide_delegation(
            self.process,
            actor=self.request.user,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
            decision_reference=form.cleaned_data.get("decision_reference", ""),
            decision_date=form.cleaned_data.get("decision_date"),
        )


class RevisePreparedDelegationView(ServiceTaskView):
    form_class = forms.RevisePreparedDelegationForm
    facts_template = "workflows/facts/delegation.html"

    def get_facts(self):
        return facts.delegation_lines(self.process.contract, year=self.process.year)

    def perform(self, form):
        self.process.delegation = services.prepare_credit_delegation(
            actor=self.request.user,
            contract=self.process.contract,
            year=self.process.year,
            comment=form.cleaned_data["comment"],
        )
        self.process.decision = ""


# Milestone review ------------------------------------------------------------------------


class MilestoneFactsMixin:
    facts_template = "workflows/facts/milestone.html"
    show_declared = True

    def get_facts(self):
        return facts.milestone_facts(self.process)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "show_declared": self.show_declared}


class ReportMilestoneView(MilestoneFactsMixin, ServiceTaskView):
    form_class = forms.ReportMilestoneForm
    show_declared = False

    def perform(self, form):
        steps.report_milestone(
            self.process,
            actor=self.request.user,
            actual_value=form.cleaned_data["actual_value"],
            comment=form.cleaned_data["comment"],
            evidence=form.cleaned_data.get("evidence"),
            evidence_description=form.cleaned_data["evidence_description"],
        )


class ReviewMilestoneView(MilestoneFactsMixin, ServiceTaskView):
    form_class = forms.ReviewMilestoneForm

    def perform(self, form):
        steps.review_milestone(
            self.process,
            actor=self.request.user,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
        )


class FollowUpOverdueView(MilestoneFactsMixin, ServiceTaskView):
    form_class = forms.FollowUpForm

    def perform(self, form):
        services.record_overdue_follow_up(
            actor=self.request.user,
            milestone=self.process.milestone,
            comment=form.cleaned_data["comment"],
        )


# Consumption closing ---------------------------------------------------------------------


class OpenClosingView(StartServiceView):
    form_class = forms.OpenClosingForm

    def get_form_kwargs(self):
        allocations = (
            YearlyAllocation.objects.filter(
                funding_line__axis__contract__in=self.contracts(ContractStatus.ACTIVE),
                delegated_amount__gt=0,
            )
            .select_related("funding_line__axis__contract")
            .order_by("funding_line__axis__contract__reference", "funding_line__code", "year")
        )
        return {**super().get_form_kwargs(), "allocations": allocations}

    def perform(self, form):
        allocation = form.cleaned_data["allocation"]
        refusal = _("Une clôture de %(allocation)s est déjà en cours.") % {"allocation": allocation}
        if ContractProcess.objects.filter(allocation=allocation, is_open=True).exists():
            raise BusinessRuleError(refusal)
        self.set_contract(allocation.funding_line.axis.contract)
        self.process.allocation = allocation
        self.process.year = allocation.year
        try:
            # The database keeps one open closing per allocation, even against a
            # concurrent start: the loser gets the same refusal.
            with transaction.atomic():
                self.process.save()
        except IntegrityError as error:
            raise BusinessRuleError(refusal) from error


class ClosingFactsMixin:
    facts_template = "workflows/facts/closing.html"

    def get_facts(self):
        return facts.closing_figures(self.process)


class DeclareStatementView(ClosingFactsMixin, ServiceTaskView):
    form_class = forms.DeclareStatementForm

    def perform(self, form):
        steps.declare_statement(
            self.process,
            actor=self.request.user,
            consumed_amount=form.cleaned_data["consumed_amount"],
            non_compliant_amount=form.cleaned_data["non_compliant_amount"],
            comment=form.cleaned_data["comment"],
        )


class CheckStatementView(ClosingFactsMixin, ServiceTaskView):
    form_class = forms.CheckStatementForm

    def perform(self, form):
        self.process.recovery = services.check_statement_and_prepare_recovery(
            actor=self.request.user,
            statement=self.process.statement,
            mode=form.cleaned_data["mode"],
            comment=form.cleaned_data["comment"],
        )
        self.process.decision = ""


class RecoveryDecisionView(ClosingFactsMixin, ServiceTaskView):
    form_class = forms.RecoveryDecisionForm

    def perform(self, form):
        steps.decide_recovery(
            self.process,
            actor=self.request.user,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
        )


# Amendment -------------------------------------------------------------------------------


class DraftAmendmentView(StartServiceView):
    form_class = forms.AmendmentForm

    def get_contract(self):
        contract_id = self.request.GET.get("contract") or self.request.POST.get("contract")
        return (
            self.contracts(ContractStatus.ACTIVE)
            .filter(pk=contract_id if str(contract_id).isdigit() else None)
            .first()
        )

    def choose_contract(self, status=200):
        response = self.render_to_response(
            {"choose_contract": True, "contracts": self.contracts(ContractStatus.ACTIVE)}
        )
        response.status_code = status
        return response

    def get(self, request, *args, **kwargs):
        if self.get_contract() is None:
            return self.choose_contract()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.get_contract() is None:
            return self.choose_contract(status=400)
        return super().post(request, *args, **kwargs)

    def get_template_names(self):
        return ["workflows/amendment_start.html"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contract": self.get_contract()}

    def perform(self, form):
        steps.draft_amendment(
            self.process,
            actor=self.request.user,
            contract=form.contract,
            reason=form.cleaned_data["reason"],
            proposal=form.proposal(),
        )


class AmendmentDecisionView(ServiceTaskView):
    form_class = forms.AmendmentDecisionForm
    facts_template = "workflows/facts/amendment.html"

    def get_facts(self):
        return facts.amendment_facts(self.process.amendment)

    def perform(self, form):
        steps.decide_amendment(
            self.process,
            actor=self.request.user,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
        )


class ReviseAmendmentView(ServiceTaskView):
    """The author of a sent-back amendment corrects it, prefilled, and submits it again."""

    form_class = forms.ReviseAmendmentForm
    facts_template = "workflows/facts/amendment_returned.html"

    def get_facts(self):
        return {
            "reason": self.process.decision_reason,
            **facts.amendment_facts(self.process.amendment),
        }

    def get_template_names(self):
        return ["workflows/amendment_revise.html"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contract": self.process.contract}

    def get_initial(self):
        return forms.amendment_initial(self.process.amendment)

    def perform(self, form):
        if form.abandoned:
            self.process.decision = steps.ABANDONED
            return
        proposal = form.proposal()
        # The lines a funded call dossier adds are not on the form: they come back as drafted.
        proposal.new_lines = services.AmendmentProposal.from_json(
            self.process.amendment.proposed
        ).new_lines
        self.process.amendment = services.draft_amendment(
            actor=self.request.user,
            contract=self.process.contract,
            reason=form.cleaned_data["reason"],
            proposal=proposal,
        )
        self.process.decision = ""
        self.process.decision_reason = ""

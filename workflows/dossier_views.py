"""Task views of the dossier flows: one form, one step (``steps``), the task completes.

Like ``views``: a refused decision is shown on the form with everything typed kept.
"""

from django.urls import reverse
from django.utils import timezone

from calls import services_decisions as dossier_services
from calls.models import DossierState

from . import dossier_forms, facts, steps
from .views import ServiceTaskView


class DossierTaskView(ServiceTaskView):
    """A step on a dossier: its facts above the form; back to the dossier's decision page."""

    facts_template = "workflows/facts/dossier.html"

    @property
    def dossier(self):
        return self.process.dossier

    def get_facts(self):
        return facts.dossier_summary(self.dossier)

    def get_success_url(self):
        return reverse("calls:dossier_decision", args=[self.process.dossier_id])


class CheckDossierView(DossierTaskView):
    form_class = dossier_forms.CheckDossierForm

    def perform(self, form):
        steps.check_dossier(
            self.process, actor=self.request.user, now=timezone.now(), **form.step_values()
        )


class RecordComplementsView(DossierTaskView):
    form_class = dossier_forms.RecordComplementsForm

    def perform(self, form):
        steps.record_complements(self.process, actor=self.request.user, now=timezone.now())


class InstructDossierView(DossierTaskView):
    form_class = dossier_forms.InstructDossierForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **dossier_forms.instruct_form_kwargs(self.dossier)}

    def perform(self, form):
        steps.instruct_dossier(
            self.process, actor=self.request.user, now=timezone.now(), **form.step_values()
        )


class DecideDossierView(DossierTaskView):
    form_class = dossier_forms.DecideDossierForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **dossier_forms.decide_form_kwargs(self.dossier)}

    def perform(self, form):
        steps.decide_dossier(
            self.process, actor=self.request.user, now=timezone.now(), **form.step_values()
        )


class NotifyDecisionView(DossierTaskView):
    form_class = dossier_forms.NotifyDecisionForm

    def perform(self, form):
        steps.notify_decision(
            self.process, actor=self.request.user, today=timezone.localdate(), now=timezone.now()
        )


class FundDossierView(DossierTaskView):
    form_class = dossier_forms.FundDossierForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            **dossier_forms.fund_form_kwargs(
                self.dossier, self.request.user, today=timezone.localdate()
            ),
        }

    def perform(self, form):
        fund_dossier(self.process, actor=self.request.user, form=form)


def fund_dossier(process, *, actor, form) -> None:
    """Fund the dossier of ``process`` as ``form`` (``FundDossierForm``, valid) chose: a
    convention submitted to the contract approval flow, or an amendment opened in the
    amendment flow (the page and the API both come here)."""
    # The flows module imports these views.
    from .flows import AmendmentFlow, ContractApprovalFlow

    if form.by_convention:
        steps.fund_dossier_by_convention(
            process,
            actor=actor,
            indicators=form.indicators(),
            today=timezone.localdate(),
            approval_start=ContractApprovalFlow.start,
        )
        return
    steps.fund_dossier(
        process,
        actor=actor,
        contract=form.cleaned_data["contract"],
        axis=form.cleaned_data["axis"],
        code=form.cleaned_data["code"],
        indicators=form.indicators(),
        today=timezone.localdate(),
        amendment_start=AmendmentFlow.start,
    )


def reject_incomplete_dossier(activation) -> None:
    """Reject the dossier whose complements deadline passed (the timer's branch)."""
    dossier = activation.process.coerced.dossier
    if dossier.state == DossierState.COMPLEMENT_REQUESTED:
        dossier_services.reject_incomplete(dossier=dossier, now=timezone.now())

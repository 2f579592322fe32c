"""A bare viewflow 2.4 flow of the shape of the credit delegation: the yardstick.

Prepare (start page) → approve (a human task) → approved? → notify → end, with the
row lock every product flow uses (``select_for_update``) and nothing else: no journal,
no scope, no four-eyes, stock permission checks (``.Permission``).
The views and the step functions are what a minimal project would write: a form, one
write under a lock, ``activation.execute()``. ``benchmarks.transition`` drives it
through these pages and through the Python API, beside the product's flow.
"""

from decimal import Decimal

from django import forms
from django.db import transaction
from django.http import HttpResponseRedirect
from django.views import generic
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import mixins

from .models import BareDelegation, BareProcess

APPROVED = "APPROVED"


def prepare(process, *, actor, amount: Decimal) -> None:
    """Create the delegation the process decides on."""
    process.delegation = BareDelegation.objects.create(amount=amount, prepared_by=actor)


def approve(process, *, actor, decision_reference: str) -> None:
    """Approve the process's delegation under a row lock."""
    delegation = BareDelegation.objects.select_for_update().get(pk=process.delegation_id)
    delegation.approved = True
    delegation.approved_by = actor
    delegation.decision_reference = decision_reference
    delegation.save(update_fields=["approved", "approved_by", "decision_reference"])
    process.decision = APPROVED


class PrepareForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2)


class ApproveForm(forms.Form):
    decision_reference = forms.CharField(max_length=100)


class BareStepView(
    mixins.SuccessMessageMixin,
    mixins.TaskSuccessUrlMixin,
    mixins.TaskViewTemplateNames,
    generic.FormView,
):
    """One form, one write, then the task completes: the stock shape of a task view."""

    template_filename = "task.html"

    def step(self, process, form) -> None:
        raise NotImplementedError

    def form_valid(self, form):
        process = self.request.activation.process
        self.step(process, form)
        process.save()
        self.request.activation.execute()
        return HttpResponseRedirect(self.get_success_url())


class PrepareView(BareStepView):
    form_class = PrepareForm
    template_filename = "start.html"

    def step(self, process, form):
        prepare(process, actor=self.request.user, amount=form.cleaned_data["amount"])


class ApproveView(BareStepView):
    form_class = ApproveForm

    def step(self, process, form):
        approve(
            process,
            actor=self.request.user,
            decision_reference=form.cleaned_data["decision_reference"],
        )


def notify(activation) -> None:
    """Mail after commit, as the product does (nothing to send here)."""
    transaction.on_commit(lambda: None)


class BareApprovalFlow(flow.Flow):
    """Délégation (flux nu de mesure)"""

    process_class = BareProcess
    lock_impl = lock.select_for_update_lock

    start = (
        flow.Start(PrepareView.as_view()).Permission("benchmarks.prepare_bare").Next(this.approve)
    )
    approve = (
        flow.View(ApproveView.as_view())
        .Permission("benchmarks.approve_bare")
        .Next(this.is_approved)
    )
    is_approved = (
        flow.If(lambda activation: activation.process.decision == APPROVED)
        .Then(this.notify)
        .Else(this.end)
    )
    notify = flow.Function(notify).Next(this.end)
    end = flow.End()

"""Processes started by the calendar, and timers that follow a moved due date.

``open_due_processes`` and ``fire_workflow_timers`` are periodic jobs
(``settings.PERIODIC_JOBS``), queued as tasks by the one scheduler (``manage.py
run_scheduler``); the commands of the same names run them by hand. Safe to run concurrently
all the same: unique constraints keep one review per milestone and one open closing per
allocation, and viewflow fires each timer under its process lock.
"""

from datetime import date, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow import timers
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from calls.models import Dossier, DossierState
from calls.signals import complements_filed
from contracts.models import ContractStatus, Milestone, MilestoneStatus, YearlyAllocation
from contracts.signals import milestone_rescheduled

from . import steps
from .flows import (
    ConsumptionClosingFlow,
    DossierCompletenessFlow,
    MilestoneReviewFlow,
    review_escalation_moment,
    review_reminder_moment,
)
from .models import ContractProcess, DossierProcess


def open_milestone_reviews(*, today: date) -> int:
    """Start a review for each planned milestone due within the lead time; return how many."""
    horizon = today + timedelta(days=settings.MILESTONE_REVIEW_LEAD_DAYS)
    milestones = (
        Milestone.objects.filter(
            axis__contract__status=ContractStatus.ACTIVE,
            status=MilestoneStatus.PLANNED,
            due_date__lte=horizon,
        )
        .exclude(processes__isnull=False)
        .select_related("axis__contract")
    )
    opened = 0
    for milestone in milestones:
        try:
            with transaction.atomic():
                MilestoneReviewFlow.start.run(milestone=milestone)
        except IntegrityError:
            continue  # another worker opened it first
        opened += 1
    return opened


def open_consumption_closings(*, today: date) -> int:
    """Start the closing of each delegated allocation whose line reached its deadline."""
    allocations = (
        YearlyAllocation.objects.filter(
            funding_line__axis__contract__status=ContractStatus.ACTIVE,
            funding_line__consumption_deadline_date__lte=today,
            delegated_amount__gt=0,
        )
        .exclude(processes__flow_class=ConsumptionClosingFlow)
        .select_related("funding_line__axis__contract")
    )
    opened = 0
    for allocation in allocations:
        try:
            with transaction.atomic():
                ConsumptionClosingFlow.start_at_deadline.run(allocation=allocation)
        except IntegrityError:
            continue  # another worker opened it first (one open closing per allocation)
        opened += 1
    return opened


def open_due_processes() -> dict[str, int]:
    """Open today's due milestone reviews, consumption closings and dossier checks; return
    how many."""
    today = timezone.localdate()
    return {
        "reviews": open_milestone_reviews(today=today),
        "closings": open_consumption_closings(today=today),
        "checks": open_dossier_checks(now=timezone.now()),
    }


def fire_workflow_timers() -> dict[str, int]:
    """Fire the due reminders, escalations and other viewflow timers; return how many."""
    return {
        "timers": timers.fire_due_timers(),
        "started": timers.fire_due_start_timers(),
        "conditions": timers.fire_due_conditions(),
    }


def open_dossier_checks(*, now) -> int:
    """Start the completeness check of each dossier of a closed campaign that the automatic
    checks did not declare inadmissible (the instructor still checks the pieces)."""
    dossiers = (
        Dossier.objects.live()
        .filter(
            campaign__deadline_at__lt=now,
            state__in=[DossierState.FILED, DossierState.INCOMPLETE, DossierState.ADMISSIBLE],
        )
        .exclude(processes__kind=DossierProcess.COMPLETENESS)
        .select_related("campaign")
    )
    opened = 0
    for dossier in dossiers:
        try:
            with transaction.atomic():
                DossierCompletenessFlow.start.run(dossier=dossier)
        except IntegrityError:
            continue  # another worker opened it first (one process per dossier and kind)
        opened += 1
    return opened


@receiver(milestone_rescheduled)
def rearm_review_timers(sender, milestone, **kwargs):
    """Move the armed reminder and escalation timers of the milestone's open review."""
    processes = ContractProcess.objects.filter(
        milestone=milestone, flow_class=MilestoneReviewFlow, finished__isnull=True
    )
    timers = {
        MilestoneReviewFlow.report__timeout: review_reminder_moment,
        MilestoneReviewFlow.report__timeout_2: review_escalation_moment,
    }
    for task in Task.objects.filter(
        process__in=processes, flow_task__in=list(timers), status=STATUS.SCHEDULED
    ):
        task.scheduled = timers[task.flow_task](task.flow_task.activation_class(task))
        task.save(update_fields=["scheduled"])


@receiver(complements_filed)
def follow_filed_complements(sender, dossier, **kwargs):
    """Close the wait for complements when the DS sync saw the applicant's answer.

    A viewflow task completes under an owner: the wait is given to whoever asked for the
    complements (journaled with the reason), and the dossier's event names no actor.
    """
    node = DossierCompletenessFlow.await_complements
    task = steps.open_dossier_step(node, dossier)
    if task is None:
        return
    with node.flow_class.lock(task.process_id):
        task = Task.objects.select_related("process", "owner").get(pk=task.pk)
        if task.status not in steps.OPEN_STATUSES:
            return
        activation = node.activation_class(task)
        activation.reason = _("Compléments déposés sur Démarches simplifiées (synchronisation)")
        if task.owner_id is None:
            process = DossierProcess.objects.select_related("complement").get(pk=task.process_id)
            activation.assign(process.complement.requested_by)
        activation.start(SimpleNamespace(user=task.owner))
        steps.complete_step(
            activation,
            lambda process: steps.record_complements(process, actor=None, now=timezone.now()),
        )

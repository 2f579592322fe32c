"""Processes started by the calendar, and timers that follow a moved due date.

``open_due_processes`` and ``fire_workflow_timers`` are periodic jobs
(``settings.PERIODIC_JOBS``), queued as tasks by the one scheduler (``manage.py
run_scheduler``); the commands of the same names run them by hand. Safe to run concurrently
all the same: unique constraints keep one review per milestone and one open closing per
allocation, and viewflow fires each timer under its process lock.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone
from viewflow.workflow import timers
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts.models import ContractStatus, Milestone, MilestoneStatus, YearlyAllocation
from contracts.signals import milestone_rescheduled

from .flows import (
    ConsumptionClosingFlow,
    MilestoneReviewFlow,
    review_escalation_moment,
    review_reminder_moment,
)
from .models import ContractProcess


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
    """Open today's due milestone reviews and consumption closings; return how many."""
    today = timezone.localdate()
    return {
        "reviews": open_milestone_reviews(today=today),
        "closings": open_consumption_closings(today=today),
    }


def fire_workflow_timers() -> dict[str, int]:
    """Fire the due reminders, escalations and other viewflow timers; return how many."""
    return {
        "timers": timers.fire_due_timers(),
        "started": timers.fire_due_start_timers(),
        "conditions": timers.fire_due_conditions(),
    }


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

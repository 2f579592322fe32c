"""Armed milestone timers follow a rescheduled due date (VIEWFLOW_NOTES: timers never move)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command

from contracts import services
from contracts.models import Milestone
from workflows.flows import MilestoneReviewFlow
from workflows.models import ContractProcess

from . import scenarios

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=UTC)


def fire_timers_at(moment, review):
    with time_machine.travel(moment, tick=False):
        call_command("workflow_timers")
    return ContractProcess.objects.get(pk=review.pk)


class TestARescheduledMilestone:
    def test_moves_the_reminder_and_the_escalation_to_the_new_due_date(self):
        # Due 30 Nov 2025: reminder 23 Nov 9 h Paris, escalation 1 Dec 0 h Paris.
        with time_machine.travel(at(2025, 11, 5, 8), tick=False):
            contract = scenarios.active_demo_contract()
            milestone = Milestone.objects.get(
                axis__contract=contract, title="Assistant spécialiste en poste"
            )
            review = MilestoneReviewFlow.start.run(milestone=milestone)
            services.reschedule_milestone(
                actor=scenarios.user("manager"),
                milestone=milestone,
                due_date=date(2026, 1, 31),
                reason="Recrutement décalé.",
            )

        # The old moments pass: nothing fires.
        review = fire_timers_at(at(2025, 11, 23, 9, 30), review)
        assert review.reminded_at is None
        review = fire_timers_at(at(2025, 12, 1, 8), review)
        assert (review.reminded_at, review.escalated_at) == (None, None)

        # New reminder: 24 Jan 2026 9 h Paris (8 h UTC); not a minute before.
        review = fire_timers_at(at(2026, 1, 24, 7, 59), review)
        assert review.reminded_at is None
        review = fire_timers_at(at(2026, 1, 24, 8, 1), review)
        assert review.reminded_at is not None
        assert review.escalated_at is None

        # New escalation: 1 Feb 2026 0 h Paris (31 Jan 23 h UTC).
        review = fire_timers_at(at(2026, 1, 31, 22, 59), review)
        assert review.escalated_at is None
        review = fire_timers_at(at(2026, 1, 31, 23, 1), review)
        assert review.escalated_at is not None

    def test_leaves_the_timers_of_other_milestones_alone(self):
        with time_machine.travel(at(2025, 11, 5, 8), tick=False):
            contract = scenarios.active_demo_contract()
            milestone = Milestone.objects.get(
                axis__contract=contract, title="Assistant spécialiste en poste"
            )
            other = Milestone.objects.get(
                axis__contract=contract, title="Entrée en formation des IPA"
            )
            review = MilestoneReviewFlow.start.run(milestone=milestone)
            other_review = MilestoneReviewFlow.start.run(milestone=other)
            services.reschedule_milestone(
                actor=scenarios.user("manager"),
                milestone=other,
                due_date=date(2026, 3, 31),
                reason="Report.",
            )
        review = fire_timers_at(at(2025, 11, 23, 9, 30), review)
        assert review.reminded_at is not None
        assert ContractProcess.objects.get(pk=other_review.pk).reminded_at is None

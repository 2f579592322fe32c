"""Each rule is answered once: when a milestone is late, how money is summed."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from audit.journal import AuditAction, AuditEvent
from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.models import Milestone, MilestoneStatus
from reporting import selectors as reporting_selectors
from reporting.selectors import OverviewFilters
from territories.access import Role

from .factories import ContractFactory, MilestoneFactory, user_with_role

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 2, 28)
DAYS = [DUE - datetime.timedelta(days=1), DUE, DUE + datetime.timedelta(days=1)]


@pytest.fixture
def milestones():
    contract = ContractFactory(signed=True)
    axis = contract.axes.create(number=1, title="Axe unique")
    return contract, [
        MilestoneFactory(axis=axis, due_date=DUE),
        MilestoneFactory(axis=axis, due_date=DUE, status=MilestoneStatus.SUBMITTED),
        MilestoneFactory(
            axis=axis, due_date=DUE, status=MilestoneStatus.VALIDATED, actual_value=Decimal(1)
        ),
    ]


class TestAMilestoneIsLate:
    @pytest.mark.parametrize("today", DAYS)
    def test_the_same_way_in_python_in_sql_and_on_every_page(self, milestones, today):
        contract, rows = milestones
        in_python = {m.pk for m in rows if m.is_late(today)}
        in_sql = set(Milestone.objects.late(today).values_list("pk", flat=True))
        annotated = {m.pk for m in Milestone.objects.with_lateness(today) if m.late}
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        calendar = {
            int(entry.uid.removeprefix("milestone-"))
            for entry in reporting_selectors.deadlines(manager, today=today)
            if entry.uid.startswith("milestone-") and entry.is_late
        }
        [row] = reporting_selectors.overview_rows(manager, today=today, filters=OverviewFilters())

        assert in_python == in_sql == annotated == calendar
        assert row.late_count == len(in_python)
        assert bool(in_python) is (today > DUE)


class TestTheFollowUpOfAnOverdueMilestone:
    def test_is_journaled_by_a_service_with_its_actor_and_comment(self, milestones):
        contract, rows = milestones
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        services.record_overdue_follow_up(
            actor=manager, milestone=rows[0], comment="Relance du directeur."
        )
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.actor_id, event.reason, event.contract_id) == (
            AuditAction.TRANSITION,
            manager.pk,
            "Relance du directeur.",
            contract.pk,
        )

    def test_needs_a_comment(self, milestones):
        contract, rows = milestones
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        with pytest.raises(BusinessRuleError, match="suite donnée"):
            services.record_overdue_follow_up(actor=manager, milestone=rows[0], comment=" ")


def python_sources():
    root = Path(settings.BASE_DIR)
    for app in ("contracts", "reporting", "workflows", "api"):
        yield from (path for path in (root / app).rglob("*.py") if "migrations" not in path.parts)


class TestTheCodeAnswersEachRuleOnce:
    def test_money_is_summed_by_one_helper(self):
        assert not [p.name for p in python_sources() if "def _money_sum" in p.read_text()]

    def test_lateness_is_not_written_again_outside_the_milestone_model(self):
        written = [
            str(path)
            for path in python_sources()
            if "due_date__lt=today" in path.read_text() or "due_date < today" in path.read_text()
        ]
        assert written == [str(Path(settings.BASE_DIR) / "contracts/models/milestones.py")]

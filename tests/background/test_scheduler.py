"""One scheduler at a time: the database lease decides, and two never double a job."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background.models import SCHEDULER_LEASE, PeriodicJobRun, SchedulerLease
from background.scheduler import release, tick
from contracts.models import Milestone, MilestoneStatus
from tests.contracts.factories import MilestoneFactory
from workflows.flows import MilestoneReviewFlow
from workflows.models import ContractProcess

JOBS = ["open_due_processes", "workflow_timers", "ds_sync", "expired_exports", "finished_tasks"]
# The scheduler's arithmetic is tested on a fixed list (minute, quarter, hour and day jobs);
# test_the_configured_jobs_all_resolve checks the real list.
TEST_PERIODIC_JOBS = {
    "open_due_processes": {"function": "workflows.scheduling.open_due_processes", "every": 60},
    "workflow_timers": {"function": "workflows.scheduling.fire_workflow_timers", "every": 60},
    "ds_sync": {"function": "calls.tasks.sync_open_campaigns", "every": 900},
    "expired_exports": {"function": "reporting.jobs.delete_expired_exports", "every": 3600},
    "finished_tasks": {"function": "background.retention.prune_finished_tasks", "every": 86400},
}


@pytest.fixture(autouse=True)
def fixed_jobs(settings):
    settings.PERIODIC_JOBS = TEST_PERIODIC_JOBS


def test_the_configured_jobs_all_resolve():
    from django.utils.module_loading import import_string

    from config.settings import base

    assert "audit_checkpoint" in base.PERIODIC_JOBS
    for job in base.PERIODIC_JOBS.values():
        assert callable(import_string(job["function"]))
        assert job["every"] > 0


NOW = timezone.make_aware(datetime.datetime(2026, 3, 15, 9, 0))


def at(seconds: float) -> datetime.datetime:
    return NOW + datetime.timedelta(seconds=seconds)


@pytest.mark.django_db
class TestASchedulerTick:
    def test_queues_each_job_once_per_period(self, queued_in_database):
        assert tick(holder="a", now=NOW) == JOBS
        assert tick(holder="a", now=at(30)) == []
        assert DBTaskResult.objects.count() == len(JOBS)
        # Their runs are over: after a minute the minute jobs come again, not the hourly one.
        DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
        assert tick(holder="a", now=at(61)) == ["open_due_processes", "workflow_timers"]

    def test_never_overlaps_a_run_still_queued_or_running(self, queued_in_database):
        tick(holder="a", now=NOW)
        running = PeriodicJobRun.objects.get(name="open_due_processes").task_id
        DBTaskResult.objects.exclude(pk=running).update(status=TaskResultStatus.SUCCESSFUL)
        DBTaskResult.objects.filter(pk=running).update(status=TaskResultStatus.RUNNING)
        assert tick(holder="a", now=at(300)) == ["workflow_timers"]

    def test_refuses_a_second_scheduler_until_the_lease_expires(self, queued_in_database):
        tick(holder="a", now=NOW)
        DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
        assert tick(holder="b", now=at(59)) is None
        assert tick(holder="b", now=at(61)) == ["open_due_processes", "workflow_timers"]
        # The first one, back from a pause, finds the lease taken and does nothing.
        assert tick(holder="a", now=at(62)) is None
        lease = SchedulerLease.objects.get(name=SCHEDULER_LEASE)
        assert (lease.holder, lease.last_tick_at) == ("b", at(61))

    def test_a_scheduler_stopping_cleanly_hands_over_at_once(self, queued_in_database):
        tick(holder="a", now=NOW)
        release(holder="a")
        assert tick(holder="b", now=at(1)) == []  # nothing due yet: nothing doubled either

    def test_runs_the_jobs_as_tasks(self, contract, django_capture_on_commit_callbacks):
        """The test backend runs each queued job when the tick commits."""
        due = MilestoneFactory(
            axis=contract.axes.first(), due_date=timezone.localdate() + datetime.timedelta(days=5)
        )
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduler", "--once", stdout=io.StringIO())
        assert ContractProcess.objects.filter(milestone=due).count() == 1
        result = DBTaskResult.objects.get(
            pk=PeriodicJobRun.objects.get(name="open_due_processes").task_id
        )
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value["reviews"] >= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestTwoSchedulersAtOnce:
    def test_open_each_due_process_once(self, contract, queued_in_database):
        axis = contract.axes.first()
        for days in (1, 10, 20):
            MilestoneFactory(axis=axis, due_date=timezone.localdate() + datetime.timedelta(days))
        SchedulerLease.objects.get_or_create(name=SCHEDULER_LEASE)  # as the migration does
        barrier = threading.Barrier(2, timeout=30)
        answers, errors = {}, []

        def scheduler(holder):
            try:
                barrier.wait()
                answers[holder] = tick(holder=holder)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=scheduler, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert sorted(answers.values(), key=str) == [None, JOBS]
        assert DBTaskResult.objects.count() == len(JOBS)

        due = Milestone.objects.filter(
            axis__contract=contract,
            status=MilestoneStatus.PLANNED,
            due_date__lte=timezone.localdate() + datetime.timedelta(days=30),
        ).count()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

        assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == len(JOBS)
        reviews = ContractProcess.objects.filter(flow_class=MilestoneReviewFlow)
        assert reviews.count() == due >= 3
        per_milestone = reviews.values("milestone").annotate(n=Count("pk"))
        assert {row["n"] for row in per_milestone} == {1}

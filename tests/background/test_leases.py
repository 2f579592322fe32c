"""Workers beat; a dead worker's task is queued again, then failed; old tasks are pruned."""

import datetime
import uuid

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background import leases
from background.models import TaskProgress, WorkerHeartbeat
from background.progress import report_progress
from background.retention import prune_finished_tasks
from workflows.tasks import send_message

pytestmark = pytest.mark.django_db


def running(*worker_ids, started_seconds_ago=120):
    """Return a task claimed by ``worker_ids`` (the last one runs it)."""
    result = send_message.enqueue("Objet", "Corps", ["a@ars.invalid"])
    started = timezone.now() - datetime.timedelta(seconds=started_seconds_ago)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=started
    )
    return result.id


def beat(worker_id, seconds_ago=0):
    moment = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=moment, beat_at=moment)


def status(task_id):
    return DBTaskResult.objects.get(pk=task_id).status


class TestRequeueExpiredTasks:
    def test_queues_again_the_task_of_a_worker_that_stopped_beating(self, queued_in_database):
        beat("mort", seconds_ago=90)
        task_id = running("mort")
        report_progress(task_id, done=4, total=9)
        assert leases.requeue_expired_tasks() == 1
        assert not TaskProgress.objects.exists()  # the next attempt starts from the beginning
        task = DBTaskResult.objects.get(pk=task_id)
        assert (task.status, task.started_at, task.worker_ids) == (
            TaskResultStatus.READY,
            None,
            ["mort"],
        )

    def test_leaves_the_task_of_a_worker_still_beating(self, queued_in_database):
        beat("vivant", seconds_ago=5)
        task_id = running("vivant")
        assert leases.requeue_expired_tasks() == 0
        assert status(task_id) == TaskResultStatus.RUNNING

    def test_leaves_a_task_just_claimed_before_its_worker_first_beat(self, queued_in_database):
        task_id = running("nouveau", started_seconds_ago=1)
        assert leases.requeue_expired_tasks() == 0
        assert status(task_id) == TaskResultStatus.RUNNING

    def test_fails_a_task_whose_workers_died_too_often(self, queued_in_database, settings):
        settings.TASK_MAX_ATTEMPTS = 3
        task_id = running("un", "deux", "trois")
        assert leases.requeue_expired_tasks() == 1
        task = DBTaskResult.objects.get(pk=task_id)
        assert task.status == TaskResultStatus.FAILED
        assert task.exception_class_path == "background.leases.WorkerLost"
        assert "L'exécutant s'est arrêté pendant la tâche (3 tentatives)." in task.traceback

    def test_forgets_workers_dead_for_a_day(self):
        beat("ancien", seconds_ago=2 * 86400)
        beat("récent", seconds_ago=90)
        leases.requeue_expired_tasks()
        assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["récent"]


class TestPruneFinishedTasks:
    def test_deletes_tasks_finished_long_ago_with_their_progress(self, queued_in_database):
        old = running("w")
        recent = running("w")
        queued = send_message.enqueue("Objet", "Corps", ["a@ars.invalid"]).id
        report_progress(old, done=1, total=1)
        long_ago = timezone.now() - datetime.timedelta(days=8)
        DBTaskResult.objects.filter(pk=old).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=long_ago
        )
        DBTaskResult.objects.filter(pk=recent).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now()
        )
        assert prune_finished_tasks() == {"deleted": 1}
        assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
            uuid.UUID(recent),
            uuid.UUID(queued),
        }
        assert not TaskProgress.objects.exists()

"""A task backend that queues in the database as in production, then runs the task here.

``InlineDatabaseBackend`` writes the same ``DBTaskResult`` row as django-tasks-db's backend
and, once the enqueuing transaction commits (as a worker would first see it), runs it in
this process through the worker's own code: claim, run, success or failure on the row. The
tests use it, so pages read progress and results from real task rows without a worker
process; a rolled-back transaction leaves neither the task nor its effects.
"""

import os
from functools import partial

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction


def _inline_worker() -> Worker:
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"inline-{os.getpid()}",
        excluded_queue_names=[],
    )


def run_queued_task(task_id: str) -> None:
    """Claim the queued task ``task_id`` and run it here, unless someone else took it."""
    worker = _inline_worker()
    with exclusive_transaction(DBTaskResult.objects.db):
        row = DBTaskResult.objects.ready().filter(pk=task_id).get_locked()
        if row is None:
            return
        row.claim(worker.worker_id)
    worker.run_task(row)


class InlineDatabaseBackend(DatabaseBackend):
    def enqueue(self, task, args, kwargs):
        result = super().enqueue(task, args, kwargs)
        transaction.on_commit(partial(run_queued_task, result.id))
        return result

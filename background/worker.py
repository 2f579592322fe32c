"""The task worker: django-tasks-db's worker, with a heartbeat and the sweep of dead workers.

A thread of the worker beats every ``TASK_HEARTBEAT_SECONDS`` and, on each beat, queues
again the tasks of workers that stopped beating (``leases.requeue_expired_tasks``): any
number of workers on any machines share the queue through the database, and a task whose
worker died is picked up by another.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from . import leases

logger = logging.getLogger(__name__)


def new_worker_id() -> str:
    """Return a worker id unique across machines: host, process and a random part."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]


class LeasedWorker(Worker):
    """A worker that beats while it runs and picks up the tasks of dead workers."""

    def run(self) -> None:
        started_at = timezone.now()
        leases.beat(self.worker_id, started_at=started_at)
        leases.requeue_expired_tasks()
        stop = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(stop, started_at), name=f"heartbeat-{self.worker_id}"
        )
        heart.daemon = True  # never keeps a stopping worker alive
        heart.start()
        try:
            super().run()
        finally:
            stop.set()
            heart.join()
            leases.forget(self.worker_id)

    def _beat(self, stop: threading.Event, started_at) -> None:
        try:
            while not stop.wait(settings.TASK_HEARTBEAT_SECONDS):
                try:
                    leases.beat(self.worker_id, started_at=started_at)
                    leases.requeue_expired_tasks()
                except DatabaseError:
                    logger.exception("Heartbeat of worker %s failed", self.worker_id)
        finally:
            # The thread's own connections: nobody else would close them.
            connections.close_all()

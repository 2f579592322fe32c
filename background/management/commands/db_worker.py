"""django-tasks-db's ``db_worker``, with a heartbeat and the pick-up of dead workers' tasks.

This app is listed before ``django_tasks_db``, so ``manage.py db_worker`` is this command:
a worker without a heartbeat would see its running tasks taken for a dead worker's. Same
options as the package's command; no autoreload (a reloaded worker would drop its task).
"""

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from background.worker import LeasedWorker, new_worker_id


class Command(db_worker.Command):
    help = (
        "Exécute les tâches en file (exports, imports, courriels, synchronisation DS, travaux "
        "périodiques) en signalant sa présence ; reprend celles d'un exécutant arrêté."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=new_worker_id())

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()

"""A real worker (``manage.py db_worker``) whose exports advance slowly.

Each progress step of an export waits ``EXPORT_STEP_SECONDS`` (of an import,
``IMPORT_STEP_SECONDS``), so that a test can see or kill the worker in the middle of its
work; everything else is the production worker.
Run as ``python -m tests.background.slow_worker [db_worker options]``.
"""

import os
import sys
import time

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.core.management import call_command

    from reporting import jobs

    report = jobs.report_progress
    pause = float(os.environ["EXPORT_STEP_SECONDS"])

    def report_slowly(task_id, *, done, total):
        report(task_id, done=done, total=total)
        time.sleep(pause)

    jobs.report_progress = report_slowly

    # Imports too, when asked: each progress step of an import waits IMPORT_STEP_SECONDS.
    import_pause = float(os.environ.get("IMPORT_STEP_SECONDS", "0"))
    if import_pause:
        from background.imports import ProgressReporter

        report_import = ProgressReporter.__call__

        def report_import_slowly(self, done, total):
            report_import(self, done, total)
            time.sleep(import_pause)

        ProgressReporter.__call__ = report_import_slowly
    call_command("db_worker", *sys.argv[1:])


if __name__ == "__main__":
    main()

"""A real worker (``manage.py db_worker``) whose exports advance slowly.

Each progress step of an export waits ``EXPORT_STEP_SECONDS``, so that a test can kill the
worker in the middle of an export; everything else is the production worker.
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
    call_command("db_worker", *sys.argv[1:])


if __name__ == "__main__":
    main()

"""A worker killed in the middle of an export: another worker finishes it (PostgreSQL)."""

import datetime
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from reporting.jobs import request_region_export
from territories.access import Role
from tests.contracts.factories import ContractFactory, hospital_group_with_support, user_with_role

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 3, 15)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(tmp_path, name: str, *command: str) -> subprocess.Popen:
    """Start a worker process on the test database; its output goes to ``tmp_path``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        # Short enough for a test: a worker silent for 2 s is dead.
        "TASK_HEARTBEAT_SECONDS": "0.3",
        "TASK_WORKER_TIMEOUT": "2",
        "EXPORT_STEP_SECONDS": "0.5",
        "PYTHONPATH": str(ROOT),
    }
    with (tmp_path / f"{name}.log").open("w") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, *command, "--worker-id", name, "--interval", "0.2"]
            + ["--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition, *, timeout: float, what: str):
    """Poll ``condition`` until it returns a true value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"attendu en {timeout} s : {what}")


def test_an_export_whose_worker_is_killed_finishes_on_another_worker(
    client, contract, queued_in_database, tmp_path
):
    for _ in range(2):
        ContractFactory(
            with_lines=True,
            active=True,
            hospital_group=hospital_group_with_support(region=contract.region),
        )
    manager = user_with_role(Role.ARS_MANAGER, region=contract.region, username="claire")
    job = request_region_export(user=manager, today=TODAY)
    client.force_login(manager)
    progress_url = reverse("progress:region_export_progress", args=[job.token])

    def progress():
        return client.get(progress_url).json()

    first = start_worker(tmp_path, "killed-worker", "-m", "tests.background.slow_worker")
    try:
        # The page shows the progress the task reports from the other process.
        midway = wait_for(
            lambda: (p := progress())["status"] == "RUNNING" and 0 < p["done"] < p["total"] and p,
            timeout=90,
            what="l'export en cours sur le premier exécutant",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()
    assert 0 < midway["percent"] < 100
    # django-tasks-db leaves the task RUNNING for ever: the heartbeat is what frees it.
    assert DBTaskResult.objects.get(pk=job.task_id).status == TaskResultStatus.RUNNING

    second = start_worker(tmp_path, "second-worker", "manage.py", "db_worker", "--max-tasks", "1")
    try:
        assert second.wait(timeout=120) == 0, (tmp_path / "second-worker.log").read_text()
    finally:
        second.kill()

    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.worker_ids == ["killed-worker", "second-worker"]
    done = progress()
    assert (done["status"], done["percent"]) == ("DONE", 100)
    with default_storage.open(task.return_value["path"], "rb") as stored:
        workbook = load_workbook(io.BytesIO(stored.read()))
    assert len(list(workbook["Contrats"].iter_rows(min_row=2))) == 3
    download = client.get(done["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    download.close()

"""Imports on PostgreSQL: real worker processes, two confirmations at once, progress mid-way."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from background.imports import ProgressReporter, confirm_import
from background.models import ImportJob
from contracts import import_jobs
from contracts.models import FundingLine
from territories.access import Role
from tests.contracts.factories import ContractFactory, user_with_role
from tests.contracts.test_imports import csv_file, new_line

from .test_worker_killed import start_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft(db):
    return ContractFactory(with_lines=True)


@pytest.fixture
def owner(draft):
    return user_with_role(Role.ARS_MANAGER, region=draft.region, username="claire")


def lines_file(contract, count: int) -> bytes:
    return csv_file([new_line(contract, code=f"2.{n}") for n in range(10, 10 + count)])


def run_worker(tmp_path, name: str) -> None:
    """Run one ``manage.py db_worker`` process until it has run one task."""
    worker = start_worker(tmp_path, name, "manage.py", "db_worker", "--max-tasks", "1")
    try:
        assert worker.wait(timeout=120) == 0, (tmp_path / f"{name}.log").read_text()
    finally:
        worker.kill()


def test_a_real_worker_runs_the_dry_run_then_the_confirmed_import(
    client, draft, owner, queued_in_database, tmp_path
):
    client.force_login(owner)
    response = client.post(
        reverse("contracts:import", args=[draft.pk]),
        {"kind": "lines", "file": SimpleUploadedFile("lignes.csv", lines_file(draft, 3))},
    )
    assert response.status_code == 302
    job_url = response.url
    assert "Simulation en cours" in client.get(job_url).content.decode()

    run_worker(tmp_path, "check-worker")
    page = client.get(job_url).content.decode()
    assert "L'import créerait 3 élément(s)" in page
    assert not FundingLine.objects.filter(code="2.10").exists()

    job = ImportJob.objects.get()
    client.post(reverse("contracts:import_confirm", args=[draft.pk, job.token]))
    assert "Import en cours" in client.get(job_url).content.decode()
    run_worker(tmp_path, "import-worker")

    page = client.get(job_url).content.decode()
    assert "Import enregistré." in page
    assert FundingLine.objects.filter(code__in=["2.10", "2.11", "2.12"]).count() == 3
    progress = client.get(reverse("contracts:import_progress", args=[draft.pk, job.token]))
    assert progress.json()["running"] is False
    job.refresh_from_db()
    assert DBTaskResult.objects.get(pk=job.run_task_id).worker_ids == ["import-worker"]


def test_two_confirmations_at_once_queue_one_import(draft, owner, queued_in_database):
    upload = SimpleUploadedFile("lignes.csv", lines_file(draft, 1))
    upload.file_format = "csv"
    job = import_jobs.request_contract_import(
        user=owner, contract=draft, kind="lines", upload=upload
    )
    # The dry run, as a worker would have left it.
    DBTaskResult.objects.filter(pk=job.check_task_id).update(
        status="SUCCESSFUL", return_value={"valid": True}
    )
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def confirm_once():
        try:
            mine = ImportJob.objects.get(pk=job.pk)
            barrier.wait(timeout=10)
            answers.append(
                confirm_import(job=mine, user=owner, run_task=import_jobs.run_contract_import)
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(answers) == [False, True]
    assert (
        DBTaskResult.objects.filter(task_path="contracts.import_jobs.run_contract_import").count()
        == 1
    )


def test_progress_reported_inside_the_import_transaction_is_seen_outside_it(db, settings):
    settings.TASK_PROGRESS_OWN_CONNECTION = True
    reporter = ProgressReporter("task-in-a-transaction")
    main = connections["default"]
    other = main.__class__(main.settings_dict, "default")
    try:
        with transaction.atomic():
            reporter(50, 120)
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT done, total FROM background_taskprogress WHERE task_id = %s",
                    ["task-in-a-transaction"],
                )
                assert cursor.fetchone() == (50, 120)
            transaction.set_rollback(True)  # the import fails: its progress stays readable
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT done FROM background_taskprogress WHERE task_id = %s",
                ["task-in-a-transaction"],
            )
            assert cursor.fetchone() == (50,)
    finally:
        reporter.close()
        other.close()


def test_the_worker_progress_is_visible_mid_way(
    client, draft, owner, queued_in_database, tmp_path, monkeypatch
):
    """The page shows the rows done while a worker process is in the import's transaction."""
    client.force_login(owner)
    response = client.post(
        reverse("contracts:import", args=[draft.pk]),
        {"kind": "lines", "file": SimpleUploadedFile("lignes.csv", lines_file(draft, 120))},
    )
    job = ImportJob.objects.get()
    monkeypatch.setenv("IMPORT_STEP_SECONDS", "0.5")
    monkeypatch.setenv("TASK_PROGRESS_OWN_CONNECTION", "1")  # as in production
    worker = start_worker(tmp_path, "slow-import", "-m", "tests.background.slow_worker")
    progress_url = reverse("contracts:import_progress", args=[draft.pk, job.token])
    try:
        midway = wait_for(
            lambda: (
                (p := client.get(progress_url).json())["running"]
                and 0 < p["done"] < p["total"]
                and p
            ),
            timeout=90,
            what="la simulation en cours, lignes faites sur le total",
        )
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert midway["total"] == 120
    assert f"{midway['done']} lignes sur 120" == midway["rows_text"]
    assert response.status_code == 302

"""Region exports are tasks: progress and file are read from the task that builds them."""

import datetime
import io
import os
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from background.backends import _inline_worker
from background.progress import report_progress
from reporting import jobs
from reporting.models import ExportJob

from .conftest import TODAY, contracts_in

pytestmark = pytest.mark.django_db


def ask_and_run(user, capture):
    """Ask for an export and let the queued task run, as a worker would after the commit."""
    with capture(execute=True):
        job = jobs.request_region_export(user=user, today=TODAY)
    return job


def read_file(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.close()
    return content


class TestTheExportTask:
    def test_reports_progress_then_stores_the_file_of_every_contract_in_scope(
        self, contract, other_contract, manager, django_capture_on_commit_callbacks
    ):
        contracts_in(contract.region, 2)
        job = ask_and_run(manager, django_capture_on_commit_callbacks)
        state = job.state()
        assert state.status == TaskResultStatus.SUCCESSFUL
        assert state.percent == 100
        assert state.done == state.total == 9  # three contracts, three sheets
        assert state.return_value["filename"] == "contrats-2026-03-15.xlsx"
        assert state.return_value["path"] == f"exports/{job.token}.xlsx"
        expires_at = datetime.datetime.fromisoformat(state.return_value["expires_at"])
        assert expires_at - timezone.now() > datetime.timedelta(hours=23)
        with default_storage.open(state.return_value["path"], "rb") as stored:
            workbook = load_workbook(io.BytesIO(stored.read()))
        references = [row[0].value for row in workbook["Contrats"].iter_rows(min_row=2)]
        assert contract.reference in references and len(references) == 3
        assert other_contract.reference not in references

    def test_is_queued_in_the_transaction_of_the_request_and_rolled_back_with_it(self, manager):
        with (
            pytest.raises(RuntimeError),
            mock.patch.object(ExportJob, "save", side_effect=RuntimeError("coupure")),
        ):
            jobs.request_region_export(user=manager, today=TODAY)
        assert not ExportJob.objects.exists()
        assert not DBTaskResult.objects.exists()

    def test_records_a_failure_on_the_task_instead_of_hanging(
        self, manager, django_capture_on_commit_callbacks
    ):
        with mock.patch.object(jobs, "region_workbook", side_effect=ValueError("disque plein")):
            job = ask_and_run(manager, django_capture_on_commit_callbacks)
        state = job.state()
        assert state.status == TaskResultStatus.FAILED
        assert state.error == "disque plein"

    def test_expired_files_are_deleted_and_young_ones_kept(self):
        old = default_storage.save("exports/old.xlsx", io.BytesIO(b"x"))
        young = default_storage.save("exports/young.xlsx", io.BytesIO(b"x"))
        two_days_ago = (timezone.now() - datetime.timedelta(hours=48)).timestamp()
        os.utime(default_storage.path(old), (two_days_ago, two_days_ago))
        assert jobs.delete_expired_exports() == {"deleted": 1}
        assert not default_storage.exists(old)
        assert default_storage.exists(young)


class TestRegionExportPages:
    def progress(self, client, job):
        return client.get(reverse("progress:region_export_progress", args=[job.token])).json()

    def test_show_the_progress_the_task_reports_then_serve_its_file(
        self, client, contract, manager
    ):
        client.force_login(manager)
        response = client.post(reverse("progress:region_export"))
        job = ExportJob.objects.get()
        assert response.url == reverse("progress:region_export_status", args=[job.token])
        # Not committed yet (the test's transaction): queued, not run.
        assert self.progress(client, job)["status"] == "PENDING"
        assert self.progress(client, job)["download_url"] is None
        download_url = reverse("progress:region_export_download", args=[job.token])
        assert client.get(download_url).status_code == 404

        # A worker claims the task and reports 3 steps of 9: the page reads them from the task.
        task = DBTaskResult.objects.get(pk=job.task_id)
        worker = _inline_worker()
        task.claim(worker.worker_id)
        report_progress(job.task_id, done=3, total=9)
        progress = self.progress(client, job)
        assert (progress["status"], progress["percent"]) == ("RUNNING", 33)
        assert progress["steps_text"] == "(3 étapes sur 9)"
        page = client.get(reverse("progress:region_export_status", args=[job.token]))
        assert "33 %" in page.content.decode()
        assert "export_progress.js" in page.content.decode()

        worker.run_task(task)
        progress = self.progress(client, job)
        assert (progress["status"], progress["percent"]) == ("DONE", 100)
        assert progress["expires_text"].startswith("Fichier disponible jusqu'au ")
        download = client.get(progress["download_url"])
        assert download["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="contrats-' in download["Content-Disposition"]
        assert read_file(download)[:2] == b"PK"

    def test_say_when_another_worker_took_the_export_over(self, client, manager):
        client.force_login(manager)
        client.post(reverse("progress:region_export"))
        job = ExportJob.objects.get()
        DBTaskResult.objects.filter(pk=job.task_id).update(
            status=TaskResultStatus.RUNNING, worker_ids=["mort", "vivant"]
        )
        progress = self.progress(client, job)
        assert progress["retry_text"] == (
            "Le traitement a été interrompu par l'arrêt d'un serveur : l'export a repris depuis "
            "le début (tentative 2)."
        )

    def test_refuse_an_expired_file(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        job = ask_and_run(manager, django_capture_on_commit_callbacks)
        task = DBTaskResult.objects.get(pk=job.task_id)
        task.return_value["expires_at"] = (
            timezone.now() - datetime.timedelta(minutes=1)
        ).isoformat()
        task.save(update_fields=["return_value"])
        progress = self.progress(client, job)
        assert progress["download_url"] is None
        assert progress["expires_text"] == "Le fichier a expiré : relancez l'export."
        download_url = reverse("progress:region_export_download", args=[job.token])
        assert client.get(download_url).status_code == 404

    def test_a_job_is_its_owners_alone_and_ght_directors_cannot_ask(
        self, client, contract, manager, validator, director
    ):
        job = jobs.request_region_export(user=manager, today=TODAY)
        client.force_login(validator)
        for name in ("region_export_status", "region_export_progress", "region_export_download"):
            assert client.get(reverse(f"progress:{name}", args=[job.token])).status_code == 404
        client.force_login(director)
        assert client.post(reverse("progress:region_export")).status_code == 403
        assert ExportJob.objects.count() == 1

    def test_the_progress_costs_the_same_queries_queued_or_done(
        self, client, contract, manager, django_assert_num_queries
    ):
        client.force_login(manager)
        job = jobs.request_region_export(user=manager, today=TODAY)
        url = reverse("progress:region_export_progress", args=[job.token])
        client.get(url)
        # session, user, permissions with the region scope (one query), the job, the task and
        # its progress
        with django_assert_num_queries(5):
            assert client.get(url).json()["status"] == "PENDING"
        task = DBTaskResult.objects.get(pk=job.task_id)
        worker = _inline_worker()
        task.claim(worker.worker_id)
        worker.run_task(task)
        with django_assert_num_queries(5):
            assert client.get(url).json()["status"] == "DONE"

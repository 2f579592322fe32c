import io
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reporting import jobs
from reporting.models import ExportJob, ExportStatus

from .conftest import TODAY, contracts_in

pytestmark = pytest.mark.django_db


class TestRunExport:
    def test_writes_progress_then_the_file_of_every_contract_in_scope(
        self, contract, other_contract, manager
    ):
        contracts_in(contract.region, 2)
        job = ExportJob.objects.create(owner=manager, situation_date=TODAY)
        job = jobs.run_export(job.pk)
        assert job.status == ExportStatus.DONE
        assert job.percent == 100
        assert job.done == job.total == 9  # three contracts, three sheets
        assert job.filename == "contrats-2026-03-15.xlsx"
        workbook = load_workbook(io.BytesIO(bytes(job.content)))
        references = [row[0].value for row in workbook["Contrats"].iter_rows(min_row=2)]
        assert contract.reference in references and len(references) == 3
        assert other_contract.reference not in references

    def test_runs_a_job_once_even_if_asked_twice(self, manager):
        job = ExportJob.objects.create(owner=manager, situation_date=TODAY)
        with mock.patch.object(jobs, "region_workbook", return_value=b"x") as workbook:
            jobs.run_export(job.pk)
            jobs.run_export(job.pk)
        assert workbook.call_count == 1

    def test_records_a_failure_instead_of_hanging(self, manager):
        job = ExportJob.objects.create(owner=manager, situation_date=TODAY)
        with mock.patch.object(jobs, "region_workbook", side_effect=ValueError("disque plein")):
            job = jobs.run_export(job.pk)
        assert job.status == ExportStatus.FAILED
        assert job.error == "disque plein"

    def test_the_command_runs_pending_jobs(self, manager):
        ExportJob.objects.create(owner=manager, situation_date=TODAY)
        assert jobs.run_pending_jobs() == 1
        assert ExportJob.objects.get().status == ExportStatus.DONE


class TestRegionExportPages:
    def test_asking_creates_a_job_started_after_commit_without_blocking(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        with (
            mock.patch.object(jobs, "start_in_thread") as start,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(reverse("progress:region_export"))
        job = ExportJob.objects.get()
        assert response.url == reverse("progress:region_export_status", args=[job.token])
        start.assert_called_once_with(job.pk)
        assert job.status == ExportStatus.PENDING

        progress = client.get(reverse("progress:region_export_progress", args=[job.token]))
        assert progress.json()["status"] == "PENDING"
        assert progress.json()["download_url"] is None
        assert (
            client.get(reverse("progress:region_export_download", args=[job.token])).status_code
            == 404
        )

        jobs.run_export(job.pk)
        progress = client.get(reverse("progress:region_export_progress", args=[job.token])).json()
        assert (progress["status"], progress["percent"]) == ("DONE", 100)
        download = client.get(progress["download_url"])
        assert download["Content-Type"].startswith("application/vnd.openxmlformats")
        page = client.get(reverse("progress:region_export_status", args=[job.token]))
        assert "export_progress.js" in page.content.decode()

    def test_a_job_is_its_owners_alone_and_ght_directors_cannot_ask(
        self, client, contract, manager, validator, director
    ):
        job = ExportJob.objects.create(owner=manager, situation_date=TODAY)
        client.force_login(validator)
        for name in ("region_export_status", "region_export_progress", "region_export_download"):
            assert client.get(reverse(f"progress:{name}", args=[job.token])).status_code == 404
        client.force_login(director)
        assert client.post(reverse("progress:region_export")).status_code == 403
        assert ExportJob.objects.count() == 1

"""Contract imports are tasks: the file is kept, a dry run checks it, a confirmation writes it."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit.journal import AuditAction, AuditEvent
from background.imports import (
    ImportStage,
    delete_expired_import_files,
    import_view,
    report_progress,
    run_once,
)
from background.models import ImportJob
from contracts import import_jobs
from contracts.imports import PROGRESS_EVERY, import_contract_file
from contracts.models import FundingLine
from territories.access import Role
from tests.contracts.factories import ContractFactory, user_with_role

from .test_imports import csv_file, new_line, upload

pytestmark = pytest.mark.django_db


def many_lines(contract, count: int) -> bytes:
    return csv_file([new_line(contract, code=f"2.{n}") for n in range(10, 10 + count)])


def confirm(client, contract, job, capture):
    with capture(execute=True):
        response = client.post(reverse("contracts:import_confirm", args=[contract.pk, job.token]))
    assert response.status_code == 302
    return response


class TestTheDryRunThenTheImport:
    def test_the_dry_run_writes_nothing_and_the_confirmation_writes_all_once_journaled(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        page = upload(
            client,
            contract,
            "lines",
            "lignes.csv",
            many_lines(contract, 3),
            django_capture_on_commit_callbacks,
        )
        assert "L'import créerait 3 élément(s), en modifierait 0" in page
        assert FundingLine.objects.filter(code__startswith="2.1").count() == 0
        job = ImportJob.objects.get()
        assert default_storage.exists(job.path) and job.path.startswith("imports/")
        events = AuditEvent.objects.filter(action=AuditAction.IMPORT).count()

        # Twice, as a double click or a second tab would: one import, one journal entry.
        confirm(client, contract, job, django_capture_on_commit_callbacks)
        confirm(client, contract, job, django_capture_on_commit_callbacks)

        job.refresh_from_db()
        assert FundingLine.objects.filter(code__in=["2.10", "2.11", "2.12"]).count() == 3
        assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == events + 1
        assert (
            DBTaskResult.objects.filter(
                task_path="contracts.import_jobs.run_contract_import"
            ).count()
            == 1
        )
        assert job.imported_at is not None and job.outcome["counts"]["CREATED"] == 3
        page = client.get(reverse("contracts:import_job", args=[contract.pk, job.token]))
        text = page.content.decode()
        assert "Import enregistré." in text
        assert "3 élément(s) créé(s), 0 modifié(s), 0 inchangé(s)" in text
        assert reverse("contracts:contract_detail", args=[contract.pk]) in text

    def test_a_task_run_again_after_its_commit_does_not_import_twice(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        upload(
            client,
            contract,
            "lines",
            "lignes.csv",
            many_lines(contract, 2),
            django_capture_on_commit_callbacks,
        )
        job = ImportJob.objects.get()
        confirm(client, contract, job, django_capture_on_commit_callbacks)
        job.refresh_from_db()

        def import_again(_job):
            raise AssertionError("imported twice")

        assert run_once(job.pk, import_again) == job.outcome
        assert FundingLine.objects.filter(code__in=["2.10", "2.11"]).count() == 2

    def test_an_import_the_contract_refuses_since_the_dry_run_writes_nothing(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        upload(
            client,
            contract,
            "lines",
            "lignes.csv",
            many_lines(contract, 2),
            django_capture_on_commit_callbacks,
        )
        job = ImportJob.objects.get()
        # Someone adds line 2.11 by hand with another scheme between the dry run and the import.
        import_contract_file(
            actor=manager,
            contract=contract,
            kind="lines",
            file_format="csv",
            content=csv_file(
                [
                    new_line(
                        contract,
                        code="2.11",
                        dispositif="IPA",
                        parametres='{"students": 1, "beneficiary_kind": "HEALTH_ESTABLISHMENT"}',
                    )
                ]
            ),
            dry_run=False,
        )
        before = FundingLine.objects.count()
        confirm(client, contract, job, django_capture_on_commit_callbacks)
        page = client.get(reverse("contracts:import_job", args=[contract.pk, job.token]))
        text = page.content.decode()
        assert "rien n'a été enregistré" in text
        assert "Le contrat a changé depuis la simulation." in text
        assert "Ligne 3 : la ligne 2.11 existe déjà avec le dispositif IPA" in text
        assert FundingLine.objects.count() == before
        job.refresh_from_db()
        assert job.imported_at is None

    def test_a_failing_task_leaves_nothing_and_says_so(
        self, client, contract, manager, django_capture_on_commit_callbacks, monkeypatch
    ):
        client.force_login(manager)
        upload(
            client,
            contract,
            "lines",
            "lignes.csv",
            many_lines(contract, 2),
            django_capture_on_commit_callbacks,
        )
        job = ImportJob.objects.get()
        before = FundingLine.objects.count()

        def broken(**kwargs):
            raise OSError("disque plein")

        monkeypatch.setattr(import_jobs, "import_contract_file", broken)
        confirm(client, contract, job, django_capture_on_commit_callbacks)
        page = client.get(reverse("contracts:import_job", args=[contract.pk, job.token]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "L&#x27;import a échoué : rien n&#x27;a été enregistré" in text
        assert "disque plein" in text
        assert FundingLine.objects.count() == before


class TestProgress:
    def test_the_service_reports_progress_at_batch_boundaries(self, contract, manager):
        seen = []
        rows = 2 * PROGRESS_EVERY + 7
        import_contract_file(
            actor=manager,
            contract=contract,
            kind="lines",
            file_format="csv",
            content=many_lines(contract, rows),
            dry_run=True,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert seen == [(0, rows), (PROGRESS_EVERY, rows), (2 * PROGRESS_EVERY, rows), (rows, rows)]

    def test_the_page_shows_the_rows_done_while_the_task_runs(
        self, client, contract, manager, settings
    ):
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        client.force_login(manager)
        response = client.post(
            reverse("contracts:import", args=[contract.pk]),
            {"kind": "lines", "file": SimpleUploadedFile("lignes.csv", many_lines(contract, 3))},
        )
        assert response.status_code == 302
        job = ImportJob.objects.get()
        page = client.get(response.url).content.decode()
        assert "Simulation en cours" in page and "Lecture du fichier…" in page
        assert 'id="import-progress"' in page and "Confirmer l'import" not in page
        DBTaskResult.objects.filter(pk=job.check_task_id).update(status=TaskResultStatus.RUNNING)
        report_progress(job.check_task_id, done=40, total=120)
        page = client.get(response.url).content.decode()
        assert "40 lignes sur 120" in page and 'value="33"' in page
        progress = client.get(
            reverse("contracts:import_progress", args=[contract.pk, job.token])
        ).json()
        assert progress["running"] is True
        assert (progress["done"], progress["total"], progress["percent"]) == (40, 120, 33)
        assert progress["stage"] == ImportStage.CHECKING


class TestPermissions:
    @pytest.fixture
    def job(self, client, contract, manager, django_capture_on_commit_callbacks):
        client.force_login(manager)
        upload(
            client,
            contract,
            "lines",
            "lignes.csv",
            many_lines(contract, 1),
            django_capture_on_commit_callbacks,
        )
        client.logout()
        return ImportJob.objects.get()

    def urls(self, contract, job):
        return [
            reverse("contracts:import_job", args=[contract.pk, job.token]),
            reverse("contracts:import_progress", args=[contract.pk, job.token]),
        ]

    def test_another_manager_of_the_region_neither_sees_nor_confirms_it(
        self, client, contract, job, manager2
    ):
        client.force_login(manager2)
        for url in self.urls(contract, job):
            assert client.get(url).status_code == 404
        confirm_url = reverse("contracts:import_confirm", args=[contract.pk, job.token])
        assert client.post(confirm_url).status_code == 404
        job.refresh_from_db()
        assert job.run_task_id == ""

    def test_a_manager_of_another_region_gets_404_and_a_read_only_role_403(
        self, client, contract, job, auditor
    ):
        other = ContractFactory()
        outsider = user_with_role(Role.ARS_MANAGER, region=other.region, username="remi")
        client.force_login(outsider)
        assert client.get(self.urls(contract, job)[0]).status_code == 404
        assert client.get(reverse("contracts:import", args=[contract.pk])).status_code == 404
        client.force_login(auditor)
        assert client.get(self.urls(contract, job)[0]).status_code == 403
        response = client.post(
            reverse("contracts:import", args=[contract.pk]),
            {"kind": "lines", "file": SimpleUploadedFile("l.csv", many_lines(contract, 1))},
        )
        assert response.status_code == 403
        assert ImportJob.objects.count() == 1

    def test_a_signed_contract_refuses_the_upload_and_keeps_nothing(self, client, manager):
        active = ContractFactory(with_lines=True, active=True)
        user = user_with_role(Role.ARS_MANAGER, region=active.region, username="ines")
        client.force_login(user)
        response = client.post(
            reverse("contracts:import", args=[active.pk]),
            {"kind": "lines", "file": SimpleUploadedFile("l.csv", b"axe,code\n")},
        )
        assert response.status_code == 400
        assert "seul un brouillon se modifie ici" in response.content.decode()
        assert not ImportJob.objects.exists()


class TestFileExpiry:
    def test_expired_files_are_deleted_and_their_dry_run_cannot_be_confirmed(
        self, client, contract, manager, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        for name in ("vieux.csv", "jeune.csv"):
            upload(
                client,
                contract,
                "lines",
                name,
                many_lines(contract, 1),
                django_capture_on_commit_callbacks,
            )
        old, young = (
            ImportJob.objects.get(filename="vieux.csv"),
            ImportJob.objects.get(filename="jeune.csv"),
        )
        ImportJob.objects.filter(pk=old.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        assert delete_expired_import_files() == {"deleted": 1}
        old.refresh_from_db()
        assert old.file_deleted and not default_storage.exists(old.path)
        assert default_storage.exists(young.path)
        assert import_view(old).stage == ImportStage.EXPIRED
        page = client.get(reverse("contracts:import_job", args=[contract.pk, old.token]))
        assert "Le fichier a expiré" in page.content.decode()
        response = client.post(
            reverse("contracts:import_confirm", args=[contract.pk, old.token]), follow=True
        )
        assert "Le fichier a expiré : déposez-le à nouveau." in response.content.decode()
        old.refresh_from_db()
        assert old.run_task_id == ""
        assert delete_expired_import_files() == {"deleted": 0}

    def test_a_confirmed_import_waiting_for_its_worker_keeps_its_file(
        self, client, contract, manager, django_capture_on_commit_callbacks, settings
    ):
        client.force_login(manager)
        upload(
            client,
            contract,
            "lines",
            "l.csv",
            many_lines(contract, 1),
            django_capture_on_commit_callbacks,
        )
        job = ImportJob.objects.get()
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        client.post(reverse("contracts:import_confirm", args=[contract.pk, job.token]))
        ImportJob.objects.filter(pk=job.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        assert delete_expired_import_files() == {"deleted": 0}
        assert default_storage.exists(job.path)


def test_the_job_and_its_file_go_with_a_refused_transaction(contract, manager, monkeypatch):
    from background import imports

    def refuse(*args, **kwargs):
        raise RuntimeError("coupure")

    upload_file = SimpleUploadedFile("l.csv", many_lines(contract, 1))
    upload_file.file_format = "csv"
    monkeypatch.setattr(imports.ImportJob, "save", refuse)
    with pytest.raises(RuntimeError), transaction.atomic():
        import_jobs.request_contract_import(
            user=manager, contract=contract, kind="lines", upload=upload_file
        )
    monkeypatch.undo()
    assert not ImportJob.objects.exists()
    assert not DBTaskResult.objects.exists()
    stored = default_storage.listdir("imports")[1] if default_storage.exists("imports") else []
    assert stored == []


def test_an_import_interrupted_half_way_leaves_nothing_and_runs_whole_next_time(
    client, contract, manager, django_capture_on_commit_callbacks, settings
):
    """A worker dying mid-import: its transaction is rolled back, the next attempt imports."""
    client.force_login(manager)
    upload(
        client,
        contract,
        "lines",
        "l.csv",
        many_lines(contract, 2),
        django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.post(reverse("contracts:import_confirm", args=[contract.pk, job.token]))
    job.refresh_from_db()
    before = FundingLine.objects.count()

    def dies_after_writing(job):
        import_contract_file(
            actor=manager,
            contract=contract,
            kind="lines",
            file_format="csv",
            content=many_lines(contract, 2),
            dry_run=False,
        )
        assert FundingLine.objects.count() == before + 2
        raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        run_once(job.pk, dies_after_writing)
    job.refresh_from_db()
    assert FundingLine.objects.count() == before and job.outcome is None

    outcome = run_once(job.pk, lambda job: import_jobs._import(job, task_id="t", dry_run=False))
    assert outcome["written"] and FundingLine.objects.count() == before + 2


def test_the_upload_page_lists_recent_files_in_constant_queries(
    client, contract, manager, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    url = reverse("contracts:import", args=[contract.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    upload(
        client,
        contract,
        "lines",
        "l0.csv",
        many_lines(contract, 1),
        django_capture_on_commit_callbacks,
    )
    one = queries()
    for n in range(1, 7):
        upload(
            client,
            contract,
            "lines",
            f"l{n}.csv",
            many_lines(contract, 1),
            django_capture_on_commit_callbacks,
        )
    assert queries() == one
    page = client.get(url).content.decode()
    assert page.count("déposé le") == 5  # the five latest

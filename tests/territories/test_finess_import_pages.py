"""The FINESS import page: an administrator uploads, reads the dry run, confirms once."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

import config.urls  # noqa: F401  (builds the site's URLs)
from audit.journal import AuditAction, AuditEvent
from background.models import ImportJob
from territories.access import Role
from territories.models import Department, Establishment
from territories.reference import load_regions_and_departments
from tests.contracts.factories import user_with_role

pytestmark = pytest.mark.django_db

EXTRACT = Path(__file__).parent / "data" / "finess_extract_sample.csv"


@pytest.fixture(autouse=True)
def territory():
    load_regions_and_departments()


@pytest.fixture
def administrator(db):
    return user_with_role(Role.ADMINISTRATOR, national=True, username="alice")


def upload(client, capture, name="finess.csv", content=None):
    with capture(execute=True):
        response = client.post(
            reverse("territories:finess_import"),
            {"file": SimpleUploadedFile(name, content or EXTRACT.read_bytes())},
        )
    assert response.status_code == 302, response.content.decode()
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()


def confirm(client, job, capture):
    with capture(execute=True):
        response = client.post(reverse("territories:finess_import_confirm", args=[job.token]))
    assert response.status_code == 302


def test_a_dry_run_then_one_import_journaled_under_the_administrator(
    client, administrator, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    assert (
        "Importer le registre FINESS" in client.get(reverse("territories:index")).content.decode()
    )
    page = upload(client, django_capture_on_commit_callbacks)
    assert "Simulation terminée : rien n&#x27;a encore été enregistré." in page or (
        "Simulation terminée : rien n'a encore été enregistré." in page
    )
    assert "Confirmer l&#x27;import" in page or "Confirmer l'import" in page
    assert Establishment.objects.count() == 0
    job = ImportJob.objects.get()
    confirm(client, job, django_capture_on_commit_callbacks)
    confirm(client, job, django_capture_on_commit_callbacks)
    created = Establishment.objects.count()
    assert created > 0
    job.refresh_from_db()
    assert job.imported_at is not None
    page = client.get(reverse("territories:finess_import_job", args=[job.token])).content.decode()
    assert "Import enregistré." in page
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.actor == administrator
    assert event.object_label == "finess.csv"
    assert (
        DBTaskResult.objects.filter(task_path="territories.import_jobs.run_finess_import").count()
        == 1
    )
    # The extract's records are all read; its progress reached its last line.
    progress = client.get(reverse("territories:finess_import_progress", args=[job.token])).json()
    assert progress["running"] is False and progress["done"] == progress["total"] > 0


def test_a_rejected_record_refuses_the_whole_file_naming_its_line(
    client, administrator, django_capture_on_commit_callbacks
):
    Department.objects.filter(code="9J").delete()  # the sample's line 13 uses it
    client.force_login(administrator)
    page = upload(client, django_capture_on_commit_callbacks)
    assert "rien n&#x27;a été enregistré" in page or "rien n'a été enregistré" in page
    assert "ligne 13" in page and "Département « 9J » inconnu." in page
    assert "Confirmer l" not in page
    assert Establishment.objects.count() == 0
    job = ImportJob.objects.get()
    response = client.post(
        reverse("territories:finess_import_confirm", args=[job.token]), follow=True
    )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.run_task_id == "" and Establishment.objects.count() == 0


def test_an_unreadable_file_is_refused_without_a_500(
    client, administrator, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    page = upload(client, django_capture_on_commit_callbacks, content=b"\x00\x81 pas un extrait\n")
    assert "Le fichier est refusé" in page
    assert Establishment.objects.count() == 0


def test_a_wrong_kind_of_file_is_refused_on_the_form(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("territories:finess_import"), {"file": SimpleUploadedFile("finess.pdf", b"%PDF")}
    )
    assert response.status_code == 400
    assert "Le fichier doit être un extrait FINESS (.csv) ou un flux FINESS+ (.json)." in (
        response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_kept(client, administrator, settings):
    settings.FINESS_IMPORT_MAX_FILE_BYTES = 1024 * 1024
    client.force_login(administrator)
    response = client.post(
        reverse("territories:finess_import"),
        {"file": SimpleUploadedFile("finess.csv", b"x" * (1024 * 1024 + 1))},
    )
    assert response.status_code == 400
    assert "Le fichier dépasse 1 Mo (limite) : il pèse 2 Mo." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_only_an_administrator_imports_and_only_their_own_file(
    client, administrator, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    upload(client, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    other_admin = user_with_role(Role.ADMINISTRATOR, national=True, username="bruno")
    client.force_login(other_admin)
    assert client.get(reverse("territories:finess_import_job", args=[job.token])).status_code == 404
    assert (
        client.post(reverse("territories:finess_import_confirm", args=[job.token])).status_code
        == 404
    )
    manager = user_with_role(Role.ARS_MANAGER, national=True, username="claire")
    client.force_login(manager)
    assert client.get(reverse("territories:finess_import")).status_code == 403
    assert client.get(reverse("territories:finess_import_job", args=[job.token])).status_code == 403
    assert "Importer le registre FINESS" not in (
        client.get(reverse("territories:index")).content.decode()
    )
    job.refresh_from_db()
    assert job.run_task_id == ""


def test_a_remote_storage_is_read_through_a_temporary_copy(
    client, administrator, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.files.storage import default_storage

    from background import imports

    class RemoteStorage:
        """The default storage, but with no local path, like a remote (S3) storage."""

        def path(self, name):
            raise NotImplementedError("remote storage")

        def __getattr__(self, name):
            return getattr(default_storage, name)

    monkeypatch.setattr(imports, "default_storage", RemoteStorage())
    client.force_login(administrator)
    page = upload(client, django_capture_on_commit_callbacks)
    assert "Simulation terminée" in page
    job = ImportJob.objects.get()
    confirm(client, job, django_capture_on_commit_callbacks)
    assert Establishment.objects.count() > 0


def test_the_upload_page_lists_recent_files_in_constant_queries(
    client, administrator, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(administrator)
    url = reverse("territories:finess_import")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    upload(client, django_capture_on_commit_callbacks, name="f0.csv")
    one = queries()
    for n in range(1, 7):
        upload(client, django_capture_on_commit_callbacks, name=f"f{n}.csv")
    assert queries() == one

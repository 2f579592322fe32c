"""The GHT members import page: dry run as a task, then one confirmed import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import config.urls  # noqa: F401  (builds the site's URLs)
from audit.journal import AuditAction, AuditEvent
from background.models import ImportJob
from territories.access import Role
from territories.models import HospitalGroupMembership
from tests.contracts.factories import user_with_role

from .factories import EstablishmentFactory, HospitalGroupFactory

pytestmark = pytest.mark.django_db

HEADER = "code_ght;role;etablissement;finess_entite_juridique\n"


@pytest.fixture
def administrator(db):
    return user_with_role(Role.ADMINISTRATOR, national=True, username="alice")


@pytest.fixture
def members_file(db):
    HospitalGroupFactory(code="GE-AUBE")
    first, second = EstablishmentFactory(), EstablishmentFactory()
    return (HEADER + f"GE-AUBE;support;{first.finess};\nGE-AUBE;membre;{second.finess};\n").encode()


def upload(client, capture, content, name="membres.csv"):
    with capture(execute=True):
        response = client.post(
            reverse("territories:members_import"), {"file": SimpleUploadedFile(name, content)}
        )
    assert response.status_code == 302, response.content.decode()
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()


def test_a_dry_run_then_one_import_journaled(
    client, administrator, members_file, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    page = upload(client, django_capture_on_commit_callbacks, members_file)
    assert "l'import créerait 2 membre(s)" in page
    assert not HospitalGroupMembership.objects.exists()
    job = ImportJob.objects.get()
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("territories:members_import_confirm", args=[job.token]))
    assert HospitalGroupMembership.objects.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 1
    page = client.get(reverse("territories:members_import_job", args=[job.token]))
    assert "Import enregistré." in page.content.decode()
    assert AuditEvent.objects.get(action=AuditAction.IMPORT).actor == administrator


def test_a_bad_row_refuses_the_file_naming_its_line_and_column(
    client, administrator, members_file, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    content = members_file + b"GE-XXX;membre;;\nGE-AUBE;chef;;\n"
    page = upload(client, django_capture_on_commit_callbacks, content)
    assert "Ligne 4 : GHT « GE-XXX » inconnu (colonne code_ght)." in page
    assert page.index("Ligne 4 : GHT") < page.index("Ligne 5, colonne role")
    assert "rien n&#x27;a été enregistré" in page or "rien n'a été enregistré" in page
    assert "Ligne 5, colonne role" in page and "chef" in page
    assert "matching query" not in page
    assert "Confirmer l" not in page
    assert not HospitalGroupMembership.objects.exists()


def test_only_administrators_and_only_csv(client, administrator, members_file):
    manager = user_with_role(Role.ARS_MANAGER, national=True, username="claire")
    client.force_login(manager)
    assert client.get(reverse("territories:members_import")).status_code == 403
    client.force_login(administrator)
    response = client.post(
        reverse("territories:members_import"),
        {"file": SimpleUploadedFile("membres.xlsx", b"PK")},
    )
    assert response.status_code == 400
    assert "Le fichier doit être au format CSV." in response.content.decode()
    assert not ImportJob.objects.exists()

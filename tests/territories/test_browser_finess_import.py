"""The FINESS import page in Chromium: upload, refused file, progress, dry run, result.

Screenshots ``finess-import-*`` at 1366 px and 390 px (``SCREENSHOTS_DIR`` to put them
elsewhere).
"""

from pathlib import Path

import pytest
from django.conf import settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background.backends import run_queued_task
from background.models import ImportJob
from background.progress import report_progress
from territories.access import Role, sync_roles
from territories.models import Department, Establishment
from territories.reference import load_regions_and_departments
from tests.contracts.factories import user_with_role
from tests.contracts.test_browser_imports import shoot_both
from tests.reporting.test_browser import browser, log_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRACT = Path(__file__).parent / "data" / "finess_extract_sample.csv"


@pytest.fixture
def administrator(db):
    load_regions_and_departments()
    sync_roles()
    user = user_with_role(Role.ADMINISTRATOR, national=True, username="admin")
    user.set_password(settings.DEMO_PASSWORD)
    user.save()
    return user


def send(page, path):
    page.set_input_files("input[name=file]", str(path))
    page.locator("form button[type=submit].mdc-button--raised").click()
    page.wait_for_load_state("networkidle")


def test_an_administrator_imports_the_registry_after_a_dry_run(
    administrator,
    browser,  # noqa: F811
    live_server,
    settings,
):
    page = log_in(browser, live_server, "admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/territories/")
    page.locator("a", has_text="Importer le registre FINESS").click()
    page.wait_for_selector("text=Lancer la simulation")
    upload_url = page.url
    shoot_both(page, "finess-1-upload")

    Department.objects.filter(code="9J").delete()  # the sample's line 13 uses it
    send(page, EXTRACT)
    page.wait_for_selector("text=Le fichier est refusé")
    assert "Département « 9J » inconnu." in page.content()
    shoot_both(page, "finess-2-refused")
    load_regions_and_departments()

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page.goto(upload_url)
    send(page, EXTRACT)
    page.wait_for_selector("text=Simulation en cours")
    job = ImportJob.objects.latest("created_at")
    DBTaskResult.objects.filter(pk=job.check_task_id).update(status=TaskResultStatus.RUNNING)
    report_progress(job.check_task_id, done=10, total=14)
    page.wait_for_selector("text=10 lignes lues sur 14")
    shoot_both(page, "finess-3-progress")

    DBTaskResult.objects.filter(pk=job.check_task_id).update(status=TaskResultStatus.READY)
    run_queued_task(job.check_task_id)
    page.wait_for_selector("text=Simulation terminée", timeout=15_000)
    assert Establishment.objects.count() == 0
    shoot_both(page, "finess-4-dry-run")

    page.locator("button", has_text="Confirmer l'import").click()
    page.wait_for_selector("text=Import en cours")
    job.refresh_from_db()
    run_queued_task(job.run_task_id)
    page.wait_for_selector("text=Import enregistré.", timeout=15_000)
    assert Establishment.objects.count() > 0
    shoot_both(page, "finess-5-done")


def test_an_administrator_imports_ght_members_after_a_dry_run(
    administrator,
    browser,  # noqa: F811
    live_server,
    tmp_path,
):
    from territories.models import HospitalGroupMembership

    from .factories import EstablishmentFactory, HospitalGroupFactory

    HospitalGroupFactory(code="GE-AUBE")
    first, second = EstablishmentFactory(), EstablishmentFactory()
    header = "code_ght;role;etablissement;finess_entite_juridique\n"
    good = tmp_path / "membres.csv"
    good.write_text(header + f"GE-AUBE;support;{first.finess};\nGE-AUBE;membre;{second.finess};\n")
    bad = tmp_path / "membres-erreur.csv"
    bad.write_text(good.read_text() + "GE-AUBE;chef;;\nGE-XXX;membre;;\n")

    page = log_in(browser, live_server, "admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/territories/")
    page.locator("a", has_text="Importer les membres des GHT").click()
    page.wait_for_selector("text=Lancer la simulation")
    upload_url = page.url
    shoot_both(page, "members-1-upload")

    send(page, bad)
    page.wait_for_selector("text=Lignes en erreur")
    assert "Ligne 4, colonne role" in page.content()
    assert "Ligne 5 : GHT « GE-XXX » inconnu (colonne code_ght)." in page.content()
    shoot_both(page, "members-2-refused")

    page.goto(upload_url)
    send(page, good)
    page.wait_for_selector("text=Simulation terminée")
    assert not HospitalGroupMembership.objects.exists()
    shoot_both(page, "members-4-dry-run")
    page.locator("button", has_text="Confirmer l'import").click()
    page.wait_for_selector("text=Import enregistré.")
    assert HospitalGroupMembership.objects.count() == 2
    shoot_both(page, "members-5-done")

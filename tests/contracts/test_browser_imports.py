"""An import in Chromium: upload, refused file, progress refreshed by itself, dry run, result.

Screenshots ``import-*`` at 1366 px and 390 px (``SCREENSHOTS_DIR`` to put them elsewhere).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background.backends import run_queued_task
from background.models import ImportJob
from background.progress import report_progress
from contracts.models import FundingLine
from territories.access import Role, sync_roles
from tests.pages.test_browser_pages import check_page
from tests.reporting.test_browser import SCREENSHOTS, browser, log_in  # noqa: F401

from .factories import ContractFactory, user_with_role
from .test_imports import csv_file, new_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", str(SCREENSHOTS)))
WIDTHS = (1366, 390)


def shoot_both(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SHOTS / f"import-{name}-{width}.png"), full_page=True)
        # Fits the screen, no framework or English word, no serious axe-core violation.
        assert check_page(page, f"import-{name}-{width}", width) == []
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def setup(db):
    sync_roles()
    contract = ContractFactory(with_lines=True)
    manager = user_with_role(Role.ARS_MANAGER, region=contract.region, username="manager")
    manager.set_password(settings.DEMO_PASSWORD)
    manager.save()
    return contract, manager


def choose_file(page, path, kind="lines"):
    page.select_option("select[name=kind]", kind)
    page.set_input_files("input[name=file]", str(path))
    page.locator("form button[type=submit].mdc-button--raised").click()
    page.wait_for_load_state("networkidle")


def test_a_manager_imports_lines_after_a_dry_run(
    setup,
    browser,  # noqa: F811
    live_server,
    tmp_path,
    settings,
):
    contract, _manager = setup
    page = log_in(browser, live_server, "manager")
    page.set_viewport_size({"width": 1366, "height": 900})
    upload_url = f"{live_server.url}/contracts/{contract.pk}/import/"

    page.goto(upload_url)
    assert "Lancer la simulation" in page.content()
    shoot_both(page, "1-upload")

    # A file with a bad line: the dry run names its line and column, nothing is written.
    bad = tmp_path / "lignes-erreur.csv"
    bad.write_bytes(
        csv_file(
            [
                new_line(contract, code="2.10"),
                new_line(contract, code="2.11", montant_2026="12 000,505"),
                new_line(contract, code="2.12", axe="9"),
            ]
        )
    )
    before = FundingLine.objects.count()
    choose_file(page, bad)
    page.wait_for_selector("text=Le fichier contient des erreurs")
    text = page.content()
    assert "Ligne 3 : montant_2026" in text and "Ligne 4 : axe 9 inconnu" in text
    assert FundingLine.objects.count() == before
    shoot_both(page, "2-refused")

    # A good file, queued for a worker: the page shows its progress and refreshes itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    good = tmp_path / "lignes.csv"
    good.write_bytes(
        csv_file(
            [
                new_line(contract, code=f"2.{n}", montant_2025="100", montant_2026="")
                for n in range(10, 130)
            ]
        )
    )
    page.goto(upload_url)
    choose_file(page, good)
    page.wait_for_selector("text=Simulation en cours")
    job = ImportJob.objects.get(filename="lignes.csv")
    DBTaskResult.objects.filter(pk=job.check_task_id).update(status=TaskResultStatus.RUNNING)
    report_progress(job.check_task_id, done=50, total=120)
    page.wait_for_selector("text=50 lignes sur 120")
    shoot_both(page, "3-progress")

    # The worker finishes: the page loads the dry run's report by itself.
    DBTaskResult.objects.filter(pk=job.check_task_id).update(status=TaskResultStatus.READY)
    run_queued_task(job.check_task_id)
    page.wait_for_selector("text=Simulation terminée", timeout=15_000)
    assert "L'import créerait 120 élément(s)" in page.content()
    assert FundingLine.objects.count() == before
    shoot_both(page, "4-dry-run")

    page.locator("button", has_text="Confirmer l'import").click()
    page.wait_for_selector("text=Import en cours")
    job.refresh_from_db()
    run_queued_task(job.run_task_id)
    page.wait_for_selector("text=Import enregistré.", timeout=15_000)
    assert FundingLine.objects.count() == before + 120
    shoot_both(page, "5-done")

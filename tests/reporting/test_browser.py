"""Journeys in Debian's Chromium (Playwright) against a live server.

They fail when Chromium is missing and REQUIRE_BROWSER=1 (CI), and skip otherwise.
Screenshots go to ``test-artifacts/screenshots/``.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contracts.models import Contract, Milestone
from demo.loader import load_demo
from workflows.flows import ContractApprovalFlow, MilestoneReviewFlow

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch):
    if connection.vendor == "postgresql":
        # On PostgreSQL the live server keeps one session open past the run, and the test
        # database then cannot be dropped; the journeys run on SQLite (make test, CI).
        pytest.skip("parcours navigateur exécutés sur SQLite (session PostgreSQL du live server)")
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} est absent : installez-le avec « make browser »."
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous, one at a time.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def demo(db):
    return load_demo()


def log_in(browser, live_server, username):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def shoot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_task(process, node) -> Task:
    return Task.objects.get(
        process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )


def take_and_open(page, live_server, process, node):
    """Assign the task of ``node`` to the page's user and open its form."""
    task = open_task(process, node)
    page.goto(live_server.url + node.reverse("assign", args=[process.pk, task.pk]))
    page.locator("form.vf-form button.mdc-button--raised").click()
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + node.reverse("execute", args=[process.pk, task.pk]))


def milestone_row(page, title):
    return page.locator("tr.milestone", has_text=title)


class TestGhtDirector:
    def test_reports_a_milestone_and_sees_the_axis_progress_change(
        self, demo, browser, live_server
    ):
        contract = demo["contract"]
        milestone = Milestone.objects.get(axis__contract=contract, title="Kits de bienvenue remis")
        # Due in two months whatever the day the test runs.
        Milestone.objects.filter(pk=milestone.pk).update(
            due_date=timezone.localdate() + datetime.timedelta(days=60)
        )
        process = MilestoneReviewFlow.start.run(milestone=milestone)
        page = log_in(browser, live_server, "director")
        progress_url = live_server.url + reverse("progress:contract", args=[contract.pk])

        page.goto(progress_url)
        assert page.locator("html").get_attribute("lang").startswith("fr")
        row = milestone_row(page, "Kits de bienvenue remis")
        assert row.get_attribute("data-state") == "DUE"
        assert "à venir" in row.inner_text()
        assert page.locator("#axis-1 .done-count").inner_text() == "0"
        assert page.locator("#axis-1 svg[role=img]").count() == 2
        shoot(page, "director-progress-before")

        take_and_open(page, live_server, process, MilestoneReviewFlow.report)
        page.fill("input[name=actual_value]", "120")
        page.fill("textarea[name=comment]", "120 kits remis aux nouveaux arrivants.")
        shoot(page, "director-report-form")
        page.locator("form.vf-form button.mdc-button--raised").click()
        page.wait_for_load_state("networkidle")

        page.goto(progress_url)
        row = milestone_row(page, "Kits de bienvenue remis")
        assert row.get_attribute("data-state") == "SUBMITTED"
        assert "80\u00a0%" in row.inner_text()
        assert "déclaré, à valider" in row.inner_text()
        chart = page.locator("#axis-1-indicators")
        assert "80\u00a0% – 120 / 150 kits (déclaré, à valider)" in chart.text_content()
        shoot(page, "director-progress-after")


class TestArsManager:
    def test_submits_a_contract_that_a_validator_approves_and_sees_the_overview_follow(
        self, demo, browser, live_server
    ):
        contract = demo["draft_contract"]
        overview_url = live_server.url + reverse("progress:overview")
        manager = log_in(browser, live_server, "manager")

        manager.goto(overview_url)
        row = manager.locator(f"tr[data-reference='{contract.reference}']")
        assert row.locator(".status").inner_text() == "Brouillon"
        assert row.locator(".pending").inner_text() == "0"
        shoot(manager, "manager-overview-draft")

        manager.goto(live_server.url + ContractApprovalFlow.start.reverse("execute"))
        manager.locator("#id_contract .mdc-select__anchor").click()
        manager.locator(f"#id_contract li[data-value='{contract.pk}']").click()
        manager.locator("form.vf-form button.mdc-button--raised").click()
        manager.wait_for_load_state("networkidle")

        manager.goto(overview_url)
        row = manager.locator(f"tr[data-reference='{contract.reference}']")
        assert row.locator(".status").inner_text() == "Soumis à validation"
        assert row.locator(".pending").inner_text() == "1"

        process = Contract.objects.get(pk=contract.pk).processes.get()
        validator = log_in(browser, live_server, "validator")
        take_and_open(validator, live_server, process, ContractApprovalFlow.approve)
        validator.locator("input[name=decision][value=APPROVED]").check(force=True)
        shoot(validator, "validator-approval-form")
        validator.locator("form.vf-form button.mdc-button--raised").click()
        validator.wait_for_load_state("networkidle")

        manager.reload()
        row = manager.locator(f"tr[data-reference='{contract.reference}']")
        assert row.locator(".status").inner_text() == "Validé, en attente de signature"
        assert row.locator(".pending").inner_text() == "1"  # the signature to record
        shoot(manager, "manager-overview-approved")


class TestRegionExport:
    def test_shows_progress_and_offers_the_file_without_blocking_the_page(
        self, demo, browser, live_server
    ):
        manager = log_in(browser, live_server, "manager")
        manager.goto(live_server.url + reverse("progress:overview"))
        manager.get_by_text("Exporter la région (XLSX)").click()
        manager.get_by_role("button", name="Lancer l'export").click()
        manager.wait_for_url("**/progress/export/*/")
        manager.locator("#export-download:not([hidden])").wait_for(timeout=20_000)
        # The page updates its texts and the link on the same poll: wait for the texts too.
        expect(manager.locator("#export-percent")).to_have_text("100 %", timeout=20_000)
        expect(manager.locator("#export-status")).to_have_text("Terminé", timeout=20_000)
        shoot(manager, "manager-region-export-done")
        with manager.expect_download() as download:
            manager.get_by_text("Télécharger le fichier").click()
        assert download.value.suggested_filename.endswith(".xlsx")


class TestAuditor:
    def test_opens_a_contracts_progress_then_its_timeline_and_exports_it(
        self, demo, browser, live_server
    ):
        contract = demo["contract"]
        auditor = log_in(browser, live_server, "auditor")
        auditor.goto(live_server.url + reverse("progress:overview"))
        auditor.get_by_role("link", name=contract.reference).click()
        auditor.wait_for_url(f"**{reverse('progress:contract', args=[contract.pk])}")
        assert "Suivi du contrat" in auditor.locator("h1").inner_text()
        auditor.goto(live_server.url + reverse("audit:timeline", args=[contract.pk]))
        shoot(auditor, "auditor-timeline")
        with auditor.expect_download() as download:
            auditor.get_by_role("link", name="CSV").click()
        assert download.value.suggested_filename.endswith(".csv")

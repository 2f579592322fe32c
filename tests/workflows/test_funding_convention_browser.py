"""The funding choice page and a funding convention's page in Debian's Chromium at 1366 px
and 390 px: they fit, speak French and pass axe; the convention is drafted from the page.

Skips without Chromium, like the other browser tests.
"""

import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from calls.models import DossierState
from contracts.models import Contract, ContractKind
from territories.models import MembershipRole
from tests.pages.test_browser_pages import VIEWPORTS, check_page, new_page
from tests.reporting.test_browser import SCREENSHOTS, browser, demo  # noqa: F401  (fixtures)
from workflows.flows import DossierDecisionFlow

from .helpers import client_for, open_task
from .test_funding_convention import notified_at_fund

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Copies for the reviewer, outside the repository.
SHOTS = Path("/tmp/shots-h-conv")


def keep(name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCREENSHOTS / f"pages-{name}.png", SHOTS / f"{name}.png")


def test_the_funding_choice_and_the_convention_page(browser, live_server, demo):  # noqa: F811
    carrier = (
        demo["hospital_group"]
        .memberships.exclude(role=MembershipRole.SUPPORT)
        .filter(establishment__isnull=False)
        .first()
        .establishment
    )
    dossier, process = notified_at_fund({"campaign": demo["campaign"], "carrier": carrier})
    task = open_task(process, DossierDecisionFlow.fund)
    client_for("manager").post(
        DossierDecisionFlow.fund.reverse("assign", args=[process.pk, task.pk])
    )
    url = live_server.url + DossierDecisionFlow.fund.reverse("execute", args=[process.pk, task.pk])
    problems = {}
    # The phone first: the desktop then drafts the convention, which ends the task.
    for viewport, (width, _) in sorted(VIEWPORTS.items(), reverse=True):
        page = new_page(browser, live_server, "manager", viewport)
        page.goto(url)
        assert "Convention de financement avec l'établissement porteur" in page.content()
        problems[f"fund-{viewport}"] = check_page(page, f"conv-fund-{viewport}", width)
        keep(f"conv-fund-{viewport}")
        if viewport == "desktop":
            page.get_by_label("Convention de financement avec l'établissement porteur").check()
            page.fill("input[name=baseline_value]", "9.20")
            page.fill("input[name=target_value]", "7.50")
            page.fill("input[name=due_date]", "2031-12-31")
            page.get_by_role("button", name="Enregistrer").click()
            # Out of the convention's period: refused next to the field, input kept.
            page.get_by_text("période de la convention", exact=False).wait_for()
            assert page.input_value("input[name=baseline_value]") == "9.20"
            problems["fund-error"] = check_page(page, "conv-fund-error", width)
            keep("conv-fund-error")
            page.fill("input[name=due_date]", "2027-12-31")
            page.get_by_role("button", name="Enregistrer").click()
            page.wait_for_url(lambda url: "/fund/" not in url)
        page.context.close()
    convention = Contract.objects.get(kind=ContractKind.FUNDING_CONVENTION)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.NOTIFIED
    assert dossier.contract_line.axis.contract == convention
    for viewport, (width, _) in VIEWPORTS.items():
        page = new_page(browser, live_server, "validator", viewport)
        page.goto(live_server.url + reverse("contracts:contract_detail", args=[convention.pk]))
        assert "Convention de financement" in page.content()
        problems[f"convention-{viewport}"] = check_page(page, f"conv-page-{viewport}", width)
        keep(f"conv-page-{viewport}")
        page.goto(live_server.url + reverse("calls:dossier_decision", args=[dossier.pk]))
        page.get_by_text(f"Convention de financement {convention.reference}").wait_for()
        problems[f"dossier-{viewport}"] = check_page(page, f"conv-dossier-{viewport}", width)
        keep(f"conv-dossier-{viewport}")
        # The dossier's actions: a table on a screen, labelled blocks on a phone.
        page.goto(live_server.url + reverse("calls:dossier_detail", args=[dossier.pk]))
        cost = page.locator("td[data-label='Coût']").first
        box = cost.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        problems[f"dossier-actions-{viewport}"] = check_page(
            page, f"conv-actions-{viewport}", width
        )
        keep(f"conv-actions-{viewport}")
        page.goto(live_server.url + reverse("contracts:index") + "?nature=FUNDING_CONVENTION")
        problems[f"list-{viewport}"] = check_page(page, f"conv-list-{viewport}", width)
        keep(f"conv-list-{viewport}")
        page.context.close()
    assert not any(problems.values()), problems

"""Every page each demo role visits, in Debian's Chromium at 1366 px and 390 px.

For each page: no wider than the viewport, no framework or English leftover in the visible
text or the tab title, and no axe-core violation of impact "serious" or "critical".
Screenshots go to ``test-artifacts/screenshots/pages-*.png``. Fixtures come from the
journeys in ``tests/reporting/test_browser.py`` (skip without Chromium, fail with
REQUIRE_BROWSER=1).
"""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from benchmarks.builders import create_artifacts, create_tasks
from tests.reporting.test_browser import SCREENSHOTS, browser, demo  # noqa: F401  (fixtures)
from workflows.flows import (
    AmendmentFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}

# Visible words that betray the framework or an untranslated screen (whole words).
LEFTOVERS = [
    "Django Material",
    "No viewsets found",
    "No applications found",
    "No objects selected",
    "Process brief",
    "Brief",
    "Created",
    "Start",
    "Inbox",
    "Queue",
    "Log out",
    "Profile",
    "Page not found",
    "Server error",
    "Access Forbidden",
    "RETURNED",
    "APPROVED",
    "prepared_by",
    "n'ont pas le droit",
    "¯\\_(ツ)_/¯",
]
LEFTOVER_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(word) for word in LEFTOVERS) + r")\b|\d+-\d+ of \d+"
)


def pages_for(role, contract):
    detail = reverse("contracts:contract_detail", args=[contract.pk])
    progress = reverse("progress:contract", args=[contract.pk])
    common = ["/", reverse("contracts:index"), detail, progress, reverse("progress:calendar")]
    workflow = [
        "/workflow/inbox/",
        "/workflow/queue/",
        "/workflow/archive/",
        "/workflow/flows/creditdelegation/",
        "/workflow/flows/creditdelegation/tasks/",
    ]
    return {
        "manager": [*common, reverse("progress:overview"), *workflow],
        "manager2": [*common, reverse("progress:overview")],
        "validator": [*common, reverse("progress:overview"), *workflow],
        "director": [*common, *workflow],
        "auditor": [
            *common,
            reverse("progress:overview"),
            reverse("audit:search"),
            reverse("audit:timeline", args=[contract.pk]),
        ],
        "admin": ["/", reverse("contracts:index"), detail],
    }[role]


def new_page(browser, live_server, username, viewport):  # noqa: F811
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def check_page(page, name, width):
    """Assert the page fits, speaks French and passes axe; save its screenshot."""
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"{scroll_width} px wide for a {width} px viewport")
    text = page.evaluate("document.body.innerText") + "\n" + page.title()
    leftovers = sorted({match.group(0) for match in LEFTOVER_PATTERN.finditer(text)})
    if leftovers:
        problems.append(f"leftovers {leftovers}")
    from axe_playwright_python.sync_playwright import Axe

    violations = [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:2])
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    if violations:
        problems.append(f"axe {violations}")
    page.screenshot(path=str(SCREENSHOTS / f"pages-{name}.png"), full_page=True)
    return problems


@pytest.fixture
def pending_work(demo):  # noqa: F811
    """Put work in every list: decisions, reports, a signature, a sent-back contract."""
    contract = demo["contract"]
    from django.contrib.auth import get_user_model

    manager2 = get_user_model().objects.get(username="manager2")
    artifacts = create_artifacts(contract=contract, preparer=manager2)
    for nodes in (
        [CreditDelegationFlow.approve, AmendmentFlow.approve, ContractApprovalFlow.approve],
        [MilestoneReviewFlow.report],
        [ContractApprovalFlow.sign],
    ):
        create_tasks(contract=contract, count=len(nodes), artifacts=artifacts, nodes=nodes)
    return contract


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize(
    "role", ["manager", "manager2", "validator", "director", "auditor", "admin"]
)
def test_every_page_of_the_role_fits_speaks_french_and_passes_axe(
    role,
    viewport,
    pending_work,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    page = new_page(browser, live_server, role, viewport)
    assert page.url.rstrip("/") == live_server.url, "lands on « Mes actions »"
    problems = {}
    for path in pages_for(role, pending_work):
        response = page.goto(live_server.url + path)
        if response.status == 403:
            continue  # not this role's page (the 403 page itself is checked below)
        assert response.status == 200, (path, response.status)
        name = f"{role}-{viewport}-{path.strip('/').replace('/', '-') or 'mes-actions'}"
        if found := check_page(page, name, width):
            problems[path] = found
    assert not problems, problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_validator_opens_a_decision_from_mes_actions_in_one_click(
    viewport,
    pending_work,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    page = new_page(browser, live_server, "validator", viewport)
    item = page.locator(".ars-task", has_text="Délégation de crédits FIR")
    assert pending_work.reference in item.inner_text()
    task = Task.objects.get(flow_task=CreditDelegationFlow.approve)
    item.get_by_role("button", name="Traiter").click()
    page.wait_for_url(lambda url: f"/{task.pk}/" in url and "/assign/" not in url)
    page.wait_for_load_state("networkidle")
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED
    assert task.owner.username == "validator"
    assert f"/{task.pk}/" in page.url
    assert page.locator("form.vf-form").count() == 1
    assert not check_page(page, f"validator-{viewport}-decision-form", width)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_error_pages_fit_and_speak_french(
    viewport,
    demo,  # noqa: F811
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    anonymous = browser.new_context(
        viewport={"width": width, "height": VIEWPORTS[viewport][1]}, locale="fr-FR"
    ).new_page()
    anonymous.goto(live_server.url + "/")
    assert "/accounts/login/" in anonymous.url
    assert not check_page(anonymous, f"anonymous-{viewport}-login", width)

    director = new_page(browser, live_server, "director", viewport)
    response = director.goto(live_server.url + reverse("audit:search"))
    assert response.status == 403
    assert "Accès refusé" in director.locator("body").inner_text()
    assert not check_page(director, f"director-{viewport}-403", width)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_sidebar_is_reached_with_the_keyboard_and_focus_is_visible(
    viewport,
    demo,  # noqa: F811
    browser,  # noqa: F811
    live_server,
):
    page = new_page(browser, live_server, "manager", viewport)
    page.goto(live_server.url + reverse("contracts:index"))

    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent.trim()")
    assert first == "Aller au contenu"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au menu"
    # The focus ring is drawn once the stylesheet has applied :focus-visible: give it a moment.
    page.wait_for_function(
        "!['', 'none'].includes(getComputedStyle(document.activeElement).outlineStyle)",
        timeout=5_000,
    )
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0

    page.keyboard.press("Enter")
    if viewport == "phone":
        # The drawer is folded on a phone: its toggle opens it, then Tab enters it.
        page.locator(".vf-page__menu-toggle[aria-label]").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        page.locator("#menu").focus()
    page.keyboard.press("Tab")
    inside = page.evaluate("!!document.activeElement.closest('.vf-page__menu')")
    assert inside, page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    page.wait_for_function(
        "!['', 'none'].includes(getComputedStyle(document.activeElement).outlineStyle)",
        timeout=5_000,
    )
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    page.screenshot(path=str(SCREENSHOTS / f"pages-keyboard-menu-{viewport}.png"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_decision_pages_with_their_facts_fit_and_pass_axe(
    viewport,
    pending_work,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    page = new_page(browser, live_server, "validator", viewport)
    problems = {}
    for node in (ContractApprovalFlow.approve, AmendmentFlow.approve):
        task = Task.objects.get(flow_task=node)
        page.goto(live_server.url + node.reverse("assign", args=[task.process_id, task.pk]))
        page.locator("form.vf-form button.mdc-button--raised").click()
        page.wait_for_load_state("networkidle")
        page.goto(live_server.url + node.reverse("execute", args=[task.process_id, task.pk]))
        assert page.locator(".task-facts").count() == 1
        name = f"validator-{viewport}-facts-{node.flow_class.__name__.lower()}"
        if found := check_page(page, name, width):
            problems[node.name] = found
    assert not problems, problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_queue_reads_whole_on_a_phone_and_counts_a_selection_in_french(
    viewport,
    pending_work,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    page = new_page(browser, live_server, "validator", viewport)
    page.goto(live_server.url + "/workflow/queue/")
    rows = page.locator("tbody tr")
    assert rows.count() >= 2
    # Each task's process (its contract's reference) is written whole, inside the screen.
    cell = rows.nth(0).locator("td[data-label='Dossier']")
    assert pending_work.reference in cell.inner_text()
    clipped = cell.evaluate("el => el.scrollWidth > el.clientWidth")
    box = cell.bounding_box()
    assert not clipped
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    rows.nth(0).locator("input[type=checkbox]").click()
    rows.nth(1).locator("input[type=checkbox]").click()
    # viewflow's script writes the count with gettext: the French catalogue (jsi18n/). On a
    # phone viewflow shows the actions without the count.
    selection = page.get_by_text(re.compile(r"^2 sur \d+ sélectionnée\(s\)$")).first
    selection.wait_for(state="visible" if viewport == "desktop" else "attached")
    assert page.get_by_role("button", name="Appliquer").is_visible()
    problems = check_page(page, f"validator-{viewport}-queue-selection", width)
    assert not problems, problems


def test_the_deadlines_read_as_labelled_blocks_on_a_phone(
    pending_work,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS["phone"][0]
    page = new_page(browser, live_server, "director", "phone")
    page.goto(live_server.url + reverse("progress:calendar"))
    deadline = page.locator("tr.deadline").first
    contract = deadline.locator("td[data-label='Contrat']")
    assert pending_work.reference in contract.inner_text()
    box = contract.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # Nothing to scroll sideways: every cell of a deadline is on its own line.
    scrolls = page.locator(".table-scroll").first.evaluate("el => el.scrollWidth > el.clientWidth")
    assert not scrolls
    label = contract.evaluate("el => getComputedStyle(el, '::before').content")
    assert label == '"Contrat : "'
    problems = check_page(page, "director-phone-calendar-blocks", width)
    assert not problems, problems

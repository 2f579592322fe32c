"""Issue 12, "Done when": an ARS manager with no demo contract drafts, submits, signs.

In Debian's Chromium at 1366 px (screenshots ``drafting-*``, and the draft page at 390 px):
a GHT from imported establishments, a draft with two axes, three lines of different
schemes and two milestones, a scheme-rule error next to its field then corrected, the
submission, the validator's approval, the signature with a PDF that then downloads, its
SHA-256 in the journal and ``verify_audit`` passing.
"""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.journal import AuditEvent
from contracts.models import Contract, ContractStatus
from territories.access import Role, sync_roles
from territories.models import Department
from territories.reference import load_regions_and_departments
from tests.reporting.test_browser import browser, log_in, shoot, take_and_open  # noqa: F401
from workflows.flows import ContractApprovalFlow

from .factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRACT = Path(__file__).parents[1] / "territories" / "data" / "finess_extract_sample.csv"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(db):
    # A transactional test starts from an emptied database: put back what migrate loads.
    load_regions_and_departments()
    sync_roles()
    call_command("import_finess", str(EXTRACT), "--wet-run")
    region = Department.objects.get(code="9D").region
    users = {}
    for name, role in (("manager", Role.ARS_MANAGER), ("validator", Role.ARS_VALIDATOR)):
        user = user_with_role(role, region=region, username=name)
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        users[name] = user
    return users


def status_becomes(page, contract, status):
    """Wait for the page's last post to land (Turbo answers after networkidle)."""
    for _attempt in range(100):
        contract.refresh_from_db()
        if contract.status == status:
            return True
        page.wait_for_timeout(100)
    return False


def submit(page):
    page.locator("form button[type=submit].mdc-button--raised").first.click()
    page.wait_for_load_state("networkidle")


def add_line(page, base, scheme, values):
    page.goto(f"{base}lines/add/?scheme={scheme}")
    page.select_option("select[name=beneficiary]", index=1)
    for name, value in values.items():
        if name in ("axis", "beneficiary"):
            page.select_option(f"select[name={name}]", label=value)
        else:
            page.fill(f"[name={name}]", value)
    submit(page)


def test_a_manager_drafts_submits_and_signs_a_contract(people, browser, live_server):  # noqa: F811
    today = timezone.localdate()
    page = log_in(browser, live_server, "manager")
    page.set_viewport_size({"width": 1366, "height": 900})

    # A GHT from the establishments the FINESS import brought.
    page.goto(live_server.url + reverse("territories:add"))
    page.fill("[name=code]", "GHT-974")
    page.fill("[name=name]", "GHT de La Réunion")
    page.select_option("select[name=region]", index=1)
    support = page.locator("select[name=support] option", has_text="FELIX GUYON")
    page.select_option("select[name=support]", value=support.get_attribute("value"))
    member = page.locator("select[name=members] option", has_text="UAD")
    page.select_option("select[name=members]", value=member.get_attribute("value"))
    shoot(page, "drafting-1-ght")
    submit(page)

    # The draft: period, envelope, two axes.
    page.goto(live_server.url + reverse("contracts:contract_add"))
    page.select_option("select[name=hospital_group]", label="GHT de La Réunion")
    page.fill("[name=reference]", "CAT-974-2026")
    page.fill("[name=title]", "Contrat d'attractivité de La Réunion")
    page.fill("[name=start_date]", f"{today.year}-01-01")
    page.fill("[name=end_date]", f"{today.year + 2}-12-31")
    page.fill("[name=envelope_amount]", "200000")
    page.fill("[name=axes]", "Attirer\nFidéliser")
    submit(page)
    contract = Contract.objects.get(reference="CAT-974-2026")
    base = live_server.url + reverse("contracts:contract_detail", args=[contract.pk])
    assert "aucune ligne de financement" in page.content()
    assert page.locator("button[disabled]", has_text="Soumettre").count() == 1
    shoot(page, "drafting-2-empty-draft")

    year = today.year
    add_line(
        page,
        base,
        "OTHER",
        {
            "axis": "Axe 1 – Attirer",
            "code": "1.1",
            "label": "Cellule de recrutement",
            f"amount_{year}": "50000",
            f"amount_{year + 1}": "50000",
        },
    )
    # An IPA line above the cap for one student: the error stands by the field.
    ipa = {
        "axis": "Axe 1 – Attirer",
        "code": "1.2",
        "label": "Formation IPA",
        "detail_students": "1",
        f"amount_{year}": "80000",
    }
    add_line(page, base, "IPA", ipa)
    error = page.locator(".ars-field-error")
    assert "plafond" in error.inner_text()
    assert page.locator("[name=label]").input_value() == "Formation IPA"
    shoot(page, "drafting-3-scheme-error")
    page.fill("[name=detail_students]", "2")
    submit(page)
    add_line(
        page,
        base,
        "CLACT",
        {
            "axis": "Axe 2 – Fidéliser",
            "code": "2.1",
            "label": "Qualité de vie au travail",
            "detail_actions": "2",
            "detail_project_cost": "40000",
            f"amount_{year + 1}": "20000",
        },
    )
    for axis, title, due in (
        ("Axe 1 – Attirer", "Postes pourvus", f"{year + 1}-06-30"),
        ("Axe 2 – Fidéliser", "Actions QVT menées", f"{year + 2}-06-30"),
    ):
        page.goto(f"{base}milestones/add/")
        page.select_option("select[name=axis]", label=axis)
        page.fill("[name=title]", title)
        page.fill("[name=due_date]", due)
        page.fill("[name=indicator_label]", title)
        page.fill("[name=indicator_unit]", "nombre")
        page.fill("[name=baseline_value]", "0")
        page.fill("[name=target_value]", "5")
        submit(page)
    page.goto(base)
    assert "Rien : le brouillon est complet" in page.content()
    shoot(page, "drafting-4-complete-draft")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "drafting-4-complete-draft-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("link", name="Soumettre pour validation").click()
    page.wait_for_load_state("networkidle")
    shoot(page, "drafting-5-submit")
    page.locator("form.vf-form button.mdc-button--raised").click()
    page.wait_for_load_state("networkidle")
    shoot(page, "drafting-5-submitted")
    assert status_becomes(page, contract, ContractStatus.SUBMITTED)

    process = contract.processes.get()
    validator = log_in(browser, live_server, "validator")
    take_and_open(validator, live_server, process, ContractApprovalFlow.approve)
    validator.locator("input[name=decision][value=APPROVED]").check(force=True)
    validator.locator("form.vf-form button.mdc-button--raised").click()
    validator.wait_for_load_state("networkidle")
    assert status_becomes(validator, contract, ContractStatus.APPROVED)

    take_and_open(page, live_server, process, ContractApprovalFlow.sign)
    page.fill("input[name=signature_date]", today.isoformat())
    page.fill("input[name=signatories]", "Le directeur général de l'ARS ; le directeur du CHU")
    page.set_input_files(
        "input[name=signed_document]",
        {"name": "contrat-signe.pdf", "mimeType": "application/pdf", "buffer": PDF},
    )
    shoot(page, "drafting-5-signature")
    page.locator("form.vf-form button.mdc-button--raised").click()
    page.wait_for_load_state("networkidle")
    assert status_becomes(page, contract, ContractStatus.ACTIVE)

    page.goto(base)
    shoot(page, "drafting-6-signed")
    with page.expect_download() as download:
        page.get_by_role("link", name="contrat-signe.pdf").click()
    content = Path(download.value.path()).read_bytes()
    assert content == PDF
    digest = hashlib.sha256(content).hexdigest()
    assert any(
        event.changes.get("sha256", {}).get("after") == digest
        for event in AuditEvent.objects.filter(contract_id=contract.pk)
    )
    call_command("verify_audit")

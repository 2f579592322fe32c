"""The award pages in Debian's Chromium at 1366 px and 390 px: they fit, speak French, pass axe.

Awards are recorded through the services on the demo's draft contract (Sud Lorraine), then
the manager opens the list, the form (with a refused input), the breach page, and the
validator the breach decision. Skips without Chromium, like the other browser tests.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from calls import awards
from contracts.models import FundingLine
from contracts.schemes import SchemeCode
from tests.pages.test_browser_pages import VIEWPORTS, check_page, new_page
from tests.reporting.test_browser import browser, demo  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def award_lines(demo):  # noqa: F811
    manager = get_user_model().objects.get(username="manager")
    manager2 = get_user_model().objects.get(username="manager2")
    lines = FundingLine.objects.filter(axis__contract=demo["draft_contract"])
    pet_line = lines.get(scheme=SchemeCode.PET)
    for name, half_days, sites in [("Roux", "1", 1), ("Fontaine", "3.5", 1), ("Girard", "4", 2)]:
        awards.create_award(
            actor=manager,
            kind=SchemeCode.PET,
            funding_line=pet_line,
            identifier="10200000001",
            last_name=name,
            first_name="Marc",
            start_date=datetime.date(2025, 11, 1),
            months=12,
            half_days=Decimal(half_days),
            other_sites=sites,
            distance_km=Decimal("52"),
        )
    ipa_line = lines.get(scheme=SchemeCode.IPA)
    ipa = awards.create_award(
        actor=manager,
        kind=SchemeCode.IPA,
        funding_line=ipa_line,
        identifier="10101234567",
        last_name="Lambert",
        first_name="Julie",
        start_date=datetime.date(2025, 9, 1),
        tuition_amount=Decimal("18500.00"),
        replacement_amount=Decimal("51500.00"),
    )
    # A CAE line with a broken commitment awaiting its decision.
    from contracts.services import add_funding_line

    cae_line = add_funding_line(
        actor=manager,
        axis=ipa_line.axis,
        code="3.9",
        scheme=SchemeCode.CAE,
        label="Contrats d'allocation d'études",
        beneficiary=ipa_line.beneficiary,
        amounts_by_year={2025: Decimal("6000.00")},
        details={"students": 1, "years": 1},
    )
    cae = awards.create_award(
        actor=manager,
        kind=SchemeCode.CAE,
        funding_line=cae_line,
        identifier="ETU-2025-0044",
        last_name="Blanc",
        first_name="Eva",
        start_date=datetime.date(2025, 9, 1),
        months=12,
        yearly_amount=Decimal("6000.00"),
        commitment_start_date=datetime.date(2026, 9, 1),
    )
    awards.record_cae_breach(
        actor=manager2,
        award=cae,
        breach_date=datetime.date(2027, 3, 1),
        served_months=6,
        reason="Démission",
    )
    # A second CAE broken and decided: its repayment's recoveries are prepared on the years
    # that paid it (delegated here directly: the draft contract has no delegation yet).
    broken = awards.create_award(
        actor=manager,
        kind=SchemeCode.CAE,
        funding_line=cae_line,
        identifier="ETU-2025-0045",
        last_name="Morel",
        first_name="Lina",
        start_date=datetime.date(2025, 9, 1),
        months=12,
        yearly_amount=Decimal("6000.00"),
        commitment_start_date=datetime.date(2026, 9, 1),
    )
    for allocation in cae_line.allocations.all():
        allocation.delegated_amount = allocation.allocated_amount
        allocation.save(update_fields=["delegated_amount"])
    awards.record_cae_breach(
        actor=manager,
        award=broken,
        breach_date=datetime.date(2027, 3, 1),
        served_months=6,
        reason="Démission",
    )
    validator = get_user_model().objects.get(username="validator")
    awards.decide_cae_breach(actor=validator, award=broken, approve=True)
    return {
        "pet": pet_line,
        "ipa": ipa_line,
        "cae": cae_line,
        "breach": cae,
        "ipa_award": ipa,
        "broken": broken,
    }


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_award_pages_fit_speak_french_and_pass_axe(
    viewport,
    award_lines,
    browser,  # noqa: F811
    live_server,
):
    width = VIEWPORTS[viewport][0]
    problems = {}
    manager = new_page(browser, live_server, "manager", viewport)
    for key in ("pet", "ipa", "cae"):
        path = reverse("calls:line_awards", args=[award_lines[key].pk])
        assert manager.goto(live_server.url + path).status == 200
        if found := check_page(manager, f"awards-{viewport}-{key}", width):
            problems[path] = found
    path = reverse("calls:award_add", args=[award_lines["pet"].pk])
    manager.goto(live_server.url + path)
    for field, value in {
        "last_name": "Dupont",
        "first_name": "Jean",
        "identifier": "10100000000",
        "start_date": "2025-11-01",
        "months": "12",
        "half_days": "2",
        "other_sites": "1",
        "distance_km": "12",
    }.items():
        manager.fill(f"input[name={field}]", value)
    manager.get_by_role("button", name="Enregistrer").click()
    manager.get_by_text("moins que les 20", exact=False).wait_for()
    assert manager.input_value("input[name=last_name]") == "Dupont"
    if found := check_page(manager, f"awards-{viewport}-add-refused", width):
        problems[path] = found
    # The award page: its state and one button per allowed step; a step refused by its date.
    ipa = award_lines["ipa_award"]
    path = reverse("calls:award_detail", args=[ipa.pk])
    assert manager.goto(live_server.url + path).status == 200
    if found := check_page(manager, f"awards-{viewport}-detail-ipa", width):
        problems[path] = found
    manager.get_by_role("link", name="Valider la 1re année").click()
    manager.fill("input[name=date]", "2025-08-01")
    manager.get_by_role("button", name="Confirmer : Valider la 1re année").click()
    manager.get_by_text("ne peut pas précéder le 01/09/2025", exact=False).wait_for()
    assert manager.input_value("input[name=date]") == "2025-08-01"
    if found := check_page(manager, f"awards-{viewport}-step-refused", width):
        problems[manager.url] = found
    path = reverse("calls:award_detail", args=[award_lines["broken"].pk])
    assert manager.goto(live_server.url + path).status == 200
    manager.get_by_text("La reprise attend la décision", exact=False).wait_for()
    if found := check_page(manager, f"awards-{viewport}-detail-recoveries", width):
        problems[path] = found
    validator = new_page(browser, live_server, "validator", viewport)
    path = reverse("calls:award_breach", args=[award_lines["breach"].pk])
    assert validator.goto(live_server.url + path).status == 200
    if found := check_page(validator, f"awards-{viewport}-breach-decision", width):
        problems[path] = found
    path = reverse("calls:award_recovery", args=[award_lines["broken"].pk])
    assert validator.goto(live_server.url + path).status == 200
    if found := check_page(validator, f"awards-{viewport}-recovery-own", width):
        problems[path] = found
    assert not problems, problems

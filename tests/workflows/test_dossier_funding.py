"""A granted dossier becomes a line of the Aube contract, even after its amendment is sent
back and drafted again (the new line is not on the amendment form: it must survive)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from calls.models import DossierState, FundingInstrument
from contracts.exceptions import BusinessRuleError
from contracts.models import Amendment, FundingLine
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory
from tests.territories.factories import EstablishmentFactory, HospitalGroupMembershipFactory
from workflows import steps
from workflows.flows import AmendmentFlow
from workflows.models import ContractProcess

from .helpers import client_for, complete
from .scenarios import active_demo_contract, user

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
INDICATORS = [
    {
        "title": "Indicateur CLACT : taux d'absentéisme",
        "due_date": datetime.date(2026, 12, 31),
        "indicator_label": "Taux d'absentéisme",
        "baseline_value": Decimal("9.20"),
        "target_value": Decimal("7.50"),
    }
]


def notified_dossier(contract, *, member=True):
    carrier = EstablishmentFactory(department__region=contract.region)
    if member:
        HospitalGroupMembershipFactory(
            hospital_group=contract.hospital_group, establishment=carrier
        )
    dossier = DossierFactory(
        campaign=CampaignFactory(region=contract.region, opened=True),
        state=DossierState.NOTIFIED,
        carrier_establishment=carrier,
        granted_amount=Decimal("4500.00"),
    )
    DossierActionFactory(dossier=dossier, rank=1, ars_granted_amount=Decimal("4500.00"))
    return dossier


def fund(dossier, contract, code="4.9"):
    axis = contract.axes.get(number=4)
    return steps.fund_dossier(
        SimpleNamespace(dossier=dossier),
        actor=user("manager"),
        contract=contract,
        axis=axis,
        code=code,
        indicators=INDICATORS,
        today=datetime.date(2025, 10, 1),
        amendment_start=AmendmentFlow.start,
    )


def test_the_line_survives_a_send_back_and_the_dossier_follows_the_approval():
    contract = active_demo_contract()
    dossier = notified_dossier(contract)
    with time_machine.travel(datetime.datetime(2025, 10, 1, 9, tzinfo=PARIS), tick=True):
        amendment = fund(dossier, contract)
        dossier.refresh_from_db()
        assert dossier.funding_instrument == FundingInstrument.CONTRACT_AMENDMENT
        assert dossier.amendment == amendment
        process = ContractProcess.objects.get(amendment=amendment)
        # The validator sees the new line in the amendment's differences.
        validator = client_for("validator")
        task = process.task_set.get(flow_task=AmendmentFlow.approve)
        validator.post(AmendmentFlow.approve.reverse("assign", args=[process.pk, task.pk]))
        page = validator.get(AmendmentFlow.approve.reverse("execute", args=[process.pk, task.pk]))
        assert "Nouvelle ligne 4.9" in page.content.decode()
        response = complete(
            client_for("validator"),
            process,
            AmendmentFlow.approve,
            {"decision": "RETURNED", "reason": "Précisez l'indicateur."},
        )
        assert response.status_code == 302
        response = complete(
            client_for("manager"),
            process,
            AmendmentFlow.revise,
            {
                "action": "RESUBMIT",
                "contract": contract.pk,
                "reason": amendment.reason,
                "envelope_amount": str(contract.envelope_amount + Decimal("4500.00")),
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        process.refresh_from_db()
        assert process.amendment != amendment
        assert process.amendment.proposed["new_lines"][0]["code"] == "4.9"
        response = complete(
            client_for("validator"),
            process,
            AmendmentFlow.approve,
            {"decision": "APPROVED", "reason": ""},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    dossier.refresh_from_db()
    line = FundingLine.objects.get(axis__contract=contract, code="4.9")
    assert dossier.state == DossierState.CONTRACTED
    assert dossier.contract_line == line
    assert dossier.amendment == process.amendment
    assert line.allocations.get(year=2025).allocated_amount == Decimal("4500.00")
    assert Amendment.objects.filter(contract=contract).count() == 2


def test_a_carrier_outside_the_ght_cannot_be_funded_in_its_contract():
    contract = active_demo_contract()
    dossier = notified_dossier(contract, member=False)
    with pytest.raises(BusinessRuleError, match="pas membre du GHT"):
        fund(dossier, contract)
    dossier.refresh_from_db()
    assert dossier.amendment is None

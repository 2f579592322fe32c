"""A granted dossier funded by a standalone funding convention (seed 001: « un avenant au
CPOM ou une convention de financement »), from the funding page to the recovery of the
unconsumed part, through the contracts' own flows: four-eyes approval, signature, credit
delegation, consumption statement and recovery."""

import datetime
import threading
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from audit.models import AuditEvent
from calls.models import DossierState, FundingInstrument
from calls.services_decisions import create_committee
from calls.services_funding import fund_by_convention
from contracts import services
from contracts.exceptions import BusinessRuleError
from contracts.models import (
    Contract,
    ContractKind,
    ContractStatus,
    CreditDelegation,
    DecisionStatus,
    Recovery,
    YearlyAllocation,
)
from territories.access import Role
from territories.models import Establishment
from tests.calls.factories import CampaignFactory, DossierActionFactory, DossierFactory
from tests.contracts.factories import user_with_role
from tests.territories.factories import RegionFactory
from workflows.flows import (
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    DossierDecisionFlow,
)
from workflows.models import ContractProcess

from .helpers import client_for, complete, open_task, signed_pdf, start
from .scenarios import give_role, user
from .world import MEMBERS, build_world

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
GRANTED = Decimal("4500.00")


def at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def world():
    world = build_world()
    campaign = CampaignFactory(region=world["region"], opened=True)
    other_region = RegionFactory(code="52", name="Pays de la Loire")
    user_with_role(Role.ARS_MANAGER, region=other_region, username="ailleurs")
    carrier = Establishment.objects.get(name=MEMBERS[0])
    return {**world, "campaign": campaign, "carrier": carrier}


def notified_at_fund(world):
    """Bring a dossier of ``world["carrier"]`` to the funding step through the pages:
    instructed by the manager, selected by the validator for the committee, notified."""
    dossier = DossierFactory(
        campaign=world["campaign"],
        state=DossierState.UNDER_REVIEW,
        applicant_name=world["carrier"].name,
        project_title="Prévention des risques psychosociaux",
        carrier_establishment=world["carrier"],
    )
    action = DossierActionFactory(dossier=dossier, rank=1)
    process = DossierDecisionFlow.start.run(dossier=dossier)
    with time_machine.travel(at(2025, 9, 1, 9), tick=True):
        response = complete(
            client_for("manager"),
            process,
            DossierDecisionFlow.instruct,
            {
                "opinion": "FAVORABLE",
                "comment": "Bon projet.",
                "previous_conventions": "",
                **{
                    f"score_{name}": "2"
                    for name in ("mutualisation", "agents", "priority", "innovation", "timeline")
                },
                f"action_{action.pk}": str(GRANTED),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        committee = create_committee(
            actor=user("validator"),
            campaign=world["campaign"],
            session_date=datetime.date(2025, 9, 1),
            members="DOS",
        )
        response = complete(
            client_for("validator"),
            process,
            DossierDecisionFlow.decide,
            {
                "committee": committee.pk,
                "outcome": "SELECTED",
                "reasons": "Retenu.",
                f"action_{action.pk}": str(GRANTED),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        response = complete(
            client_for("manager"), process, DossierDecisionFlow.notify, {"confirm": "on"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.NOTIFIED
    return dossier, process


def convention_form(**data):
    return {
        "instrument": "FUNDING_CONVENTION",
        "contract": "",
        "axis": "",
        "code": "",
        "indicator_label": "Taux d'absentéisme",
        "baseline_value": "9.20",
        "target_value": "7.50",
        "due_date": "2026-12-31",
        **data,
    }


def test_from_the_granted_dossier_to_the_recovery_of_the_unconsumed_part(world):
    dossier, process = notified_at_fund(world)
    campaign = world["campaign"]
    give_role("manager", Role.ARS_VALIDATOR)  # holds both roles: four-eyes still refuses

    # The funding page offers both instruments, in French.
    with time_machine.travel(at(2025, 10, 1, 9), tick=True):
        manager = client_for("manager")
        task = open_task(process, DossierDecisionFlow.fund)
        manager.post(DossierDecisionFlow.fund.reverse("assign", args=[process.pk, task.pk]))
        page = manager.get(DossierDecisionFlow.fund.reverse("execute", args=[process.pk, task.pk]))
        content = page.content.decode()
        assert "Avenant au contrat du GHT" in content
        assert "Convention de financement avec l" in content
        assert "du 01/10/2025 au 30/09/2027" in content
        response = complete(manager, process, DossierDecisionFlow.fund, convention_form())
        assert response.status_code == 302, response.content.decode()[:3000]

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    dossier.refresh_from_db()
    convention = Contract.objects.get(kind=ContractKind.FUNDING_CONVENTION)
    assert convention.reference == f"CONV-CLACT-2024-{dossier.ds_number}"
    assert convention.status == ContractStatus.SUBMITTED
    assert convention.submitted_by == user("manager")
    assert convention.carrier_establishment == world["carrier"]
    assert convention.hospital_group == world["hospital_group"]
    assert convention.region == campaign.region
    assert (convention.start_date, convention.end_date) == (
        datetime.date(2025, 10, 1),
        datetime.date(2027, 9, 30),
    )
    assert convention.envelope_amount == GRANTED == dossier.granted_amount
    line = convention.axes.get().lines.get()
    assert dossier.contract_line == line
    assert dossier.funding_instrument == FundingInstrument.FUNDING_CONVENTION
    assert dossier.state == DossierState.NOTIFIED  # contracted once signed
    assert line.beneficiary == world["carrier"]
    assert line.consumption_deadline_date == campaign.consumption_deadline_date
    assert [a["ars_granted"] for a in line.details["actions"]] == [str(GRANTED)]
    assert convention.axes.get().milestones.get().indicator_label == "Taux d'absentéisme"
    assert AuditEvent.objects.filter(
        object_type="calls.Dossier", summary__contains=convention.reference
    ).exists()

    # Four-eyes: the person who drafted and submitted it can neither take nor decide it.
    approval = ContractProcess.objects.get(contract=convention)
    task = open_task(approval, ContractApprovalFlow.approve)
    assert not ContractApprovalFlow.approve.can_assign(user("manager"), task)
    client_for("manager").post(
        ContractApprovalFlow.approve.reverse("assign", args=[approval.pk, task.pk])
    )
    task.refresh_from_db()
    assert task.owner_id is None
    with pytest.raises(BusinessRuleError):
        services.approve_contract(actor=user("manager"), contract=convention)

    with time_machine.travel(at(2025, 10, 2, 9), tick=True):
        response = complete(
            client_for("validator"),
            approval,
            ContractApprovalFlow.approve,
            {"decision": "APPROVED", "reason": ""},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    convention.refresh_from_db()
    assert convention.status == ContractStatus.APPROVED
    assert convention.approved_by == user("validator")

    with time_machine.travel(at(2025, 10, 3, 9), tick=True):
        response = complete(
            client_for("manager"),
            approval,
            ContractApprovalFlow.sign,
            {
                "signature_date": "2025-10-03",
                "signatories": "DG ARS Grand Est ; directeur du CH de Bar-sur-Aube",
                "signed_document": signed_pdf("convention-signee.pdf"),
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    convention.refresh_from_db()
    dossier.refresh_from_db()
    assert convention.status == ContractStatus.ACTIVE
    assert dossier.state == DossierState.CONTRACTED

    # The dossier's page points at its convention.
    page = client_for("manager").get(reverse("calls:dossier_decision", args=[dossier.pk]))
    assert f"Convention de financement {convention.reference}" in page.content.decode()

    # The contract page says what it is.
    page = client_for("manager").get(reverse("contracts:contract_detail", args=[convention.pk]))
    content = page.content.decode()
    assert "Convention de financement" in content
    assert "Établissement bénéficiaire" in content
    assert "La convention est signée : délégation des crédits FIR" in content
    assert "Le contrat est en vigueur" not in content

    # Credit delegation of 2025, prepared by the manager, decided by the validator.
    with time_machine.travel(at(2025, 10, 10, 9), tick=True):
        response, delegation_process = start(
            client_for("manager"),
            CreditDelegationFlow.start,
            {"contract": convention.pk, "year": 2025},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        response = complete(
            client_for("validator"),
            delegation_process,
            CreditDelegationFlow.approve,
            {
                "decision": "APPROVED",
                "decision_reference": "DEL-CONV-2025-001",
                "decision_date": "2025-10-10",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    delegation = CreditDelegation.objects.get(contract=convention)
    assert delegation.status == DecisionStatus.APPROVED
    allocation = YearlyAllocation.objects.get(funding_line=line, year=2025)
    assert allocation.delegated_amount == GRANTED

    # Consumption statement after the campaign's deadline; the unconsumed part recovered.
    with time_machine.travel(at(2027, 1, 15, 9), tick=True):
        response, closing = start(
            client_for("manager"), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        response = complete(
            client_for("director"),
            closing,
            ConsumptionClosingFlow.declare,
            {"consumed_amount": "3000.00", "non_compliant_amount": "0.00", "comment": ""},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        response = complete(
            client_for("manager"), closing, ConsumptionClosingFlow.check, {"mode": "RECOVER"}
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        recovery = Recovery.objects.get(allocation=allocation)
        assert recovery.amount == Decimal("1500.00")
        task = open_task(closing, ConsumptionClosingFlow.approve_recovery)
        assert not ContractApprovalFlow.approve.can_assign(user("manager"), task)
        response = complete(
            client_for("validator"),
            closing,
            ConsumptionClosingFlow.approve_recovery,
            {"decision": "APPROVED"},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    closing.refresh_from_db()
    allocation.refresh_from_db()
    assert closing.status == PROCESS.DONE
    recovery.refresh_from_db()
    assert recovery.status == DecisionStatus.APPROVED

    # The money rules of every contract line hold.
    assert allocation.allocated_amount == GRANTED
    assert allocation.delegated_amount <= allocation.allocated_amount
    assert allocation.consumed_amount == Decimal("3000.00") <= allocation.delegated_amount
    assert allocation.recovered_amount == allocation.delegated_amount - allocation.consumed_amount
    assert sum(d.granted_amount or 0 for d in campaign.dossiers.all()) <= campaign.envelope_amount
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "vérifié(s)" in out.getvalue()

    # Scope: another region's manager sees neither the convention nor the dossier.
    elsewhere = client_for("ailleurs")
    assert (
        elsewhere.get(reverse("contracts:contract_detail", args=[convention.pk])).status_code == 404
    )
    listed = elsewhere.get(reverse("contracts:index") + "?nature=FUNDING_CONVENTION")
    assert listed.status_code == 200
    assert convention.reference not in listed.content.decode()
    assert elsewhere.get(reverse("calls:dossier_decision", args=[dossier.pk])).status_code == 404


def test_the_funding_page_shows_errors_next_to_the_field_and_keeps_the_input(world):
    dossier, process = notified_at_fund(world)
    with time_machine.travel(at(2025, 10, 1, 9), tick=True):
        response = complete(
            client_for("manager"),
            process,
            DossierDecisionFlow.fund,
            convention_form(due_date="2028-06-30", indicator_label="Turnover des soignants"),
        )
        assert response.status_code == 400
        form = response.context["form"]
        assert "période de la convention" in form.errors["due_date"][0]
        assert "Turnover des soignants" in response.content.decode()
        response = complete(
            client_for("manager"),
            process,
            DossierDecisionFlow.fund,
            convention_form(instrument="CONTRACT_AMENDMENT", code="4.9"),
        )
        assert response.status_code == 400
        assert response.context["form"].errors["contract"]
        assert 'value="4.9"' in response.content.decode()
    assert not Contract.objects.filter(kind=ContractKind.FUNDING_CONVENTION).exists()
    dossier.refresh_from_db()
    assert dossier.funding_instrument == ""


def test_a_dossier_is_funded_once_and_only_by_its_instructor(world):
    dossier, _ = notified_at_fund(world)
    today = datetime.date(2025, 10, 1)
    with pytest.raises(BusinessRuleError):
        fund_by_convention(actor=user("ailleurs"), dossier=dossier, today=today)
    with pytest.raises(BusinessRuleError):
        fund_by_convention(actor=user("validator"), dossier=dossier, today=today)
    convention = fund_by_convention(actor=user("manager"), dossier=dossier, today=today)
    assert convention.status == ContractStatus.DRAFT
    with pytest.raises(BusinessRuleError, match="déjà son financement"):
        fund_by_convention(actor=user("manager2"), dossier=dossier, today=today)
    assert Contract.objects.filter(kind=ContractKind.FUNDING_CONVENTION).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_instructors_funding_at_once_draft_one_convention():
    """Both instructors of the region fund the same dossier at the same moment: the dossier's
    lock lets one through, the other is refused; one convention, one line."""
    world = build_world()
    carrier = Establishment.objects.get(name=MEMBERS[0])
    dossier = DossierFactory(
        campaign=CampaignFactory(region=world["region"], opened=True),
        state=DossierState.NOTIFIED,
        carrier_establishment=carrier,
        granted_amount=GRANTED,
    )
    DossierActionFactory(dossier=dossier, rank=1, ars_granted_amount=GRANTED)
    barrier = threading.Barrier(2)
    outcomes = []

    def fund(username):
        try:
            barrier.wait()
            fund_by_convention(
                actor=user(username), dossier=dossier, today=datetime.date(2025, 10, 1)
            )
            outcomes.append("ok")
        except BusinessRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=fund, args=(name,)) for name in ("manager", "manager2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    convention = Contract.objects.get(kind=ContractKind.FUNDING_CONVENTION)
    dossier.refresh_from_db()
    assert dossier.contract_line.axis.contract == convention
    assert YearlyAllocation.objects.get(
        funding_line__axis__contract=convention
    ).allocated_amount == (GRANTED)

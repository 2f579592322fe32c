"""Named situations of the workflow tests, built on the demo data set.

Each function brings a process to the step a test is about, through the same pages
and services as the users would; the decision under test is left for the test.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from contracts import services
from contracts.models import Contract, Milestone, YearlyAllocation
from territories.access import ROLE_GROUP_NAMES, Role
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)

from .helpers import client_for, complete, start
from .world import build_world

User = get_user_model()


def user(username: str):
    return User.objects.get(username=username)


def give_role(username: str, role: Role) -> None:
    """Add the group of ``role`` to a demo account (its scope stays as it is)."""
    user(username).groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))


def demo_contract() -> Contract:
    return build_world()["contract"]


def active_demo_contract() -> Contract:
    """Return the Aube et Sézannais contract in force, approved and signed on 29 August 2025
    through the services (no process)."""
    contract = demo_contract()
    services.submit_contract(actor=user("manager2"), contract=contract)
    services.approve_contract(
        actor=user("validator"),
        contract=contract,
        at=datetime(2025, 8, 29, 9, tzinfo=ZoneInfo("Europe/Paris")),
    )
    services.record_signature(
        actor=user("manager2"),
        contract=contract,
        signature_date=date(2025, 8, 29),
        signatories="DG ARS Grand Est ; directeur HCS",
    )
    contract.refresh_from_db()
    return contract


def submitted_approval(contract: Contract, by: str = "manager"):
    """Return an approval process whose contract ``by`` submitted (waits at ``approve``)."""
    response, process = start(client_for(by), ContractApprovalFlow.start, {"contract": contract.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    return process


def prepared_delegation(contract: Contract, year: int = 2025, by: str = "manager"):
    """Return a delegation process prepared by ``by`` (waits at ``approve``)."""
    response, process = start(
        client_for(by), CreditDelegationFlow.start, {"contract": contract.pk, "year": year}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return process


def delegated_allocation(contract: Contract, code: str = "4.2", year: int = 2025):
    """Delegate ``year`` (prepared by manager2, approved by the validator); return one line."""
    delegation = services.prepare_credit_delegation(
        actor=user("manager2"), contract=contract, year=year
    )
    services.approve_credit_delegation(
        actor=user("validator"),
        delegation=delegation,
        decision_reference=f"DEL-{year}-001",
        decision_date=date(year, 9, 15),
    )
    return YearlyAllocation.objects.get(
        funding_line__axis__contract=contract, funding_line__code=code, year=year
    )


def prepared_recovery(contract: Contract, by: str = "manager"):
    """Return a closing process whose recovery ``by`` prepared (waits at ``approve_recovery``)."""
    allocation = delegated_allocation(contract)
    response, process = start(
        client_for(by), ConsumptionClosingFlow.start, {"allocation": allocation.pk}
    )
    assert response.status_code == 302
    response = complete(
        client_for("director"),
        process,
        ConsumptionClosingFlow.declare,
        {"consumed_amount": "3000.00", "non_compliant_amount": "0.00", "comment": ""},
    )
    assert response.status_code == 302
    response = complete(client_for(by), process, ConsumptionClosingFlow.check, {"mode": "RECOVER"})
    assert response.status_code == 302
    process.refresh_from_db()
    assert process.recovery is not None
    return process


def drafted_amendment(contract: Contract, by: str = "manager"):
    """Return an amendment process drafted by ``by`` (waits at ``approve``)."""
    response, process = start(
        client_for(by),
        AmendmentFlow.start,
        {"contract": contract.pk, "reason": "Nouvelle enveloppe.", "envelope_amount": "950000.00"},
        query=f"?contract={contract.pk}",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return process


def reported_milestone(contract: Contract, by: str = "director"):
    """Return a review process whose milestone ``by`` reported (waits at ``review``)."""
    milestone = Milestone.objects.get(
        axis__contract=contract, title="Assistant spécialiste en poste"
    )
    process = MilestoneReviewFlow.start.run(milestone=milestone)
    response = complete(
        client_for(by),
        process,
        MilestoneReviewFlow.report,
        {"actual_value": "1", "comment": "En poste."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return process

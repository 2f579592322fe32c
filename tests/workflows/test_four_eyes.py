"""Four-eyes on every decision, for a person who holds both the preparing and approving roles.

The demo account "manager" is given the approving role too; they prepare, then neither
the pages (queue, inbox, assign, bulk assign, execute) nor the services let them take
the decision. Another person then can, and the decision lands on the artifact.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.journal import AuditAction, record_event
from contracts import services
from contracts.exceptions import FourEyesError
from contracts.models import ContractStatus, DecisionStatus, MilestoneStatus
from territories.access import Role
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)

from . import scenarios
from .helpers import client_for, complete, open_task

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Decision:
    """One decision: how to bring it about, its node, and who may take it instead."""

    name: str
    extra_role: Role
    prepare: Any  # (contract) -> process waiting at ``node``, prepared by "manager"
    node: Any
    approve_data: dict
    other: str  # a person allowed to decide
    refusals: Any  # (actor, process) -> list of service calls, each must raise FourEyesError
    decided: Any  # (process) -> whether the artifact carries the approved decision


def _contract_refusals(actor, process):
    contract = process.contract
    return [
        lambda: services.approve_contract(actor=actor, contract=contract),
        lambda: services.return_contract(actor=actor, contract=contract, reason="Non."),
    ]


def _delegation_refusals(actor, process):
    delegation = process.delegation
    return [
        lambda: services.approve_credit_delegation(
            actor=actor,
            delegation=delegation,
            decision_reference="DEL-2025-999",
            decision_date=date(2025, 9, 15),
        ),
        lambda: services.reject_credit_delegation(
            actor=actor, delegation=delegation, reason="Non."
        ),
    ]


def _recovery_refusals(actor, process):
    recovery = process.recovery
    return [
        lambda: services.approve_recovery(actor=actor, recovery=recovery),
        lambda: services.reject_recovery(actor=actor, recovery=recovery, reason="Non."),
    ]


def _amendment_refusals(actor, process):
    amendment = process.amendment
    return [
        lambda: services.approve_amendment(actor=actor, amendment=amendment),
        lambda: services.reject_amendment(actor=actor, amendment=amendment, reason="Non."),
    ]


def _milestone_refusals(actor, process):
    milestone = process.milestone
    return [
        lambda: services.validate_milestone(actor=actor, milestone=milestone),
        lambda: services.request_milestone_changes(actor=actor, milestone=milestone, reason="Non."),
    ]


def changed_by_manager(process, artifact: str):
    """Return ``process`` after "manager" changed its decision (journaled as a change).

    Whatever path writes the change (a form, the API, an admin action), the journal holds
    who changed the decision's figures: that person drafted it as much as its preparer.
    """
    decision = getattr(process, artifact)
    record_event(
        actor=scenarios.user("manager"),
        action=AuditAction.CHANGE,
        obj=decision,
        contract=process.contract,
        summary="Proposition modifiée",
        changes={"amounts": {"before": "1", "after": "2"}},
    )
    return process


def _refreshed(process):
    process.refresh_from_db()
    return process


DECISIONS = [
    Decision(
        name="contract approval",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: scenarios.submitted_approval(scenarios.demo_contract()),
        node=ContractApprovalFlow.approve,
        approve_data={"decision": "APPROVED"},
        other="validator",
        refusals=_contract_refusals,
        decided=lambda p: _refreshed(p).contract.status == ContractStatus.APPROVED,
    ),
    Decision(
        # Issue 11: "manager" drafted the demo contract's figures; a colleague submits it.
        name="contract approval, drafted by the approver",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: scenarios.submitted_approval(
            scenarios.demo_contract(), by="manager2"
        ),
        node=ContractApprovalFlow.approve,
        approve_data={"decision": "APPROVED"},
        other="validator",
        refusals=_contract_refusals,
        decided=lambda p: _refreshed(p).contract.status == ContractStatus.APPROVED,
    ),
    Decision(
        name="credit delegation",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: scenarios.prepared_delegation(scenarios.active_demo_contract()),
        node=CreditDelegationFlow.approve,
        approve_data={
            "decision": "APPROVED",
            "decision_reference": "DEL-2025-044",
            "decision_date": "2025-09-15",
        },
        other="validator",
        refusals=_delegation_refusals,
        decided=lambda p: _refreshed(p).delegation.status == DecisionStatus.APPROVED,
    ),
    Decision(
        # Issue 11: "manager2" prepared the delegation, "manager" changed its amounts.
        name="credit delegation, changed by the approver",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: changed_by_manager(
            scenarios.prepared_delegation(scenarios.active_demo_contract(), by="manager2"),
            "delegation",
        ),
        node=CreditDelegationFlow.approve,
        approve_data={
            "decision": "APPROVED",
            "decision_reference": "DEL-2025-044",
            "decision_date": "2025-09-15",
        },
        other="validator",
        refusals=_delegation_refusals,
        decided=lambda p: _refreshed(p).delegation.status == DecisionStatus.APPROVED,
    ),
    Decision(
        name="recovery",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: scenarios.prepared_recovery(scenarios.active_demo_contract()),
        node=ConsumptionClosingFlow.approve_recovery,
        approve_data={"decision": "APPROVED"},
        other="validator",
        refusals=_recovery_refusals,
        decided=lambda p: _refreshed(p).recovery.status == DecisionStatus.APPROVED,
    ),
    Decision(
        name="amendment",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: scenarios.drafted_amendment(scenarios.active_demo_contract()),
        node=AmendmentFlow.approve,
        approve_data={"decision": "APPROVED"},
        other="validator",
        refusals=_amendment_refusals,
        decided=lambda p: _refreshed(p).amendment.status == DecisionStatus.APPROVED,
    ),
    Decision(
        # Issue 11: "manager2" drafted the amendment, "manager" changed its proposal.
        name="amendment, changed by the approver",
        extra_role=Role.ARS_VALIDATOR,
        prepare=lambda contract: changed_by_manager(
            scenarios.drafted_amendment(scenarios.active_demo_contract(), by="manager2"),
            "amendment",
        ),
        node=AmendmentFlow.approve,
        approve_data={"decision": "APPROVED"},
        other="validator",
        refusals=_amendment_refusals,
        decided=lambda p: _refreshed(p).amendment.status == DecisionStatus.APPROVED,
    ),
    Decision(
        name="milestone validation",
        # The manager enters the GHT's values (they hold the GHT director's role too).
        extra_role=Role.GHT_DIRECTOR,
        prepare=lambda contract: scenarios.reported_milestone(
            scenarios.active_demo_contract(), by="manager"
        ),
        node=MilestoneReviewFlow.review,
        approve_data={"decision": "APPROVED"},
        other="manager2",
        refusals=_milestone_refusals,
        decided=lambda p: _refreshed(p).milestone.status == MilestoneStatus.VALIDATED,
    ),
]


@pytest.fixture(params=DECISIONS, ids=[decision.name for decision in DECISIONS])
def prepared(request):
    """Return the decision and its process, prepared (or drafted) by "manager" who holds
    both roles."""
    decision = request.param
    scenarios.demo_contract()
    scenarios.give_role("manager", decision.extra_role)
    process = decision.prepare(None)
    return decision, process


def task_url(node, name, task):
    return node.reverse(name, args=[task.process_id, task.pk])


def listed(client, url_name, task) -> bool:
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return f"/{task.pk}/" in response.content.decode()


class TestThePreparerHoldingBothRoles:
    def test_does_not_find_the_decision_in_their_queue_or_inbox(self, prepared):
        decision, process = prepared
        task = open_task(process, decision.node)
        manager = client_for("manager")
        assert not listed(manager, "workflow:queue", task)
        assert not listed(manager, "workflow:inbox", task)
        # Positive control: the other person does find it.
        assert listed(client_for(decision.other), "workflow:queue", task)

    def test_cannot_take_the_decision_through_the_pages(self, prepared):
        decision, process = prepared
        task = open_task(process, decision.node)
        manager = client_for("manager")

        assert manager.post(task_url(decision.node, "assign", task)).status_code in (403, 404)
        bulk = manager.post(reverse("workflow:tasks_assign"), {"pk": [task.pk], "_confirm": "1"})
        assert bulk.status_code in (403, 404)
        task.refresh_from_db()
        assert (task.owner_id, task.status) == (None, STATUS.NEW)

        # Even a task handed to them (by an administrator, say) stays out of reach.
        Task.objects.filter(pk=task.pk).update(owner=scenarios.user("manager"), status="ASSIGNED")
        execute_url = task_url(decision.node, "execute", task)
        assert manager.get(execute_url).status_code in (403, 404)
        assert manager.post(execute_url, decision.approve_data).status_code in (403, 404)
        task.refresh_from_db()
        assert task.status == STATUS.ASSIGNED
        assert not decision.decided(process)

    def test_cannot_take_the_decision_through_the_services(self, prepared):
        decision, process = prepared
        manager = scenarios.user("manager")
        for call in decision.refusals(manager, process):
            with pytest.raises(FourEyesError):
                call()
        assert not decision.decided(process)


class TestAnotherPerson:
    def test_takes_the_decision_the_preparer_could_not(self, prepared):
        decision, process = prepared
        response = complete(
            client_for(decision.other), process, decision.node, decision.approve_data
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert decision.decided(process)
        assert not Task.objects.filter(
            process=process, flow_task=decision.node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).exists()
        assert _refreshed(process).status in (PROCESS.NEW, PROCESS.DONE)

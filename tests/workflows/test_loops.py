"""Every loop closes: back to the contract with a message, a rejected amendment back to
its author prefilled, Back after a task answered in plain French."""

import html
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.journal import AuditEvent
from contracts.models import Amendment
from workflows.flows import AmendmentFlow, ContractApprovalFlow

from . import scenarios
from .helpers import client_for, complete, open_task

pytestmark = pytest.mark.django_db


def test_after_a_decision_the_user_lands_on_the_contract_with_a_french_message():
    contract = scenarios.demo_contract()
    process = scenarios.submitted_approval(contract)
    client = client_for("validator")
    task = open_task(process, ContractApprovalFlow.approve)
    client.post(ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk]))

    response = client.post(
        ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk]),
        {"decision": "APPROVED"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("Valider le contrat" in text and "enregistré" in text for text in texts), texts


def test_back_after_a_task_shows_a_plain_french_page_with_a_link_to_the_contract():
    contract = scenarios.demo_contract()
    process = scenarios.submitted_approval(contract)
    task = open_task(process, ContractApprovalFlow.approve)
    url = ContractApprovalFlow.approve.reverse("execute", args=[process.pk, task.pk])
    client = client_for("validator")
    client.post(ContractApprovalFlow.approve.reverse("assign", args=[process.pk, task.pk]))
    assert client.post(url, {"decision": "APPROVED"}).status_code == 302

    response = client.get(url)

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Cette étape est déjà faite" in page
    assert f'href="/contracts/{contract.pk}/"' in page
    assert "no transition" not in page
    assert "403" not in page


class TestARejectedAmendment:
    def rejected(self):
        contract = scenarios.active_demo_contract()
        process = scenarios.drafted_amendment(contract)
        response = complete(
            client_for("validator"),
            process,
            AmendmentFlow.approve,
            {"decision": "RETURNED", "reason": "L'enveloppe dépasse la notification."},
        )
        assert response.status_code == 302
        return contract, process

    def test_comes_back_to_its_author_prefilled_with_the_reason(self):
        contract, process = self.rejected()

        task = open_task(process, AmendmentFlow.revise)
        assert task.owner.username == "manager"
        assert task.status == STATUS.ASSIGNED
        assert task.flow_task.task_title == "Corriger et soumettre à nouveau"
        response = client_for("manager").get(
            AmendmentFlow.revise.reverse("execute", args=[process.pk, task.pk])
        )
        page = html.unescape(response.content.decode())
        assert response.status_code == 200
        assert "L'enveloppe dépasse la notification." in page
        assert 'value="950000.00"' in page
        assert "Nouvelle enveloppe." in page

    def test_corrected_goes_back_to_the_validator(self):
        contract, process = self.rejected()

        response = complete(
            client_for("manager"),
            process,
            AmendmentFlow.revise,
            {
                "action": "RESUBMIT",
                "contract": contract.pk,
                "reason": "Enveloppe ramenée à la notification.",
                "envelope_amount": "920000.00",
            },
        )

        assert response.status_code == 302, response.content.decode()[:3000]
        process.refresh_from_db()
        assert process.amendment.proposed["envelope_amount"] == "920000.00"
        assert Amendment.objects.filter(contract=contract).count() == 2
        assert Task.objects.filter(
            process=process, flow_task=AmendmentFlow.approve, status=STATUS.NEW
        ).exists()

    def test_can_be_abandoned(self):
        contract, process = self.rejected()
        events = AuditEvent.objects.count()

        response = complete(
            client_for("manager"), process, AmendmentFlow.revise, {"action": "ABANDON"}
        )

        assert response.status_code == 302
        process.refresh_from_db()
        assert process.finished is not None
        assert Amendment.objects.filter(contract=contract).count() == 1
        assert AuditEvent.objects.count() >= events
        assert Decimal(contract.envelope_amount) == contract.envelope_amount

"""What people type when submitting, resubmitting or revising is kept and shown in the history."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from audit.journal import AuditEvent
from contracts.models import Contract, ContractStatus
from demo.loader import load_demo
from workflows.flows import ContractApprovalFlow, CreditDelegationFlow

from . import scenarios
from .helpers import client_for, complete, start

pytestmark = pytest.mark.django_db


def reasons(contract) -> list[str]:
    return list(
        AuditEvent.objects.filter(contract_id=contract.pk)
        .exclude(reason="")
        .order_by("id")
        .values_list("reason", flat=True)
    )


class TestTheContractApprovalComments:
    def test_are_kept_in_the_journal_and_shown_in_the_history(self):
        with time_machine.travel(datetime(2025, 8, 25, 8, tzinfo=UTC), tick=True):
            load_demo()
            contract = Contract.objects.get(status=ContractStatus.DRAFT)
            manager, validator = client_for("manager"), client_for("validator")
            _, process = start(
                manager,
                ContractApprovalFlow.start,
                {"contract": contract.pk, "comment": "Première version, axes validés avec le GHT."},
            )
            complete(
                validator,
                process,
                ContractApprovalFlow.approve,
                {"decision": "RETURNED", "reason": "Préciser les bénéficiaires."},
            )
            complete(
                manager,
                process,
                ContractApprovalFlow.revise,
                {"comment": "Bénéficiaires précisés sur l'axe 2."},
            )

        assert reasons(contract) == [
            "Première version, axes validés avec le GHT.",
            "Préciser les bénéficiaires.",
            "Bénéficiaires précisés sur l'axe 2.",
        ]
        page = client_for("auditor").get(reverse("audit:timeline", args=[contract.pk]))
        content = page.content.decode()
        assert "Première version, axes validés avec le GHT." in content
        assert "Bénéficiaires précisés sur l&#x27;axe 2." in content


class TestTheDelegationRevisionComment:
    def test_is_kept_with_the_new_preparation(self):
        contract = scenarios.active_demo_contract()
        _, process = start(
            client_for("manager"),
            CreditDelegationFlow.start,
            {"contract": contract.pk, "year": 2025},
        )
        complete(
            client_for("validator"),
            process,
            CreditDelegationFlow.approve,
            {"decision": "RETURNED", "reason": "Montant de la ligne IPA à revoir."},
        )
        complete(
            client_for("manager"),
            process,
            CreditDelegationFlow.revise,
            {"comment": "Ligne IPA ramenée à un étudiant."},
        )

        assert reasons(contract)[-2:] == [
            "Montant de la ligne IPA à revoir.",
            "Ligne IPA ramenée à un étudiant.",
        ]

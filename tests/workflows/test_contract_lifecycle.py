"""The Aube et Sézannais demo contract driven through the five flows, over HTTP.

Each step is taken by the demo account whose role it is, through the real task pages
and permission checks; the contract's figures and the processes' states are asserted
after every step. Time is moved and ``workflow_timers`` fires the milestone timers.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.journal import AuditEvent
from contracts.models import (
    Amendment,
    Contract,
    ContractStatus,
    CreditDelegation,
    DecisionStatus,
    FundingLine,
    Milestone,
    MilestoneStatus,
    Recovery,
    YearlyAllocation,
)
from contracts.money import format_euros
from tests.workflows.world import build_world
from workflows.flows import (
    AmendmentFlow,
    ConsumptionClosingFlow,
    ContractApprovalFlow,
    CreditDelegationFlow,
    MilestoneReviewFlow,
)
from workflows.models import ContractProcess

from .helpers import client_for, complete, open_task, signed_pdf, start

pytestmark = pytest.mark.django_db


def at(*args):
    """Return a moment in UTC for time_machine (Paris is UTC+1/+2)."""
    return datetime(*args, tzinfo=UTC)


def allocation(contract, code, year):
    return YearlyAllocation.objects.get(
        funding_line__axis__contract=contract, funding_line__code=code, year=year
    )


def year_total(contract, year, field):
    return YearlyAllocation.objects.filter(
        funding_line__axis__contract=contract, year=year
    ).aggregate(total=Sum(field))["total"]


def approve_contract(contract):
    manager, validator = client_for("manager"), client_for("validator")
    _, process = start(manager, ContractApprovalFlow.start, {"contract": contract.pk})
    complete(validator, process, ContractApprovalFlow.approve, {"decision": "APPROVED"})
    complete(
        manager,
        process,
        ContractApprovalFlow.sign,
        {
            "signature_date": "2025-08-29",
            "signatories": "DG ARS Grand Est ; directeur HCS",
            "signed_document": signed_pdf(),
        },
    )
    return process


def delegate(contract, year):
    _, process = start(
        client_for("manager"),
        CreditDelegationFlow.start,
        {"contract": contract.pk, "year": year},
    )
    complete(
        client_for("validator"),
        process,
        CreditDelegationFlow.approve,
        {
            "decision": "APPROVED",
            "decision_reference": f"DEL-{year}-001",
            "decision_date": f"{year}-09-15",
        },
    )
    return process


class TestContractApprovalFlow:
    def test_takes_the_demo_contract_from_draft_to_signed_with_one_send_back(self):
        with time_machine.travel(at(2025, 8, 29, 8), tick=True):
            build_world()
            contract = Contract.objects.get()
            manager, validator = client_for("manager"), client_for("validator")

            response, process = start(
                manager, ContractApprovalFlow.start, {"contract": contract.pk}
            )
            assert response.status_code == 302
            contract.refresh_from_db()
            assert contract.status == ContractStatus.SUBMITTED

            # A send-back without a reason is refused and keeps the page.
            response = complete(
                validator, process, ContractApprovalFlow.approve, {"decision": "RETURNED"}
            )
            assert response.status_code == 400
            assert "Indiquez le motif du renvoi" in response.content.decode()
            contract.refresh_from_db()
            assert contract.status == ContractStatus.SUBMITTED

            complete(
                validator,
                process,
                ContractApprovalFlow.approve,
                {"decision": "RETURNED", "reason": "Préciser les bénéficiaires de l'axe 2."},
            )
            contract.refresh_from_db()
            assert contract.status == ContractStatus.DRAFT
            assert open_task(process, ContractApprovalFlow.revise)

            complete(manager, process, ContractApprovalFlow.revise, {"comment": "Précisé."})
            complete(validator, process, ContractApprovalFlow.approve, {"decision": "APPROVED"})
            contract.refresh_from_db()
            assert contract.status == ContractStatus.APPROVED
            assert contract.approved_by.username == "validator"

            response = complete(
                manager,
                process,
                ContractApprovalFlow.sign,
                {
                    "signature_date": "2025-08-29",
                    "signatories": "DG ARS ; directeur HCS",
                    "signed_document": signed_pdf(),
                },
            )
            assert response.status_code == 302

        contract.refresh_from_db()
        process.refresh_from_db()
        assert contract.status == ContractStatus.ACTIVE
        assert contract.signature_date == date(2025, 8, 29)
        assert process.status == PROCESS.DONE
        reasons = AuditEvent.objects.filter(contract_id=contract.pk).values_list(
            "reason", flat=True
        )
        assert "Préciser les bénéficiaires de l'axe 2." in reasons


class TestTheWholeLifeOfTheDemoContract:
    def test_approval_delegation_review_closing_and_amendment(
        self, django_capture_on_commit_callbacks
    ):
        send_mails = django_capture_on_commit_callbacks
        with time_machine.travel(at(2025, 8, 29, 8), tick=True):
            build_world()
            contract = Contract.objects.get()
            approve_contract(contract)
            contract.refresh_from_db()
            assert contract.status == ContractStatus.ACTIVE

        # 2025 credit delegation: money moves only at the approved step (decided today:
        # a decision date in the future is refused).
        with time_machine.travel(at(2025, 9, 10, 8), tick=True):
            allocated_2025 = year_total(contract, 2025, "allocated_amount")
            assert allocated_2025 == Decimal("170900.00")
            _, process = start(
                client_for("manager"),
                CreditDelegationFlow.start,
                {"contract": contract.pk, "year": 2025},
            )
            assert year_total(contract, 2025, "delegated_amount") == 0
            mail.outbox.clear()
            with send_mails(execute=True):
                complete(
                    client_for("validator"),
                    process,
                    CreditDelegationFlow.approve,
                    {
                        "decision": "APPROVED",
                        "decision_reference": "DEL-2025-044",
                        "decision_date": "2025-09-10",
                    },
                )
            process.refresh_from_db()
            assert process.status == PROCESS.DONE
            assert year_total(contract, 2025, "delegated_amount") == allocated_2025
            delegation = CreditDelegation.objects.get(contract=contract, year=2025)
            assert delegation.status == DecisionStatus.APPROVED
            assert delegation.decision_reference == "DEL-2025-044"
            assert [message.to for message in mail.outbox] == [["director@ars.invalid"]]

        # A milestone review opens 30 days ahead, reminds, then escalates.
        milestone = Milestone.objects.get(
            axis__contract=contract, title="Assistant spécialiste en poste"
        )
        assert milestone.due_date == date(2025, 11, 30)
        with time_machine.travel(at(2025, 10, 20, 8), tick=True):
            call_command("open_due_processes")
            assert not ContractProcess.objects.filter(milestone=milestone).exists()
        with time_machine.travel(at(2025, 11, 5, 8), tick=True):
            call_command("open_due_processes")
            review = ContractProcess.objects.get(milestone=milestone)
            assert open_task(review, MilestoneReviewFlow.report)
            call_command("workflow_timers")
            assert review.__class__.objects.get(pk=review.pk).reminded_at is None
        with time_machine.travel(at(2025, 11, 23, 9, 30), tick=True):
            mail.outbox.clear()
            with send_mails(execute=True):
                call_command("workflow_timers")
            review.refresh_from_db()
            assert review.reminded_at is not None
            assert review.escalated_at is None
            assert [message.to for message in mail.outbox] == [["director@ars.invalid"]]
        with time_machine.travel(at(2025, 12, 1, 8), tick=True):
            mail.outbox.clear()
            with send_mails(execute=True):
                call_command("workflow_timers")
            review.refresh_from_db()
            assert review.escalated_at is not None
            assert open_task(review, MilestoneReviewFlow.follow_up)
            assert [message.to for message in mail.outbox] == [
                ["manager2@ars.invalid", "manager@ars.invalid"]
            ]
            complete(
                client_for("director"),
                review,
                MilestoneReviewFlow.report,
                {"actual_value": "1", "comment": "ASTP en poste depuis le 1er décembre."},
            )
            milestone.refresh_from_db()
            assert milestone.status == MilestoneStatus.SUBMITTED
            complete(
                client_for("manager"), review, MilestoneReviewFlow.review, {"decision": "APPROVED"}
            )
            complete(
                client_for("manager"),
                review,
                MilestoneReviewFlow.follow_up,
                {"comment": "GHT relancé le 1er décembre ; déclaration reçue."},
            )
        milestone.refresh_from_db()
        review.refresh_from_db()
        assert milestone.status == MilestoneStatus.VALIDATED
        assert milestone.actual_value == Decimal("1.00")
        assert review.status == PROCESS.DONE

        # Consumption closing of the 2025 PET line, with a recovery.
        pet_2025 = allocation(contract, "4.2", 2025)
        assert pet_2025.delegated_amount == Decimal("5400.00")
        with time_machine.travel(at(2026, 1, 15, 8), tick=True):
            _, closing = start(
                client_for("manager"), ConsumptionClosingFlow.start, {"allocation": pet_2025.pk}
            )
            complete(
                client_for("director"),
                closing,
                ConsumptionClosingFlow.declare,
                {"consumed_amount": "3000.00", "non_compliant_amount": "400.00", "comment": ""},
            )
            complete(
                client_for("manager"), closing, ConsumptionClosingFlow.check, {"mode": "RECOVER"}
            )
            closing.refresh_from_db()
            recovery = Recovery.objects.get(allocation=pet_2025)
            assert (recovery.unused_amount, recovery.non_compliant_amount, recovery.amount) == (
                Decimal("2400.00"),
                Decimal("400.00"),
                Decimal("2800.00"),
            )
            complete(
                client_for("validator"),
                closing,
                ConsumptionClosingFlow.approve_recovery,
                {"decision": "APPROVED"},
            )
        closing.refresh_from_db()
        pet_2025.refresh_from_db()
        assert closing.status == PROCESS.DONE
        assert (pet_2025.consumed_amount, pet_2025.recovered_amount) == (
            Decimal("3000.00"),
            Decimal("2800.00"),
        )

        # An amendment moves money between lines and a milestone date.
        recruitment_cell = FundingLine.objects.get(axis__contract=contract, code="1.1")
        time_tools = FundingLine.objects.get(axis__contract=contract, code="5.2")
        house = Milestone.objects.get(axis__contract=contract, title="Maison des internes ouverte")
        with time_machine.travel(at(2026, 2, 2, 8), tick=True):
            _, amending = start(
                client_for("manager"),
                AmendmentFlow.start,
                {
                    "contract": contract.pk,
                    "reason": "Réaffectation vers les outils de gestion du temps.",
                    f"allocation_{recruitment_cell.pk}_2026": "35000.00",
                    f"allocation_{time_tools.pk}_2026": "45000.00",
                    f"milestone_{house.pk}": "2026-12-31",
                },
                query=f"?contract={contract.pk}",
            )
            assert amending is not None
            validator = client_for("validator")
            task = open_task(amending, AmendmentFlow.approve)
            validator.post(AmendmentFlow.approve.reverse("assign", args=[amending.pk, task.pk]))
            page = validator.get(
                AmendmentFlow.approve.reverse("execute", args=[amending.pk, task.pk])
            )
            assert "Avenant n° 1 : différences proposées" in page.content.decode()
            assert format_euros(Decimal("35000")) in page.content.decode()
            complete(validator, amending, AmendmentFlow.approve, {"decision": "APPROVED"})
        contract.refresh_from_db()
        house.refresh_from_db()
        amending.refresh_from_db()
        assert amending.status == PROCESS.DONE
        assert contract.version == 2
        assert Amendment.objects.get(contract=contract).status == DecisionStatus.APPROVED
        assert allocation(contract, "1.1", 2026).allocated_amount == Decimal("35000.00")
        assert allocation(contract, "5.2", 2026).allocated_amount == Decimal("45000.00")
        assert year_total(contract, 2026, "allocated_amount") == Decimal("384600.00")
        assert house.due_date == date(2026, 12, 31)
        total = YearlyAllocation.objects.filter(funding_line__axis__contract=contract).aggregate(
            total=Sum("allocated_amount")
        )["total"]
        assert total == Decimal("900000.00")
        assert not Task.objects.filter(
            process__in=ContractProcess.objects.filter(contract=contract),
            status__in=[STATUS.ERROR],
        ).exists()

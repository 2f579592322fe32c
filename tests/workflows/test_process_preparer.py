"""The preparer of a waiting decision is a column of its process row (issue 17).

``steps.complete_step`` records who completed each step; the queue's four-eyes exclusion
compares that column on the processes in scope instead of joining every decision table,
and the task checks read it too. The migration that added it filled existing rows.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from viewflow.workflow.models import Task

from territories.access import Role
from workflows.flows import ContractApprovalFlow, CreditDelegationFlow
from workflows.models import ContractProcess

from . import scenarios
from .helpers import client_for, complete, open_task

pytestmark = pytest.mark.django_db


def listed(username, task) -> bool:
    response = client_for(username).get(reverse("workflow:queue"))
    assert response.status_code == 200
    return f"/{task.pk}/" in response.content.decode()


def test_each_step_records_who_completed_it_on_the_process():
    process = scenarios.submitted_approval(scenarios.demo_contract(), by="manager")
    process.refresh_from_db()
    assert process.preparer == scenarios.user("manager")

    response = complete(
        client_for("validator"), process, ContractApprovalFlow.approve, {"decision": "APPROVED"}
    )

    assert response.status_code == 302
    process.refresh_from_db()
    assert process.preparer == scenarios.user("validator")


def test_the_queue_and_the_task_check_read_the_preparer_column():
    scenarios.demo_contract()
    process = scenarios.prepared_delegation(scenarios.active_demo_contract(), by="manager2")
    task = open_task(process, CreditDelegationFlow.approve)
    validator = scenarios.user("validator")
    assert listed("validator", task)
    assert not CreditDelegationFlow.approve.is_preparer(validator, task)

    # The same decision, recorded as prepared by the validator: hidden and refused.
    ContractProcess.objects.filter(pk=process.pk).update(preparer=validator)
    task = Task.objects.select_related("process__contractprocess").get(pk=task.pk)

    assert not listed("validator", task)
    assert CreditDelegationFlow.approve.is_preparer(validator, task)
    assert listed("manager", task) is False  # manager holds no approving role here
    scenarios.give_role("manager", Role.ARS_VALIDATOR)
    assert listed("manager", task)


def test_the_migration_fills_the_preparer_of_existing_processes():
    scenarios.demo_contract()
    process = scenarios.prepared_delegation(scenarios.active_demo_contract(), by="manager2")
    migration = importlib.import_module("workflows.migrations.0006_process_preparer")

    def backfilled():
        ContractProcess.objects.update(preparer=None)
        migration.backfill_preparers(apps, None)
        return ContractProcess.objects.get(pk=process.pk).preparer

    assert backfilled() == scenarios.user("manager2")  # waiting: its preparer
    response = complete(
        client_for("validator"),
        process,
        CreditDelegationFlow.approve,
        {
            "decision": "APPROVED",
            "decision_reference": "DEL-2025-044",
            "decision_date": "2025-09-15",
        },
    )
    assert response.status_code == 302
    assert backfilled() == scenarios.user("validator")  # decided: who completed it last

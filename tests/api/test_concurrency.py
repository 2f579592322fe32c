"""Races through the API: one of two simultaneous approvals wins, the other gets 409;
a lock still held gets 409 with ``Retry-After``. Never a 500."""

import threading

import pytest
from django.db import connection, transaction
from viewflow.workflow import lock as viewflow_lock
from viewflow.workflow.exceptions import FlowLockFailed

from contracts.models import CreditDelegation
from territories.access import Role
from tests.api.conftest import token_client
from tests.api.world import demo_user
from tests.contracts.factories import user_with_role
from tests.workflows import scenarios
from workflows import steps
from workflows.models import ContractProcess


def approve(client, delegation_id):
    return client.post(
        f"/api/v1/delegations/{delegation_id}/decision/",
        {
            "decision": "APPROVED",
            "decision_reference": "DEL-2026-001",
            "decision_date": "2026-09-15",
        },
        format="json",
    )


@pytest.mark.django_db
def test_a_held_lock_is_a_409_with_retry_after(monkeypatch):
    process = scenarios.prepared_delegation(scenarios.active_demo_contract(), year=2026)

    def held(**kwargs):
        raise FlowLockFailed("Lock failed")

    monkeypatch.setattr(steps, "run_task", held)
    response = approve(token_client(demo_user("validator")), process.delegation_id)
    assert response.status_code == 409
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith("Quelqu'un d'autre agit en ce moment")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_give_one_200_and_one_409():
    process = scenarios.prepared_delegation(scenarios.active_demo_contract(), year=2026)
    second = user_with_role(Role.ARS_VALIDATOR, region=process.region, username="lea")
    clients = [token_client(demo_user("validator")), token_client(second)]
    barrier = threading.Barrier(2)
    statuses = []

    def call(client):
        try:
            barrier.wait()
            statuses.append(approve(client, process.delegation_id).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert CreditDelegation.objects.get(pk=process.delegation_id).status == "APPROVED"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_another_request_holds_the_lock_the_answer_is_409_retry_after(monkeypatch):
    monkeypatch.setattr(viewflow_lock.time, "sleep", lambda seconds: None)
    process = scenarios.prepared_delegation(scenarios.active_demo_contract(), year=2026)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                ContractProcess.objects.select_for_update().filter(pk=process.pk).exists()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        response = approve(token_client(demo_user("validator")), process.delegation_id)
    finally:
        release.set()
        holder.join()
    assert response.status_code == 409
    assert response["Retry-After"] == "5"
    assert CreditDelegation.objects.get(pk=process.delegation_id).status == "PREPARED"

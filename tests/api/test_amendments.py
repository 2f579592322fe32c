"""An ARS manager drafts an amendment through the API: the page's step, form checks and
flow; a validator approves it through the API; scope, role and field errors as elsewhere."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from contracts.models import Amendment, YearlyAllocation
from territories.access import Role
from tests.api.conftest import token_client
from tests.api.world import demo_user
from tests.contracts.factories import hospital_group_with_support, user_with_role
from tests.workflows import scenarios
from workflows.flows import AmendmentFlow
from workflows.models import ContractProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    return scenarios.active_demo_contract()


@pytest.fixture
def allocation(contract):
    return (
        YearlyAllocation.objects.filter(funding_line__axis__contract=contract)
        .order_by("funding_line__code", "year")
        .first()
    )


def api(username: str):
    return token_client(demo_user(username))


def draft(client, contract, body):
    return client.post(f"/api/v1/contracts/{contract.pk}/amendments/", body, format="json")


def test_the_manager_drafts_and_the_validator_approves(contract, allocation):
    new_amount = allocation.allocated_amount - Decimal("1000.00")
    response = draft(
        api("manager"),
        contract,
        {
            "reason": "Ligne revue à la baisse.",
            "allocations": [
                {
                    "line": allocation.funding_line_id,
                    "year": allocation.year,
                    "amount": str(new_amount),
                }
            ],
        },
    )
    assert response.status_code == 201, response.content
    process = ContractProcess.objects.get(pk=response.json()["process"])
    amendment = process.amendment
    assert (amendment.status, amendment.prepared_by) == ("PREPARED", demo_user("manager"))
    assert process.contract == contract
    assert process.flow_class is AmendmentFlow
    drafted = AuditEvent.objects.get(summary=f"Avenant n° {amendment.number} rédigé")
    assert (drafted.changes["channel"], drafted.actor) == ("api", demo_user("manager"))

    decided = api("validator").post(
        f"/api/v1/amendments/{amendment.pk}/decision/", {"decision": "APPROVED"}, format="json"
    )
    assert decided.status_code == 200, decided.content
    allocation.refresh_from_db()
    contract.refresh_from_db()
    assert allocation.allocated_amount == new_amount
    assert contract.version == amendment.base_version + 1


def test_a_director_gets_403(contract):
    response = draft(
        api("director"), contract, {"reason": "Enveloppe.", "envelope_amount": "950000.00"}
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not Amendment.objects.filter(contract=contract).exists()


def test_a_manager_of_another_region_gets_404(contract):
    outsider = user_with_role(Role.ARS_MANAGER, region=hospital_group_with_support().region)
    response = draft(
        token_client(outsider), contract, {"reason": "Enveloppe.", "envelope_amount": "950000.00"}
    )
    assert response.status_code == 404
    assert not Amendment.objects.filter(contract=contract).exists()


def test_a_negative_amount_is_a_400_naming_the_field(contract, allocation):
    response = draft(
        api("manager"),
        contract,
        {
            "reason": "Erreur.",
            "allocations": [
                {"line": allocation.funding_line_id, "year": allocation.year, "amount": "-5"}
            ],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["allocations[0].amount"]
    assert not Amendment.objects.filter(contract=contract).exists()


def test_the_page_checks_name_the_api_field(contract, allocation):
    """Over the envelope: the page's own check, under the API's field name, in French."""
    response = draft(
        api("manager"),
        contract,
        {"reason": "Trop.", "envelope_amount": "1.00"},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == "envelope_amount"
    assert "dépasse l'enveloppe" in errors[0]["message"]


def test_a_line_of_another_year_or_contract_names_the_line(contract):
    response = draft(
        api("manager"),
        contract,
        {"reason": "Ligne.", "allocations": [{"line": 0, "year": 2025, "amount": "1"}]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "allocations[0].line"


def test_nothing_changed_is_a_400(contract):
    response = draft(api("manager"), contract, {"reason": "Rien."})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "L'avenant ne change aucun montant ni aucune date."
    )

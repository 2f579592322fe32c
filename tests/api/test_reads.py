"""Reads: content, filtering, ordering, pagination, and constant query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.checkpoints import take_checkpoint
from audit.journal import AuditAction, record_event
from audit.models import AuditEvent
from territories.access import Role
from tests.api.conftest import token_client
from tests.contracts.factories import ContractFactory, user_with_role

pytestmark = pytest.mark.django_db


def queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(captured)


class TestContracts:
    def test_the_list_shows_the_money_of_each_contract(self, contract, manager):
        body = token_client(manager).get("/api/v1/contracts/").json()
        assert body["count"] == 1
        row = body["results"][0]
        assert row["reference"] == contract.reference
        assert row["figures"]["allocated"] == "180000.00"  # 2 lines x 3 years x 30,000
        assert row["figures"]["to_delegate"] == "180000.00"

    def test_the_detail_has_axes_lines_years_and_milestones(self, contract, director):
        body = token_client(director).get(f"/api/v1/contracts/{contract.pk}/").json()
        assert [axis["number"] for axis in body["axes"]] == [1, 2]
        line = body["axes"][0]["lines"][0]
        assert [(y["year"], y["allocated"]) for y in line["years"]] == [
            (2025, "30000.00"),
            (2026, "30000.00"),
            (2027, "30000.00"),
        ]
        assert len(body["axes"][0]["milestones"]) == 3
        assert [y["year"] for y in body["years"]] == [2025, 2026, 2027]

    def test_filters_and_ordering(self, contract, manager):
        ContractFactory(
            hospital_group=contract.hospital_group,
            region=contract.region,
            reference="CAT-ZZZ",
            start_date=date(2026, 1, 1),
        )
        client = token_client(manager)
        refs = lambda params: [  # noqa: E731
            c["reference"] for c in client.get("/api/v1/contracts/", params).json()["results"]
        ]
        assert refs({"ordering": "reference"}) == sorted([contract.reference, "CAT-ZZZ"])
        assert refs({"ordering": "-reference"}) == sorted([contract.reference, "CAT-ZZZ"])[::-1]
        assert refs({"reference": "zzz"}) == ["CAT-ZZZ"]
        assert refs({"active_on": "2025-06-01"}) == [contract.reference]
        assert refs({"hospital_group": "nope"}) == []

    def test_a_bad_filter_value_is_a_400_naming_the_field(self, contract, manager):
        response = token_client(manager).get("/api/v1/contracts/", {"status": "NOPE"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "status"

    @pytest.mark.parametrize("value", ["abc", "0", "99999999999999999999999"])
    def test_a_malformed_id_is_a_404(self, contract, manager, value):
        response = token_client(manager).get(f"/api/v1/contracts/{value}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"

    def test_the_list_costs_the_same_queries_for_1_and_50_rows(self, contract, manager):
        client = token_client(manager)
        client.get("/api/v1/contracts/")  # the token's last use is written once a minute
        one = queries_for(client, "/api/v1/contracts/")
        for _ in range(49):
            ContractFactory(
                hospital_group=contract.hospital_group, region=contract.region, with_lines=True
            )
        assert queries_for(client, "/api/v1/contracts/") == one


class TestTerritories:
    def test_a_ght_lists_its_members(self, contract, director):
        body = (
            token_client(director)
            .get(f"/api/v1/hospital-groups/{contract.hospital_group.code}/")
            .json()
        )
        assert {m["role"] for m in body["members"]} == {"SUPPORT", "MEMBER"}

    def test_an_establishment_is_found_by_finess(self, contract, director):
        finess = contract.carrier_establishment.finess
        body = token_client(director).get(f"/api/v1/establishments/{finess}/").json()
        assert body["finess"] == finess

    def test_the_director_sees_the_region_of_their_ght(self, contract, director):
        body = token_client(director).get("/api/v1/regions/").json()
        assert [r["code"] for r in body["results"]] == [contract.region.code]


def journal_events(contract, count: int) -> None:
    with transaction.atomic():
        for number in range(count):
            record_event(
                actor=None,
                action=AuditAction.CHANGE,
                obj=contract,
                summary=f"Événement {number}",
            )


class TestJournal:
    def test_events_come_by_cursor_in_journal_order(self, contract, auditor):
        journal_events(contract, 5)
        client = token_client(auditor)
        page = client.get("/api/v1/journal/", {"taille": 3}).json()
        ids, pages = [e["id"] for e in page["results"]], 1
        while page["next"]:
            page = client.get(page["next"]).json()
            ids += [e["id"] for e in page["results"]]
            pages += 1
        assert pages > 1
        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids) == AuditEvent.objects.count()
        assert {e["stream"] for e in page["results"]} <= {f"contract:{contract.pk}", "rights"}

    def test_the_head_is_the_last_checkpoint_with_every_stream_head(self, contract, auditor):
        journal_events(contract, 2)
        client = token_client(auditor)  # journals the token, in the rights' stream
        checkpoint = take_checkpoint()
        head = client.get("/api/v1/journal/head/").json()
        last = AuditEvent.objects.filter(contract_id=contract.pk).order_by("id").last()
        assert (head["checkpoint"], head["hash"]) == (checkpoint.number, checkpoint.hash)
        assert head["streams"][f"contract:{contract.pk}"] == {
            "sequence": last.sequence,
            "hash": last.hash,
        }
        assert head["event_count"] == AuditEvent.objects.count()

    def test_filters_by_contract_and_action(self, contract, auditor):
        journal_events(contract, 2)
        other = ContractFactory()
        journal_events(other, 1)
        rows = (
            token_client(auditor)
            .get("/api/v1/journal/", {"contract": other.pk, "action": "CHANGE"})
            .json()["results"]
        )
        assert [r["summary"] for r in rows] == ["Événement 0"]

    def test_the_list_costs_the_same_queries_for_1_and_50_rows(self, contract, manager):
        client = token_client(manager)
        client.get("/api/v1/journal/")
        base = AuditEvent.objects.filter(contract_id=contract.pk).count()
        journal_events(contract, 1)
        params = {"contract": contract.pk, "taille": 50}
        one = queries_for(client, "/api/v1/journal/", params)
        journal_events(contract, 49)
        assert AuditEvent.objects.filter(contract_id=contract.pk).count() == base + 50
        assert queries_for(client, "/api/v1/journal/", params) == one


class TestRoles:
    def test_a_user_without_a_role_sees_nothing(self, contract):
        nobody = user_with_role(Role.AUDITOR)  # a role, no scope
        body = token_client(nobody).get("/api/v1/contracts/").json()
        assert body["results"] == []

    def test_money_is_a_decimal_string(self, contract, auditor):
        row = token_client(auditor).get("/api/v1/contracts/").json()["results"][0]
        assert Decimal(row["envelope_amount"]) == contract.envelope_amount

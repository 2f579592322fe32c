"""The auditor's journal search: French full text on PostgreSQL (GIN index), ``icontains``
on SQLite, scope applied in SQL, the same number of queries for 1 and 50 results."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import search
from audit.journal import AuditAction, AuditEvent, record_event
from reporting.history.selectors import TimelineFilters, searchable_events, sorted_once_found
from territories.access import Role
from tests.contracts.factories import ContractFactory, user_with_role

pytestmark = pytest.mark.django_db


def journal(contract, summary: str, reason: str = "") -> None:
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.CHANGE,
            contract=contract,
            summary=summary,
            reason=reason,
        )


def found(user, text: str) -> list[str]:
    return [row["e_summary"] for row in searchable_events(user, TimelineFilters(text=text))]


@pytest.fixture
def auditor():
    return user_with_role(Role.AUDITOR, national=True)


class TestTheSearch:
    def test_finds_a_french_word_with_its_accent(self, auditor):
        contract = ContractFactory()
        journal(contract, "Délégation de crédits approuvée")
        journal(contract, "Jalon validé")
        assert found(auditor, "délégation") == ["Délégation de crédits approuvée"]

    @pytest.mark.postgres
    def test_finds_the_plural_and_other_forms_of_a_word_on_postgresql(self, auditor):
        contract = ContractFactory()
        journal(contract, "Délégation de crédits approuvée", reason="Revue des indicateurs")
        journal(contract, "Jalon validé")
        assert found(auditor, "délégations") == ["Délégation de crédits approuvée"]
        assert found(auditor, "approuvées") == ["Délégation de crédits approuvée"]
        assert found(auditor, "indicateur") == ["Délégation de crédits approuvée"]
        assert found(auditor, "délégations -approuvée") == []

    def test_keeps_to_the_user_s_scope(self):
        mine, other = ContractFactory(), ContractFactory()
        journal(mine, "Délégation de crédits approuvée")
        journal(other, "Délégation de crédits refusée")
        validator = user_with_role(Role.ARS_VALIDATOR, region=mine.region)
        assert found(validator, "délégation") == ["Délégation de crédits approuvée"]

    def test_the_page_takes_the_same_number_of_queries_for_1_and_50_results(self, auditor):
        client = Client()
        client.force_login(auditor)
        contract = ContractFactory()

        def queries_with(count):
            for index in range(count):
                journal(contract, f"Délégation de crédits n° {index}")
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("audit:search") + "?q=délégation")
            assert response.status_code == 200
            assert len(response.context["entries"]) == min(
                AuditEvent.objects.filter(summary__startswith="Délégation").count(), 50
            )
            return len(captured)

        assert queries_with(1) == queries_with(49)


@pytest.mark.postgres
class TestTheSearchIndex:
    def test_is_used_by_the_search(self, auditor):
        queryset = searchable_events(auditor, TimelineFilters(text="délégations"))
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert search.INDEX in plan, plan


class TestTheSearchCount:
    def test_past_the_cap_the_page_says_more_than_and_lists_the_newest(self, auditor, monkeypatch):
        from reporting.history import selectors, views

        monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
        monkeypatch.setattr(views, "SEARCH_CAP", 3)
        contract = ContractFactory()
        for index in range(5):
            journal(contract, f"Délégation de crédits n° {index}")
        client = Client()
        client.force_login(auditor)
        response = client.get(reverse("audit:search") + "?q=délégation")
        html = response.content.decode()
        assert "Plus de 3 événements" in html
        assert "les 3 plus récents sont listés" in html
        assert response.context["page_obj"].paginator.count == 3
        assert [entry.summary for entry in response.context["entries"]] == [
            f"Délégation de crédits n° {index}" for index in (4, 3, 2)
        ]

    def test_under_the_cap_the_page_gives_the_exact_count(self, auditor):
        contract = ContractFactory()
        for index in range(2):
            journal(contract, f"Délégation de crédits n° {index}")
        client = Client()
        client.force_login(auditor)
        html = client.get(reverse("audit:search") + "?q=délégation").content.decode()
        assert "2 événements" in html and "Plus de" not in html

    def test_a_few_matches_come_in_the_same_order_sorted_once_found(self, auditor):
        contract = ContractFactory()
        for index in range(4):
            journal(contract, f"Délégation de crédits n° {index}")
        filters = TimelineFilters(text="délégation")
        newest_first = [row["e_id"] for row in searchable_events(auditor, filters)]
        events = searchable_events(auditor, filters)
        assert [row["e_id"] for row in sorted_once_found(events)] == newest_first
        assert len(newest_first) == 4

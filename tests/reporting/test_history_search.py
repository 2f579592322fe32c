"""The auditor's journal search: French full text on PostgreSQL (GIN index), ``icontains``
on SQLite, scope applied in SQL (on PostgreSQL by the GHTs' scope tokens, inside the
index), the same number of queries for 1 and 50 results."""

import importlib
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import search
from audit.journal import AuditAction, AuditEvent, record_event
from audit.triggers import has_append_only_triggers, install_append_only_triggers
from audit.verify import verify_journal
from benchmarks.journal_writer import bulk_stream_writer
from reporting.history.selectors import TimelineFilters, searchable_events, sorted_once_found
from territories.access import Role
from tests.contracts.factories import ContractFactory, hospital_group_with_support, user_with_role

SCOPE_MIGRATION = importlib.import_module("contracts.migrations.0012_journal_event_scope")

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

    def test_keeps_a_director_to_their_ght_within_the_region(self):
        mine = ContractFactory()
        neighbour = ContractFactory(hospital_group=hospital_group_with_support(region=mine.region))
        assert neighbour.hospital_group_id != mine.hospital_group_id
        journal(mine, "Délégation de crédits approuvée")
        journal(neighbour, "Délégation de crédits refusée")
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=mine.hospital_group)
        manager = user_with_role(Role.ARS_MANAGER, region=mine.region)
        assert found(director, "délégation") == ["Délégation de crédits approuvée"]
        assert sorted(found(manager, "délégation")) == [
            "Délégation de crédits approuvée",
            "Délégation de crédits refusée",
        ]

    def test_a_user_without_a_ght_finds_nothing(self):
        journal(ContractFactory(), "Délégation de crédits approuvée")
        assert found(user_with_role(Role.ARS_MANAGER), "délégation") == []

    def test_no_text_of_an_event_reaches_another_ght_s_search(self):
        mine, other = ContractFactory(), ContractFactory()
        ght = mine.hospital_group_id
        journal(mine, "Délégation de crédits approuvée")
        for text in (f"ght {ght}", f"GHT {ght}", f"'ght {ght}'", f"g:{ght}", f"/ght {ght}/"):
            journal(other, f"Délégation {text}", reason=text)
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=mine.hospital_group)
        assert found(director, "délégation") == ["Délégation de crédits approuvée"]
        assert found(director, f'"ght {ght}"') == []

    def test_excluded_words_alone_keep_to_the_scope(self):
        mine, other = ContractFactory(), ContractFactory()
        journal(mine, "Jalon validé")
        journal(mine, "Délégation de crédits approuvée")
        journal(other, "Jalon refusé")
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=mine.hospital_group)
        if search.has_scope_tokens():
            assert found(director, "-délégation") == ["Jalon validé"]
            assert sorted(found(director, "jalon or -délégation")) == ["Jalon validé"]
        assert found(director, "jalon") == ["Jalon validé"]

    @pytest.mark.postgres
    def test_a_phrase_is_found_in_a_scope_as_in_the_country(self, auditor):
        contract = ContractFactory()
        journal(contract, "Jalon validé par l'ARS")
        journal(contract, "Validé : jalon suivant")
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=contract.hospital_group)
        assert found(director, '"jalon validé"') == ["Jalon validé par l'ARS"]
        assert found(auditor, '"jalon validé"') == ["Jalon validé par l'ARS"]

    @pytest.mark.postgres
    def test_a_text_of_stop_words_alone_finds_nothing_in_a_scope(self):
        contract = ContractFactory()
        journal(contract, "Délégation de crédits approuvée")
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        assert found(manager, "de la") == []

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


def search_plan(user, text: str) -> str:
    """Return the PostgreSQL plan of ``user``'s search for ``text`` (no sequential scan)."""
    sql, params = searchable_events(user, TimelineFilters(text=text)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
class TestTheSearchIndex:
    def test_is_used_by_the_search(self, auditor):
        plan = search_plan(auditor, "délégations")
        assert search.INDEX in plan, plan

    def test_is_asked_for_the_words_and_the_scope_at_once(self):
        contract = ContractFactory()
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        plan = search_plan(manager, "délégations")
        condition = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert search.INDEX in plan, plan
        # The words as this GHT's words: the index lists this scope's matches alone.
        assert f"déleg@{contract.hospital_group_id}" in condition, plan
        assert "'déleg'" not in condition, plan

    def test_the_parser_never_yields_a_scope_token_nor_a_qualified_word(self):
        texts = [
            "ght 12 GHT 12 ght  12 'ght 12' \"ght 12\" ght\t12",
            "http://example.fr/ght 12 www.example.fr:80/ght 12 ght 12@example.fr",
            "<a title='ght 12'>ght 12</a> /var/ght 12 1/ght 12 ght-12 ght_12",
            "aven@12 déleg@12 jean@12.fr a@b.12 a@1.2.3.4 x@12:80 'aven@12' mailto:x@12",
        ]
        with connection.cursor() as cursor:
            for text in texts:
                cursor.execute(
                    "SELECT tsvector_to_array(to_tsvector('french', %s)),"
                    " websearch_to_tsquery('french', %s)::text",
                    [text, text],
                )
                lexemes, query = cursor.fetchone()
                lexemes += re.findall(r"'((?:[^']|'')*)'", query)
                assert lexemes
                # Neither a GHT's token nor a word qualified by a GHT (``aven@12``).
                assert not [lexeme for lexeme in lexemes if " " in lexeme], (text, lexemes)
                assert not [w for w in lexemes if re.search(r"@\d+$", w)], (text, lexemes)


class TestAnEventsGht:
    def test_is_its_contract_s_copied_at_append(self):
        contract = ContractFactory()
        journal(contract, "Jalon validé")
        event = AuditEvent.objects.get()
        assert event.hospital_group_id == contract.hospital_group_id
        assert verify_journal().is_valid

    def test_is_none_outside_a_contract(self):
        journal(None, "Région créée")
        assert AuditEvent.objects.get().hospital_group_id is None

    def test_the_migration_fills_it_for_past_events_and_keeps_the_journal_whole(self):
        contract = ContractFactory()
        guarded = install_append_only_triggers(connection)
        with bulk_stream_writer() as writer:
            writer.append(
                f"contract:{contract.pk}",
                occurred_at=timezone.now(),
                actor_id=None,
                actor_name="",
                action=AuditAction.CHANGE.value,
                contract_id=contract.pk,
                object_type="contracts.Contract",
                object_id=str(contract.pk),
                object_label=contract.reference,
                summary="Délégation de crédits approuvée (avant la migration)",
                reason="",
            )
        event = AuditEvent.objects.get()
        assert event.hospital_group_id is None

        SCOPE_MIGRATION.fill(None, connection.schema_editor())

        assert AuditEvent.objects.get().hospital_group_id == contract.hospital_group_id
        assert verify_journal().is_valid
        director = user_with_role(Role.GHT_DIRECTOR, hospital_group=contract.hospital_group)
        assert found(director, "délégation") == [
            "Délégation de crédits approuvée (avant la migration)"
        ]
        assert has_append_only_triggers(connection) == guarded


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

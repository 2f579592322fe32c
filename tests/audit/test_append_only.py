"""The journal refuses every change: in the model layer everywhere, in the database on PostgreSQL."""

import importlib

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from audit.checkpoints import take_checkpoint
from audit.journal import AuditEvent, AuditStream
from audit.models import AuditCheckpoint
from audit.triggers import CHECKPOINT_TABLES, HEAD_TABLE, TABLE, has_append_only_triggers
from audit.verify import verify_journal
from contracts import services
from contracts.models import ContractStatus
from territories.access import Role
from tests.audit.builders import append_events
from tests.contracts.factories import ContractFactory, make_ready, user_with_role

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("audit.migrations.0002_append_only_triggers")


class TestTheModelLayer:
    def test_refuses_to_save_an_existing_event(self):
        (event,) = append_events(1)
        event.summary = "falsifié"
        with pytest.raises(PermissionError):
            event.save()
        with pytest.raises(PermissionError):
            event.save(update_fields=["summary"])

    def test_refuses_to_delete_an_event(self):
        (event,) = append_events(1)
        with pytest.raises(PermissionError):
            event.delete()

    def test_refuses_queryset_update_delete_and_bulk_update(self):
        events = append_events(2)
        for event in events:
            event.summary = "falsifié"
        with pytest.raises(PermissionError), transaction.atomic():
            AuditEvent.objects.filter(pk=events[0].pk).update(summary="falsifié")
        with pytest.raises(PermissionError), transaction.atomic():
            AuditEvent.objects.all().delete()
        with pytest.raises(PermissionError), transaction.atomic():
            AuditEvent.objects.bulk_update(events, ["summary"])
        assert not AuditEvent.objects.filter(summary="falsifié").exists()
        assert AuditEvent.objects.count() == 2

    def test_keeps_the_events_of_a_deleted_user_unchanged(self):
        user = user_with_role(Role.ARS_MANAGER)
        (event,) = append_events(1, actor=user)
        get_user_model().objects.filter(pk=user.pk).delete()
        kept = AuditEvent.objects.values_list("actor_id", "actor_name", "hash").get(pk=event.pk)
        assert kept == (user.pk, user.username, event.hash)


class TestAChangeWhoseEventCannotBeWritten:
    def test_is_rolled_back(self, monkeypatch):
        contract = make_ready(ContractFactory(with_lines=True))
        manager = user_with_role(Role.ARS_MANAGER, region=contract.region)
        events = AuditEvent.objects.count()

        def refuse(connection, event, key, digest):
            raise DatabaseError("journal plein")

        monkeypatch.setattr("audit.journal._append", refuse)
        with pytest.raises(DatabaseError):
            services.submit_contract(actor=manager, contract=contract)

        contract.refresh_from_db()
        assert contract.status == ContractStatus.DRAFT
        assert AuditEvent.objects.count() == events
        assert verify_journal().is_valid  # the head taken for the lost event rolled back too


def refused_sql(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as error:
        assert "ajout seul" in str(error)
        return True
    return False


@pytest.mark.postgres
class TestThePostgresTriggers:
    @pytest.fixture
    def triggers(self, db):
        """Install the triggers with the migration's own code, inside this test's transaction."""
        with connection.cursor() as cursor:
            # No deferred foreign-key check pending: TRUNCATE must meet the trigger itself.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor(atomic=False) as editor:
            MIGRATION.install(None, editor)
        assert has_append_only_triggers(connection)

    def test_refuse_raw_update_delete_and_truncate(self, triggers):
        append_events(2)
        assert refused_sql(
            f"UPDATE {TABLE} SET summary = 'falsifié' WHERE id = (SELECT min(id) FROM {TABLE})"
        )
        assert refused_sql(f"DELETE FROM {TABLE} WHERE id = (SELECT max(id) FROM {TABLE})")
        assert refused_sql(f"TRUNCATE {TABLE}")
        assert AuditEvent.objects.count() == 2
        assert not AuditEvent.objects.filter(summary="falsifié").exists()

    def test_let_appends_through(self, triggers):
        append_events(3)
        assert AuditEvent.objects.count() == 3

    def test_are_removed_by_the_reverse_migration(self, triggers):
        with connection.schema_editor(atomic=False) as editor:
            MIGRATION.uninstall(None, editor)
        assert not has_append_only_triggers(connection)
        append_events(1)
        assert not refused_sql(
            f"UPDATE {TABLE} SET reason = 'x' WHERE id = (SELECT min(id) FROM {TABLE})"
        )


STREAM_MIGRATION = importlib.import_module("audit.migrations.0004_stream_and_checkpoint_triggers")


@pytest.mark.postgres
class TestTheStreamAndCheckpointTriggers:
    @pytest.fixture
    def triggers(self, db):
        """Install both migrations' triggers, inside this test's transaction."""
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor(atomic=False) as editor:
            MIGRATION.install(None, editor)
            STREAM_MIGRATION.install(None, editor)
        for table in CHECKPOINT_TABLES:
            assert has_append_only_triggers(connection, table)
        assert has_append_only_triggers(connection, HEAD_TABLE)

    def test_refuse_raw_changes_to_checkpoints(self, triggers):
        append_events(2)
        take_checkpoint()
        for table in CHECKPOINT_TABLES:
            assert refused_sql(f"UPDATE {table} SET hash = 'falsifié'")
            assert refused_sql(f"DELETE FROM {table}")
            assert refused_sql(f"TRUNCATE {table} CASCADE")
        assert AuditCheckpoint.objects.count() == 1

    def test_let_a_head_move_one_event_forward_only(self, triggers):
        events = append_events(3)  # the journal's own appends go through
        where = f"WHERE id = {events[0].stream_id}"
        assert refused_sql(f"UPDATE {HEAD_TABLE} SET last_sequence = 2 {where}")
        assert refused_sql(f"UPDATE {HEAD_TABLE} SET last_hash = md5(key) {where}")
        assert refused_sql(f"UPDATE {HEAD_TABLE} SET key = 'x' WHERE id = {events[0].stream_id}")
        assert refused_sql(f"DELETE FROM {HEAD_TABLE} {where}")
        assert refused_sql(f"TRUNCATE {HEAD_TABLE} CASCADE")
        assert AuditStream.objects.get(pk=events[0].stream_id).last_sequence == 3
        take_checkpoint()
        assert verify_journal().is_valid

    def test_are_removed_by_the_reverse_migration(self, triggers):
        with connection.schema_editor(atomic=False) as editor:
            STREAM_MIGRATION.uninstall(None, editor)
        assert not has_append_only_triggers(connection, HEAD_TABLE)
        assert has_append_only_triggers(connection)  # migration 0002's stay

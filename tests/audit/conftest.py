"""Fixtures of the audit trail tests: small streams and raw-SQL tampering."""

import pytest
from django.db import connection

from audit.journal import GENESIS_HASH, HASHED_FIELDS, AuditEvent, chain_link, hash_values
from audit.triggers import APPEND_ONLY_TABLES, HEAD_TABLE

from .builders import append_events  # noqa: F401  (used by the tests of this folder)


class Tamper:
    """Change the journal behind the application's back, as an attacker with SQL would."""

    def execute(self, sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("{table}", "audit_auditevent"), params)

    def set(self, event: AuditEvent, /, **values) -> None:
        columns = ", ".join(f"{name} = %s" for name in values)
        self.execute(f"UPDATE {{table}} SET {columns} WHERE id = %s", [*values.values(), event.pk])

    def delete(self, event: AuditEvent) -> None:
        self.execute("DELETE FROM {table} WHERE id = %s", [event.pk])

    def rehash_from(self, event: AuditEvent, *, update_head: bool = True, previous=None) -> None:
        """Recompute the hashes of ``event`` and the next of its stream, as a careful forger."""
        stream = AuditEvent.objects.filter(stream_id=event.stream_id)
        if previous is None:
            previous = (
                stream.filter(sequence=event.sequence - 1).values_list("hash", flat=True).first()
            ) or GENESIS_HASH
        fields = ["stream__key", *HASHED_FIELDS[1:]]
        rows = stream.filter(sequence__gte=event.sequence).order_by("id")
        for pk, sequence, *values in list(rows.values_list("pk", "sequence", *fields)):
            new_hash = chain_link(previous, sequence, hash_values(values))
            self.execute(
                "UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s",
                [previous, new_hash, pk],
            )
            previous = new_hash
        if update_head:
            self.execute(
                "UPDATE audit_auditstream SET last_hash = %s WHERE id = %s",
                [previous, event.stream_id],
            )


@pytest.fixture
def tamper(db):
    """Return a ``Tamper``; on PostgreSQL the journal's triggers are off for this test only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Inside the test's transaction: rolled back with it. Checking the foreign keys
            # at once leaves no pending trigger event to forbid the ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in [*APPEND_ONLY_TABLES, HEAD_TABLE]:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    return Tamper()

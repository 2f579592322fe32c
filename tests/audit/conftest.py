"""Fixtures of the audit trail tests: a small chain and raw-SQL tampering."""

import pytest
from django.db import connection

from audit.journal import HASHED_FIELDS, AuditEvent, hash_values
from audit.triggers import TABLE

from .builders import append_events  # noqa: F401  (used by the tests of this folder)


class Tamper:
    """Change the journal behind the application's back, as an attacker with SQL would."""

    def execute(self, sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("{table}", TABLE), params)

    def set(self, at: int, /, **values) -> None:
        columns = ", ".join(f"{name} = %s" for name in values)
        self.execute(f"UPDATE {{table}} SET {columns} WHERE sequence = %s", [*values.values(), at])

    def delete(self, sequence: int) -> None:
        self.execute("DELETE FROM {table} WHERE sequence = %s", [sequence])

    def renumber(self, sequence: int, new_sequence: int) -> None:
        self.set(sequence, sequence=new_sequence)

    def rehash_from(self, sequence: int, *, update_head: bool = True, previous=None) -> None:
        """Recompute the hashes of ``sequence`` and after, as a careful forger would."""
        fields = [name for name in HASHED_FIELDS if name != "prev_hash"]
        if previous is None:
            previous = (
                AuditEvent.objects.filter(sequence=sequence - 1)
                .values_list("hash", flat=True)
                .first()
            ) or "0" * 64
        rows = AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence")
        for values in list(rows.values_list(*fields)):
            new_hash = hash_values([*values, previous])
            self.set(values[0], prev_hash=previous, hash=new_hash)
            previous = new_hash
        if update_head:
            self.execute("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [previous])


@pytest.fixture
def tamper(db):
    """Return a ``Tamper``; on PostgreSQL the journal's triggers are off for this test only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Inside the test's transaction: rolled back with it.
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    return Tamper()

"""Bulk-append valid journal events to their streams, chained as ``record_event`` chains them.

The benchmarks build journals of a million events: one ``record_event`` per event would
take hours. ``StreamWriter`` hashes each event in Python with ``audit.journal.hash_values``
and ``chain_link`` from its stream's head (an existing stream continues from its head),
inserts the events in raw batches and moves the heads once at the end, so
``verify_audit`` passes on what it wrote. Used by ``generate_national`` and
``benchmark_audit``; nothing else may write the journal this way.
"""

from contextlib import contextmanager

from django.db import connection, transaction

from audit.journal import (
    HASHED_FIELDS,
    AuditEvent,
    AuditStream,
    canonical_changes,
    chain_link,
    hash_values,
)
from audit.triggers import HEAD_TABLE

BATCH_SIZE = 5_000
_COLUMNS = ["stream", "sequence", *HASHED_FIELDS[1:], "prev_hash", "hash", "hospital_group_id"]


class StreamWriter:
    """Appends events in memory order; ``flush`` writes them and moves the heads."""

    def __init__(self, cursor):
        quote = connection.ops.quote_name
        columns = ", ".join(quote(AuditEvent._meta.get_field(name).column) for name in _COLUMNS)
        self._sql = (
            f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
        )
        self._cursor = cursor
        self._changes_field = AuditEvent._meta.get_field("changes")
        self._heads: dict[str, list] = {}  # key -> [id, last_sequence, prev_hash, last_hash]
        self._batch: list = []
        self.written = 0

    def open(self, keys) -> None:
        """Create the streams named by ``keys`` that do not exist yet, and read their heads."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._heads]
        for start in range(0, len(missing), 1_000):
            chunk = missing[start : start + 1_000]
            known = set(AuditStream.objects.filter(key__in=chunk).values_list("key", flat=True))
            AuditStream.objects.bulk_create(
                AuditStream(key=key) for key in chunk if key not in known
            )
            for pk, key, sequence, prev_hash, last_hash in AuditStream.objects.filter(
                key__in=chunk
            ).values_list("pk", "key", "last_sequence", "prev_hash", "last_hash"):
                self._heads[key] = [pk, sequence, prev_hash, last_hash]

    def append(
        self,
        key: str,
        *,
        occurred_at,
        changes: dict | None = None,
        hospital_group_id: int | None = None,
        **fields,
    ) -> None:
        """Append one event to stream ``key``; ``fields`` are the other ``HASHED_FIELDS``,
        ``hospital_group_id`` the contract's GHT, as ``record_event`` writes it."""
        if key not in self._heads:
            self.open([key])
        head = self._heads[key]
        changes = canonical_changes(changes or {})
        content = [key, occurred_at, *(fields[name] for name in HASHED_FIELDS[2:-1]), changes]
        sequence, prev_hash = head[1] + 1, head[3]
        event_hash = chain_link(prev_hash, sequence, hash_values(content))
        self._batch.append(
            [
                head[0],
                sequence,
                connection.ops.adapt_datetimefield_value(occurred_at),
                *content[2:-1],
                self._changes_field.get_db_prep_save(changes, connection),
                prev_hash,
                event_hash,
                hospital_group_id,
            ]
        )
        head[1:] = [sequence, prev_hash, event_hash]
        if len(self._batch) >= BATCH_SIZE:
            self._write()

    def _write(self) -> None:
        if self._batch:
            self._cursor.executemany(self._sql, self._batch)
            self.written += len(self._batch)
            self._batch = []

    def flush(self) -> None:
        self._write()
        AuditStream.objects.bulk_update(
            [
                AuditStream(pk=pk, last_sequence=sequence, prev_hash=prev, last_hash=last)
                for pk, sequence, prev, last in self._heads.values()
            ],
            ["last_sequence", "prev_hash", "last_hash"],
            batch_size=1_000,
        )


@contextmanager
def bulk_stream_writer():
    """Yield a ``StreamWriter`` in one transaction; its heads move when the block ends.

    On PostgreSQL the heads' trigger (one event forward at a time, migration audit/0004) is
    off for this transaction only: the heads jump to their last event at the end.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No deferred check may be pending when the table is altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {HEAD_TABLE} DISABLE TRIGGER USER")
        writer = StreamWriter(cursor)
        yield writer
        writer.flush()
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {HEAD_TABLE} ENABLE TRIGGER USER")
    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum keeps them in production: without them the
        # planner sorts the whole bulk-loaded table for each page.
        cursor.execute(f"ANALYZE {connection.ops.quote_name(AuditEvent._meta.db_table)}")

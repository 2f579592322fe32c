"""The append-only audit journal: one event per change, hash-chained.

Each event's hash covers its canonical content and the previous event's hash, so any
modification, deletion, insertion or reordering breaks the chain at a named event.
Appends are serialised by a lock on the single ``AuditChainHead`` row.
"""

import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent

__all__ = ["GENESIS_HASH", "AuditAction", "AuditChainHead", "AuditEvent"]


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def canonical_changes(changes: dict) -> dict:
    """Return ``changes`` as plain JSON values (decimals and dates as strings)."""
    return json.loads(json.dumps(changes, default=_json_default, sort_keys=True))


# The event fields a hash covers, in hashing order (``prev_hash`` last).
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "contract_id",
    "object_type",
    "object_id",
    "object_label",
    "summary",
    "reason",
    "changes",
    "prev_hash",
)

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
).encode


def hash_values(values) -> str:
    """Return the SHA-256 of one event's ``HASHED_FIELDS`` values, given in that order.

    The verification streams millions of rows as tuples: this positional form spares it
    building a dict per row; ``compute_hash`` is the same hash by field name.
    """
    values = list(values)
    values[1] = canonical_time(values[1])
    return hash_canonical_values(values)


def canonical_time(moment: datetime) -> str:
    """Return ``moment`` as hashed: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_canonical_values(values: list) -> str:
    """Return the hash of ``HASHED_FIELDS`` values whose date is already ``canonical_time``."""
    return hashlib.sha256(_dumps(values).encode("utf-8")).hexdigest()


def compute_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    contract_id: int | None,
    object_type: str,
    object_id: str,
    object_label: str,
    summary: str,
    reason: str,
    changes: dict,
    prev_hash: str,
) -> str:
    """Return the SHA-256 of an event's canonical content chained to ``prev_hash``."""
    return hash_values(
        [
            sequence,
            occurred_at,
            actor_id,
            actor_name,
            action,
            contract_id,
            object_type,
            object_id,
            object_label,
            summary,
            reason,
            changes,
            prev_hash,
        ]
    )


@dataclass(frozen=True)
class Change:
    """A before/after pair of one field."""

    before: object
    after: object


def diff_fields(before: dict, after: dict) -> dict:
    """Return ``{field: {"before": …, "after": …}}`` for the fields whose value changed."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


# The entry point of the changes being journaled, when it is not a page ("api"): set by
# the interface around its call into the domain, read by every event written meanwhile.
_channel: ContextVar[str] = ContextVar("journal_channel", default="")


@contextmanager
def journal_channel(name: str):
    """Mark every event recorded inside the block with ``changes["channel"] = name``."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


def record_event(
    *,
    actor,
    action: str,
    obj=None,
    contract=None,
    summary: str,
    reason: str = "",
    changes: dict | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_label: str | None = None,
) -> AuditEvent:
    """Append one event to the journal, in the caller's transaction.

    Must run inside the transaction of the change it records: if the event cannot be
    written, the change rolls back with it.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("record_event doit être appelé dans la transaction de la modification.")
    sequence, last_hash = _take_sequence(connection)
    channel = _channel.get()
    changes = canonical_changes({**(changes or {}), **({"channel": channel} if channel else {})})
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = actor.get_username() if actor_id else ""
    if contract is None and obj is not None and obj.__class__.__name__ == "Contract":
        contract = obj
    fields = {
        "sequence": sequence,
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "contract_id": contract.pk if contract is not None else None,
        "object_type": object_type or (obj._meta.label if obj is not None else ""),
        "object_id": object_id or (str(obj.pk) if obj is not None else ""),
        "object_label": (
            object_label if object_label is not None else (str(obj) if obj is not None else "")
        )[:255],
        "summary": summary[:255],
        "reason": reason,
        "changes": changes,
        "prev_hash": last_hash,
    }
    event = AuditEvent(**fields, hash=compute_hash(**fields))
    _insert_and_advance_head(connection, event)
    return event


# Every journaled write goes through the three statements below, in raw SQL: the ORM's
# query building cost more than the statements, and on PostgreSQL the insert and the head
# move share one round trip. The head row is the append lock: the first statement locks
# it until the caller's transaction ends.
_INSERTED_FIELDS = [*HASHED_FIELDS, "hash"]


def _head_table(connection) -> str:
    return connection.ops.quote_name(AuditChainHead._meta.db_table)


def _take_sequence(connection) -> tuple[int, str]:
    """Lock the chain head and take the next sequence; return it and the previous hash."""
    sql = (
        f"UPDATE {_head_table(connection)} SET last_sequence = last_sequence + 1 "
        "WHERE id = 1 RETURNING last_sequence, last_hash"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            AuditChainHead.objects.get_or_create(pk=1)
            cursor.execute(sql)
            row = cursor.fetchone()
    return row


def _insert_and_advance_head(connection, event: AuditEvent) -> None:
    """Insert ``event`` and make its hash the chain head's."""
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _INSERTED_FIELDS)
    values = [getattr(event, name) for name in _INSERTED_FIELDS]
    values[1] = connection.ops.adapt_datetimefield_value(values[1])
    values[11] = meta.get_field("changes").get_db_prep_save(values[11], connection)
    insert = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(values))}) RETURNING {quote(meta.pk.column)}"
    )
    advance = f"UPDATE {_head_table(connection)} SET last_hash = %s WHERE id = 1"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH inserted AS ({insert}) {advance} RETURNING (SELECT * FROM inserted)",
                [*values, event.hash],
            )
            event.pk = cursor.fetchone()[0]
        else:
            cursor.execute(insert, values)
            event.pk = cursor.fetchone()[0]
            cursor.execute(advance, [event.hash])
    event._state.adding = False
    event._state.db = connection.alias

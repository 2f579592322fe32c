"""The append-only audit journal: one event per change, in hash-chained streams.

Each event belongs to one stream (``stream_key``: its contract, its call for
applications, the territory registry, rights…) and its hash covers its canonical content,
its number in the stream and the previous event's hash, so any modification, deletion,
insertion or reordering breaks its stream at a named event. Appends to one stream are
serialised by a lock on that stream's head row only: two contracts never wait for each
other. ``audit.checkpoints`` chains every stream's head into one national chain.
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

from background.db import prepared

from .models import GENESIS_HASH, AuditAction, AuditEvent, AuditStream

__all__ = ["GENESIS_HASH", "AuditAction", "AuditEvent", "AuditStream"]


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def canonical_changes(changes: dict) -> dict:
    """Return ``changes`` as plain JSON values (decimals and dates as strings)."""
    return json.loads(json.dumps(changes, default=_json_default, sort_keys=True))


# The event fields its content digest covers, in hashing order. The stream is named by
# its key: an event moved to another stream no longer matches its hash.
HASHED_FIELDS = (
    "stream",
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
)

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
).encode


def hash_values(values) -> str:
    """Return the content digest of one event's ``HASHED_FIELDS`` values, in that order.

    The verification streams millions of rows as tuples: this positional form spares it
    building a dict per row.
    """
    values = list(values)
    values[1] = canonical_time(values[1])
    return hash_canonical_values(values)


def canonical_time(moment: datetime) -> str:
    """Return ``moment`` as hashed: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_canonical_values(values: list) -> str:
    """Return the digest of ``HASHED_FIELDS`` values whose date is already ``canonical_time``."""
    return hashlib.sha256(_dumps(values).encode("utf-8")).hexdigest()


def chain_link(prev_hash: str, sequence: int, digest: str) -> str:
    """Return an event's hash: its digest chained to its number and the previous hash.

    Deliberately simple so that the database computes the same link in the statement
    that moves the stream's head (``LINK_SQL``): the writer never reads the head first.
    """
    return hashlib.sha256(f"{prev_hash}:{sequence}:{digest}".encode("ascii")).hexdigest()


# ``chain_link`` in SQL, over the head row's previous values (``last_hash``, ``last_sequence``).
# PostgreSQL has ``sha256`` built in; on SQLite ``audit_chain_link`` is registered on every
# connection (``audit.apps``).
def link_sql(connection, prev: str, sequence: str, digest: str) -> str:
    if connection.vendor == "postgresql":
        return (
            f"encode(sha256(convert_to({prev} || ':' || ({sequence})::text || ':' || {digest}, "
            "'UTF8')), 'hex')"
        )
    return f"audit_chain_link({prev}, {sequence}, {digest})"


def compute_hash(*, sequence: int, prev_hash: str, **content) -> str:
    """Return an event's hash from its ``HASHED_FIELDS`` by name, ``sequence`` and ``prev_hash``."""
    return chain_link(prev_hash, sequence, hash_values([content[name] for name in HASHED_FIELDS]))


# Streams of the events that belong to no contract: one per call for applications, and one
# for each registry that changes rarely.
TERRITORIES_STREAM = "territories"
RIGHTS_STREAM = "rights"
GENERAL_STREAM = "general"
_RIGHTS_TYPES = ("auth.", "guardian.", "api.")


def stream_key(
    *,
    contract_id: int | None,
    obj=None,
    object_type: str = "",
    action: str = "",
    actor_id: int | None = None,
) -> str:
    """Return the stream an event belongs to: its contract's, else what its object says.

    Reads and exports outside any contract or call (the auditor's searches) go to their
    reader's stream: auditors searching at once never wait for each other either.
    """
    if contract_id is not None:
        return f"contract:{contract_id}"
    if obj is not None:
        if object_type == "calls.Campaign":
            return f"campaign:{obj.pk}"
        campaign_id = getattr(obj, "campaign_id", None)
        if campaign_id is not None:
            return f"campaign:{campaign_id}"
    if action in (AuditAction.VIEW, AuditAction.EXPORT) and actor_id is not None:
        return f"reader:{actor_id}"
    if object_type.startswith("territories."):
        return TERRITORIES_STREAM
    if object_type.startswith(_RIGHTS_TYPES):
        return RIGHTS_STREAM
    return GENERAL_STREAM


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


# Who drafted a decision, read from the journal once per step while ``one_step_reads`` runs:
# a step's task checks and its service ask the same question under the same lock, in
# the same transaction. A drafting event written meanwhile drops every answer kept.
_DRAFTING_ACTIONS = (AuditAction.CREATE, AuditAction.CHANGE, AuditAction.IMPORT, AuditAction.DELETE)
_step_reads: ContextVar[dict | None] = ContextVar("journal_step_reads", default=None)


@contextmanager
def one_step_reads():
    """Keep ``drafting_actors`` answers for the block (one step under its process lock).

    A nested block shares the outer one's answers.
    """
    if _step_reads.get() is not None:
        yield
        return
    token = _step_reads.set({})
    try:
        yield
    finally:
        _step_reads.reset(token)


def drafting_actors(key: tuple, read) -> frozenset:
    """Return ``read()`` (the actor ids of drafting events, ``key`` naming the question)
    as a frozenset, read once per ``one_step_reads`` block, every time outside one."""
    memo = _step_reads.get()
    if memo is None:
        return frozenset(read())
    if key not in memo:
        memo[key] = frozenset(read())
    return memo[key]


def remember_drafting_actors(key: tuple, actor_ids) -> None:
    """Keep ``actor_ids`` as the answer of ``drafting_actors`` for ``key`` in the running
    ``one_step_reads`` block (none: nothing kept), read with another statement of the step
    (``object_actors_column``)."""
    memo = _step_reads.get()
    if memo is not None:
        memo[key] = frozenset(actor_ids)


def object_actors_column(connection, object_type: str, object_id_sql: str, actions):
    """Return ``(sql, params)`` of a column giving ``object_actors`` for the object whose id
    is the SQL expression ``object_id_sql``, for another statement to read along (an array
    on PostgreSQL, ids joined by commas elsewhere: ``actor_ids`` reads both)."""
    text = "varchar" if connection.vendor == "postgresql" else "text"
    events = _actors_sql(connection, f"CAST({object_id_sql} AS {text})", len(actions))
    params = [object_type, *map(str, actions)]
    if connection.vendor == "postgresql":
        return f"ARRAY({events})", params
    actor = connection.ops.quote_name(AuditEvent._meta.get_field("actor").column)
    return f"(SELECT group_concat({actor}) FROM ({events}))", params


def actor_ids(value) -> list[int]:
    """Return the ids of a column of ``object_actors_column``."""
    if not value:
        return []
    if isinstance(value, str):
        return [int(part) for part in value.split(",")]
    return [int(part) for part in value]


_ACTORS_SQL: dict[tuple[str, int], str] = {}
_ACTORS_FIELDS = ("actor", "object_type", "object_id", "action")


def _actors_sql(connection, object_id_sql: str, action_count: int) -> str:
    """Return the journal's read of who journaled one of ``action_count`` actions on one
    object (parameters: its type, then the actions), its id the SQL ``object_id_sql``."""
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in _ACTORS_FIELDS}
    return (
        f"SELECT {column['actor']} FROM {quote(meta.db_table)} "
        f"WHERE {column['object_type']} = %s AND {column['object_id']} = {object_id_sql} "
        f"AND {column['action']} IN ({', '.join(['%s'] * action_count)}) "
        f"AND {column['actor']} IS NOT NULL"
    )


def object_actors(object_type: str, object_id: str, actions) -> list[int]:
    """Return the ids of the people who journaled one of ``actions`` on one object.

    The four-eyes checks ask it on every step (``contracts.models.four_eyes``), through
    the journal's object index; in raw SQL, built once, as the writes below: the ORM's
    query building cost more than the statement (issue 17).
    """
    connection = transaction.get_connection()
    key = (connection.vendor, len(actions))
    sql = _ACTORS_SQL.get(key)
    if sql is None:
        sql = _ACTORS_SQL[key] = _actors_sql(connection, "%s", len(actions))
    with prepared(connection), connection.cursor() as cursor:
        cursor.execute(sql, [object_type, object_id, *map(str, actions)])
        return [actor_id for (actor_id,) in cursor.fetchall()]


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
    stream: str | None = None,
) -> AuditEvent:
    """Append one event to its stream of the journal, in the caller's transaction.

    Must run inside the transaction of the change it records: if the event cannot be
    written, the change rolls back with it. The stream is the contract's, else derived from
    the object (``stream_key``), unless ``stream`` names it.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("record_event doit être appelé dans la transaction de la modification.")
    channel = _channel.get()
    changes = canonical_changes({**(changes or {}), **({"channel": channel} if channel else {})})
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = actor.get_username() if actor_id else ""
    if contract is None and obj is not None and obj.__class__.__name__ == "Contract":
        contract = obj
    object_type = object_type or (obj._meta.label if obj is not None else "")
    contract_id = contract.pk if contract is not None else None
    key = stream or stream_key(
        contract_id=contract_id,
        obj=obj,
        object_type=object_type,
        action=action,
        actor_id=actor_id,
    )
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        contract_id=contract_id,
        hospital_group_id=getattr(contract, "hospital_group_id", None),
        object_type=object_type,
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        object_label=(
            object_label if object_label is not None else (str(obj) if obj is not None else "")
        )[:255],
        summary=summary[:255],
        reason=reason,
        changes=changes,
    )
    memo = _step_reads.get()
    if memo and action in _DRAFTING_ACTIONS:
        memo.clear()
    digest = hash_values([key, *(getattr(event, name) for name in HASHED_FIELDS[1:])])
    _append(connection, event, key, digest)
    return event


# Every journaled write goes through the statements below, in raw SQL: the ORM's query
# building cost more than the statements. The stream's head row is the append lock: the
# upsert creates or locks it until the caller's transaction ends, takes the next number
# and chains the new hash in the database, so the writer never reads the head first. On
# PostgreSQL the event's insert rides in the same statement: one round trip per event.
# The contract's GHT last: written with the event, not hashed (``AuditEvent``).
_INSERTED_FIELDS = [*(name for name in HASHED_FIELDS if name != "stream"), "hospital_group_id"]
_CHANGES_POSITION = _INSERTED_FIELDS.index("changes")


def _head_upsert(connection) -> str:
    table = connection.ops.quote_name(AuditStream._meta.db_table)
    link = link_sql(connection, "s.last_hash", "s.last_sequence + 1", "%s")
    return (
        f"INSERT INTO {table} AS s (key, last_sequence, prev_hash, last_hash) "
        "VALUES (%s, 1, %s, %s) ON CONFLICT (key) DO UPDATE SET "
        "last_sequence = s.last_sequence + 1, prev_hash = s.last_hash, "
        f"last_hash = {link} "
        "RETURNING id, last_sequence, prev_hash, last_hash"
    )


def _append_statements(connection) -> tuple[str, ...]:
    """Return the statements appending one event on ``connection``'s database: one on
    PostgreSQL (the head's upsert and the insert), two elsewhere. Built once per vendor."""
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in _INSERTED_FIELDS]
    columns += ["stream_id", "sequence", "prev_hash", "hash"]
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        # INSERT … SELECT FROM head, not VALUES: the event's id is drawn once the head
        # row is locked, so ids grow with the numbers of each stream (the verification
        # reads in id order). The casts type the values a SELECT list leaves untyped.
        casts = [meta.get_field(name).cast_db_type(connection) for name in _INSERTED_FIELDS]
        return (
            f"WITH head AS ({_head_upsert(connection)}) "
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(f'%s::{cast}' for cast in casts)}, "
            "head.id, head.last_sequence, head.prev_hash, head.last_hash FROM head "
            "RETURNING id, stream_id, sequence, prev_hash, hash",
        )
    return (
        _head_upsert(connection),
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
    )


_STATEMENTS: dict[str, tuple[str, ...]] = {}
_CHANGES_FIELD = AuditEvent._meta.get_field("changes")


def _append(connection, event: AuditEvent, key: str, digest: str) -> None:
    statements = _STATEMENTS.get(connection.vendor)
    if statements is None:
        statements = _STATEMENTS[connection.vendor] = _append_statements(connection)
    values = [getattr(event, name) for name in _INSERTED_FIELDS]
    values[0] = connection.ops.adapt_datetimefield_value(values[0])
    values[_CHANGES_POSITION] = _CHANGES_FIELD.get_db_prep_save(
        values[_CHANGES_POSITION], connection
    )
    head_values = [key, GENESIS_HASH, chain_link(GENESIS_HASH, 1, digest), digest]
    with prepared(connection), connection.cursor() as cursor:
        if len(statements) == 1:
            cursor.execute(statements[0], [*head_values, *values])
            row = cursor.fetchone()
        else:
            cursor.execute(statements[0], head_values)
            head = cursor.fetchone()
            cursor.execute(statements[1], [*values, *head])
            row = (cursor.fetchone()[0], *head)
    event.pk, event.stream_id, event.sequence, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = connection.alias

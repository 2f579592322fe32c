"""National checkpoints: one chain over the heads of every stream of the journal.

A checkpoint records the head (number and hash) of each stream that moved since the
previous checkpoint, and its hash covers those heads and the previous checkpoint's hash.
Keeping the last checkpoint outside the database (``export_audit_head``) vouches for
every event of every stream up to the heads it saw: ``verify_audit --against`` finds
them unchanged, or names the stream and the event that differ.

Checkpoints are taken periodically (``take_audit_checkpoint``). Taking one reads the
heads without locking them, so writers never wait for it; two taken at once are
serialised by a database lock and never fork the national chain.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .journal import GENESIS_HASH, canonical_time
from .models import AuditCheckpoint, AuditCheckpointEntry, AuditStream

# The key of PostgreSQL's advisory lock held while a checkpoint is taken ("AUDITCKP").
LOCK_KEY = 0x4155444954434B50


def checkpoint_hash(
    *, number: int, taken_at: str, event_count: int, prev_hash: str, entries
) -> str:
    """Return a checkpoint's hash; ``taken_at`` is ``canonical_time``, ``entries`` are
    ``(stream key, sequence, hash)`` in any order."""
    payload = [number, taken_at, event_count, prev_hash, sorted(map(list, entries))]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _lock(connection) -> None:
    # SQLite's transactions are IMMEDIATE (config/settings/base.py): the atomic block
    # already holds the database's only write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _heads(connection) -> list[tuple[int, str, int, str, int]]:
    """Return every stream's committed head and the last sequence checkpointed, at once."""
    stream = connection.ops.quote_name(AuditStream._meta.db_table)
    entry = connection.ops.quote_name(AuditCheckpointEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, s.key, s.last_sequence, s.last_hash, "
            f"COALESCE((SELECT MAX(e.sequence) FROM {entry} e WHERE e.stream_id = s.id), 0) "
            f"FROM {stream} s"
        )
        return cursor.fetchall()


def take_checkpoint(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Chain the heads of the streams that moved since the last checkpoint; return it.

    When no stream moved, return the last checkpoint (``None`` for an empty journal)
    without adding one: calling it twice, or from two schedulers at once, is harmless.
    """
    with transaction.atomic():
        _lock(connection)
        last = AuditCheckpoint.objects.order_by("-number").first()
        heads = _heads(connection)
        moved = [
            (stream_id, key, sequence, head_hash)
            for stream_id, key, sequence, head_hash, checkpointed in heads
            if sequence > checkpointed
        ]
        if not moved:
            return last
        taken_at = now or timezone.now()
        number = last.number + 1 if last else 1
        prev_hash = last.hash if last else GENESIS_HASH
        event_count = sum(head[2] for head in heads)
        checkpoint = AuditCheckpoint(
            number=number,
            taken_at=taken_at,
            event_count=event_count,
            prev_hash=prev_hash,
            hash=checkpoint_hash(
                number=number,
                taken_at=canonical_time(taken_at),
                event_count=event_count,
                prev_hash=prev_hash,
                entries=[(key, sequence, head_hash) for _, key, sequence, head_hash in moved],
            ),
        )
        checkpoint.save()
        AuditCheckpointEntry.objects.bulk_create(
            AuditCheckpointEntry(
                checkpoint=checkpoint, stream_id=stream_id, sequence=sequence, hash=head_hash
            )
            for stream_id, _, sequence, head_hash in moved
        )
        return checkpoint


def heads_at(checkpoint: AuditCheckpoint) -> dict[str, tuple[int, str]]:
    """Return ``{stream key: (sequence, hash)}`` of every stream as ``checkpoint`` saw it."""
    latest = AuditCheckpointEntry.objects.filter(
        stream=OuterRef("pk"), checkpoint__number__lte=checkpoint.number
    ).order_by("-sequence")
    rows = (
        AuditStream.objects.annotate(
            seen_sequence=Subquery(latest.values("sequence")[:1]),
            seen_hash=Subquery(latest.values("hash")[:1]),
        )
        .filter(seen_sequence__isnull=False)
        .values_list("key", "seen_sequence", "seen_hash")
    )
    return {key: (sequence, head_hash) for key, sequence, head_hash in rows}


@dataclass(frozen=True)
class ExportedCheckpoint:
    """A checkpoint written outside the database by ``export_audit_head``."""

    day: date
    number: int
    hash: str
    taken_at: str
    event_count: int
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(
            {
                "date": self.day.isoformat(),
                "checkpoint": self.number,
                "hash": self.hash,
                "taken_at": self.taken_at,
                "event_count": self.event_count,
                "streams": {
                    key: {"sequence": sequence, "hash": head_hash}
                    for key, (sequence, head_hash) in sorted(self.heads.items())
                },
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "ExportedCheckpoint":
        data = json.loads(text)
        return cls(
            day=date.fromisoformat(data["date"]),
            number=int(data["checkpoint"]),
            hash=str(data["hash"]),
            taken_at=str(data["taken_at"]),
            event_count=int(data["event_count"]),
            heads={
                str(key): (int(head["sequence"]), str(head["hash"]))
                for key, head in data["streams"].items()
            },
        )


def export_checkpoint(*, today: date, take: bool = True) -> ExportedCheckpoint:
    """Return the last checkpoint (taken now first, unless ``take`` is false) for export."""
    checkpoint = take_checkpoint() if take else None
    checkpoint = checkpoint or AuditCheckpoint.objects.order_by("-number").first()
    if checkpoint is None:
        return ExportedCheckpoint(
            day=today, number=0, hash=GENESIS_HASH, taken_at="", event_count=0
        )
    return ExportedCheckpoint(
        day=today,
        number=checkpoint.number,
        hash=checkpoint.hash,
        taken_at=canonical_time(checkpoint.taken_at),
        event_count=checkpoint.event_count,
        heads=heads_at(checkpoint),
    )

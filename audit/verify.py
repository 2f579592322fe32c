"""Verify the journal's streams and the national chain of checkpoints.

The whole journal is read once, in id order (the table's), as plain tuples in keyset
pages (no model instances). Each event's hash is recomputed from its content, its number in its stream
and the previous hash of its stream, and checked against the stored one; each stream's
last event is checked against the stream's head. Then every checkpoint's hash is
recomputed and chained, and every head a checkpoint saw must still be its stream's event
with the same hash. The first problem found is reported with the stream and the event
(or the checkpoint) it concerns.
"""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, connections
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .checkpoints import ExportedCheckpoint, checkpoint_hash
from .journal import GENESIS_HASH, HASHED_FIELDS, _dumps, canonical_time
from .models import AuditCheckpoint, AuditCheckpointEntry, AuditEvent, AuditStream

CHUNK_SIZE = 20_000


class Problem:
    """The kinds of break, worded for the auditor."""

    MODIFIED = "MODIFIED"
    MISSING = "MISSING"
    DUPLICATE = "DUPLICATE"
    BROKEN_LINK = "BROKEN_LINK"
    HEAD_MISMATCH = "HEAD_MISMATCH"
    CHECKPOINT = "CHECKPOINT"
    EXPORTED = "EXPORTED"


@dataclass(frozen=True)
class ChainBreak:
    problem: str
    stream: str  # the stream's key ("" for a checkpoint)
    sequence: int  # the event (in its stream) or the checkpoint the break is found at
    message: str
    event_id: int | None = None


@dataclass(frozen=True)
class JournalReport:
    checked: int
    streams: int
    checkpoints: int
    last_checkpoint: int
    last_checkpoint_hash: str
    first_break: ChainBreak | None

    @property
    def is_valid(self) -> bool:
        return self.first_break is None


def stream_label(key: str) -> str:
    """Return a stream's name as the auditor reads it (« flux du contrat 42 »)."""
    kind, _sep, number = key.partition(":")
    labels = {
        "contract": _("flux du contrat %(id)s"),
        "campaign": _("flux de l'appel à candidatures %(id)s"),
        "reader": _("flux des consultations de l'utilisateur %(id)s"),
    }
    if number and kind in labels:
        return labels[kind] % {"id": number}
    return {
        "territories": _("flux du référentiel territorial"),
        "rights": _("flux des droits d'accès"),
        "general": _("flux général"),
    }.get(key, _("flux « %(key)s »") % {"key": key})


def _event_break(problem, key, sequence, event_id, message, **values) -> ChainBreak:
    where = _("Événement n° %(sequence)s du %(stream)s") % {
        "sequence": sequence,
        "stream": stream_label(key),
    }
    if event_id is not None:
        where += _(" (id %(id)s)") % {"id": event_id}
    return ChainBreak(problem, key, sequence, f"{where} {message % values}", event_id)


def _checkpoint_break(problem, number, message, **values) -> ChainBreak:
    where = _("Point de contrôle n° %(number)s") % {"number": number}
    return ChainBreak(problem, "", number, f"{where} {message % values}")


def _sqlite_time(text: str) -> str:
    # Django stores an aware datetime in SQLite as ``str()`` of its naive UTC value:
    # "YYYY-MM-DD HH:MM:SS[.ffffff]". Slicing it is many times faster than parsing it.
    if len(text) == 26:
        return f"{text[:10]}T{text[11:]}Z"
    if len(text) == 19:
        return f"{text[:10]}T{text[11:]}.000000Z"
    return canonical_time(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=connection.timezone)
    return datetime.fromisoformat(value).replace(tzinfo=connection.timezone)


def _event_pages(chunk_size: int):
    """Yield pages of events in id order (the table's order: sequential reads):
    ``(id, stream_id, sequence, prev_hash, hash, occurred_at, …the other HASHED_FIELDS)``,
    the date as the database gives it. Keyset pages on the primary key."""
    names = ["id", "stream", "sequence", "prev_hash", "hash", *HASHED_FIELDS[1:]]
    quoted = [connection.ops.quote_name(AuditEvent._meta.get_field(name).column) for name in names]
    # The date is the costly column: have the database hand it over as text, already
    # canonical on PostgreSQL, as stored on SQLite (which the field converter would parse).
    if connection.vendor == "postgresql":
        quoted[5] = f"""to_char({quoted[5]} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    elif connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        quoted[5] = f"CAST({quoted[5]} AS TEXT)"
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"SELECT {', '.join(quoted)} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"
    # The next page is fetched in a thread while the caller hashes this one: the driver
    # waits for the database without the GIL, so reading and hashing overlap. It is the
    # same connection (the same transaction), never used by both threads at once.
    shared = connections[connection.alias]

    def fetch(after: int) -> list:
        with shared.cursor() as cursor:
            cursor.execute(sql, [after, chunk_size])
            return cursor.fetchall()

    shared.inc_thread_sharing()
    pending = None
    try:
        with ThreadPoolExecutor(max_workers=1) as executor:
            page = fetch(0)
            while page:
                pending = executor.submit(fetch, page[-1][0])
                yield page
                page = pending.result()
    finally:
        if pending is not None:
            pending.result()  # never leave the connection busy in the other thread
        shared.dec_thread_sharing()


def _time_converter():
    if connection.vendor == "postgresql":
        return None
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return _sqlite_time
    return lambda value: canonical_time(_as_datetime(value))


def _verify_events(streams: dict, chunk_size: int):
    """Check every event against its stream's previous one; return (count, state, break).

    ``state`` maps a stream id to the ``(sequence, hash)`` of its last event read. Within
    a stream, ids grow with sequence numbers (both are taken under the stream's lock), so
    reading in id order meets each stream's events in order.
    """
    with closing(_event_pages(chunk_size)) as pages:
        return _check_rows(pages, streams, _time_converter())


def _check_rows(pages, streams: dict, convert_time):
    state: dict[int, tuple[int, str]] = {}
    loads, dumps, sha256 = json.loads, _dumps, hashlib.sha256
    start = (0, GENESIS_HASH)
    checked = 0
    for page in pages:
        for row in page:
            event_id, stream_id, sequence, prev_hash, stored_hash = row[:5]
            key = streams[stream_id][0]
            moment, changes = row[5], row[15]
            if convert_time is not None:
                moment = convert_time(moment)
            content = [key, moment, *row[6:15], loads(changes) if type(changes) is str else changes]
            digest = sha256(dumps(content).encode()).hexdigest()
            link = sha256(f"{prev_hash}:{sequence}:{digest}".encode()).hexdigest()
            checked += 1
            expected_sequence, expected_prev = state.get(stream_id, start)
            if (
                sequence == expected_sequence + 1
                and link == stored_hash
                and prev_hash == expected_prev
            ):
                state[stream_id] = (sequence, stored_hash)
                continue
            return (
                checked,
                state,
                _problem(key, event_id, sequence, expected_sequence + 1, link == stored_hash),
            )
    return checked, state, None


def _problem(key, event_id, sequence, expected, hash_matches) -> ChainBreak:
    # The event's own hash first: a moved or renumbered event is named, not its neighbour.
    if not hash_matches:
        return _event_break(
            Problem.MODIFIED,
            key,
            sequence,
            event_id,
            _("modifié ou déplacé : son empreinte ne correspond plus à son contenu."),
        )
    if sequence > expected:
        return _event_break(
            Problem.MISSING,
            key,
            expected,
            None,
            _("absent (supprimé) : le flux passe de n° %(before)s à n° %(after)s."),
            before=expected - 1,
            after=sequence,
        )
    if sequence < expected:
        return _event_break(
            Problem.DUPLICATE, key, sequence, event_id, _("en double (inséré ou renuméroté).")
        )
    return _event_break(
        Problem.BROKEN_LINK,
        key,
        sequence,
        event_id,
        _(
            "hors chaîne (inséré, réordonné ou précédent supprimé) : son empreinte "
            "précédente n'est pas celle de l'événement n° %(before)s."
        ),
        before=sequence - 1,
    )


def _verify_heads(streams: dict, state: dict) -> ChainBreak | None:
    for stream_id, (key, head_sequence, head_hash) in sorted(streams.items()):
        last_sequence, last_hash = state.get(stream_id, (0, GENESIS_HASH))
        if head_sequence > last_sequence:
            return _event_break(
                Problem.HEAD_MISMATCH,
                key,
                last_sequence + 1,
                None,
                _(
                    "absent (supprimé) : la tête du flux annonce n° %(head)s, il s'arrête à n° %(last)s."
                ),
                head=head_sequence,
                last=last_sequence,
            )
        if head_sequence < last_sequence:
            return _event_break(
                Problem.HEAD_MISMATCH,
                key,
                head_sequence + 1,
                None,
                _("ajouté hors du journal : la tête du flux s'arrête à n° %(head)s."),
                head=head_sequence,
            )
        if head_hash != last_hash:
            return _event_break(
                Problem.HEAD_MISMATCH,
                key,
                last_sequence,
                None,
                _("remplacé : son empreinte n'est pas celle de la tête du flux."),
            )
    return None


def _verify_checkpoints(streams: dict) -> tuple[int, int, str, ChainBreak | None]:
    """Check the national chain; return (count, last number, last hash, break)."""
    entries: dict[int, list] = {}
    for checkpoint_id, stream_id, sequence, entry_hash in AuditCheckpointEntry.objects.values_list(
        "checkpoint_id", "stream_id", "sequence", "hash"
    ).order_by():
        entries.setdefault(checkpoint_id, []).append((streams[stream_id][0], sequence, entry_hash))
    number, last_hash, count = 0, GENESIS_HASH, 0
    for (
        pk,
        current,
        taken_at,
        event_count,
        prev_hash,
        stored_hash,
    ) in AuditCheckpoint.objects.order_by("number").values_list(
        "pk", "number", "taken_at", "event_count", "prev_hash", "hash"
    ):
        count += 1
        if current != number + 1:
            return (
                count,
                number,
                last_hash,
                _checkpoint_break(
                    Problem.CHECKPOINT, number + 1, _("absent (supprimé) ou renuméroté.")
                ),
            )
        recomputed = checkpoint_hash(
            number=current,
            taken_at=canonical_time(taken_at),
            event_count=event_count,
            prev_hash=prev_hash,
            entries=entries.get(pk, []),
        )
        if recomputed != stored_hash:
            return (
                count,
                number,
                last_hash,
                _checkpoint_break(
                    Problem.CHECKPOINT,
                    current,
                    _("modifié : son empreinte ne correspond plus aux têtes de flux qu'il a vues."),
                ),
            )
        if prev_hash != last_hash:
            return (
                count,
                number,
                last_hash,
                _checkpoint_break(
                    Problem.CHECKPOINT,
                    current,
                    _("hors chaîne : son empreinte précédente n'est pas celle du n° %(before)s."),
                    before=number,
                ),
            )
        number, last_hash = current, stored_hash
    return count, number, last_hash, _entries_still_in_streams()


def _entries_still_in_streams() -> ChainBreak | None:
    """Return a break if a head a checkpoint saw is no longer its stream's event."""
    quote = connection.ops.quote_name
    entry = quote(AuditCheckpointEntry._meta.db_table)
    event = quote(AuditEvent._meta.db_table)
    stream = quote(AuditStream._meta.db_table)
    checkpoint = quote(AuditCheckpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.number, s.key, en.sequence, ev.id FROM {entry} en "
            f"JOIN {checkpoint} c ON c.id = en.checkpoint_id "
            f"JOIN {stream} s ON s.id = en.stream_id "
            f"LEFT JOIN {event} ev ON ev.stream_id = en.stream_id AND ev.sequence = en.sequence "
            "WHERE ev.id IS NULL OR ev.hash <> en.hash ORDER BY c.number, s.key LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    number, key, sequence, event_id = row
    return _event_break(
        Problem.CHECKPOINT,
        key,
        sequence,
        event_id,
        _(
            "différent de la tête vue par le point de contrôle n° %(number)s : le flux a été réécrit."
        ),
        number=number,
    )


def _verify_export(against: ExportedCheckpoint, state: dict, streams: dict) -> ChainBreak | None:
    day = date_format(against.day, "SHORT_DATE_FORMAT")
    if against.number:
        stored = (
            AuditCheckpoint.objects.filter(number=against.number)
            .values_list("hash", flat=True)
            .first()
        )
        if stored != against.hash:
            return _checkpoint_break(
                Problem.EXPORTED,
                against.number,
                _(
                    "absent ou différent de celui exporté le %(day)s : la chaîne nationale a été réécrite depuis."
                )
                if stored
                else _("exporté le %(day)s absent du journal (supprimé)."),
                day=day,
            )
    ids = {key: stream_id for stream_id, (key, *_rest) in streams.items()}
    event_hashes = {}
    for key, (sequence, _head_hash) in against.heads.items():
        if key in ids:
            event_hashes[(ids[key], sequence)] = key
    found = {
        (stream_id, sequence): (pk, event_hash)
        for pk, stream_id, sequence, event_hash in _events_at(list(event_hashes))
    }
    for key, (sequence, head_hash) in sorted(against.heads.items()):
        pk, event_hash = found.get((ids.get(key), sequence), (None, None))
        if event_hash != head_hash:
            return _event_break(
                Problem.EXPORTED,
                key,
                sequence,
                pk,
                _("différent de la tête exportée le %(day)s : le flux a été réécrit depuis.")
                if pk
                else _("de la tête exportée le %(day)s absent du journal (supprimé)."),
                day=day,
            )
    return None


def _events_at(pairs: list[tuple[int, int]]):
    """Return ``(id, stream_id, sequence, hash)`` of the events at ``(stream_id, sequence)``."""
    rows = []
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        streams = {stream_id for stream_id, _seq in chunk}
        wanted = set(chunk)
        rows += [
            row
            for row in AuditEvent.objects.filter(
                stream_id__in=streams, sequence__in={sequence for _id, sequence in chunk}
            ).values_list("pk", "stream_id", "sequence", "hash")
            if (row[1], row[2]) in wanted
        ]
    return rows


def verify_journal(
    *, against: ExportedCheckpoint | None = None, chunk_size: int = CHUNK_SIZE
) -> JournalReport:
    """Check every stream, then the checkpoints; return the count and the first break.

    With ``against``, also check that the exported checkpoint and every stream head it
    saw are still in the journal, unchanged.
    """
    streams = {
        pk: (key, last_sequence, last_hash)
        for pk, key, last_sequence, last_hash in AuditStream.objects.values_list(
            "pk", "key", "last_sequence", "last_hash"
        )
    }
    checked, state, problem = _verify_events(streams, chunk_size)
    if problem is None:
        problem = _verify_heads(streams, state)
    count, number, last_hash, checkpoint_problem = _verify_checkpoints(streams)
    problem = problem or checkpoint_problem
    if problem is None and against is not None:
        problem = _verify_export(against, state, streams)
    return JournalReport(checked, len(streams), count, number, last_hash, problem)

"""Verify the audit journal's hash chain and export its head for safekeeping.

The whole chain is read once, in sequence order, as plain tuples in chunks (no model
instances): each event's hash is recomputed from its content and checked against the
stored one, against its predecessor's hash and against the chain head. The first
problem found is reported with the event it concerns.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .journal import (
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditChainHead,
    AuditEvent,
    canonical_time,
    hash_canonical_values,
)

CHUNK_SIZE = 20_000


class Problem:
    """The kinds of break, worded for the auditor."""

    MODIFIED = "MODIFIED"
    MISSING = "MISSING"
    DUPLICATE = "DUPLICATE"
    BROKEN_LINK = "BROKEN_LINK"
    HEAD_MISMATCH = "HEAD_MISMATCH"
    EXPORTED_HEAD = "EXPORTED_HEAD"


@dataclass(frozen=True)
class ChainBreak:
    problem: str
    sequence: int  # the event the break is found at
    message: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_sequence: int
    last_hash: str
    first_break: ChainBreak | None

    @property
    def is_valid(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class ExportedHead:
    """A chain head written outside the database by ``export_audit_head``."""

    day: date
    last_sequence: int
    last_hash: str
    count: int

    def as_json(self) -> str:
        return json.dumps(
            {
                "date": self.day.isoformat(),
                "last_sequence": self.last_sequence,
                "last_hash": self.last_hash,
                "count": self.count,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "ExportedHead":
        data = json.loads(text)
        return cls(
            day=date.fromisoformat(data["date"]),
            last_sequence=int(data["last_sequence"]),
            last_hash=str(data["last_hash"]),
            count=int(data["count"]),
        )


def _break(problem: str, at: int, message: str, **values) -> ChainBreak:
    return ChainBreak(problem=problem, sequence=at, message=message % values)


def _check_event(values, expected_sequence: int, expected_prev: str) -> ChainBreak | None:
    sequence, prev_hash, stored_hash = values[0], values[-1], values[-2]
    if sequence > expected_sequence:
        return _break(
            Problem.MISSING,
            expected_sequence,
            _(
                "Événement n° %(missing)s absent (supprimé) : la chaîne passe de "
                "n° %(before)s à n° %(sequence)s."
            ),
            missing=expected_sequence,
            before=expected_sequence - 1,
            sequence=sequence,
        )
    if sequence < expected_sequence:
        return _break(
            Problem.DUPLICATE,
            sequence,
            _("Événement n° %(sequence)s en double (inséré)."),
            sequence=sequence,
        )
    if hash_canonical_values([*values[:-2], prev_hash]) != stored_hash:
        return _break(
            Problem.MODIFIED,
            sequence,
            _(
                "Événement n° %(sequence)s modifié ou déplacé : son empreinte ne correspond "
                "plus à son contenu."
            ),
            sequence=sequence,
        )
    if prev_hash != expected_prev:
        return _break(
            Problem.BROKEN_LINK,
            sequence,
            _(
                "Événement n° %(sequence)s hors chaîne (inséré, réordonné ou précédent "
                "supprimé) : son empreinte précédente n'est pas celle de l'événement "
                "n° %(before)s."
            ),
            sequence=sequence,
            before=sequence - 1,
        )
    return None


def _check_head(last_sequence: int, last_hash: str) -> ChainBreak | None:
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    head_sequence, head_hash = head or (0, GENESIS_HASH)
    if head_sequence > last_sequence:
        return _break(
            Problem.HEAD_MISMATCH,
            last_sequence + 1,
            _(
                "Événement n° %(missing)s absent (supprimé) : la tête de chaîne annonce "
                "n° %(head)s, le journal s'arrête à n° %(last)s."
            ),
            missing=last_sequence + 1,
            head=head_sequence,
            last=last_sequence,
        )
    if head_sequence < last_sequence:
        return _break(
            Problem.HEAD_MISMATCH,
            head_sequence + 1,
            _(
                "Événement n° %(sequence)s ajouté hors du journal : la tête de chaîne "
                "s'arrête à n° %(head)s."
            ),
            sequence=head_sequence + 1,
            head=head_sequence,
        )
    if head_hash != last_hash:
        return _break(
            Problem.HEAD_MISMATCH,
            last_sequence,
            _(
                "Événement n° %(sequence)s remplacé : son empreinte n'est pas celle de la "
                "tête de chaîne."
            ),
            sequence=last_sequence,
        )
    return None


def _sqlite_time(text: str) -> str:
    # Django stores an aware datetime in SQLite as ``str()`` of its naive UTC value:
    # "YYYY-MM-DD HH:MM:SS[.ffffff]". Slicing it is many times faster than parsing it.
    if len(text) == 26:
        return f"{text[:10]}T{text[11:]}Z"
    if len(text) == 19:
        return f"{text[:10]}T{text[11:]}.000000Z"
    return canonical_time(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _canonical_rows(chunk_size: int):
    """Yield every event in sequence order as the tuple the checks expect.

    Hashed fields with the date as ``canonical_time`` and ``changes`` parsed, then the
    stored hash, then ``prev_hash``. Raw SQL in keyset pages (``sequence > last``) on
    the unique index: no model instances, no field converters, no server-side cursor.
    """
    names = [name for name in HASHED_FIELDS if name != "prev_hash"] + ["hash", "prev_hash"]
    quoted = [connection.ops.quote_name(AuditEvent._meta.get_field(name).column) for name in names]
    # The date is the costly column: have the database hand it over as text, already
    # canonical on PostgreSQL, as stored on SQLite (which the field converter would parse).
    time_format = "convert"
    if connection.vendor == "postgresql":
        quoted[1] = f"""to_char({quoted[1]} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        time_format = "canonical"
    elif connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        quoted[1] = f"CAST({quoted[1]} AS TEXT)"
        time_format = "sqlite"
    columns = ", ".join(quoted)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"SELECT {columns} FROM {table} WHERE sequence > %s ORDER BY sequence LIMIT %s"
    loads = json.loads
    last = -(2**62)
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [last, chunk_size])
            page = cursor.fetchall()
            if not page:
                return
            for row in page:
                moment, changes = row[1], row[11]
                if time_format == "sqlite":
                    moment = _sqlite_time(moment)
                elif time_format == "convert":
                    moment = canonical_time(_as_datetime(moment))
                yield (
                    *row[:1],
                    moment,
                    *row[2:11],
                    loads(changes) if isinstance(changes, str) else changes,
                    row[12],
                    row[13],
                )
            last = page[-1][0]


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=connection.timezone)
    return datetime.fromisoformat(value).replace(tzinfo=connection.timezone)


def verify_chain(
    *, against: ExportedHead | None = None, chunk_size: int = CHUNK_SIZE
) -> ChainReport:
    """Check the whole chain; return how many events were read and the first break.

    With ``against``, also check that the exported head's event is still in the chain
    with the same hash (so nothing up to it changed since the export).
    """
    rows = _canonical_rows(chunk_size)
    expected_sequence, previous_hash, checked = 1, GENESIS_HASH, 0
    against_seen = False
    for values in rows:
        checked += 1
        problem = _check_event(values, expected_sequence, previous_hash)
        if problem is not None:
            return ChainReport(checked, expected_sequence - 1, previous_hash, problem)
        sequence, previous_hash = values[0], values[-2]
        expected_sequence = sequence + 1
        if against is not None and sequence == against.last_sequence:
            against_seen = True
            if previous_hash != against.last_hash:
                return ChainReport(
                    checked,
                    sequence,
                    previous_hash,
                    _break(
                        Problem.EXPORTED_HEAD,
                        sequence,
                        _(
                            "Événement n° %(sequence)s différent de la tête exportée le "
                            "%(day)s : la chaîne a été réécrite depuis."
                        ),
                        sequence=sequence,
                        day=date_format(against.day, "SHORT_DATE_FORMAT"),
                    ),
                )
    last_sequence = expected_sequence - 1
    problem = _check_head(last_sequence, previous_hash)
    if problem is None and against is not None and not against_seen:
        problem = _break(
            Problem.EXPORTED_HEAD,
            against.last_sequence,
            _(
                "Événement n° %(sequence)s de la tête exportée le %(day)s absent du journal "
                "(supprimé)."
            ),
            sequence=against.last_sequence,
            day=date_format(against.day, "SHORT_DATE_FORMAT"),
        )
    return ChainReport(checked, last_sequence, previous_hash, problem)


def current_head(*, today: date) -> ExportedHead:
    """Return the chain head of ``today``: last event's sequence and hash, event count."""
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    last_sequence, last_hash = head or (0, GENESIS_HASH)
    return ExportedHead(
        day=today,
        last_sequence=last_sequence,
        last_hash=last_hash,
        count=AuditEvent.objects.count(),
    )

"""Full-text search of the journal: PostgreSQL's French configuration on a GIN index.

``summary``, ``object_label``, ``reason`` and ``actor_name`` form one French document
(stemmed: « délégations » finds « Délégation »), matched with ``websearch_to_tsquery``
(words, "exact phrases", -excluded). On PostgreSQL the document is a stored generated
column, ``search_document``, with its GIN index: a query may test it row by row at no
cost (before, an expression index, ``audit/0005``, made a plan reading the user's events
compute ``to_tsvector`` for each). The column is not a model field (Django writes the
others, the database computes it). The embedded SQLite searches the same fields with
``icontains``.

The document also holds the event's scope token, ``ght <id>`` of its contract's GHT
(``AuditEvent.hospital_group_id``). It holds a space: the parser cuts every text at its
spaces, so no summary, label or reason, and no search text, can yield one; the token
alone says which GHT an event belongs to. A search of a region's manager asks the index
for the words *and* one of the region's GHT tokens: the GIN engine intersects both
inside the index. Before, it
intersected the region's events (a bitmap of the contract index) with the country's
matches of the words, a cost that grew with the country (issue 17): 24 → 3 ms for
« avenant » on the national data set.
"""

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

SEARCH_FIELDS = ("summary", "object_label", "reason", "actor_name")
CONFIG = "french"
TABLE = "audit_auditevent"
COLUMN = "search_document"
INDEX = "audit_event_document_idx"
# The expression index of migration 0005, replaced by the column's index (0008).
EXPRESSION_INDEX = "audit_event_search_fr_idx"

# The French document of an event's text (the old index's expression, the column's until
# ``contracts/0012``), then with its scope token.
_DOCUMENT_SQL = (
    f"to_tsvector('{CONFIG}'::regconfig, "
    + " || ' ' || ".join(f"COALESCE({name}, '')" for name in SEARCH_FIELDS)
    + ")"
)
SCOPE_PREFIX = "ght "
_SCOPE_SQL = (
    "CASE WHEN hospital_group_id IS NULL THEN ''::tsvector "
    f"ELSE array_to_tsvector(ARRAY['{SCOPE_PREFIX}' || hospital_group_id::text]) END"
)
_SCOPED_DOCUMENT_SQL = f"{_DOCUMENT_SQL} || {_SCOPE_SQL}"
EXPRESSION_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {EXPRESSION_INDEX} ON {TABLE} USING gin ({_DOCUMENT_SQL})"
)
INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})"


def _column_sql(*, scoped: bool) -> str:
    expression = _SCOPED_DOCUMENT_SQL if scoped else _DOCUMENT_SQL
    return (
        f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED"
    )


def has_scope_tokens() -> bool:
    """Return whether the database's search document holds the scope tokens (PostgreSQL)."""
    return connection.vendor == "postgresql"


def scope_query(hospital_group_ids) -> str:
    """Return the ``tsquery`` of the scope tokens of ``hospital_group_ids`` (one of them)."""
    return " | ".join(f"'{SCOPE_PREFIX}{int(pk)}'" for pk in sorted(hospital_group_ids))


def matching(events: QuerySet, text: str, *, hospital_group_ids=None) -> QuerySet:
    """Return the ``events`` whose text matches ``text`` (French full text on PostgreSQL).

    With ``hospital_group_ids``, only the events of those GHTs (by their scope tokens,
    answered by the index with the words); none if it is empty.
    """
    if hospital_group_ids is not None and not hospital_group_ids:
        return events.none()
    if connection.vendor == "postgresql":
        # Unqualified: the column is the events' own, whatever alias the query gives them.
        # Two conditions, not one query ``words && scope``: a text of stop words alone is
        # an empty query, which matches nothing, where ``'' && scope`` is the scope.
        events = events.filter(
            RawSQL(
                f"{COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)",
                (CONFIG, text),
                output_field=BooleanField(),
            )
        )
        if hospital_group_ids is not None:
            events = events.filter(
                RawSQL(
                    f"{COLUMN} @@ %s::tsquery",
                    (scope_query(hospital_group_ids),),
                    output_field=BooleanField(),
                )
            )
        return events
    condition = Q()
    for name in SEARCH_FIELDS:
        condition |= Q(**{f"{name}__icontains": text})
    return events.filter(condition)


def install_search_index(connection) -> bool:
    """Migration 0005: the expression index (replaced by ``install_search_document``)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(EXPRESSION_INDEX_SQL)
    return True


def uninstall_search_index(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")


def install_search_document(connection, *, scoped: bool = True) -> bool:
    """Add the stored document column and its GIN index, drop the expression index; return
    whether the database has them now (PostgreSQL only). The column is computed for every
    existing event while the table is rewritten (about 20 s per million events).

    ``scoped``: with the scope tokens (the current document); migration ``audit/0008``
    built the text alone, before events had their GHT.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(_column_sql(scoped=scoped))
        cursor.execute(INDEX_SQL)
        cursor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")
    return True


def drop_search_document(connection) -> None:
    """Drop the document column and its index (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")


def uninstall_search_document(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(EXPRESSION_INDEX_SQL)
        drop_search_document(connection)

"""Full-text search of the journal: PostgreSQL's French configuration on a GIN index.

``summary``, ``object_label``, ``reason`` and ``actor_name`` form one French document
(stemmed: « délégations » finds « Délégation »), matched with ``websearch_to_tsquery``
(words, "exact phrases", -excluded). On PostgreSQL the document is a stored generated
column, ``search_document``, with its GIN index (migration ``audit/0008``): a query may
then test it row by row at no cost, so that the planner can start from the user's
contracts as well as from the word. Before, the document was only an expression index
(``audit/0005``): a plan reading the user's events computed ``to_tsvector`` for each, up
to seconds for a region. The column is not a model field (Django writes the others, the
database computes it). The embedded SQLite searches the same fields with ``icontains``.
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

# The French document of an event (the expression of the column and of the old index).
_DOCUMENT_SQL = (
    f"to_tsvector('{CONFIG}'::regconfig, "
    + " || ' ' || ".join(f"COALESCE({name}, '')" for name in SEARCH_FIELDS)
    + ")"
)
EXPRESSION_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {EXPRESSION_INDEX} ON {TABLE} USING gin ({_DOCUMENT_SQL})"
)
COLUMN_SQL = (
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({_DOCUMENT_SQL}) STORED"
)
INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})"


def matching(events: QuerySet, text: str) -> QuerySet:
    """Return the ``events`` whose text matches ``text`` (French full text on PostgreSQL)."""
    if connection.vendor == "postgresql":
        # Unqualified: the column is the events' own, whatever alias the query gives them.
        condition = RawSQL(
            f"{COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)",
            (CONFIG, text),
            output_field=BooleanField(),
        )
        return events.filter(condition)
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


def install_search_document(connection) -> bool:
    """Add the stored document column and its GIN index, drop the expression index; return
    whether the database has them now (PostgreSQL only). The column is computed for every
    existing event while the table is rewritten (about 40 s per million events)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(COLUMN_SQL)
        cursor.execute(INDEX_SQL)
        cursor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")
    return True


def uninstall_search_document(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(EXPRESSION_INDEX_SQL)
            cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")

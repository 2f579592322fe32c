"""Full-text search of the journal: PostgreSQL's French configuration on a GIN index.

``summary``, ``object_label``, ``reason`` and ``actor_name`` form one French document
(stemmed: « délégations » finds « Délégation »), matched with ``websearch_to_tsquery``
(words, "exact phrases", -excluded). The index is an expression index over exactly the
document ``matching`` queries, created on PostgreSQL by migration ``audit/0005``. The
embedded SQLite searches the same fields with ``icontains``.
"""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

SEARCH_FIELDS = ("summary", "object_label", "reason", "actor_name")
CONFIG = "french"
INDEX = "audit_event_search_fr_idx"
TABLE = "audit_auditevent"

# The same expression as ``SearchVector(*SEARCH_FIELDS, config=CONFIG)`` compiles to, so the
# planner uses the index for ``matching``'s filter (tests/reporting check the plan).
_DOCUMENT_SQL = (
    f"to_tsvector('{CONFIG}'::regconfig, "
    + " || ' ' || ".join(f"COALESCE({name}, '')" for name in SEARCH_FIELDS)
    + ")"
)
INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({_DOCUMENT_SQL})"
DROP_INDEX_SQL = f"DROP INDEX IF EXISTS {INDEX}"


def matching(events: QuerySet, text: str) -> QuerySet:
    """Return the ``events`` whose text matches ``text`` (French full text on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return events.alias(search_document=SearchVector(*SEARCH_FIELDS, config=CONFIG)).filter(
            search_document=SearchQuery(text, config=CONFIG, search_type="websearch")
        )
    condition = Q()
    for name in SEARCH_FIELDS:
        condition |= Q(**{f"{name}__icontains": text})
    return events.filter(condition)


def install_search_index(connection) -> bool:
    """Create the GIN index on PostgreSQL; return whether the database has it now."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(INDEX_SQL)
    return True


def uninstall_search_index(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(DROP_INDEX_SQL)

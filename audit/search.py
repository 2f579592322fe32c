"""Full-text search of the journal: PostgreSQL's French configuration on a GIN index.

``summary``, ``object_label``, ``reason`` and ``actor_name`` form one French document
(stemmed: « délégations » finds « Délégation »), matched with ``websearch_to_tsquery``
(words, "exact phrases", -excluded). On PostgreSQL the document is a stored generated
column, ``search_document``, with its GIN index: a query may test it row by row at no
cost (before, an expression index, ``audit/0005``, made a plan reading the user's events
compute ``to_tsvector`` for each). The column is not a model field (Django writes the
others, the database computes it). The embedded SQLite searches the same fields with
``icontains``.

The document also holds the event's scope: its contract's GHT (``AuditEvent.
hospital_group_id``) as a token, ``ght <id>``, and each of its words again qualified by
that GHT, ``aven@<id>`` (a database function, ``audit_search_document``, computes it). The
token holds a space: the parser cuts every text at its spaces, so no summary, label or
reason, and no search text, can yield one. A search of a region's manager asks the index
for its words qualified by the region's GHTs, its excluded words alone kept to their tokens
(``audit_scoped_query``): the index lists that region's matches only, at a cost that
follows them. Before,
the region's events (a bitmap of the contract index) were intersected with the country's
matches of the words, a cost that grew with the country (issue 17): 24 → 0.02 ms for
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
# ``contracts/0012``).
_TEXT_SQL = " || ' ' || ".join(f"COALESCE({name}, '')" for name in SEARCH_FIELDS)
_DOCUMENT_SQL = f"to_tsvector('{CONFIG}'::regconfig, {_TEXT_SQL})"
# Then the GHT's token (a space inside: the parser yields none from any text).
SCOPE_PREFIX = "ght "
# Then each word of the text again, qualified by the GHT (``aven@45``), at the same distances
# from each other (a phrase still matches): a manager's words are found among their GHTs'
# events alone, at a cost that follows the matches in their scope, not the country's.
SCOPED_SEPARATOR = "@"
DOCUMENT_FUNCTION = "audit_search_document"
QUERY_FUNCTION = "audit_scoped_query"
# One function calling no other of ours (a restore runs it with an empty search path);
# PL/pgSQL, whose statements are planned once per connection (a SQL function with a
# subquery was planned again for each event: 0.3 ms more per append).
_DOCUMENT_FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {DOCUMENT_FUNCTION}(
        summary text, object_label text, reason text, actor_name text, hospital_group_id bigint
    ) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        document tsvector := to_tsvector('{CONFIG}'::regconfig, {_TEXT_SQL});
    BEGIN
        IF hospital_group_id IS NULL THEN
            RETURN document;
        END IF;
        RETURN document
            || array_to_tsvector(ARRAY['{SCOPE_PREFIX}' || hospital_group_id::text])
            || COALESCE((
                SELECT string_agg(
                    '''' || replace(replace(word.lexeme, '\\', '\\\\'), '''', '''''')
                    || '{SCOPED_SEPARATOR}' || hospital_group_id::text || ''''
                    || CASE WHEN cardinality(word.positions) > 0
                        THEN ':' || array_to_string(word.positions, ',') ELSE '' END,
                    ' ')
                FROM unnest(document) AS word
            )::tsvector, ''::tsvector);
    END
    $$
    """
# A query's words, each as any of the GHTs' qualified words, and each exclusion kept to the
# GHTs' events by their tokens: ``'aven' & !'refus'`` becomes ``('aven@1' | 'aven@19') &
# ('ght 1' | 'ght 19') & !('refus@1' | 'refus@19')``. Read in one pass over the query's
# text (its quoted words, its « ! », the rest kept); no match for an empty query.
_QUERY_FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {QUERY_FUNCTION}(query tsquery, hospital_group_ids bigint[])
    RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT string_agg(
            CASE
                WHEN part[1] LIKE '''%' THEN '(' || (
                    SELECT string_agg(
                        left(part[1], -1) || '{SCOPED_SEPARATOR}' || ght::text || '''', ' | '
                    )
                    FROM unnest(hospital_group_ids) AS ght
                ) || ')'
                WHEN part[1] = '!' THEN '(' || (
                    SELECT string_agg('''{SCOPE_PREFIX}' || ght::text || '''', ' | ')
                    FROM unnest(hospital_group_ids) AS ght
                ) || ') & !'
                ELSE part[1]
            END,
            '' ORDER BY position
        )::tsquery
        FROM regexp_matches(query::text, '(''(?:[^'']|'''')*''|!|[^''!]+)', 'g')
            WITH ORDINALITY AS parts(part, position)
    $$
    """
_SCOPED_DOCUMENT_SQL = f"{DOCUMENT_FUNCTION}({', '.join(SEARCH_FIELDS)}, hospital_group_id)"
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
    """Return whether the database's search document holds the GHTs' tokens and qualified
    words (PostgreSQL)."""
    return connection.vendor == "postgresql"


def matching(events: QuerySet, text: str, *, hospital_group_ids=None) -> QuerySet:
    """Return the ``events`` whose text matches ``text`` (French full text on PostgreSQL).

    With ``hospital_group_ids``, only the events of those GHTs: their words qualified by
    those GHTs, their exclusions kept to those GHTs' tokens (``audit_scoped_query``), all
    answered by the index; none if it is empty.
    """
    if hospital_group_ids is not None and not hospital_group_ids:
        return events.none()
    if connection.vendor == "postgresql":
        # Unqualified: the column is the events' own, whatever alias the query gives them.
        # One condition: the planner, told the scope twice (words and tokens), expected a
        # few matches for thousands and sorted them all instead of walking the dates.
        if hospital_group_ids is not None:
            ghts = sorted(int(pk) for pk in hospital_group_ids)
            return events.filter(
                RawSQL(
                    f"{COLUMN} @@ {QUERY_FUNCTION}("
                    "websearch_to_tsquery(%s::regconfig, %s), %s::bigint[])",
                    (CONFIG, text, ghts),
                    output_field=BooleanField(),
                )
            )
        return events.filter(
            RawSQL(
                f"{COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)",
                (CONFIG, text),
                output_field=BooleanField(),
            )
        )
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
    existing event while the table is rewritten (about 25 s per million events).

    ``scoped``: with the GHT's token and qualified words (the current document, and its
    two functions); migration ``audit/0008`` built the text alone, before events had their
    GHT.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        if scoped:
            cursor.execute(_DOCUMENT_FUNCTION_SQL)
            cursor.execute(_QUERY_FUNCTION_SQL)
        cursor.execute(_column_sql(scoped=scoped))
        cursor.execute(INDEX_SQL)
        cursor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")
    return True


def drop_search_document(connection, *, functions: bool = False) -> None:
    """Drop the document column and its index (PostgreSQL only), and with ``functions``
    the functions of the scoped document."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")
            if functions:
                cursor.execute(f"DROP FUNCTION IF EXISTS {DOCUMENT_FUNCTION}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {QUERY_FUNCTION}")


def uninstall_search_document(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(EXPRESSION_INDEX_SQL)
        drop_search_document(connection)

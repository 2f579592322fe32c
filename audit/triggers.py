"""Database triggers that make the audit journal append-only below the ORM.

The models refuse updates and deletes, but raw SQL, a ``QuerySet._raw_delete`` or a
``TRUNCATE`` would go around them. On PostgreSQL, triggers refuse every ``UPDATE``,
``DELETE`` and ``TRUNCATE`` of the events and of the checkpoints, whoever sends it; a
stream's head row may only move one event forward (``key`` kept, number + 1, its previous
hash the last one), and never be deleted. Other databases (the embedded SQLite) rely on
the model layer and on ``manage.py verify_audit``.

The migrations ``audit/0002`` and ``audit/0004`` call these functions; the tests call the
same ones, so what they check is what production runs.
"""

TABLE = "audit_auditevent"
CHECKPOINT_TABLES = ["audit_auditcheckpoint", "audit_auditcheckpointentry"]
APPEND_ONLY_TABLES = [TABLE, *CHECKPOINT_TABLES]
HEAD_TABLE = "audit_auditstream"
FUNCTION = "audit_auditevent_refuse_change"
HEAD_FUNCTION = "audit_auditstream_check_move"


def _row_trigger(table: str) -> str:
    return f"{table}_append_only"


def _truncate_trigger(table: str) -> str:
    return f"{table}_no_truncate"


# Kept by name: ``ROW_TRIGGER`` and ``TRUNCATE_TRIGGER`` of the events' table.
ROW_TRIGGER = _row_trigger(TABLE)
TRUNCATE_TRIGGER = _truncate_trigger(TABLE)

FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé sur %.', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """

HEAD_FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {HEAD_FUNCTION}() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.key = OLD.key
                AND NEW.last_sequence = OLD.last_sequence + 1
                AND NEW.prev_hash = OLD.last_hash THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé sur % (une tête de flux n''avance que d''un événement).', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """


def _table_sql(table: str, function: str) -> list[str]:
    row, truncate = _row_trigger(table), _truncate_trigger(table)
    return [
        f"DROP TRIGGER IF EXISTS {row} ON {table}",
        f"""
        CREATE TRIGGER {row} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()
        """,
        f"DROP TRIGGER IF EXISTS {truncate} ON {table}",
        f"""
        CREATE TRIGGER {truncate} BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """,
    ]


def _drop_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {_truncate_trigger(table)} ON {table}",
        f"DROP TRIGGER IF EXISTS {_row_trigger(table)} ON {table}",
    ]


# The events' table alone, as migration ``0002`` installed it.
INSTALL_SQL = [FUNCTION_SQL, *_table_sql(TABLE, FUNCTION)]
UNINSTALL_SQL = [*_drop_sql(TABLE), f"DROP FUNCTION IF EXISTS {FUNCTION}()"]

# The checkpoints and the streams' heads, as migration ``0004`` installs them.
INSTALL_STREAM_SQL = [
    FUNCTION_SQL,
    HEAD_FUNCTION_SQL,
    *[sql for table in CHECKPOINT_TABLES for sql in _table_sql(table, FUNCTION)],
    *_table_sql(HEAD_TABLE, HEAD_FUNCTION),
]
UNINSTALL_STREAM_SQL = [
    *[sql for table in [*CHECKPOINT_TABLES, HEAD_TABLE] for sql in _drop_sql(table)],
    f"DROP FUNCTION IF EXISTS {HEAD_FUNCTION}()",
]


def supports_triggers(connection) -> bool:
    return connection.vendor == "postgresql"


def _run(connection, statements) -> bool:
    if not supports_triggers(connection):
        return False
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return True


def install_append_only_triggers(connection) -> bool:
    """Install (or replace) the events' triggers; return whether the database has them now."""
    return _run(connection, INSTALL_SQL)


def uninstall_append_only_triggers(connection) -> None:
    """Remove the events' triggers (reverse of migration ``0002``)."""
    _run(connection, UNINSTALL_SQL)


def install_stream_triggers(connection) -> bool:
    """Install (or replace) the checkpoints' and the heads' triggers."""
    return _run(connection, INSTALL_STREAM_SQL)


def uninstall_stream_triggers(connection) -> None:
    """Remove the checkpoints' and the heads' triggers (reverse of migration ``0004``)."""
    _run(connection, UNINSTALL_STREAM_SQL)


def has_append_only_triggers(connection, table: str = TABLE) -> bool:
    """Return whether ``table`` carries both its triggers."""
    if not supports_triggers(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname IN (%s, %s)",
            [table, _row_trigger(table), _truncate_trigger(table)],
        )
        return cursor.fetchone()[0] == 2

"""Database triggers that make the audit journal append-only below the ORM.

The model refuses updates and deletes, but raw SQL, a ``QuerySet._raw_delete`` or a
``TRUNCATE`` would go around it. On PostgreSQL, triggers refuse every ``UPDATE``,
``DELETE`` and ``TRUNCATE`` of the journal table, whoever sends it. Other databases
(the embedded SQLite) rely on the model layer and on ``manage.py verify_audit``.

The migration ``audit/0002_append_only_triggers`` calls these functions; the tests
call the same ones, so what they check is what production runs.
"""

TABLE = "audit_auditevent"
FUNCTION = "audit_auditevent_refuse_change"
ROW_TRIGGER = "audit_auditevent_append_only"
TRUNCATE_TRIGGER = "audit_auditevent_no_truncate"

INSTALL_SQL = [
    f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé sur %.', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {TABLE}",
    f"""
    CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
    """,
    f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE}",
    f"""
    CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()
    """,
]

UNINSTALL_SQL = [
    f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


def supports_triggers(connection) -> bool:
    return connection.vendor == "postgresql"


def install_append_only_triggers(connection) -> bool:
    """Install (or replace) the triggers; return whether the database has them now."""
    if not supports_triggers(connection):
        return False
    with connection.cursor() as cursor:
        for statement in INSTALL_SQL:
            cursor.execute(statement)
    return True


def uninstall_append_only_triggers(connection) -> None:
    """Remove the triggers (reverse of the migration)."""
    if not supports_triggers(connection):
        return
    with connection.cursor() as cursor:
        for statement in UNINSTALL_SQL:
            cursor.execute(statement)


def has_append_only_triggers(connection) -> bool:
    """Return whether the journal table carries both triggers."""
    if not supports_triggers(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname IN (%s, %s)",
            [TABLE, ROW_TRIGGER, TRUNCATE_TRIGGER],
        )
        return cursor.fetchone()[0] == 2

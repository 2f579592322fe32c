"""The journal's past events get their contract's GHT, and the search document its scope:
the GHT's token and each word qualified by the GHT (``audit.search``). A search of a
region's manager is then answered by the full-text index from that region's matches, not
by intersecting the region's events with the country's matches.

Here in ``contracts``, which sits above the journal, because the GHT is the contract's.
On PostgreSQL the events' append-only trigger is off for this transaction alone, to write
the one column that is not part of any hash (it follows from the hashed ``contract_id``),
and the document is dropped first so the table is rewritten once: about 50 s per million
events.
"""

from django.db import migrations

from audit.search import drop_search_document, install_search_document
from audit.triggers import ROW_TRIGGER, TABLE, has_append_only_triggers

FILL_SQL = (
    f"UPDATE {TABLE} SET hospital_group_id = ("
    "SELECT c.hospital_group_id FROM contracts_contract c WHERE c.id = contract_id) "
    "WHERE contract_id IS NOT NULL AND hospital_group_id IS NULL"
)


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQL)
        return
    drop_search_document(connection)
    guarded = has_append_only_triggers(connection)
    with connection.cursor() as cursor:
        if guarded:
            # No deferred check may be pending when the table is altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {ROW_TRIGGER}")
        cursor.execute(FILL_SQL)
        if guarded:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {ROW_TRIGGER}")
    install_search_document(connection, scoped=True)


def unfill(apps, schema_editor):
    """Back to the text-only document (``audit/0010`` reversed drops the column)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        drop_search_document(connection, functions=True)
        install_search_document(connection, scoped=False)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0010_event_hospital_group"),
        ("contracts", "0011_recovery_basis"),
    ]

    operations = [
        migrations.RunPython(fill, unfill, elidable=False),
    ]

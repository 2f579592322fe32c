"""A GIN index for the journal's French full-text search (PostgreSQL only)."""

from django.db import migrations

from audit.search import install_search_index, uninstall_search_index


def install(apps, schema_editor):
    install_search_index(schema_editor.connection)


def uninstall(apps, schema_editor):
    uninstall_search_index(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_stream_and_checkpoint_triggers"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]

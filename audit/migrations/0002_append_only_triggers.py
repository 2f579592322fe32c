"""Refuse UPDATE, DELETE and TRUNCATE of the journal in the database (PostgreSQL only)."""

from django.db import migrations

from audit.triggers import install_append_only_triggers, uninstall_append_only_triggers


def install(apps, schema_editor):
    install_append_only_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    uninstall_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_journal"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]

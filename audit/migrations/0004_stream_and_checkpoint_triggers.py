"""Refuse changes to the checkpoints, and any head move but one event forward (PostgreSQL)."""

from django.db import migrations

from audit.triggers import install_stream_triggers, uninstall_stream_triggers


def install(apps, schema_editor):
    install_stream_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    uninstall_stream_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_event_streams_and_checkpoints"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]

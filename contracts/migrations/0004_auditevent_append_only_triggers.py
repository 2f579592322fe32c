"""Refuse UPDATE, DELETE and TRUNCATE of the journal in the database (PostgreSQL only)."""

from django.db import migrations

from contracts.journal_db import install_append_only_triggers, uninstall_append_only_triggers


def install(apps, schema_editor):
    install_append_only_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    uninstall_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0003_auditevent_actor_kept_on_user_delete'),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]

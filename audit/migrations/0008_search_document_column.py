"""The journal's French document as a stored generated column with its GIN index
(PostgreSQL only; ``audit.search``): a search may start from the user's contracts."""

from django.db import migrations

from audit.search import install_search_document, uninstall_search_document


def install(apps, schema_editor):
    # The text alone: events have their GHT from 0010 on (contracts/0012 rebuilds it).
    install_search_document(schema_editor.connection, scoped=False)


def uninstall(apps, schema_editor):
    uninstall_search_document(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_contract_actor_index"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def register_sqlite_functions(sender, connection, **kwargs):
    """Give SQLite the journal's chain link, which PostgreSQL computes with ``sha256``."""
    if connection.vendor != "sqlite":
        return
    from .journal import chain_link

    connection.connection.create_function("audit_chain_link", 3, chain_link, deterministic=True)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Journal d'audit"

    def ready(self):
        connection_created.connect(register_sqlite_functions, dispatch_uid="audit_sqlite_functions")

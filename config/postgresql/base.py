"""Django's PostgreSQL backend, with the statements every step runs prepared once.

Django sends a statement to PostgreSQL as text with its values inlined, so the server
parses and plans it at every execution: for the reads every workflow step and task page
runs (the user's rights, the task with its process, contract and decision, a contract
under lock, the journal's appends) planning cost more than running them (issue 17).
With this backend (``database_from_env``: the default on PostgreSQL) values travel apart
(server-side binding), and a statement run inside ``prepared_statements()`` is prepared
on its first run on the connection and reused afterwards (``background.db.prepared``).

Only those: a list's plan depends on the user's scope (one GHT or the whole country), and
a generic plan, chosen once for any scope, measured six to seven times slower on two national
lists. psycopg forgets the prepared statements after a ``ROLLBACK``, ``ALTER`` or
``DROP`` on the connection; after a migration, restart the web processes
(docs/DEPLOY.md). Behind PgBouncer in transaction mode, use PgBouncer 1.21 or later with
``max_prepared_statements`` set, or ``DATABASE_PREPARED_STATEMENTS=off``.
"""

from contextlib import contextmanager

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        prepared_max = self.settings_dict.get("PREPARED_MAX")
        if prepared_max:
            connection.prepared_max = prepared_max
        return connection

    @contextmanager
    def prepared_statements(self):
        """Prepare the statements run inside on their first run, reuse them afterwards."""
        self.ensure_connection()
        connection = self.connection
        before = connection.prepare_threshold
        connection.prepare_threshold = 0
        try:
            yield
        finally:
            connection.prepare_threshold = before

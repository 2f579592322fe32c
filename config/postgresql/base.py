"""Django's PostgreSQL backend, with statements prepared once per connection.

Django sends each statement to PostgreSQL as text with its values inlined (client-side
binding), so the server parses and plans it at every execution: for the joins a task
page reads (process, contract, GHT, decision) planning costs more than running them.
With ``PREPARE_THRESHOLD`` set (``database_from_env``: the default on PostgreSQL), the
values travel apart (server-side binding) and psycopg prepares a statement once it has
run that many times on the connection; later executions skip parsing and, when
PostgreSQL finds the generic plan no costlier, planning.

``PREPARED_MAX`` is how many statements a connection keeps prepared (psycopg's default
is 100, fewer than the distinct statements a worker runs: they would be evicted and
prepared again). psycopg forgets them all after a ``ROLLBACK``, ``ALTER`` or ``DROP``
on the connection; after a migration, restart the web processes (docs/DEPLOY.md).
Behind PgBouncer in transaction mode, use PgBouncer 1.21 or later with
``max_prepared_statements`` set, or ``DATABASE_PREPARE_THRESHOLD=off``.
"""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        prepared_max = self.settings_dict.get("PREPARED_MAX")
        if prepared_max:
            connection.prepared_max = prepared_max
        return connection

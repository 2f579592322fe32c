"""Database helpers for every layer (this is the lowest)."""

from contextlib import nullcontext


def prepared(connection):
    """Return a block in which ``connection`` prepares the statements it runs and reuses
    them afterwards (PostgreSQL, ``config/postgresql/base.py``), or a block that changes
    nothing (SQLite, or prepared statements turned off).

    For the statements every step or page runs whose plan does not depend on the user's
    scope: the rights, a row by id, a lock, a journal append."""
    method = getattr(connection, "prepared_statements", None)
    return method() if method is not None else nullcontext()

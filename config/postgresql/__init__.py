"""PostgreSQL with server-side prepared statements (``base.DatabaseWrapper``)."""

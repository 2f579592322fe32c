"""SQL the scope reads share: ids read beforehand, given to a query as one list."""

from django.db.models import Lookup


class AnyOf(Lookup):
    """``lhs`` is one of ``rhs``, a list of ids read beforehand: one array parameter on
    PostgreSQL (``= ANY(%s)``), where an ``IN`` of hundreds of placeholders costs more to
    build and send than the query takes to run; ``IN`` elsewhere."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        ids = list(self.rhs)
        if not ids:
            return "1 = 0", []
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]

    def as_postgresql(self, compiler, connection):
        # The array is written as its text, cast to the column's type: psycopg's list
        # dumper walks hundreds of ids in Python to choose a type (1 to 2 ms a list).
        lhs, params = self.process_lhs(compiler, connection)
        column_type = self.lhs.output_field.cast_db_type(connection)
        array = "{" + ",".join(map(str, map(int, self.rhs))) + "}"
        return f"{lhs} = ANY(%s::{column_type}[])", [*params, array]

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
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, [int(pk) for pk in self.rhs]]

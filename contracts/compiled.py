"""Reads compiled once and run again with other values (issue 17).

Django compiles a queryset into SQL on every evaluation. For the few reads every workflow
step runs (its task with its process, a delegation's lines under lock), compiling cost
more than running the statement. ``CompiledRead`` compiles a queryset once per database,
with a marker in place of the one value that changes, then runs that same statement with
the value given and builds the objects as Django's ``ModelIterable`` does (the
``select_related`` objects included, the database converters applied): the same SQL,
the same objects, without the compiling.
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

from background.db import prepared

# An id no row has: where it lands among the compiled parameters is where the value goes.
MARKER = -7_130_417


class CompiledRead:
    """A read ``build(value)`` (a queryset of model instances: ``filter``,
    ``select_related``, ``select_for_update``, ``order_by``; no annotations, prefetches
    nor related managers), compiled once per database; ``read(value)`` returns its
    objects as a list."""

    def __init__(self, build: Callable[[object], QuerySet], *, extra=None):
        """``extra``: ``(name, column)``, ``column(connection, compiler)`` giving ``(sql,
        params)`` of one more column read along, its value set as ``name`` on each object."""
        self._build = build
        self._extra = extra
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _compile(self, connection) -> tuple:
        queryset = self._build(MARKER)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("CompiledRead: ni prefetch ni objets liés connus.")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = [index for index, param in enumerate(params) if param == MARKER]
        if not slots or compiler.annotation_col_map:
            raise ValueError("CompiledRead: la valeur doit être un paramètre, sans annotation.")
        fields = compiler.klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in compiler.select[start:end]]
        locks = queryset.query.select_for_update
        if self._extra is not None:
            # After the selected columns (plain ones: no annotation), before the first FROM.
            column, column_params = self._extra[1](connection, compiler)
            sql = sql.replace(" FROM ", f", {column} FROM ", 1)
            params = [*column_params, *params]
            slots = [slot + len(column_params) for slot in slots]
        return compiler, sql, tuple(params), slots, start, end, init_list, locks

    def __call__(self, value) -> list:
        connection = transaction.get_connection()
        key = (connection.alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(connection)
        compiler, sql, params, slots, start, end, init_list, locks = compiled
        if locks and connection.get_autocommit():
            # As Django: a lock outside a transaction would be released at once.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(params)
        for slot in slots:
            params[slot] = value
        with prepared(connection), connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        model = compiler.klass_info["model"]
        populators = get_related_populators(compiler.klass_info, compiler.select, connection.alias)
        objects = []
        extra_at = len(compiler.select)
        for row in compiler.results_iter(results=[rows]):
            obj = model.from_db(connection.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            if self._extra is not None:
                setattr(obj, self._extra[0], row[extra_at])
            objects.append(obj)
        return objects

    def get(self, value):
        """Return the one object read with ``value``; ``DoesNotExist`` if none."""
        objects = self(value)
        if not objects:
            raise self._build(MARKER).model.DoesNotExist
        if len(objects) > 1:
            raise self._build(MARKER).model.MultipleObjectsReturned
        return objects[0]

"""Queries compiled once and run many times with new values: for the reads a calendar app makes
many times an hour (a feed poll, a personal feed), where building and compiling the ORM query
cost more than the database took to run it.

    PERSON = -7_300_912_345                          # a value no real row has
    own_meetings = CompiledQuery(lambda staff: Meeting.objects.filter(...).values_list(...),
                                 staff=PERSON)
    own_meetings.rows(staff=12)                       # list of tuples, as values_list gives them

The query is built once per database (alias and vendor) with the marker values, compiled, and the
marker values found among its parameters; each run puts the new values in their places (adapted
for the database as the ORM adapts them: a datetime on SQLite becomes text) and converts the rows
as the ORM would (an aware datetime on SQLite). A marker must be a value the query would not hold
otherwise, and every marker must reach the parameters.

With `prepare=True`, PostgreSQL runs the query as a prepared statement, planned once per
connection: planning the feed poll cost PostgreSQL three times what running it did. Only where
the connection allows prepared statements (learning.settings, DATABASE_PREPARED_STATEMENTS);
Django's own queries bind their parameters on the client and are never prepared.

This leans on Django internals that are not public API (the compiler's `select` and converters,
the PostgreSQL backend's ServerBindingCursor, the connection's health-check flags): the setting
COMPILED_QUERIES (default on) turns it off, and every CompiledQuery then runs its plain ORM
queryset with the same values. `DJANGO_INTERNALS` names each internal; the system check
core.E001 (core/checks.py) and tests/core/test_internals.py fail by that name when a Django
upgrade changes one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, router
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    query: object
    sql: str
    params: list
    places: dict[str, list[int]]
    columns: list


# The Django internals this module relies on, by name: changed_internals() says which of them
# a Django upgrade changed.
DJANGO_INTERNALS = (
    "SQLCompiler.select",
    "SQLCompiler.get_converters",
    "SQLCompiler.apply_converters",
    "CursorDebugWrapper.debug_sql",
    "BaseDatabaseWrapper.make_cursor",
    "BaseDatabaseWrapper.health_check_done",
    "BaseDatabaseWrapper.health_check_enabled",
    "BaseDatabaseWrapper.close_if_health_check_failed",
    "BaseDatabaseWrapper.queries_logged",
    "postgresql.base.ServerBindingCursor",
)


def changed_internals(connection=None) -> list[str]:
    """The names in DJANGO_INTERNALS that this Django no longer has as this module uses them."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection as default_connection

    connection = connection or default_connection
    changed = []
    compiler = ContentType.objects.values_list("id", "model").query.get_compiler(
        connection=connection
    )
    compiler.as_sql()
    select = getattr(compiler, "select", None)
    if not (isinstance(select, list) and select and all(len(item) == 3 for item in select)):
        changed.append("SQLCompiler.select")
    for name in ("get_converters", "apply_converters"):
        if not callable(getattr(compiler, name, None)):
            changed.append(f"SQLCompiler.{name}")
    if not callable(getattr(CursorDebugWrapper, "debug_sql", None)):
        changed.append("CursorDebugWrapper.debug_sql")
    for name in ("make_cursor", "close_if_health_check_failed"):
        if not callable(getattr(connection, name, None)):
            changed.append(f"BaseDatabaseWrapper.{name}")
    for name in ("health_check_done", "health_check_enabled", "queries_logged"):
        if not hasattr(connection, name):
            changed.append(f"BaseDatabaseWrapper.{name}")
    try:
        from django.db.backends.postgresql.base import ServerBindingCursor
    except ImportError:
        changed.append("postgresql.base.ServerBindingCursor")
    else:
        if not callable(getattr(ServerBindingCursor, "execute", None)):
            changed.append("postgresql.base.ServerBindingCursor")
    return changed


def compiled_queries_enabled() -> bool:
    return getattr(settings, "COMPILED_QUERIES", True)


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *, prepare: bool = False, **markers) -> None:
        self._build = build
        self._prepare = prepare
        self._markers = markers
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._model = None

    @staticmethod
    def _adapted(connection, value):
        """A value as the compiled query's parameters hold it."""
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.date):
            return connection.ops.adapt_datefield_value(value)
        return value

    def _compile(self, alias: str, connection) -> _Compiled:
        queryset = self._build(**self._markers).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        places = {}
        for name, marker in self._markers.items():
            held = self._adapted(connection, marker)
            places[name] = [
                index
                for index, value in enumerate(params)
                if type(value) is type(held) and value == held
            ]
            if not places[name]:
                raise ValueError(f"The marker for {name!r} is not among the query's parameters.")
        columns = [column for column, _sql, _alias in compiler.select]
        return _Compiled(queryset.query, sql, params, places, columns)

    def rows(
        self, *, using: str | None = None, checks_connection: bool = False, **values
    ) -> list[tuple]:
        """The rows for these values. With `checks_connection`, the query is the connection's
        health check (see _run_as_health_check): for a read that is a request's first query."""
        if self._model is None:
            self._model = self._build(**self._markers).model
        alias = using or router.db_for_read(self._model)
        if not compiled_queries_enabled():
            # The same read through the ORM alone (values_list gives the same tuples).
            return [tuple(row) for row in self._build(**values).using(alias)]
        connection = connections[alias]
        compiled = self._compiled.get((alias, connection.vendor))
        if compiled is None:
            compiled = self._compile(alias, connection)
            self._compiled[(alias, connection.vendor)] = compiled
        params = list(compiled.params)
        for name, indexes in compiled.places.items():
            value = self._adapted(connection, values[name])
            for index in indexes:
                params[index] = value

        def run() -> list[tuple]:
            with self._cursor(connection) as cursor:
                cursor.execute(compiled.sql, params)
                return cursor.fetchall()

        rows = _run_as_health_check(connection, run) if checks_connection else run()
        compiler = compiled.query.get_compiler(connection=connection)
        converters = compiler.get_converters(compiled.columns)
        if not converters:
            return [tuple(row) for row in rows]
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]

    def _cursor(self, connection):
        """Django's cursor, or on PostgreSQL, for a query compiled with `prepare` on a connection
        that allows prepared statements, one that prepares what it runs: wrapped as Django wraps
        its own, so the query is logged and its errors are Django's."""
        if not (self._prepare and connection.vendor == "postgresql"):
            return connection.cursor()
        connection.validate_thread_sharing()
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        if connection.connection.prepare_threshold is None:
            return connection.cursor()
        with connection.wrap_database_errors:
            cursor = _preparing_cursor_class()(connection.connection)
        if connection.queries_logged:
            return _PreparedDebugWrapper(cursor, connection)
        return connection.make_cursor(cursor)


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Django's query log, for a prepared statement: psycopg keeps no text of a query it sent
    prepared, the text Django's log takes (last_executed_query), so the SQL is logged as
    compiled, its parameters apart."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            # CursorWrapper's execute: CursorDebugWrapper's own would log the query again.
            return super(CursorDebugWrapper, self).execute(sql, params)


@cache
def _preparing_cursor_class() -> type:
    # Imported on first need: the PostgreSQL backend imports psycopg.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds parameters on the server and prepares every query it runs."""

        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparingCursor


def _run_as_health_check(connection, read: Callable[[], list[tuple]]) -> list[tuple]:
    """Run a read as the connection's health check. With CONN_HEALTH_CHECKS, Django sends
    `SELECT 1` before a request's first query on a kept connection, to replace it should the
    server have closed it (a restart): a second round trip, on every feed poll. Here the read
    itself is sent; should it fail on a connection that no longer works, the connection is
    replaced and the read sent again, once, which is what the check would have done. Inside a
    transaction a failure is the transaction's: nothing is retried."""
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return read()
    connection.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise
    connection.close()
    return read()

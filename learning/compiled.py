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
otherwise, and every marker must reach the parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    query: object
    sql: str
    params: list
    places: dict[str, list[int]]
    columns: list


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], **markers) -> None:
        self._build = build
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

    def rows(self, *, using: str | None = None, **values) -> list[tuple]:
        if self._model is None:
            self._model = self._build(**self._markers).model
        alias = using or router.db_for_read(self._model)
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
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        compiler = compiled.query.get_compiler(connection=connection)
        converters = compiler.get_converters(compiled.columns)
        if not converters:
            return [tuple(row) for row in rows]
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]

"""Database failures made on purpose: a query that fails as a lost connection does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection

# What PostgreSQL's driver says when the server goes away under a query.
LOST = "server closed the connection unexpectedly\n\tThis probably means the server terminated"
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
TABLE = re.compile(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)"?', re.IGNORECASE)


@contextmanager
def queries_fail(naming: str = "") -> Iterator[list[str]]:
    """Every query whose SQL names `naming` (every query, when empty) fails with Django's
    OperationalError before it reaches the database; the queries that ran before it go through.
    Gives the SQL of the queries that went through."""
    ran: list[str] = []

    def fail(execute, sql, params, many, context):
        if naming in sql:
            raise OperationalError(LOST)
        ran.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield ran


class WriteFailure:
    """An execute wrapper that fails the `at`-th INSERT, UPDATE or DELETE (counting from 1) as a
    lost connection does, once, and remembers the tables written before it."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.writes = 0
        self.failed = False
        self.written: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if WRITE.match(sql):
            self.writes += 1
            if self.writes == self.at:
                self.failed = True
                raise OperationalError(LOST)
            if not self.failed:
                match = TABLE.search(sql)
                self.written.append(match[1] if match else sql[:40])
        return execute(sql, params, many, context)

"""Many rows written at once through PostgreSQL's COPY, for the writers that insert hundreds of
thousands of plain rows without model instances (the roster import, the synthetic district).

The rows are spelled in COPY's text format here, a column at a time, and sent in chunks.
psycopg's write_row dumps and escapes every value of every row through its adapters: for
100,000 people that was a second and a half in Python before the server saw a row. A column of
text without a character to escape is taken as it is, whole numbers are spelled by str() in
one pass, and only values of other types (dates, datetimes, decimals...) go through psycopg's
own text dumpers, one by one, as write_row would have sent them.

    with connection.cursor() as cursor:
        copy_rows(cursor, table, columns, rows, constants=(now, now, False))

    with connection.cursor() as cursor, copying(cursor, table, columns) as copy:
        for chunk in chunks:
            copy.write(chunk)        # the server stores this chunk while the caller goes on
            ...

reserve_ids gives such a writer the primary keys of its new rows beforehand, so that what refers
to them (their history) is written without reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from types import NoneType

from django.db import connection, models
from psycopg.adapt import PyFormat

# COPY's text format: a tab between values, a newline after each row, \N for NULL; a backslash,
# tab, newline or carriage return inside a value is written as a backslash escape.
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

# Rows per chunk sent: large enough that sending costs nothing beside spelling, small enough
# that the text of a chunk is a megabyte or so while the server works on the last one.
CHUNK_ROWS = 5_000


def _needs_escape(text: str) -> bool:
    # Four substring searches run at memory speed; the equivalent regex search took half a
    # second over the history column of 100,000 people.
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


def _escaped(text: str) -> str:
    return text.translate(_ESCAPES) if _needs_escape(text) else text


class _Speller:
    """Values in COPY's text format; one psycopg dumper per other type, made on first use."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.dumpers: dict[type, object] = {}

    def __call__(self, value) -> str:
        kind = type(value)
        if kind is str:
            return _escaped(value)
        if value is None:
            return NULL
        if kind is int:
            return str(value)
        if kind is bool:
            return "t" if value else "f"
        dumper = self.dumpers.get(kind)
        if dumper is None:
            dumper = self.cursor.adapters.get_dumper(kind, PyFormat.TEXT)(kind, self.cursor)
            self.dumpers[kind] = dumper
        return _escaped(bytes(dumper.dump(value)).decode())

    def column(self, values: Sequence) -> Sequence[str]:
        """A column's values spelled: in one pass where every value is of one plain kind."""
        kinds = set(map(type, values))
        if kinds <= {str, NoneType}:
            # One search over the whole column: most columns have nothing to escape.
            texts = values if NoneType not in kinds else [v for v in values if v is not None]
            if _needs_escape("".join(texts)):
                return list(map(self, values))
            return values if texts is values else [NULL if v is None else v for v in values]
        if kinds <= {int, NoneType}:
            if NoneType not in kinds:
                return list(map(str, values))
            return [NULL if value is None else str(value) for value in values]
        return list(map(self, values))


class Copying:
    """An open COPY into one table: write() sends a chunk of rows and returns while the server
    stores them."""

    def __init__(self, copy, speller: _Speller, suffix: str):
        self._copy = copy
        self._spell = speller
        self._suffix = suffix
        self.written = 0

    def write(self, rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        columns = [self._spell.column(values) for values in zip(*rows, strict=True)]
        suffix = self._suffix
        self._copy.write(suffix.join(map("\t".join, zip(*columns, strict=True))) + suffix)
        self.written += len(rows)


@contextmanager
def copying(
    cursor, table: str, columns: Sequence[str], *, constants: Sequence = ()
) -> Iterator[Copying]:
    """A COPY into `table` (its quoted name) of the quoted `columns`: each row written gives its
    values in order, then come `constants`, the values every row repeats (spelled once).
    `cursor` is a psycopg cursor, or Django's cursor wrapper around one. The COPY ends, and
    the server finishes storing the rows, when the block does."""
    if len(columns) <= len(constants):
        raise ValueError("Each row must give at least one value of its own.")
    cursor = getattr(cursor, "cursor", cursor)
    spell = _Speller(cursor)
    suffix = "".join("\t" + spell(value) for value in constants) + "\n"
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        yield Copying(copy, spell, suffix)


def copy_rows(
    cursor,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    constants: Sequence = (),
) -> int:
    """COPY `rows` into `table` as `copying` does, in chunks of CHUNK_ROWS. Returns the number
    of rows written."""
    rows = iter(rows)
    with copying(cursor, table, columns, constants=constants) as copy:
        while chunk := list(islice(rows, CHUNK_ROWS)):
            copy.write(chunk)
    return copy.written


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys no row of `model` has or will be given, in increasing order, for
    rows inserted with their ids. The caller keeps every other writer out of the table until
    it commits: on PostgreSQL with LOCK TABLE ... SHARE ROW EXCLUSIVE (as the roster commit
    does), so that no one's insert draws from the sequence while the block is taken from it in
    one statement; on SQLite its transaction holds the database's write lock. (Drawing the
    ids one by one with nextval took half a second for 100,000.)"""
    if count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(sequence, nextval(sequence) + %s - 1) "
                "FROM pg_get_serial_sequence(%s, %s) AS sequence",
                [count, connection.ops.quote_name(meta.db_table), meta.pk.column],
            )
            (last,) = cursor.fetchone()
            return list(range(last - count + 1, last + 1))
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"No way to reserve ids on {connection.vendor}.")
        # AUTOINCREMENT never gives an id twice: past the highest row and the highest id given.
        cursor.execute("SELECT MAX(seq) FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        (given,) = cursor.fetchone()
        highest = model._base_manager.aggregate(highest=models.Max("pk"))["highest"]
        start = max(given or 0, highest or 0) + 1
        return list(range(start, start + count))

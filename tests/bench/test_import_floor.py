"""The roster import's floor (bench.bench_imports.floor_once): it stores every row of the file
into a table with the staff table's columns and indexes, on either database, so the ratio the
benchmark reports compares the import with the same rows really written."""

import pytest
from django.db import connection

from bench.bench_imports import FLOOR_TABLE, floor_once
from demo.synthetic import write_roster

pytestmark = pytest.mark.django_db(transaction=True)


def indexes_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        ",".join(column or "(expression)" for column in details["columns"] or [None])
        for details in constraints.values()
        if details["index"] or details["unique"]
    }


def test_the_floor_stores_every_row_with_the_staff_tables_indexes(tmp_path):
    path = tmp_path / "roster.xlsx"
    rows = write_roster(path, staff=40, buildings=3, seed=1)

    try:
        measured = floor_once(str(path))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT employee_id) FROM {FLOOR_TABLE}")
            stored = cursor.fetchone()
        floor_indexes = indexes_of(FLOOR_TABLE)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")

    assert stored == (rows, rows)
    assert floor_indexes == indexes_of("learning_staffmember")
    assert measured["seconds"] == pytest.approx(measured["read"] + measured["store"])

"""core.db.bulk: rows spelled in COPY's text format, a column at a time, read back by the
database exactly as they were given; and ids reserved for rows inserted with their ids."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.db import bulk
from imports import services as import_services
from learning.models import StaffMember
from tests import factories as f


class RecordingCursor:
    """A psycopg cursor's COPY, kept as the text it would send."""

    adapters = psycopg.adapters
    connection = None

    def __init__(self):
        self.statements: list[str] = []
        self.chunks: list[str] = []

    @contextmanager
    def copy(self, statement):
        self.statements.append(statement)
        yield SimpleNamespace(write=self.chunks.append)

    @property
    def lines(self) -> list[str]:
        text = "".join(self.chunks)
        assert text.endswith("\n")
        return text[:-1].split("\n")


def test_values_are_spelled_as_copy_text_reads_them():
    cursor = RecordingCursor()
    rows = [
        ("plain", 7, None, True, dt.date(2024, 2, 29), Decimal("1.50")),
        ("tab\there", -3, "x", False, None, None),
        ("back\\slash, new\nline, return\r", 0, "", True, dt.date(1999, 12, 31), Decimal("0")),
        ("Zoë O'Brien 🍎 \u05e9\u05dc\u05d5\u05dd", 12, "y", False, None, Decimal("-2")),
    ]

    written = bulk.copy_rows(cursor, '"t"', ['"a"', '"b"', '"c"', '"d"', '"e"', '"f"'], rows)

    assert written == 4
    assert cursor.statements == ['COPY "t" ("a", "b", "c", "d", "e", "f") FROM STDIN']
    assert cursor.lines == [
        "plain\t7\t\\N\tt\t2024-02-29\t1.50",
        "tab\\there\t-3\tx\tf\t\\N\t\\N",
        "back\\\\slash, new\\nline, return\\r\t0\t\tt\t1999-12-31\t0",
        "Zoë O'Brien 🍎 \u05e9\u05dc\u05d5\u05dd\t12\ty\tf\t\\N\t-2",
    ]


def test_constants_close_every_row_and_rows_go_in_chunks(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    cursor = RecordingCursor()
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    written = bulk.copy_rows(
        cursor,
        '"t"',
        ['"a"', '"b"', '"c"'],
        iter([(n,) for n in range(5)]),
        constants=(stamp, "a\tb"),
    )

    assert written == 5
    assert len(cursor.chunks) == 3  # 2 + 2 + 1 rows
    assert cursor.lines == [f"{n}\t2026-01-02 03:04:05+00:00\ta\\tb" for n in range(5)]


def test_a_row_must_give_a_value_of_its_own():
    with pytest.raises(ValueError, match="at least one value"):
        bulk.copy_rows(RecordingCursor(), '"t"', ['"a"'], [()], constants=(1,))


@pytest.mark.django_db(transaction=True)
def test_rows_read_back_exactly_as_given(building):
    """Through the roster import's writer: COPY on PostgreSQL, INSERTs on SQLite."""
    names = [
        "Tab\tInside",
        "New\nLine",
        "Carriage\rReturn",
        "Back\\slash \\N \\t",
        "José Núñez",
        "Zoë O'Brien 🍎",
        "\u05e9\u05dc\u05d5\u05dd",
        'Quote "Jr"',
    ]
    position = f.PositionFactory()
    now = timezone.now()
    rows = [
        (
            f"B{n:03d}",
            name,
            name[::-1],
            "" if n % 2 else name,
            f"p{n}@bps.example.org",
            building.pk,
            position.pk if n % 3 else None,
            "active",
            "2019-08-15" if n % 2 else None,
            None,
        )
        for n, name in enumerate(names)
    ]
    with transaction.atomic():
        import_services._insert_rows(
            StaffMember, import_services.STAFF_CREATE_FIELDS, rows, now=now
        )

    stored = {
        person.employee_id: person
        for person in StaffMember.objects.filter(employee_id__in=[row[0] for row in rows])
    }
    assert len(stored) == len(rows)
    for row in rows:
        person = stored[row[0]]
        assert (person.first_name, person.last_name, person.preferred_name) == row[1:4]
        assert (person.building_id, person.position_id) == (row[5], row[6])
        assert person.hired_on == (dt.date(2019, 8, 15) if row[8] else None)
        assert person.separated_on is None
        assert person.created_at == now and person.updated_at == now
        assert (person.managed_manually, person.is_demo) == (False, False)


@pytest.mark.django_db(transaction=True)
def test_reserved_ids_are_never_given_to_anyone_else():
    f.StaffMemberFactory()
    highest = StaffMember.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic():
        ids = bulk.reserve_ids(StaffMember, 3)
        assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > highest
        rows = [
            (pk, f"R{pk}", "Res", "Erved", "", f"r{pk}@bps.example.org", "active") for pk in ids
        ]
        import_services._insert_rows(
            StaffMember,
            ("id", "employee_id", "first_name", "last_name", "preferred_name", "email", "status"),
            rows,
            now=timezone.now(),
        )
    # The next row anyone saves gets an id past the reserved ones.
    later = f.StaffMemberFactory()
    assert later.pk > ids[-1]
    assert sorted(StaffMember.objects.filter(pk__in=ids).values_list("employee_id", flat=True)) == [
        f"R{pk}" for pk in ids
    ]
    assert bulk.reserve_ids(StaffMember, 0) == []
    if connection.vendor == "postgresql":
        # Taken from the sequence: a second block follows the first, with no one in between.
        with transaction.atomic():
            again = bulk.reserve_ids(StaffMember, 2)
        assert again[0] > later.pk

"""The district the roster files in tests/data/roster/ name: buildings maple and oak, positions
teacher, principal and counselor."""

import csv
import io
from pathlib import Path

import pytest

from learning.choices import PositionCategory
from tests import factories as f

DATA = Path(__file__).resolve().parents[1] / "data" / "roster"
ROSTER_HEADER = ["Employee ID", "First Name", "Last Name", "Email", "Building", "Position"]


@pytest.fixture
def district(db):
    return {
        "maple": f.BuildingFactory(code="maple", name="Maple Elementary"),
        "oak": f.BuildingFactory(code="oak", name="Oak Middle"),
        "teacher": f.PositionFactory(code="teacher", name="Teacher"),
        "principal": f.PositionFactory(
            code="principal", name="Principal", category=PositionCategory.LEADER
        ),
        "counselor": f.PositionFactory(
            code="counselor", name="Counselor", category=PositionCategory.SUPPORT
        ),
    }


def csv_bytes(rows, *, header=ROSTER_HEADER, delimiter=",", encoding="utf-8") -> bytes:
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode(encoding)


def person_row(number: int, *, building="maple", position="teacher", **overrides) -> list[str]:
    """A valid row of ROSTER_HEADER for employee 9NNNNN."""
    values = {
        "employee_id": f"9{number:05d}",
        "first_name": f"First{number}",
        "last_name": f"Last{number}",
        "email": f"person{number}@bps.example.org",
        "building": building,
        "position": position,
    }
    values.update(overrides)
    return list(values.values())

"""Roster and completion uploads with bad cells: text too long for its field, dates that are not
dates, wrong types in workbook cells, NUL characters, unknown codes. The preview names the row
and column of every problem, the run cannot be committed, and no staff or completion is written.
Real names in every script are imported and shown back unchanged."""

import codecs
import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook

from enrollment.models import Completion
from imports.models import ImportRun
from learning.models import StaffMember

from .conftest import row_counts
from .corpus import INVALID_DATES, NUL, UNICODE_TEXTS, overlong

pytestmark = pytest.mark.django_db

ROSTER_HEADER = [
    "Employee ID",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Email",
    "Building",
    "Position",
    "Status",
    "Hire Date",
    "Separation Date",
]
COMPLETIONS_HEADER = ["Employee ID", "Course Code", "Completion Date", "Hours", "Evidence Note"]


def roster_row(number: int, **changes) -> dict:
    row = {
        "Employee ID": f"9{number:05d}",
        "First Name": f"First{number}",
        "Last Name": f"Last{number}",
        "Preferred Name": "",
        "Email": f"person{number}@bps.example.org",
        "Building": "maple",
        "Position": "teacher",
        "Status": "Active",
        "Hire Date": "2020-08-20",
        "Separation Date": "",
    }
    row.update(changes)
    return row


def completion_row(world, **changes) -> dict:
    row = {
        "Employee ID": world.colleague.employee_id,
        "Course Code": world.course.code,
        "Completion Date": "2026-01-15",
        "Hours": "3",
        "Evidence Note": "Certificate",
    }
    row.update(changes)
    return row


def csv_file(header, rows, *, encoding="utf-8", name="upload.csv") -> SimpleUploadedFile:
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    data = stream.getvalue().encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_file(header, rows, name="upload.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, world, file, kind="roster"):
    client.force_login(world.hr.user)
    return client.post(reverse("import-run-list"), {"file": file, "kind": kind}, format="multipart")


def written(before: dict) -> dict:
    after = row_counts()
    # A preview records its run (that is the point of it); nothing else may change.
    return {
        label: (before[label], after[label])
        for label in before
        if before[label] != after[label] and label != "imports.ImportRun"
    }


def assert_refused_at(client, world, response, row: int, column: str, before: dict) -> None:
    assert response.status_code == 201, response.content[:500]
    run = response.json()
    problems = [(error["row"], error["column"]) for error in run["errors"]]
    assert (row, column) in problems, run["errors"]
    assert not run["can_commit"]
    assert not written(before)
    commit = client.post(reverse("import-run-commit", args=[run["id"]]), {}, format="json")
    assert commit.status_code == 409
    assert commit.json()["code"] == "has_errors"
    assert not written(before)


ROSTER_CASES = [
    ("Employee ID", overlong(40)),
    ("First Name", overlong(100)),
    ("Last Name", overlong(100)),
    ("Last Name", ""),
    ("Preferred Name", overlong(100)),
    ("Email", "not-an-email"),
    ("Email", "ann@" + "x" * 260 + ".org"),
    ("Email", "zoë@bps.example.org\u200f"),
    ("Building", "nowhere"),
    ("Building", overlong(200)),
    ("Position", "astronaut"),
    ("Status", "bogus"),
    *(("Hire Date", value) for value in INVALID_DATES),
    ("Hire Date", "1066-10-14"),
    ("Separation Date", "2019-01-01"),  # before the hire date
]


@pytest.mark.parametrize(("column", "value"), ROSTER_CASES, ids=repr)
def test_a_bad_roster_cell_is_named_by_row_and_column(api_client, world, column, value):
    before = row_counts()
    file = csv_file(ROSTER_HEADER, [roster_row(1), roster_row(2, **{column: value})])

    response = upload(api_client, world, file)

    assert_refused_at(api_client, world, response, 3, column, before)


COMPLETION_CASES = [
    ("Employee ID", "nobody"),
    ("Employee ID", overlong(40)),
    ("Course Code", "no-such-course"),
    ("Course Code", overlong(40)),
    *(("Completion Date", value) for value in INVALID_DATES),
    ("Completion Date", "2999-01-01"),
    ("Hours", "abc"),
    ("Hours", "-1"),
    ("Hours", "1e9"),
    ("Hours", "NaN"),
]


@pytest.mark.parametrize(("column", "value"), COMPLETION_CASES, ids=repr)
def test_a_bad_completion_cell_is_named_by_row_and_column(api_client, world, column, value):
    before = row_counts()
    file = csv_file(COMPLETIONS_HEADER, [completion_row(world, **{column: value})])

    response = upload(api_client, world, file, kind="completions")

    assert_refused_at(api_client, world, response, 2, column, before)


def test_wrong_types_in_workbook_cells_are_named(api_client, world):
    before = row_counts()
    rows = [
        roster_row(1, **{"Email": dt.time(8, 30)}),
        roster_row(2, **{"Hire Date": True}),
        roster_row(3, **{"Separation Date": 3.5e12}),
        roster_row(4, **{"Status": 42}),
    ]

    response = upload(api_client, world, xlsx_file(ROSTER_HEADER, rows))

    assert response.status_code == 201, response.content[:500]
    problems = {(error["row"], error["column"]) for error in response.json()["errors"]}
    assert {(2, "Email"), (3, "Hire Date"), (4, "Separation Date"), (5, "Status")} <= problems
    assert not written(before)


@pytest.mark.parametrize("where", ["utf-16", "after 64 KiB"])
def test_a_nul_character_in_a_cell_is_never_stored(api_client, world, where):
    before = row_counts()
    rows = [roster_row(1, **{"Last Name": NUL})]
    if where == "utf-16":
        # Every other byte of UTF-16 is zero, so the file is not refused as binary.
        file = csv_file(ROSTER_HEADER, rows, encoding="utf-16-le")
    else:
        rows = [roster_row(n) for n in range(2, 700)] + rows
        file = csv_file(ROSTER_HEADER, rows)

    response = upload(api_client, world, file)

    if response.status_code == 400:  # the whole file refused
        assert response.json()["code"]
        assert not written(before)
        return
    run = response.json()
    assert "Last Name" in {error["column"] for error in run["errors"]}, run["errors"][:3]
    assert not run["can_commit"]
    commit = api_client.post(reverse("import-run-commit", args=[run["id"]]), {}, format="json")
    assert commit.status_code == 409
    assert not written(before)
    assert not StaffMember.objects.filter(last_name__contains="Lee").exists()


def test_a_refused_upload_is_recorded_without_writing_anything_else(api_client, world):
    before = row_counts()

    response = upload(
        api_client, world, SimpleUploadedFile("roster.csv", b"\x00\x01binary\x00" * 10)
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_spreadsheet"
    assert not written(before)


# Real names: imported, stored and shown exactly as the file has them.

TEXTS = sorted(UNICODE_TEXTS.items())


@pytest.mark.parametrize("kind", ["csv", "xlsx", "utf-16"])
def test_names_in_every_script_round_trip_through_a_roster_import(api_client, client, world, kind):
    names = [text[:100] for _label, text in TEXTS]
    rows = [
        roster_row(n, **{"First Name": name, "Last Name": name, "Preferred Name": name})
        for n, name in enumerate(names, start=1)
    ]
    file = (
        xlsx_file(ROSTER_HEADER, rows)
        if kind == "xlsx"
        else csv_file(ROSTER_HEADER, rows, encoding="utf-16-le" if kind == "utf-16" else "utf-8")
    )

    response = upload(api_client, world, file)
    assert response.status_code == 201, response.content[:500]
    run = response.json()
    assert run["errors"] == [] and run["can_commit"], run["errors"]

    # The preview page shows the names as the file has them.
    client.force_login(world.hr.user)
    page = client.get(reverse("imports:run", args=[run["id"]])).content.decode()
    for name in names:
        assert escape(name) in page

    commit = api_client.post(reverse("import-run-commit", args=[run["id"]]), {}, format="json")
    assert commit.status_code == 200, commit.content[:500]
    stored = {
        staff.employee_id: (staff.first_name, staff.last_name, staff.preferred_name)
        for staff in StaffMember.objects.filter(employee_id__startswith="9")
    }
    expected = {row["Employee ID"]: (name,) * 3 for row, name in zip(rows, names, strict=True)}
    assert stored == expected
    assert ImportRun.objects.get(pk=run["id"]).outcome == "committed"


def test_evidence_in_every_script_round_trips_through_a_completions_import(api_client, world):
    people = [world.colleague, world.teacher, world.leader, world.facilitator, world.hr]
    texts = [text for _label, text in TEXTS]
    rows = [
        completion_row(world, **{"Employee ID": person.employee_id, "Evidence Note": text})
        for person, text in zip(people * 2, texts, strict=True)
    ]
    for index, row in enumerate(rows):
        row["Completion Date"] = f"2026-01-{index + 1:02d}"

    response = upload(api_client, world, csv_file(COMPLETIONS_HEADER, rows), kind="completions")
    assert response.status_code == 201, response.content[:500]
    run = response.json()
    assert run["errors"] == [], run["errors"]
    commit = api_client.post(reverse("import-run-commit", args=[run["id"]]), {}, format="json")
    assert commit.status_code == 200, commit.content[:500]

    stored = set(Completion.objects.filter(source="import").values_list("evidence", flat=True))
    assert stored == set(texts)


@pytest.mark.parametrize(
    ("kind", "column", "row"),
    [
        ("roster", "Employee ID", None),
        ("roster", "First Name", None),
        ("roster", "Preferred Name", None),
        ("roster", "Building", None),
        ("roster", "Position", None),
        ("roster", "Status", None),
        ("roster", "Hire Date", None),
        ("roster", "Email", None),
        ("completions", "Employee ID", None),
        ("completions", "Course Code", None),
        ("completions", "Completion Date", None),
        ("completions", "Hours", None),
        ("completions", "Evidence Note", None),
    ],
)
def test_a_nul_character_in_any_column_is_a_row_error(api_client, world, kind, column, row):
    """UTF-16 files are mostly zero bytes, so they are not refused as binary: the cell is."""
    before = row_counts()
    if kind == "roster":
        header, rows = ROSTER_HEADER, [roster_row(1, **{column: f"x{NUL}y"})]
    else:
        header, rows = COMPLETIONS_HEADER, [completion_row(world, **{column: f"3{NUL}"})]
    file = csv_file(header, rows, encoding="utf-16-le")

    client = api_client
    client.force_login(world.hr.user)
    response = client.post(
        reverse("import-run-list"),
        {"file": file, "kind": kind, "create_missing": True},
        format="multipart",
    )

    assert_refused_at(client, world, response, 2, column, before)
    shown = [error["value"] for error in response.json()["errors"] if error["column"] == column]
    assert all("\x00" not in value for value in shown)

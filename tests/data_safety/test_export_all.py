"""export_all: what it writes (tables, manifest, workbooks) and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime
from openpyxl import load_workbook

from backups import workbooks as backup_workbooks
from backups.services import MANIFEST, applied_migrations, exported_models, table_file
from enrollment.models import Completion
from learning.models import StaffMember
from tests.data_safety.dataset import (
    ARABIC,
    FORMULA_NAME,
    VOID_REASON,
    ZOE_LAST_NAME,
    seed_district,
)
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db


def export(out: Path, **options) -> Path:
    call_command("export_all", out=str(out), verbosity=0, **options)
    return out


def sheet_rows(path: Path, title: str) -> list[dict]:
    workbook = load_workbook(path, read_only=True)
    rows = list(workbook[title].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def test_the_manifest_lists_every_table_with_its_rows_and_the_schema(tmp_path):
    seeded = seed_district()
    manifest = json.loads((export(tmp_path / "out") / MANIFEST).read_text(encoding="utf-8"))

    labels = [table["model"] for table in manifest["tables"]]
    for expected in ("learning.staffmember", "enrollment.completion", "imports.importrun"):
        assert expected in labels
    for expected in ("auth.user", "auth.group", "authtoken.token", "calendars.feedtoken"):
        assert expected in labels
    # The cache generation's bookkeeping is not data; sessions and content types are not.
    assert "learning.datachange" not in labels
    assert "sessions.session" not in labels
    assert "contenttypes.contenttype" not in labels
    assert "learning.datachange" in manifest["left_out"]
    for table in manifest["tables"]:
        model = next(m for m in exported_models() if m._meta.label_lower == table["model"])
        assert table["rows"] == model._base_manager.count(), table["model"]
        assert table["file"] == table_file(model)
    assert manifest["migrations"] == applied_migrations()
    assert parse_datetime(manifest["exported_at"]) is not None
    assert manifest["workbooks"]["xlsx/sessions.xlsx"] == {"Sessions": 2, "Meetings": 2}
    # Secrets stay as they are (a restore needs them), and the files say how to keep them.
    tokens = (tmp_path / "out" / "json" / "calendars.feedtoken.json").read_text(encoding="utf-8")
    assert seeded["feed"].key in tokens
    assert "password hashes" in manifest["sensitive"]


def test_the_json_keeps_text_as_written_one_row_a_line(tmp_path):
    seed_district()
    export(tmp_path / "out")
    lines = (
        (tmp_path / "out" / "json" / "learning.staffmember.json")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    assert lines[0] == "[" and lines[-1] == "]"
    rows = [json.loads(line.removesuffix(",")) for line in lines[1:-1]]
    assert len(rows) == StaffMember.objects.count()
    names = {(row["fields"]["first_name"], row["fields"]["last_name"]) for row in rows}
    assert ("José", "Núñez") in names
    assert ("Zoë", ZOE_LAST_NAME) in names
    assert ("مريم", "الحسن") in names
    run = (tmp_path / "out" / "json" / "imports.importrun.json").read_text(encoding="utf-8")
    assert ARABIC + " 🙂" in run  # UTF-8, not \u escapes
    # Microseconds survive (Django's own JSON keeps milliseconds only).
    completions = (tmp_path / "out" / "json" / "enrollment.completion.json").read_text(
        encoding="utf-8"
    )
    assert '"voided_at": "2026-09-14T15:30:12.345678Z"' in completions


def test_the_workbooks_open_and_hold_the_rows_with_names(tmp_path):
    seeded = seed_district()
    xlsx = export(tmp_path / "out") / "xlsx"
    assert sorted(path.name for path in xlsx.iterdir()) == [
        "buildings.xlsx",
        "completions.xlsx",
        "courses.xlsx",
        "enrollments.xlsx",
        "positions.xlsx",
        "requirements.xlsx",
        "sessions.xlsx",
        "staff.xlsx",
    ]

    staff = sheet_rows(xlsx / "staff.xlsx", "Staff")
    assert len(staff) == StaffMember.objects.count()
    jose = next(row for row in staff if row["Employee ID"] == seeded["jose"].employee_id)
    assert (jose["First name"], jose["Last name"]) == ("José", "Núñez")
    assert jose["Building"] == "Escuela Núñez"
    assert jose["Login"] == "jose"
    assert jose["Groups"] == "Comité «Better Together»"
    zoe = next(row for row in staff if row["Last name"] == ZOE_LAST_NAME)
    assert zoe["Leads buildings"] == "Escuela Núñez; בית ספר חדר המורים"
    # A name that looks like a formula is text in the workbook, never a formula.
    workbook = load_workbook(xlsx / "staff.xlsx")
    cells = [cell for row in workbook["Staff"].iter_rows() for cell in row]
    formula_cell = next(cell for cell in cells if cell.value == FORMULA_NAME)
    assert formula_cell.data_type == "s"

    completions = sheet_rows(xlsx / "completions.xlsx", "Completions")
    assert len(completions) == Completion.objects.count() == 4
    voided = next(row for row in completions if row["Completion ID"] == seeded["voided"].pk)
    assert voided["Name"] == "Núñez, José"
    assert voided["Void reason"] == VOID_REASON
    assert voided["Voided by"] == "zoë.obrien"

    enrollments = sheet_rows(xlsx / "enrollments.xlsx", "Enrollments")
    assert {row["Status"] for row in enrollments} == {
        "Completed",
        "Enrolled",
        "Waitlisted",
        "Cancelled",
    }
    assert {row["Course"] for row in enrollments} == {
        "Foundations — Fundamentos",
        f"Advanced: {ARABIC}",
    }
    sessions = sheet_rows(xlsx / "sessions.xlsx", "Sessions")
    cohort = next(row for row in sessions if row["Session ID"] == seeded["session"].pk)
    assert cohort["Facilitators"] == "O'Brien, Zo 🌈"
    assert cohort["Only for group"] == "Comité «Better Together»"
    meetings = sheet_rows(xlsx / "sessions.xlsx", "Meetings")
    assert [row["Status"] for row in meetings] == ["Scheduled", "Cancelled"]
    requirements = sheet_rows(xlsx / "requirements.xlsx", "Requirements")
    assert {row["Kind"] for row in requirements} == {
        "Complete a course",
        "Clock hours in a strand",
    }
    course_requirement = next(row for row in requirements if row["Course code"] == "crt-101")
    assert course_requirement["Audience buildings"] == "Escuela Núñez; בית ספר חדר המורים"


def test_a_table_longer_than_a_sheet_goes_on_over_further_sheets(tmp_path, monkeypatch):
    StaffMemberFactory.create_batch(5)
    monkeypatch.setattr(backup_workbooks, "MAX_ROWS", 2)
    export(tmp_path / "out")
    path = tmp_path / "out" / "xlsx" / "staff.xlsx"
    assert load_workbook(path, read_only=True).sheetnames == ["Staff", "Staff (2)", "Staff (3)"]
    parts = [sheet_rows(path, name) for name in ("Staff", "Staff (2)", "Staff (3)")]
    assert [len(rows) for rows in parts] == [2, 2, 1]
    assert len({row["Employee ID"] for rows in parts for row in rows}) == 5


def test_the_queries_do_not_grow_with_the_rows(tmp_path):
    def queries_for_export(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            export(tmp_path / name)
        return len(captured)

    seed_district()
    few = queries_for_export("few")
    for _ in range(30):
        person = StaffMemberFactory()
        person.leads_buildings.add(person.building)
    assert queries_for_export("many") == few


def test_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(CommandError, match=rf"{tmp_path} is not empty.*--force"):
        export(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_force_replaces_an_earlier_export_and_leaves_other_files(tmp_path):
    out = export(tmp_path / "out")
    stale = out / "json" / "gone.table.json"
    stale.write_text("[\n]\n", encoding="utf-8")
    (out / "README.txt").write_text("ours", encoding="utf-8")
    StaffMemberFactory(first_name="Zoë")
    export(out, force=True)
    assert not stale.exists()
    assert (out / "README.txt").read_text(encoding="utf-8") == "ours"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    staff = next(t for t in manifest["tables"] if t["model"] == "learning.staffmember")
    assert staff["rows"] == 1


def test_refuses_a_directory_it_cannot_write(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match=rf"{blocker} exists and is not a directory"):
        export(blocker)
    with pytest.raises(CommandError, match=rf"Cannot write to {blocker}/inside: "):
        export(blocker / "inside")


def test_the_export_is_readable_by_its_owner_only(tmp_path):
    out = export(tmp_path / "out")
    assert out.stat().st_mode & 0o777 == 0o700
    assert (out / MANIFEST).stat().st_mode & 0o777 == 0o600
    assert (out / "json" / "auth.user.json").stat().st_mode & 0o777 == 0o600
    assert (out / "xlsx" / "staff.xlsx").stat().st_mode & 0o777 == 0o600

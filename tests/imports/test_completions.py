"""The completion import: every row checked with its row and column, a preview of what would be
recorded, a commit that records exactly that (source "import") or refuses, and the command."""

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from enrollment.choices import CompletionSource
from enrollment.models import Completion
from imports import completions as c
from imports import services
from imports.choices import ImportKind, ImportOutcome
from imports.models import ImportRun
from imports.readers import UnreadableFile
from tests import factories as f
from tests.imports.conftest import DATA as ROSTER_DATA

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "completions"
HEADER = "Employee ID,Course Code,Completed On,Clock Hours,Evidence\r\n"


@pytest.fixture
def catalog(db):
    """The staff and courses the files in tests/data/completions name."""
    return {
        "ann": f.StaffMemberFactory(employee_id="000101", first_name="Ann", last_name="Lee"),
        "ben": f.StaffMemberFactory(employee_id="000102", first_name="Ben", last_name="Ortiz"),
        "cara": f.StaffMemberFactory(employee_id="000103", first_name="Cara", last_name="Diaz"),
        "crt": f.CourseFactory(
            code="crt-101", title="Culturally Responsive Teaching", clock_hours=3
        ),
        "rp": f.CourseFactory(code="rp-201", title="Restorative Practices", clock_hours=6),
    }


def preview(source, **options):
    return services.completions_preview(source=source, actor=None, **options)


def csv_file(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\r\n" for line in lines)).encode()


@pytest.mark.parametrize("name", ["completions.csv", "completions.xlsx"])
def test_a_clean_file_previews_every_record_and_writes_nothing(catalog, name):
    result = preview(DATA / name)

    assert Completion.objects.count() == 0
    assert result.run.kind == ImportKind.COMPLETIONS
    assert result.run.outcome == ImportOutcome.PREVIEWED
    assert result.counts == {
        "rows": 4,
        "invalid_rows": 0,
        "errors": 0,
        "created": 4,
        "unchanged": 0,
    }
    created = {
        (entry["employee_id"], entry["course"], entry["completed_on"]): entry
        for entry in result.creates
    }
    assert set(created) == {
        ("000101", "crt-101", "2023-03-04"),
        ("000102", "crt-101", "2023-03-04"),
        ("000101", "rp-201", "2022-11-15"),
        ("000103", "rp-201", "2024-01-09"),
    }
    # Blank hours are the course's; blank evidence says where the record came from.
    assert created["000101", "crt-101", "2023-03-04"]["clock_hours"] == "3.00"
    assert created["000102", "crt-101", "2023-03-04"]["clock_hours"] == "2.50"
    assert created["000101", "rp-201", "2022-11-15"]["evidence"] == f"Imported from {name}"
    assert created["000102", "crt-101", "2023-03-04"]["name"] == "Ben Ortiz"


def test_every_error_kind_is_reported_with_its_row_and_column(catalog):
    result = preview(DATA / "errors.csv")

    found = {(error.row, error.column, error.message) for error in result.errors}
    assert found == {
        (2, "Employee ID", c.MSG_UNKNOWN_EMPLOYEE),
        (3, "Course Code", c.MSG_UNKNOWN_COURSE),
        (
            4,
            "Completion Date",
            "This is not a date that can be read; write dates as YYYY-MM-DD or MM/DD/YYYY.",
        ),
        (5, "Completion Date", c.MSG_FUTURE),
        (6, "Hours", c.MSG_HOURS),
        *(
            (row, column, c.MSG_DUPLICATE.format(rows="7, 8"))
            for row in (7, 8)
            for column in ("Employee ID", "Course Code", "Completion Date")
        ),
    }
    assert result.counts["invalid_rows"] == 7
    assert result.counts["created"] == 1
    assert [error.value for error in result.errors if error.row == 6] == ["lots"]
    assert Completion.objects.count() == 0


def test_required_values_and_ids_without_leading_zeros(catalog):
    result = preview(csv_file("101,crt-101,2023-01-05,,", ",crt-101,2023-01-05,,", "000102,,,,"))

    assert [entry["employee_id"] for entry in result.creates] == ["000101"]
    assert {(error.row, error.field) for error in result.errors} == {
        (3, "employee_id"),
        (4, "course"),
        (4, "completed_on"),
    }
    assert {error.message for error in result.errors} == {c.MSG_REQUIRED}


def test_a_course_can_be_named_by_its_title(catalog):
    result = preview(csv_file("000101,restorative practices,2023-01-05,,"))

    assert result.creates[0]["course"] == "rp-201"


def test_today_is_not_the_future_but_tomorrow_is(catalog):
    today = timezone.localdate()
    result = preview(
        csv_file(
            f"000101,crt-101,{today.isoformat()},,",
            f"000102,crt-101,{(today + dt.timedelta(days=1)).isoformat()},,",
        )
    )

    assert result.counts["created"] == 1
    assert [(error.row, error.message) for error in result.errors] == [(3, c.MSG_FUTURE)]


@pytest.mark.parametrize("hours", ["-1", "1000", "NaN", "three"])
def test_hours_out_of_range_are_errors(catalog, hours):
    result = preview(csv_file(f"000101,crt-101,2023-01-05,{hours},"))

    assert [error.message for error in result.errors] == [c.MSG_HOURS]


def test_commit_records_exactly_the_preview(catalog, hr):
    result = services.completions_preview(source=DATA / "completions.csv", actor=hr.user)

    run = services.completions_commit(run=result.run, actor=hr.user)

    assert run.outcome == ImportOutcome.COMMITTED
    assert run.message == "Committed: 4 completion(s) recorded, 0 unchanged."
    recorded = Completion.objects.order_by("completed_on", "staff__employee_id")
    assert [
        (
            row.staff.employee_id,
            row.course.code,
            row.completed_on,
            row.clock_hours,
            row.source,
            row.recorded_by,
            row.evidence,
        )
        for row in recorded
    ] == [
        (
            "000101",
            "rp-201",
            dt.date(2022, 11, 15),
            Decimal("6.00"),
            "import",
            hr.user,
            "Imported from completions.csv",
        ),
        (
            "000101",
            "crt-101",
            dt.date(2023, 3, 4),
            Decimal("3.00"),
            "import",
            hr.user,
            "Summer institute certificate",
        ),
        (
            "000102",
            "crt-101",
            dt.date(2023, 3, 4),
            Decimal("2.50"),
            "import",
            hr.user,
            "Sign-in sheet",
        ),
        (
            "000103",
            "rp-201",
            dt.date(2024, 1, 9),
            Decimal("6.00"),
            "import",
            hr.user,
            "Transcript from the state portal",
        ),
    ]
    assert len({row.verification_code for row in recorded}) == 4


def test_the_same_file_again_is_unchanged_and_never_duplicated(catalog):
    services.completions_commit(run=preview(DATA / "completions.csv").run, actor=None)

    again = preview(DATA / "completions.xlsx")

    assert again.counts["created"] == 0
    assert again.counts["unchanged"] == 4
    assert {entry["completion_id"] for entry in again.unchanged} == set(
        Completion.objects.values_list("pk", flat=True)
    )
    services.completions_commit(run=again.run, actor=None)
    assert Completion.objects.count() == 4


def test_a_voided_completion_does_not_make_a_row_unchanged(catalog):
    f.CompletionFactory(
        staff=catalog["ann"],
        course=catalog["crt"],
        completed_on=dt.date(2023, 3, 4),
        voided_at=timezone.now(),
        void_reason="Wrong date",
    )

    result = preview(DATA / "completions.csv")

    assert result.counts["created"] == 4


def test_a_completion_recorded_since_the_preview_makes_it_stale(catalog):
    result = preview(DATA / "completions.csv")
    f.CompletionFactory(
        staff=catalog["ann"], course=catalog["crt"], completed_on=dt.date(2023, 3, 4)
    )

    with pytest.raises(services.ImportRefused) as refused:
        services.completions_commit(run=result.run, actor=None)

    assert refused.value.code == "stale"
    assert refused.value.message == services.MSG_COMPLETIONS_STALE
    assert Completion.objects.count() == 1
    result.run.refresh_from_db()
    assert result.run.outcome == ImportOutcome.REFUSED


def test_a_course_changed_since_the_preview_makes_it_stale(catalog):
    result = preview(DATA / "completions.csv")
    catalog["crt"].clock_hours = 4
    catalog["crt"].save()

    with pytest.raises(services.ImportRefused) as refused:
        services.completions_commit(run=result.run, actor=None)

    assert refused.value.code == "stale"
    assert Completion.objects.count() == 0


def test_errors_refuse_the_commit_unless_invalid_rows_are_skipped(catalog):
    result = preview(DATA / "errors.csv")

    with pytest.raises(services.ImportRefused) as refused:
        services.completions_commit(run=result.run, actor=None)
    assert refused.value.code == "has_errors"
    assert Completion.objects.count() == 0

    fresh = preview(DATA / "errors.csv", skip_invalid=True)
    services.completions_commit(run=fresh.run, actor=None)
    assert list(Completion.objects.values_list("staff__employee_id", "completed_on")) == [
        ("000101", dt.date(2023, 9, 1))
    ]


def test_a_committed_run_cannot_be_committed_again(catalog):
    result = preview(DATA / "completions.csv")
    services.completions_commit(run=result.run, actor=None)

    with pytest.raises(services.ImportRefused) as refused:
        services.completions_commit(run=result.run, actor=None)

    assert refused.value.code == "already_committed"
    assert Completion.objects.count() == 4


def test_a_roster_run_is_not_committed_as_completions(catalog):
    roster_run = ImportRun.objects.create(
        kind=ImportKind.ROSTER, file_name="r.csv", change_set={"x": 1}
    )

    with pytest.raises(services.ImportRefused) as refused:
        services.completions_commit(run=roster_run, actor=None)

    assert refused.value.code == "wrong_kind"


def test_a_failure_in_the_middle_of_a_commit_writes_nothing(catalog, monkeypatch):
    result = preview(DATA / "completions.csv")

    def fail(entries, *, actor):
        Completion.objects.bulk_create(
            [
                Completion(
                    staff_id=entries[0]["staff_id"],
                    course_id=entries[0]["course_id"],
                    completed_on=dt.date(2020, 1, 1),
                    clock_hours=1,
                )
            ]
        )
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_create_completions", fail)
    with pytest.raises(RuntimeError):
        services.completions_commit(run=result.run, actor=None)

    assert Completion.objects.count() == 0
    result.run.refresh_from_db()
    assert result.run.outcome == ImportOutcome.FAILED
    assert result.run.message == services.MSG_FAILED.format(error="RuntimeError")


@pytest.mark.parametrize("role", ["hr", "district_pd", "admin_user"])
def test_hr_district_pd_and_admins_may_import(catalog, role, request):
    person = request.getfixturevalue(role)
    user = getattr(person, "user", person)

    result = services.completions_preview(source=DATA / "completions.csv", actor=user)
    services.completions_commit(run=result.run, actor=user)

    assert Completion.objects.filter(recorded_by=user).count() == 4


@pytest.mark.parametrize("role", ["teacher", "leader"])
def test_others_may_not_import(catalog, role, request):
    user = request.getfixturevalue(role).user
    allowed = preview(DATA / "completions.csv")

    with pytest.raises(PermissionDenied):
        services.completions_preview(source=DATA / "completions.csv", actor=user)
    with pytest.raises(PermissionDenied):
        services.completions_commit(run=allowed.run, actor=user)

    assert Completion.objects.count() == 0
    assert ImportRun.objects.count() == 1


def test_an_unreadable_file_is_refused_and_recorded(catalog):
    with pytest.raises(UnreadableFile) as refused:
        preview(ROSTER_DATA / "pdf-renamed.xlsx")

    run = refused.value.run
    assert run.kind == ImportKind.COMPLETIONS
    assert run.outcome == ImportOutcome.REFUSED
    assert "PDF" in run.message


def test_a_mapping_names_columns_the_synonyms_do_not_know(catalog):
    data = b"Emp,Class,When\r\n000101,crt-101,2023-01-05\r\n"

    result = preview(
        data,
        file_name="x.csv",
        mapping={"Emp": "employee_id", "Class": "course", "When": "completed_on"},
    )

    assert result.counts["created"] == 1


# The command


def command(*args) -> str:
    out = StringIO()
    call_command("import_completions", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def command_fails(*args) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_completions", *map(str, args), stdout=out, stderr=StringIO())
    return caught.value, out.getvalue()


def test_the_command_previews_then_commits(catalog):
    output = command(DATA / "completions.xlsx")

    assert Completion.objects.count() == 0
    assert "  to record                           4" in output
    assert (
        "  000101  Ann Lee: CRT-101 on 2023-03-04, 3.00 h (Summer institute certificate)" in output
    )
    assert (
        output.splitlines()[-1]
        == "Preview only: nothing was written. Run again with --commit to apply it."
    )

    committed = command(DATA / "completions.xlsx", "--commit")

    assert "Committed: 4 completion(s) recorded, 0 unchanged." in committed
    assert Completion.objects.filter(source=CompletionSource.IMPORT).count() == 4


def test_the_command_exits_1_on_row_errors_and_2_on_unusable_input(catalog):
    error, output = command_fails(DATA / "errors.csv", "--commit")
    assert error.returncode == 1
    assert 'Row 2, column "Employee ID" ("999999"): No staff member has this employee ID.' in output
    assert Completion.objects.count() == 0

    error, _output = command_fails(ROSTER_DATA / "garbage.xlsx")
    assert error.returncode == 2

    error, _output = command_fails(DATA / "completions.csv", "--user", "nobody")
    assert error.returncode == 2

    error, _output = command_fails(DATA / "completions.csv", "--mapping", "no-equals-sign")
    assert error.returncode == 2


def test_the_command_skips_invalid_rows_and_exits_1(catalog):
    error, output = command_fails(DATA / "errors.csv", "--commit", "--skip-invalid")

    assert error.returncode == 1
    assert "Committed: 1 completion(s) recorded, 0 unchanged." in output
    assert Completion.objects.count() == 1


def test_the_command_records_the_user_and_refuses_a_teacher(catalog, hr, teacher):
    command(DATA / "completions.csv", "--commit", "--user", "hr")
    assert Completion.objects.filter(recorded_by=hr.user).count() == 4

    error, _output = command_fails(DATA / "completions.csv", "--user", "teacher")
    assert error.returncode == 2

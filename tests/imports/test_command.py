"""import_roster, the command: preview by default, --commit to apply; the summary, the first
changes and errors; exit status 0 (done), 1 (the file has errors, or the commit was refused),
2 (the file cannot be used)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from imports import services
from imports.choices import ImportOutcome
from imports.management.commands import import_roster as command
from imports.models import ImportRun
from learning.access import HR_GROUP
from learning.choices import StaffStatus
from learning.models import StaffMember
from tests import factories as f
from tests.imports.conftest import DATA, csv_bytes, person_row

pytestmark = pytest.mark.django_db


class TerminalOutput(StringIO):
    def isatty(self) -> bool:
        return True


def run(*args, stdout=None) -> str:
    out = stdout or StringIO()
    call_command("import_roster", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def fails(*args, stdout=None) -> tuple[CommandError, str]:
    out = stdout or StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_roster", *map(str, args), stdout=out, stderr=StringIO())
    return caught.value, out.getvalue()


def test_without_commit_it_previews_and_writes_nothing(district):
    output = run(DATA / "roster.xlsx")

    assert StaffMember.objects.count() == 0
    run_ = ImportRun.objects.get()
    assert run_.outcome == ImportOutcome.PREVIEWED
    assert run_.created_by is None
    lines = output.splitlines()
    assert lines[0] == "Reading roster.xlsx"
    assert lines[1] == "Checked 8 rows"
    assert lines[2] == (
        f"Import run #{run_.pk}: roster.xlsx "
        '(Excel workbook (.xlsx), sheet "Staff", header on row 4)'
    )
    assert "  rows read                      8" in lines
    assert "  to create                      8" in lines
    assert "Changes (8):" in lines
    assert (
        "  create      000101  Ann Lee: ann.lee@bps.example.org, Teacher at Maple Elementary"
        in lines
    )
    assert lines[-1] == command.MSG_PREVIEW_ONLY


def test_commit_applies_and_a_second_run_changes_nothing(district):
    output = run(DATA / "roster.csv", "--commit", "--sync")

    assert StaffMember.objects.count() == 8
    assert "Committed: 8 created, 0 updated, 0 reactivated, 0 deactivated, 0 unchanged." in output
    assert ImportRun.objects.get().outcome == ImportOutcome.COMMITTED

    again = run(DATA / "roster.ods", "--commit", "--sync")

    assert "Committed: 0 created, 0 updated, 0 reactivated, 0 deactivated, 8 unchanged." in again
    assert "Changes" not in again


def taken_email(district):
    """The address errors.csv gives row 8, already someone's."""
    f.StaffMemberFactory(
        employee_id="000900", email="taken@bps.example.org", building=district["oak"]
    )


def test_errors_are_listed_with_row_and_column_and_exit_1(district, tmp_path):
    taken_email(district)
    report = tmp_path / "errors.xlsx"

    error, output = fails(DATA / "errors.csv", "--commit", "--error-report", report)

    assert error.returncode == command.FILE_HAS_ERRORS
    assert str(error) == (
        "The file has 12 error(s) in 12 row(s). Fix them and preview the file again, or commit "
        "only the valid rows (skip invalid rows)."
    )
    assert "Errors (12):" in output
    assert '  Row 4, column "Email" ("not-an-email"): This is not a valid email address.' in output
    assert '  Row 9, column "Building" ("Elm High"): No building has this code or name.' in output
    assert StaffMember.objects.count() == 1
    assert ImportRun.objects.get().outcome == ImportOutcome.REFUSED
    workbook = load_workbook(report)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Row"
    assert rows[0][-1] == "Problems"
    assert [row[0] for row in rows[1:]] == list(range(2, 14))


def test_a_preview_with_errors_exits_1_and_the_report_can_be_csv(district, tmp_path):
    taken_email(district)
    report = tmp_path / "errors.csv"

    error, output = fails(DATA / "errors.csv", "--error-report", report)

    assert error.returncode == 1
    assert str(error) == command.MSG_HAS_ERRORS.format(errors=12, rows=12)
    assert command.MSG_REPORT_WRITTEN.format(path=report) in output
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Row,Employee ID,First Name")
    assert lines[2] == (
        "3,000202,,Moss,moss@bps.example.org,maple,teacher,,,,First Name: This value is required."
    )


def test_skip_invalid_commits_the_valid_rows_and_still_says_what_was_skipped(district, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([person_row(1), person_row(2, email="broken")]))

    error, output = fails(path, "--commit", "--skip-invalid")

    assert error.returncode == 1
    assert str(error) == command.MSG_SKIPPED.format(rows=1)
    assert "Committed: 1 created" in output
    assert list(StaffMember.objects.values_list("employee_id", flat=True)) == ["900001"]


def test_only_the_first_twenty_changes_and_errors_are_shown(district, tmp_path):
    path = tmp_path / "roster.csv"
    rows = [person_row(n) for n in range(1, 26)] + [
        person_row(n, email="broken") for n in range(26, 51)
    ]
    path.write_bytes(csv_bytes(rows))

    error, output = fails(path)

    assert "Changes (25):" not in output
    assert "Changes (the first 20 of 25):" in output
    assert "Errors (the first 20 of 25):" in output
    assert output.count("  create  ") == 20
    assert output.count("This is not a valid email address.") == 20


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv is empty."),
        ("header-only.csv", "header-only.csv has a header row but no rows of data below it."),
        ("unrecognized-columns.csv", "No recognizable column names in the first 20 rows"),
        ("missing-email-column.csv", "missing-email-column.csv has no column for Email"),
        ("pdf-renamed.xlsx", "pdf-renamed.xlsx is a PDF document, not a spreadsheet."),
        ("garbage.xlsx", "garbage.xlsx is not a spreadsheet"),
        ("corrupt.xlsx", "corrupt.xlsx looks like a workbook but cannot be read"),
        ("encrypted.xlsx", "encrypted.xlsx is protected with a password."),
        ("zip-bomb.xlsx", "zip-bomb.xlsx would unpack to 1024.0 MB"),
        ("mixed-encoding.csv", "mixed-encoding.csv mixes two text encodings"),
        ("web-page.xls", "web-page.xls is a web page (HTML)"),
    ],
)
def test_bad_files_exit_2_with_a_plain_message_and_nothing_written(district, name, message):
    before = StaffMember.objects.count()

    error, _output = fails(DATA / name, "--commit", "--sync")

    assert error.returncode == command.UNUSABLE_INPUT
    assert str(error).startswith(message)
    assert StaffMember.objects.count() == before
    recorded = ImportRun.objects.get()
    assert (recorded.outcome, recorded.file_name) == (ImportOutcome.REFUSED, name)


def test_over_the_limits_exits_2(district, settings):
    settings.IMPORT_MAX_ROWS = 3
    error, _output = fails(DATA / "roster.csv")
    assert error.returncode == 2
    assert str(error) == (
        "roster.csv has more than 3 rows of data; split it into files of at most 3 rows."
    )

    settings.IMPORT_MAX_BYTES = 100
    error, _output = fails(DATA / "roster.csv")
    assert error.returncode == 2
    assert str(error) == "roster.csv is 772 bytes; files up to 100 bytes can be imported."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.csv"], "No such file: nowhere.csv"),
        (
            [DATA / "roster.csv", "--mapping", "Emp Code"],
            command.MSG_BAD_MAPPING.format(item="Emp Code"),
        ),
        ([DATA / "roster.csv", "--user", "nobody"], "No user named nobody."),
        ([DATA / "roster.xlsx", "--sheet", "Payroll"], 'roster.xlsx has no sheet named "Payroll"'),
        (
            [DATA / "roster.csv", "--mapping", "Phone=email"],
            'The column mapping names a column "Phone"',
        ),
    ],
)
def test_unusable_options_exit_2(district, args, message):
    error, _output = fails(*args)

    assert error.returncode == 2
    assert str(error).startswith(message)


def test_a_user_who_is_not_hr_is_refused(district):
    f.login_for(None, username="clerk")

    error, _output = fails(DATA / "roster.csv", "--user", "clerk")

    assert error.returncode == 2
    assert str(error) == "Only HR and administrators may import the staff roster."
    assert not ImportRun.objects.exists()


def test_the_user_is_recorded(district):
    user = f.login_for(None, username="harper", groups=[HR_GROUP])

    run(DATA / "roster.csv", "--user", "harper", "--commit")

    assert ImportRun.objects.get().created_by == user


def test_mapping_and_sheet_options(district, tmp_path):
    path = tmp_path / "export.csv"
    header = ["Code", "Given", "Family", "Mail", "Place", "Job"]
    path.write_bytes(csv_bytes([person_row(1)], header=header))

    output = run(
        path,
        "--mapping",
        "Code=employee_id",
        "Given=first_name",
        "Family=last_name",
        "--mapping",
        "Mail=email",
        "Place=building",
        "Job=position",
        "--commit",
    )

    assert "Committed: 1 created" in output
    assert ImportRun.objects.get().options["mapping"] == {
        "Code": "employee_id",
        "Given": "first_name",
        "Family": "last_name",
        "Mail": "email",
        "Place": "building",
        "Job": "position",
    }
    assert 'sheet "Staff"' in run(DATA / "roster.ods", "--sheet", "Staff")


def test_create_missing(district, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([person_row(1, building="Elm High")]))

    error, _output = fails(path)
    assert error.returncode == 1

    output = run(path, "--create-missing", "--commit")
    assert "  new building: Elm High [elm-high]" in output
    assert StaffMember.objects.get().building.code == "elm-high"


def test_a_large_deactivation_needs_confirmation(district, tmp_path):
    for n in range(1, 11):
        f.StaffMemberFactory(employee_id=f"{n:06d}", building=district["maple"])
    path = tmp_path / "half.csv"
    path.write_bytes(csv_bytes([person_row(1)]))

    error, output = fails(path, "--sync", "--commit")

    assert error.returncode == 1
    assert str(error).startswith("This sync would deactivate 10 of 10 active staff (100%)")
    assert "--confirm-deactivation is needed" in output
    assert not StaffMember.objects.filter(status=StaffStatus.SEPARATED).exists()

    output = run(path, "--sync", "--commit", "--confirm-deactivation")

    assert "10 deactivated" in output
    assert StaffMember.objects.filter(status=StaffStatus.SEPARATED).count() == 10


def test_progress_on_a_terminal_is_a_bar_on_one_line(district):
    output = run(DATA / "roster.csv", stdout=TerminalOutput())

    bar = output.split("Reading roster.csv\n")[1].split("Import run #")[0]
    assert "Checking rows: 100%|" in bar
    assert "| 8/8 [" in bar
    # Redrawn in place: one line on the terminal.
    assert bar.startswith("\r") and bar.count("\n") == 1
    assert "Checked 8 rows" not in output


def test_progress_in_a_file_is_one_line_at_the_end(district):
    output = run(DATA / "roster.csv")

    assert "Checked 8 rows\n" in output
    assert "|" not in output.split("Import run #")[0]


def test_a_failed_commit_exits_1_with_the_recorded_message(district, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_create_staff", broken)

    error, _output = fails(DATA / "roster.csv", "--commit")

    assert error.returncode == 1
    assert str(error) == (
        "The import failed and nothing was changed (RuntimeError). The error was logged."
    )
    assert ImportRun.objects.get().outcome == ImportOutcome.FAILED
    assert StaffMember.objects.count() == 0


def test_help_mentions_the_exit_statuses():
    assert "Exit status: 0 done, 1 the file has errors" in command.Command.help
    assert "2 the file cannot be used" in command.Command.help

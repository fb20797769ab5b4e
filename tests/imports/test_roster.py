"""The roster import through imports.services: every row error with its row and column, the
preview (nothing written), the commit (exactly what was previewed, or nothing at all), sync,
the deactivation cap, reactivation, stale previews, idempotency and the number of queries."""

import datetime as dt
import io
import sqlite3

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from imports import roster, services, values
from imports.choices import ImportKind, ImportOutcome
from imports.exporters import RowErrorsExporter
from imports.models import ImportRun
from imports.readers import UnreadableFile
from imports.roster import RosterPreview
from learning.access import HR_GROUP
from learning.choices import PositionCategory, StaffStatus
from learning.models import Building, Position, StaffMember
from tests import factories as f
from tests.imports.conftest import DATA, ROSTER_HEADER, csv_bytes, person_row

pytestmark = pytest.mark.django_db

ACTIVE, ON_LEAVE, SEPARATED = StaffStatus.ACTIVE, StaffStatus.ON_LEAVE, StaffStatus.SEPARATED


def preview(content, *, file_name="roster.csv", actor=None, **options) -> RosterPreview:
    return services.roster_preview(source=content, file_name=file_name, actor=actor, **options)


def commit(result: RosterPreview, **options) -> ImportRun:
    return services.roster_commit(run=result.run, actor=None, **options)


def refusal(result: RosterPreview, **options) -> services.ImportRefused:
    with pytest.raises(services.ImportRefused) as caught:
        commit(result, **options)
    return caught.value


def database_state() -> tuple:
    """Everything a roster import may write, to compare before and after."""
    return (
        list(StaffMember.objects.order_by("pk").values()),
        list(Building.objects.order_by("pk").values()),
        list(Position.objects.order_by("pk").values()),
    )


def staff(employee_id: str) -> StaffMember:
    return StaffMember.objects.select_related("building", "position").get(employee_id=employee_id)


def member(employee_id, building, *, position=None, **fields) -> StaffMember:
    return f.StaffMemberFactory(
        employee_id=employee_id,
        email=fields.pop("email", f"{employee_id}@bps.example.org"),
        building=building,
        position=position or Position.objects.get(code="teacher"),
        **fields,
    )


def errors_of(result: RosterPreview) -> list[tuple]:
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


# The clean roster


def test_a_preview_writes_nothing_but_its_import_run(district):
    before = database_state()

    result = preview((DATA / "roster.csv").read_bytes())

    assert database_state() == before
    run = ImportRun.objects.get()
    assert run == result.run
    assert run.kind == ImportKind.ROSTER
    assert run.outcome == ImportOutcome.PREVIEWED
    assert run.file_name == "roster.csv"
    assert run.file_size == (DATA / "roster.csv").stat().st_size
    assert len(run.file_sha256) == 64
    assert run.options == {
        "sync": False,
        "create_missing": False,
        "skip_invalid": False,
        "sheet": None,
        "mapping": {},
    }
    assert run.created_by is None
    assert run.committed_at is None
    assert result.counts == {
        "rows": 8,
        "invalid_rows": 0,
        "errors": 0,
        "created": 8,
        "updated": 0,
        "reactivated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "kept_managed_manually": 0,
        "buildings_created": 0,
        "positions_created": 0,
        "active_staff": 0,
        "rows_without_employee_id": 0,
        "losing_access": 0,
    }
    assert result.errors == []


def test_preview_then_commit_applies_exactly_the_previewed_change(district):
    result = preview((DATA / "roster.csv").read_bytes())
    creates = {entry["employee_id"]: entry for entry in result.creates}

    run = commit(result)

    assert run.outcome == ImportOutcome.COMMITTED
    assert run.committed_at is not None
    assert run.message == (
        "Committed: 8 created, 0 updated, 0 reactivated, 0 deactivated, 0 unchanged."
    )
    assert ImportRun.objects.get().outcome == ImportOutcome.COMMITTED
    assert StaffMember.objects.count() == 8
    for person in StaffMember.objects.select_related("building", "position"):
        values = creates[person.employee_id]["values"]
        assert values == {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "preferred_name": person.preferred_name,
            "email": person.email,
            "building": person.building.code,
            "position": person.position.code,
            "status": person.status,
            "hired_on": person.hired_on.isoformat() if person.hired_on else None,
            "separated_on": person.separated_on.isoformat() if person.separated_on else None,
        }
    robert = staff("000102")
    assert (robert.preferred_name, robert.building.code, robert.status) == ("Bob", "oak", ACTIVE)
    assert staff("000103").position.code == "principal"
    assert staff("000104").status == ON_LEAVE
    fay = staff("000106")
    assert (fay.status, fay.separated_on) == (SEPARATED, dt.date(2024, 6, 15))
    assert staff("000107").hired_on == dt.date(2023, 8, 25)
    assert staff("000108").hired_on is None


@pytest.mark.parametrize(
    "name",
    [
        "roster-bom-semicolon.csv",
        "roster-tab.txt",
        "roster.xlsx",
        "roster.xls",
        "roster.ods",
    ],
)
def test_every_format_previews_the_same_change(district, name):
    from_csv = preview((DATA / "roster.csv").read_bytes()).creates

    result = preview((DATA / name).read_bytes(), file_name=name)

    assert [(e["employee_id"], e["values"]) for e in result.creates] == [
        (e["employee_id"], e["values"]) for e in from_csv
    ]


def test_importing_the_same_file_again_changes_nothing(district):
    commit(preview((DATA / "roster.xlsx").read_bytes(), file_name="roster.xlsx", sync=True))
    stamps = dict(StaffMember.objects.values_list("employee_id", "updated_at"))

    for name in ("roster.xlsx", "roster.csv", "roster.ods"):
        again = preview((DATA / name).read_bytes(), file_name=name, sync=True)
        assert again.counts["created"] == 0
        assert again.counts["updated"] == 0
        assert again.counts["reactivated"] == 0
        assert again.counts["deactivated"] == 0
        assert again.counts["unchanged"] == 8
        run = commit(again)
        assert run.message == (
            "Committed: 0 created, 0 updated, 0 reactivated, 0 deactivated, 8 unchanged."
        )

    assert dict(StaffMember.objects.values_list("employee_id", "updated_at")) == stamps


# Row errors


def test_every_error_kind_is_reported_with_its_row_and_column(district):
    member(
        "000900", district["oak"], email="taken@bps.example.org", first_name="Tara", last_name="Ken"
    )

    result = preview((DATA / "errors.csv").read_bytes(), file_name="errors.csv")

    in_file = "Another person in this file has the same email address: row {rows}."
    duplicate = "Employee ID 000204 appears more than once in the file: rows 5, 6."
    taken = "This email address belongs to Tara Ken (employee ID 000900)."
    before_hired = "The separation date (2019-06-30) is before the hire date (2020-08-20)."
    assert errors_of(result) == [
        (2, "Email", "kim.lane@bps.example.org", in_file.format(rows=7)),
        (3, "First Name", "", roster.MSG_REQUIRED),
        (4, "Email", "not-an-email", "This is not a valid email address."),
        (5, "Employee ID", "000204", duplicate),
        (6, "Employee ID", "000204", duplicate),
        (7, "Email", "KIM.LANE@bps.example.org", in_file.format(rows=2)),
        (8, "Email", "taken@bps.example.org", taken),
        (9, "Building", "Elm High", "No building has this code or name."),
        (10, "Position", "Astronaut", "No position has this code or name."),
        (11, "Hire Date", "31/31/2020", values.MSG_DATE),
        (12, "Status", "Sabbatical", "Unknown status; use Active, Leave or Terminated."),
        (13, "Separation Date", "2019-06-30", before_hired),
    ]
    assert result.counts["invalid_rows"] == 12
    assert result.counts["errors"] == 12
    assert result.creates == []
    assert result.has_errors
    assert not result.can_commit


def test_errors_are_sorted_by_row_then_column(district):
    member(
        "000900", district["oak"], email="taken@bps.example.org", first_name="Tara", last_name="Ken"
    )

    result = preview((DATA / "errors.csv").read_bytes(), file_name="errors.csv")

    rows = [error.row for error in result.errors]
    assert rows == sorted(rows)
    assert str(result.errors[0]) == 'Row 2, column "Email" ("kim.lane@bps.example.org"): ' + (
        "Another person in this file has the same email address: row 7."
    )


def test_missing_values_are_reported_for_each_required_column(district):
    header = [*ROSTER_HEADER, "Notes"]
    only_a_note = ["", "", "", "", "", "", "see HR"]

    result = preview(csv_bytes([only_a_note, [*person_row(1), ""]], header=header))

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, name, roster.MSG_REQUIRED) for name in ROSTER_HEADER
    ]
    assert result.counts["rows_without_employee_id"] == 1
    assert result.counts["created"] == 1


def test_values_longer_than_the_record_holds_are_errors(district):
    result = preview(csv_bytes([person_row(1, first_name="x" * 101, employee_id="9" * 41)]))

    assert [(e.column, e.message) for e in result.errors] == [
        ("Employee ID", "This is longer than 40 characters."),
        ("First Name", "This is longer than 100 characters."),
    ]


def test_the_same_person_twice_under_ids_differing_by_leading_zeros_is_a_duplicate(district):
    result = preview(
        csv_bytes([person_row(1, employee_id="0042"), person_row(2, employee_id="42")])
    )

    assert [e.message for e in result.errors] == [
        "Employee ID 0042 appears more than once in the file: rows 2, 3.",
        "Employee ID 42 appears more than once in the file: rows 2, 3.",
    ]


def test_an_ambiguous_building_name_asks_for_the_code(district):
    f.BuildingFactory(code="maple-annex", name="Maple Elementary")

    result = preview(csv_bytes([person_row(1, building="Maple Elementary")]))

    assert [e.message for e in result.errors] == [roster.MSG_AMBIGUOUS_BUILDING]


@pytest.mark.parametrize(
    ("building", "position"),
    [
        ("maple", "teacher"),
        ("MAPLE", "TEACHER"),
        ("Maple Elementary", "Teacher"),
        ("maple elementary", " teacher "),
    ],
)
def test_buildings_and_positions_by_code_or_name_whatever_the_case(district, building, position):
    result = preview(csv_bytes([person_row(1, building=building, position=position)]))

    assert result.errors == []
    assert result.creates[0]["values"]["building"] == "maple"
    assert result.creates[0]["values"]["position"] == "teacher"


def test_a_name_finds_the_code_it_would_make(district):
    f.BuildingFactory(code="lincoln-high", name="Lincoln HS")

    result = preview(csv_bytes([person_row(1, building="Lincoln High")]))

    assert result.creates[0]["values"]["building"] == "lincoln-high"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Active", ACTIVE),
        ("A", ACTIVE),
        ("Leave", ON_LEAVE),
        ("On Leave", ON_LEAVE),
        ("LOA", ON_LEAVE),
        ("on-leave", ON_LEAVE),
        ("Terminated", SEPARATED),
        ("Separated", SEPARATED),
        ("INACTIVE", SEPARATED),
        ("T", SEPARATED),
        ("", None),
    ],
)
def test_hr_status_words(word, status):
    assert roster.parse_status(word) == status


# Create missing buildings and positions


def test_unknown_buildings_and_positions_are_listed_to_create_and_created_at_commit(district):
    rows = [
        person_row(1, building="Elm High School", position="Assistant Principal"),
        person_row(2, building="elm high school", position="Reading Interventionist"),
        person_row(3, building="oak", position="Bus Driver"),
    ]

    result = preview(csv_bytes(rows), create_missing=True)

    assert result.errors == []
    assert result.new_buildings == [{"code": "elm-high-school", "name": "Elm High School"}]
    assert result.new_positions == [
        {
            "code": "assistant-principal",
            "name": "Assistant Principal",
            "category": PositionCategory.LEADER,
        },
        {
            "code": "reading-interventionist",
            "name": "Reading Interventionist",
            "category": PositionCategory.TEACHER,
        },
        {"code": "bus-driver", "name": "Bus Driver", "category": PositionCategory.SUPPORT},
    ]
    assert result.counts["buildings_created"] == 1
    assert result.counts["positions_created"] == 3
    assert not Building.objects.filter(code="elm-high-school").exists()

    commit(result)

    elm = Building.objects.get(code="elm-high-school")
    assert elm.name == "Elm High School"
    assert staff("900001").building == elm
    assert staff("900002").building == elm
    assert staff("900002").position.category == PositionCategory.TEACHER
    assert Position.objects.get(code="bus-driver").name == "Bus Driver"


# Updates


def test_an_update_lists_each_changed_field_before_and_after(district):
    ann = member(
        "000101",
        district["oak"],
        first_name="Ann",
        last_name="Lee",
        email="ann.old@bps.example.org",
        hired_on=dt.date(2019, 8, 20),
    )
    rows = [["000101", "Ann", "Lee-Park", "ann.lee@bps.example.org", "maple", "principal"]]

    result = preview(csv_bytes(rows))

    assert result.updates == [
        {
            "row": 2,
            "id": ann.pk,
            "employee_id": "000101",
            "name": "Ann Lee-Park",
            "changes": {
                "last_name": ["Lee", "Lee-Park"],
                "email": ["ann.old@bps.example.org", "ann.lee@bps.example.org"],
                "building": ["oak", "maple"],
                "position": ["teacher", "principal"],
            },
        }
    ]
    assert result.describe(result.updates[0]) == (
        "last name Lee -> Lee-Park; email ann.old@bps.example.org -> ann.lee@bps.example.org; "
        "building Oak Middle -> Maple Elementary; position Teacher -> Principal"
    )
    stamp = StaffMember.objects.get(pk=ann.pk).updated_at

    commit(result)

    ann.refresh_from_db()
    assert (ann.last_name, ann.email, ann.building, ann.position.code) == (
        "Lee-Park",
        "ann.lee@bps.example.org",
        district["maple"],
        "principal",
    )
    assert ann.first_name == "Ann"
    assert ann.hired_on == dt.date(2019, 8, 20)  # no hire date column: kept
    assert ann.updated_at > stamp


def test_a_change_of_case_in_an_email_is_not_a_change(district):
    member("000101", district["maple"], first_name="A", last_name="B", email="ann@bps.example.org")

    result = preview(csv_bytes([["000101", "A", "B", "ANN@BPS.example.org", "maple", "teacher"]]))

    assert result.counts["unchanged"] == 1


def test_blank_dates_keep_the_stored_ones_and_a_blank_preferred_name_clears(district):
    header = [*ROSTER_HEADER, "Preferred Name", "Hire Date"]
    member(
        "000101",
        district["maple"],
        first_name="A",
        last_name="B",
        preferred_name="Al",
        hired_on=dt.date(2019, 8, 20),
    )

    result = preview(
        csv_bytes(
            [["000101", "A", "B", "000101@bps.example.org", "maple", "teacher", "", ""]],
            header=header,
        )
    )

    assert result.updates[0]["changes"] == {"preferred_name": ["Al", ""]}


def test_emails_may_move_between_people_in_one_file(district):
    ann = member("000101", district["maple"], first_name="Ann", last_name="Lee", email="one@x.org")
    bob = member("000102", district["maple"], first_name="Bob", last_name="Ray", email="two@x.org")
    rows = [
        ["000101", "Ann", "Lee", "two@x.org", "maple", "teacher"],
        ["000102", "Bob", "Ray", "one@x.org", "maple", "teacher"],
        ["000103", "Cy", "Day", "three@x.org", "maple", "teacher"],
    ]

    result = preview(csv_bytes(rows))
    assert result.errors == []
    commit(result)

    assert StaffMember.objects.get(pk=ann.pk).email == "two@x.org"
    assert StaffMember.objects.get(pk=bob.pk).email == "one@x.org"


def test_an_email_freed_by_someone_whose_row_has_errors_stays_taken(district):
    member("000101", district["maple"], first_name="Ann", last_name="Lee", email="one@x.org")
    rows = [
        ["000101", "Ann", "Lee", "new@x.org", "Nowhere", "teacher"],
        ["000102", "Bob", "Ray", "one@x.org", "maple", "teacher"],
    ]

    result = preview(csv_bytes(rows))

    assert [(e.row, e.column) for e in result.errors] == [(2, "Building"), (3, "Email")]


def test_ids_that_lost_their_leading_zeros_find_the_stored_person(district):
    ann = member(
        "000101",
        district["maple"],
        first_name="Ann",
        last_name="Lee",
        email="ann.lee@bps.example.org",
    )
    member(
        "000102",
        district["maple"],
        first_name="Robert",
        last_name="Stone",
        email="old@bps.example.org",
    )

    result = preview((DATA / "numeric-ids.xlsx").read_bytes(), file_name="numeric-ids.xlsx")

    assert result.counts["created"] == 0
    assert result.counts["unchanged"] == 1
    assert [(u["employee_id"], list(u["changes"])) for u in result.updates] == [
        ("000102", ["email"])
    ]
    commit(result)
    assert StaffMember.objects.get(pk=ann.pk).employee_id == "000101"
    assert not StaffMember.objects.filter(employee_id__in=["101", "102"]).exists()


# Status and dates


def test_status_and_separation_dates(district):
    today = timezone.localdate()
    member("000001", district["maple"], first_name="Leaving", last_name="Now")
    member("000002", district["maple"], first_name="On", last_name="Leave", status=ON_LEAVE)
    member(
        "000003",
        district["maple"],
        first_name="Gone",
        last_name="Before",
        status=SEPARATED,
        separated_on=dt.date(2024, 6, 30),
    )
    header = [*ROSTER_HEADER, "Status", "Separation Date"]
    rows = [
        [
            "000001",
            "Leaving",
            "Now",
            "000001@bps.example.org",
            "maple",
            "teacher",
            "Terminated",
            "",
        ],
        ["000002", "On", "Leave", "000002@bps.example.org", "maple", "teacher", "", ""],
        [
            "000003",
            "Gone",
            "Before",
            "000003@bps.example.org",
            "maple",
            "teacher",
            "Terminated",
            "",
        ],
        ["000004", "Left", "Past", "000004@bps.example.org", "maple", "teacher", "", "2024-06-30"],
        ["000005", "New", "Hire", "000005@bps.example.org", "maple", "teacher", "", ""],
    ]

    result = preview(csv_bytes(rows, header=header))

    assert result.updates == [
        {
            "row": 2,
            "id": staff("000001").pk,
            "employee_id": "000001",
            "name": "Leaving Now",
            "changes": {
                "status": [ACTIVE, SEPARATED],
                "separated_on": [None, today.isoformat()],
            },
        }
    ]
    assert result.counts["unchanged"] == 2  # on leave stays on leave; separated stays separated
    created = {entry["employee_id"]: entry["values"] for entry in result.creates}
    assert (created["000004"]["status"], created["000004"]["separated_on"]) == (
        SEPARATED,
        "2024-06-30",
    )
    assert created["000005"]["status"] == ACTIVE


# Sync


def test_sync_deactivates_absent_staff_but_never_those_managed_manually(district):
    for number in range(1, 31):
        member(f"{number:06d}", district["maple"], first_name=f"P{number}", last_name="Staff")
    absent = member("000050", district["oak"], first_name="Absent", last_name="One")
    on_leave = member(
        "000051", district["oak"], first_name="On", last_name="Leave", status=ON_LEAVE
    )
    kept = member(
        "000052", district["oak"], first_name="Kept", last_name="Manual", managed_manually=True
    )
    gone = member("000053", district["oak"], first_name="Long", last_name="Gone", status=SEPARATED)
    rows = [
        [f"{n:06d}", f"P{n}", "Staff", f"{n:06d}@bps.example.org", "maple", "teacher"]
        for n in range(1, 31)
    ]

    result = preview(csv_bytes(rows), sync=True)

    today = timezone.localdate().isoformat()
    assert result.deactivations == [
        {
            "id": absent.pk,
            "employee_id": "000050",
            "name": "Absent One",
            "building": "oak",
            "status": ACTIVE,
            "separated_on": today,
        },
        {
            "id": on_leave.pk,
            "employee_id": "000051",
            "name": "On Leave",
            "building": "oak",
            "status": ON_LEAVE,
            "separated_on": today,
        },
    ]
    assert result.counts["kept_managed_manually"] == 1
    assert result.counts["active_staff"] == 33
    assert not result.needs_confirmation  # 2 of 33

    commit(result)

    for person in (absent, on_leave):
        person.refresh_from_db()
        assert (person.status, person.separated_on) == (SEPARATED, timezone.localdate())
    kept.refresh_from_db()
    assert kept.status == ACTIVE
    gone.refresh_from_db()
    assert gone.separated_on is None  # already separated: untouched
    assert StaffMember.objects.count() == 34  # nobody deleted


def test_without_sync_absent_staff_stay(district):
    member("000050", district["oak"], first_name="Absent", last_name="One")

    result = preview(csv_bytes([person_row(1)]))

    assert result.deactivations == []
    commit(result)
    assert staff("000050").status == ACTIVE


def test_a_person_whose_row_has_errors_is_not_deactivated(district):
    people = [
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}")
        for n in range(1, 11)
    ]
    rows = [[p.employee_id, "P", p.last_name, p.email, "maple", "teacher"] for p in people]
    rows[3][3] = "broken-email"

    result = preview(csv_bytes(rows), sync=True, skip_invalid=True)

    assert result.deactivations == []
    assert result.counts["invalid_rows"] == 1
    commit(result)
    assert not StaffMember.objects.filter(status=SEPARATED).exists()


def test_a_sync_that_skips_rows_without_an_employee_id_is_refused(district):
    for n in range(1, 11):
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}")
    rows = [
        [f"{n:06d}", "P", f"{n}", f"{n:06d}@bps.example.org", "maple", "teacher"]
        for n in range(1, 10)
    ]
    rows.append(["", "P", "10", "000010@bps.example.org", "maple", "teacher"])
    result = preview(csv_bytes(rows), sync=True, skip_invalid=True)
    before = database_state()

    refused = refusal(result)

    assert refused.code == "sync_rows_without_id"
    assert refused.message == services.MSG_SYNC_ROWS_WITHOUT_ID.format(rows=1)
    assert database_state() == before


def test_the_safety_cap_refuses_a_large_deactivation_until_confirmed(district, settings):
    for n in range(1, 21):
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}")
    rows = [
        [f"{n:06d}", "P", f"{n}", f"{n:06d}@bps.example.org", "maple", "teacher"]
        for n in range(1, 18)
    ]
    result = preview(csv_bytes(rows), sync=True)
    assert result.counts["deactivated"] == 3
    assert result.needs_confirmation  # 3 of 20 is 15%
    before = database_state()

    refused = refusal(result)

    assert refused.code == "needs_confirmation"
    assert refused.message == (
        "This sync would deactivate 3 of 20 active staff (15%), more than the 10% allowed "
        "without confirmation. Check that the file is the whole roster, then confirm the "
        "deactivation."
    )
    assert database_state() == before
    result.run.refresh_from_db()
    assert result.run.outcome == ImportOutcome.REFUSED
    assert result.run.message == refused.message

    run = commit(result, confirm_large_deactivation=True)

    assert run.outcome == ImportOutcome.COMMITTED
    assert StaffMember.objects.filter(status=SEPARATED).count() == 3


def test_the_cap_allows_exactly_its_percentage_and_follows_the_setting(district, settings):
    for n in range(1, 21):
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}")
    rows = [
        [f"{n:06d}", "P", f"{n}", f"{n:06d}@bps.example.org", "maple", "teacher"]
        for n in range(1, 19)
    ]

    result = preview(csv_bytes(rows), sync=True)
    assert result.counts["deactivated"] == 2  # 10%: allowed
    assert not result.needs_confirmation

    settings.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT = 5
    assert result.needs_confirmation
    assert refusal(result).code == "needs_confirmation"

    settings.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT = 10
    assert commit(result).outcome == ImportOutcome.COMMITTED


def test_a_separated_person_who_reappears_is_reactivated(district):
    back = member(
        "000101",
        district["maple"],
        first_name="Ann",
        last_name="Lee",
        status=SEPARATED,
        separated_on=dt.date(2024, 6, 30),
    )

    result = preview(
        csv_bytes([["000101", "Ann", "Lee", back.email, "maple", "teacher"]]), sync=True
    )

    assert result.reactivations == [
        {
            "row": 2,
            "id": back.pk,
            "employee_id": "000101",
            "name": "Ann Lee",
            "changes": {"status": [SEPARATED, ACTIVE], "separated_on": ["2024-06-30", None]},
        }
    ]
    assert result.counts["reactivated"] == 1
    assert result.counts["updated"] == 0

    commit(result)

    back.refresh_from_db()
    assert (back.status, back.separated_on) == (ACTIVE, None)
    assert (
        preview(csv_bytes([["000101", "Ann", "Lee", back.email, "maple", "teacher"]])).counts[
            "unchanged"
        ]
        == 1
    )


# Commit refusals and failures


def test_a_file_with_errors_cannot_be_committed_but_its_valid_rows_can_be_skipped_to(district):
    rows = [person_row(1), person_row(2, email="broken"), person_row(3)]
    result = preview(csv_bytes(rows))
    before = database_state()

    refused = refusal(result)

    assert refused.code == "has_errors"
    assert refused.message == (
        "The file has 1 error(s) in 1 row(s). Fix them and preview the file again, or commit "
        "only the valid rows (skip invalid rows)."
    )
    assert database_state() == before

    run = commit(result, skip_invalid=True)

    assert run.outcome == ImportOutcome.COMMITTED
    assert run.options["skip_invalid"] is True
    assert sorted(StaffMember.objects.values_list("employee_id", flat=True)) == ["900001", "900003"]


def test_a_preview_made_with_skip_invalid_commits_its_valid_rows(district):
    result = preview(csv_bytes([person_row(1), person_row(2, building="")]), skip_invalid=True)

    assert result.can_commit
    commit(result)

    assert list(StaffMember.objects.values_list("employee_id", flat=True)) == ["900001"]


STALE_CHANGES = {
    # A write that leaves updated_at alone is still seen.
    "edited-quietly": lambda people: StaffMember.objects.filter(pk=people[0].pk).update(
        email="x@y.org"
    ),
    "added": lambda people: f.StaffMemberFactory(employee_id="123456"),
    "separated": lambda people: StaffMember.objects.filter(pk=people[1].pk).update(
        status=SEPARATED
    ),
    "new-building": lambda people: f.BuildingFactory(code="elm", name="Elm"),
    "deleted": lambda people: people[0].delete(),
}


@pytest.mark.parametrize("change", STALE_CHANGES.values(), ids=STALE_CHANGES.keys())
def test_a_stale_preview_is_refused(district, change):
    people = [
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}") for n in (1, 2)
    ]
    result = preview(csv_bytes([person_row(1)]))
    change(people)
    before = database_state()

    refused = refusal(result)

    assert refused.code == "stale"
    assert refused.message == "The staff list changed since this preview; preview the file again."
    assert database_state() == before
    result.run.refresh_from_db()
    assert (result.run.outcome, result.run.message) == (ImportOutcome.REFUSED, refused.message)


def test_a_committed_preview_is_not_committed_twice(district):
    result = preview(csv_bytes([person_row(1)]))
    commit(result)

    refused = refusal(result)

    assert refused.code == "already_committed"
    assert ImportRun.objects.get().outcome == ImportOutcome.COMMITTED
    assert StaffMember.objects.count() == 1


def test_a_failure_in_the_middle_of_a_commit_leaves_the_database_as_it_was(district, monkeypatch):
    for n in range(1, 11):
        member(f"{n:06d}", district["maple"], first_name="P", last_name=f"{n}")
    member("000099", district["maple"], first_name="Sep", last_name="Arated", status=SEPARATED)
    rows = [
        [f"{n:06d}", "P", f"Changed{n}", f"{n:06d}@bps.example.org", "oak", "teacher"]
        for n in range(1, 10)
    ]
    rows.append(["000099", "Sep", "Arated", "000099@bps.example.org", "maple", "teacher"])
    rows.append(person_row(1, building="Brand New School", position="Dean of Students"))
    result = preview(csv_bytes(rows), sync=True, create_missing=True)
    expected = {
        "created": 1,
        "updated": 9,
        "reactivated": 1,
        "deactivated": 1,
        "buildings_created": 1,
        "positions_created": 1,
    }
    assert {key: result.counts[key] for key in expected} == expected
    before = database_state()
    reached = []
    real_create = services._create_staff

    def fail_after_everything_else(*args, **kwargs):
        # Buildings, positions, updates, reactivations and deactivations are written by now.
        reached.append(StaffMember.objects.filter(last_name__startswith="Changed").count())
        real_create(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_create_staff", fail_after_everything_else)

    with pytest.raises(RuntimeError, match="disk full"):
        commit(result)

    assert reached == [9]
    assert database_state() == before
    result.run.refresh_from_db()
    assert result.run.outcome == ImportOutcome.FAILED
    assert result.run.message == (
        "The import failed and nothing was changed (RuntimeError). The error was logged."
    )

    monkeypatch.setattr(services, "_create_staff", real_create)
    assert commit(result).outcome == ImportOutcome.COMMITTED
    assert staff("000005").last_name == "Changed5"
    assert staff("000010").status == SEPARATED


# Who may import


def test_only_hr_and_admins_may_import(district, hr, teacher, admin_user):
    content = csv_bytes([person_row(1)])

    with pytest.raises(PermissionDenied):
        preview(content, actor=teacher.user)
    result = preview(content, actor=hr.user)
    assert result.run.created_by == hr.user
    with pytest.raises(PermissionDenied):
        services.roster_commit(run=result.run, actor=teacher.user)
    assert (
        services.roster_commit(run=result.run, actor=admin_user).outcome == ImportOutcome.COMMITTED
    )


def test_an_unreadable_file_is_recorded_as_a_refused_run(district):
    user = f.login_for(None, groups=[HR_GROUP])

    with pytest.raises(UnreadableFile) as caught:
        preview((DATA / "pdf-renamed.xlsx").read_bytes(), file_name="pdf-renamed.xlsx", actor=user)

    run = caught.value.run
    assert run == ImportRun.objects.get()
    assert run.outcome == ImportOutcome.REFUSED
    assert run.message == caught.value.message
    assert run.file_name == "pdf-renamed.xlsx"
    assert run.file_size == (DATA / "pdf-renamed.xlsx").stat().st_size
    assert len(run.file_sha256) == 64
    assert run.created_by == user
    with pytest.raises(services.ImportRefused) as refused:
        services.roster_commit(run=run, actor=None)
    assert refused.value.code == "not_previewed"


# The error report


def test_the_error_report_holds_the_offending_rows_with_their_problems(district):
    rows = [
        person_row(1),
        person_row(2, first_name='=HYPERLINK("http://x")', email="broken"),
        person_row(3, building="Nowhere", position="Astronaut"),
    ]
    result = preview(csv_bytes(rows))
    exporter = RowErrorsExporter(result.run)

    assert list(exporter.rows()) == [
        [
            3,
            "900002",
            '=HYPERLINK("http://x")',
            "Last2",
            "broken",
            "maple",
            "teacher",
            "Email: This is not a valid email address.",
        ],
        [
            4,
            "900003",
            "First3",
            "Last3",
            "person3@bps.example.org",
            "Nowhere",
            "Astronaut",
            "Building: No building has this code or name.; "
            "Position: No position has this code or name.",
        ],
    ]
    export = exporter.csv()
    assert export.filename == f"roster-import-{result.run.pk}-errors.csv"
    text = export.content.decode("utf-8-sig")
    assert (
        text.splitlines()[0]
        == "Row,Employee ID,First Name,Last Name,Email,Building,Position,Problems"
    )
    assert "'=HYPERLINK" in text  # written as text, never a formula

    workbook = load_workbook(io.BytesIO(exporter.xlsx().content))
    sheet = workbook["Rows with errors"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Row", *ROSTER_HEADER, "Problems"]
    assert values[1][2] == '=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=3).data_type == "s"
    assert len(values) == 3


# Queries


def _queries(content: bytes, **options) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = preview(content, **options)
        commit(result, confirm_large_deactivation=True)
    return len(captured.captured_queries)


@pytest.fixture
def one_statement_per_bulk_write(monkeypatch):
    """Django assumes SQLite takes 999 parameters per statement and splits bulk writes into
    batches of ~60 staff; the SQLite here takes its real limit (32,766 since 3.32), so a bulk
    write of a few hundred rows is one statement, as on PostgreSQL (which has no such limit)."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    assert limit >= 32766
    monkeypatch.setattr(connection.features, "max_query_params", limit)


@pytest.mark.parametrize("sync", [False, True])
def test_preview_and_commit_take_the_same_queries_for_5_or_200_rows(
    district, one_statement_per_bulk_write, sync
):
    def roster(size: int, offset: int) -> bytes:
        return csv_bytes([person_row(offset + n) for n in range(size)])

    counts = {}
    for size, offset in ((5, 1000), (200, 2000)):
        StaffMember.objects.all().delete()
        # Created, then updated (a change of building), then the rest deactivated by a sync.
        created = _queries(roster(size, offset), sync=sync)
        updated = _queries(
            csv_bytes([person_row(offset + n, building="oak") for n in range(size)]), sync=sync
        )
        kept = csv_bytes([person_row(offset + n, building="oak") for n in range(1)])
        deactivated = _queries(kept, sync=True)
        counts[size] = (created, updated, deactivated)
        assert StaffMember.objects.filter(status=SEPARATED).count() >= size - 1

    assert counts[5] == counts[200]


def test_renaming_a_facilitator_raises_the_sequence_of_their_meetings(district):
    """Their name is in the events' DESCRIPTION: subscribed calendars must take the change."""
    facilitator = member(
        "900001", district["maple"], first_name="First1", last_name="Last1",
        email="person1@bps.example.org",
    )  # fmt: skip
    unchanged = member(
        "900002", district["maple"], first_name="First2", last_name="Last2",
        email="person2@bps.example.org",
    )  # fmt: skip
    led, other = f.SessionFactory(), f.SessionFactory()
    led.facilitators.add(facilitator)
    other.facilitators.add(unchanged)
    led_meeting, other_meeting = f.MeetingFactory(session=led), f.MeetingFactory(session=other)

    commit(preview(csv_bytes([person_row(1, last_name="Renamed"), person_row(2)])))

    led_meeting.refresh_from_db()
    other_meeting.refresh_from_db()
    assert StaffMember.objects.get(pk=facilitator.pk).last_name == "Renamed"
    assert (led_meeting.sequence, other_meeting.sequence) == (1, 0)


def test_a_formula_in_the_files_own_header_is_text_in_the_csv_report(district):
    header = [*ROSTER_HEADER, '=HYPERLINK("http://x")']
    rows = [[*person_row(1, email="broken"), "note"]]

    export = RowErrorsExporter(preview(csv_bytes(rows, header=header)).run).csv()

    first_line = export.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.endswith("""'=HYPERLINK(""http://x"")",Problems""")


def test_an_id_matching_several_people_without_leading_zeros_is_an_error_and_deactivates_none(
    district,
):
    member("01234", district["maple"], first_name="One", last_name="Zero")
    member("001234", district["maple"], first_name="Two", last_name="Zeros")
    others = [member(f"8{n:05d}", district["maple"]) for n in range(30)]
    rows = [
        person_row(
            1000 + n,
            employee_id=o.employee_id,
            email=o.email,
            first_name=o.first_name,
            last_name=o.last_name,
        )
        for n, o in enumerate(others)
    ]
    rows.append(person_row(1, employee_id="1234", last_name=""))

    result = preview(csv_bytes(rows), sync=True, skip_invalid=True)

    messages = [
        message for _row, column, _value, message in errors_of(result) if column == "Employee ID"
    ]
    assert messages == [roster.MSG_AMBIGUOUS_ID.format(ids="001234, 01234")]
    assert result.counts["deactivated"] == 0
    assert result.counts["created"] == 0


def test_a_preview_stored_in_the_first_change_set_format_still_commits(district):
    # Runs previewed before the change set stored creates column by column keep one entry per
    # person; committing one after an upgrade applies exactly those entries.
    result = preview((DATA / "roster.csv").read_bytes())
    run = ImportRun.objects.get(pk=result.run.pk)
    entries = roster.create_entries(run.change_set)
    run.change_set = {**run.change_set, "version": 1, "create": entries}
    run.save(update_fields=["change_set"])

    committed = services.roster_commit(run=ImportRun.objects.get(pk=run.pk), actor=None)

    assert committed.outcome == ImportOutcome.COMMITTED
    assert sorted(StaffMember.objects.values_list("employee_id", flat=True)) == sorted(
        entry["employee_id"] for entry in entries
    )
    assert len(entries) == 8

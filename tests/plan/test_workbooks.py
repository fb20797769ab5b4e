"""The completions workbook and the Outstanding CSV (plan.workbooks), read back with openpyxl
and checked against numbers worked out by hand from a small district."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from core.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from enrollment.exporters import TranscriptExporter
from enrollment.selectors import transcript
from enrollment.services import completion_void
from learning.access import DISTRICT_PD_GROUP
from learning.choices import PositionCategory, StaffStatus
from learning.models import StaffAssignment
from plan.progress import DEFINITIONS, DISTRICT, Filters, Scope, next_sessions, progress_report
from plan.workbooks import (
    OUTSTANDING_HEADER,
    CompletionsWorkbook,
    OutstandingExporter,
    sheet_title,
)
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    GoalFactory,
    MeetingFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)

AS_OF = dt.date(2026, 11, 22)
HYPERLINK = '=HYPERLINK("http://evil.example","click")'


def build_district():
    """Three buildings, two requirements, six people:

    Requirement A (all staff, CRT-101, target 80%, due 2027-06-30, not yet due on AS_OF):
      @evil:  Eve Evans    completed 2026-08-01, voided           -> Missing
      Maple:  Ann Adams    completed 2026-09-15                   -> 2026-09-15
              Bob Baker    enrolled in the evening cohort         -> Enrolled
              "=HYPERLINK" Hyper  nothing                         -> Missing
      Oak:    Carl Cruz    completed 2026-10-01                   -> 2026-10-01
              Dana Diaz    nothing                                -> Missing
      2 of 6 = 33.3%; expected 80 * 144/364 = 31.6% -> on track.
    Requirement B (counselors, RP-201, target 50%, due 2026-10-31, past due):
      Oak:    Carl Cruz    completed 2026-11-05 (late)            -> Completed late 2026-11-05
              Dana Diaz    completed 2026-10-20                   -> 2026-10-20
      1 of 2 = 50% -> met.
    """
    year = PlanYearFactory(name="2026-27")
    goal = GoalFactory(plan_year=year, title="Every adult is ready", order=1)
    counselors_goal = GoalFactory(plan_year=year, title="Counselors lead restorative work", order=2)
    teacher = PositionFactory(code="teacher", name="Teacher")
    counselor = PositionFactory(
        code="counselor", name="Counselor", category=PositionCategory.SUPPORT
    )
    maple = BuildingFactory(code="maple", name="Maple Elementary")
    oak = BuildingFactory(code="oak", name="Oak Middle")
    evil = BuildingFactory(code="evil", name="@evil")
    crt = CourseFactory(code="crt-101", title="Culturally Responsive Teaching")
    rp = CourseFactory(code="rp-201", title="Restorative Practices")
    requirement_a = RequirementFactory(
        goal=goal, course=crt, title="CRT for all", target_percent=80, due_on=dt.date(2027, 6, 30)
    )
    requirement_b = RequirementFactory(
        goal=counselors_goal,
        course=rp,
        title="RP for counselors",
        target_percent=50,
        due_on=dt.date(2026, 10, 31),
    )
    requirement_b.audience_positions.set([counselor])

    def person(first, last, building, position):
        return StaffMemberFactory(
            first_name=first, last_name=last, building=building, position=position
        )

    eve = person("Eve", "Evans", evil, teacher)
    ann = person("Ann", "Adams", maple, teacher)
    bob = person("Bob", "Baker", maple, teacher)
    hyper = person(HYPERLINK, "Hyper", maple, teacher)
    carl = person("Carl", "Cruz", oak, counselor)
    dana = person("Dana", "Diaz", oak, counselor)

    voided = CompletionFactory(staff=eve, course=crt, completed_on=dt.date(2026, 8, 1))
    completion_void(
        completion=voided,
        reason="Signed in for a colleague",
        actor=login_for(None, groups=[DISTRICT_PD_GROUP]),
    )
    ann_crt = CompletionFactory(
        staff=ann, course=crt, completed_on=dt.date(2026, 9, 15), clock_hours=Decimal("6")
    )
    CompletionFactory(staff=carl, course=crt, completed_on=dt.date(2026, 10, 1))
    CompletionFactory(staff=carl, course=rp, completed_on=dt.date(2026, 11, 5))
    CompletionFactory(staff=dana, course=rp, completed_on=dt.date(2026, 10, 20))

    session = SessionFactory(course=crt, building=maple, title="Evening cohort", capacity=20)
    starts = (timezone.now() + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    MeetingFactory(session=session, starts_at=starts)
    EnrollmentFactory(staff=bob, session=session)
    return SimpleNamespace(**locals())


def day(year: int, month: int, day: int) -> dt.datetime:
    """A date as openpyxl reads it back: a naive midnight (Excel has no dates or zones)."""
    return dt.datetime.combine(dt.date(year, month, day), dt.time())


def make_report(scope=DISTRICT, **filters):
    report = progress_report(scope=scope, filters=Filters(**filters), as_of=AS_OF)
    sessions = next_sessions(item.requirement for item in report.requirements)
    return report, sessions


def read(content: bytes):
    return load_workbook(io.BytesIO(content))


def table(worksheet, header_row: int) -> list[tuple]:
    return list(worksheet.iter_rows(min_row=header_row, values_only=True))


@pytest.fixture
def district(db, settings):
    settings.DISTRICT_NAME = "Birmingham Public Schools"
    return build_district()


@pytest.fixture
def workbook(district):
    report, sessions = make_report(plan_year=district.year)
    export = CompletionsWorkbook(report, sessions=sessions).xlsx()
    return SimpleNamespace(export=export, book=read(export.content))


def test_file_is_named_for_district_scope_and_date(workbook):
    assert workbook.export.filename == (
        "birmingham-public-schools-completions-district-2026-11-22.xlsx"
    )
    assert workbook.export.content_type == XLSX_CONTENT_TYPE


def test_sheets_are_summary_buildings_outstanding_definitions(workbook):
    assert workbook.book.sheetnames == [
        "Summary",
        "@evil",
        "Maple Elementary",
        "Oak Middle",
        "Outstanding",
        "Seats",
        "Definitions",
    ]


def test_summary_rates_targets_and_counts(workbook):
    sheet = workbook.book["Summary"]
    assert sheet["A1"].value == "Birmingham Public Schools: completions against the plan, 2026-27"
    assert sheet["A2"].value == "As of November 22, 2026"
    assert sheet["A3"].value == "Scope: District"
    rows = table(sheet, 5)
    assert rows[0] == ("Building", "CRT for all", "RP for counselors", "All requirements")
    by_label = {row[0]: row[1:] for row in rows[1:]}
    assert by_label["@evil"] == (0, None, 0)
    assert by_label["Maple Elementary"] == (pytest.approx(1 / 3), None, pytest.approx(1 / 3))
    assert by_label["Oak Middle"] == (0.5, 0.5, 0.5)
    assert by_label["District total"] == (pytest.approx(2 / 6), 0.5, pytest.approx(3 / 8))
    assert by_label["Target"][:2] == (0.8, 0.5)
    assert by_label["Expected by 2026-11-22"][:2] == (pytest.approx(0.316), 0.5)
    assert by_label["Status"][:2] == ("On track", "Met")
    assert by_label["Completed"] == (2, 1, 3)
    assert by_label["Audience"] == (6, 2, 8)
    assert by_label["Due on"][:2] == (day(2027, 6, 30), day(2026, 10, 31))
    assert by_label["Counted on"][:2] == (day(2026, 11, 22), day(2026, 10, 31))


def test_summary_rates_are_percentages_coloured_against_target(workbook):
    sheet = workbook.book["Summary"]
    # Row 6 is the first building, row 9 the district total, row 10 the targets.
    for cell in ("B6", "B8", "C8", "B9", "D9", "B10", "C10"):
        assert sheet[cell].number_format == "0.0%", cell
    assert sheet["A9"].font.b
    assert sheet.freeze_panes == "B6"
    ranges = {
        str(rule_range.sqref): rule_range.rules for rule_range in sheet.conditional_formatting
    }
    assert set(ranges) == {"B6:B9", "C6:C9"}
    formulas = [rule.formula[0] for rule in ranges["B6:B9"]]
    assert formulas[0] == "AND(ISNUMBER(B6),B6>=B$10)"  # met: against the target row
    assert "B6>=B$11" in formulas[1]  # on track: against the expected rate
    assert all(rule.dxf.fill is not None for rule in ranges["B6:B9"])
    # Past due: met or behind, no "on track" band.
    assert len(ranges["C6:C9"]) == 2


CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"


def test_summary_has_a_bar_chart_of_the_rates(workbook):
    with zipfile.ZipFile(io.BytesIO(workbook.export.content)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    # Read as XML: openpyxl writes it with or without lxml, whose spacing differs.
    tree = ElementTree.fromstring(chart)
    (bar_chart,) = tree.iter(f"{{{CHART_NS}}}barChart")
    assert bar_chart.find(f"{{{CHART_NS}}}barDir").get("val") == "col"
    assert "<f>'Summary'!$B$6:$B$8</f>" in chart  # CRT rates of the three buildings
    assert "<f>'Summary'!$C$6:$C$8</f>" in chart  # RP rates
    assert "<f>'Summary'!$A$6:$A$8</f>" in chart  # their names as categories


def test_building_sheet_is_people_by_requirement(workbook):
    sheet = workbook.book["Oak Middle"]
    rows = table(sheet, 4)
    assert rows[0] == (
        "Last name",
        "First name",
        "Employee ID",
        "Position",
        "CRT for all",
        "RP for counselors",
        "Completed",
        "Outstanding",
    )
    carl, dana = rows[1], rows[2]
    assert carl[:2] == ("Cruz", "Carl") and carl[3] == "Counselor"
    assert carl[4:] == (day(2026, 10, 1), "Completed late 2026-11-05", 1, 0)
    assert dana[:2] == ("Diaz", "Dana")
    assert dana[4:] == ("Missing", day(2026, 10, 20), 1, 1)
    assert sheet["E5"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "C5"
    assert sheet.auto_filter.ref == "A4:H6"
    assert sheet.column_dimensions["A"].width == 18


def test_requirement_not_applying_is_a_dash(workbook):
    rows = table(workbook.book["Maple Elementary"], 4)[1:]
    assert [row[:2] for row in rows] == [("Adams", "Ann"), ("Baker", "Bob"), ("Hyper", HYPERLINK)]
    assert [row[4:6] for row in rows] == [
        (day(2026, 9, 15), "—"),
        ("Enrolled", "—"),
        ("Missing", "—"),
    ]


def test_outstanding_lists_who_still_needs_what_with_the_next_session(workbook, district):
    rows = table(workbook.book["Outstanding"], 1)
    assert rows[0] == OUTSTANDING_HEADER
    people = [(row[0], row[3], row[5], row[7]) for row in rows[1:]]
    assert people == [
        ("Evans", "@evil", "CRT for all", "Missing"),
        ("Baker", "Maple Elementary", "CRT for all", "Enrolled"),
        ("Hyper", "Maple Elementary", "CRT for all", "Missing"),
        ("Diaz", "Oak Middle", "CRT for all", "Missing"),
    ]
    bob = rows[2]
    assert bob[2] == district.bob.employee_id
    assert bob[4] == "Teacher"
    assert bob[6] == day(2027, 6, 30)
    starts = timezone.localtime(district.session.meetings.get().starts_at).replace(tzinfo=None)
    # Bob holds one of the 20 seats.
    assert bob[8:] == ("Culturally Responsive Teaching — Evening cohort", starts, 19)


def test_definitions_say_how_numbers_are_computed(workbook):
    rows = table(workbook.book["Definitions"], 3)
    terms = {row[0]: row[1] for row in rows[1:] if row[0]}
    assert terms["As of"] == day(2026, 11, 22)
    assert terms["Scope"] == "District"
    assert terms["Plan year"] == "2026-27"
    for term, explanation in DEFINITIONS:
        assert terms[term] == explanation
    assert "Counted on 2026-10-31" in terms["RP for counselors"]
    assert "1 of 2 completed; status: Met." in terms["RP for counselors"]


def test_definitions_name_the_filters(district):
    report, sessions = make_report(
        plan_year=district.year,
        building_ids=frozenset({district.oak.pk}),
        position_ids=frozenset({district.counselor.pk}),
        requirement_id=district.requirement_b.pk,
    )
    book = read(CompletionsWorkbook(report, sessions=sessions).xlsx().content)
    terms = {row[0]: row[1] for row in table(book["Definitions"], 4) if row[0]}
    assert terms["Buildings"] == "Oak Middle"
    assert terms["Positions"] == "Counselor"
    assert terms["Requirement"] == "RP for counselors"
    assert book.sheetnames == ["Summary", "Oak Middle", "Outstanding", "Seats", "Definitions"]
    assert book["Summary"]["A7"].value == "Total: Oak Middle"


def test_people_input_is_never_a_formula(workbook):
    maple = workbook.book["Maple Elementary"]
    hyper = maple["B7"]
    assert hyper.value == HYPERLINK
    assert hyper.data_type == "s"
    for sheet in ("Summary", "Outstanding"):
        cells = [
            cell
            for row in workbook.book[sheet].iter_rows()
            for cell in row
            if isinstance(cell.value, str) and cell.value.startswith(("=", "@"))
        ]
        assert cells, sheet
        assert all(cell.data_type == "s" for cell in cells)
    assert workbook.book["Summary"]["A6"].value == "@evil"
    assert workbook.book["Summary"]["A6"].data_type == "s"


def test_outstanding_csv_guards_formulas_and_has_a_bom(district):
    report, sessions = make_report(plan_year=district.year)
    export = OutstandingExporter(report, sessions=sessions).csv()
    assert export.filename == "birmingham-public-schools-outstanding-district-2026-11-22.csv"
    assert export.content_type == CSV_CONTENT_TYPE
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == list(OUTSTANDING_HEADER)
    assert rows[1][:4] == ["Evans", "Eve", district.eve.employee_id, "'@evil"]
    assert rows[3][:2] == ["Hyper", f"'{HYPERLINK}"]
    assert rows[2][6:8] == ["2027-06-30", "Enrolled"]


def test_leader_scope_holds_only_their_buildings(district):
    report, sessions = make_report(
        scope=Scope(frozenset({district.maple.pk})), plan_year=district.year
    )
    export = CompletionsWorkbook(report, sessions=sessions).xlsx()
    assert export.filename == "birmingham-public-schools-completions-maple-2026-11-22.xlsx"
    book = read(export.content)
    assert book.sheetnames == ["Summary", "Maple Elementary", "Outstanding", "Seats", "Definitions"]
    names = {
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }
    assert {"Oak Middle", "@evil", "Cruz", "Diaz", "Evans"}.isdisjoint(names)
    assert book["Summary"]["A7"].value == "Total: Maple Elementary"


def test_building_sheet_titles_are_valid_and_unique():
    taken = {"summary", "outstanding", "definitions", "history"}
    assert sheet_title("North/South [Annex]: *?", taken) == "North-South -Annex-- --"
    assert sheet_title("Summary", taken) == "Summary (2)"
    assert sheet_title("'Quoted'", taken) == "Quoted"
    long = "Education Administration Building East"
    first, second = sheet_title(long, taken), sheet_title(long, taken)
    assert first == long[:31]
    assert second == "Education Administration Bu (2)"
    assert len(second) <= 31
    assert sheet_title("   ", taken) == "Building"


def test_clashing_building_names_get_distinct_sheets(district):
    BuildingFactory(code="oak-2", name="Oak Middle")
    StaffMemberFactory(building=BuildingFactory(code="oak-2"), position=district.teacher)
    BuildingFactory(code="summary", name="Summary")
    StaffMemberFactory(building=BuildingFactory(code="summary"), position=district.teacher)
    report, sessions = make_report(plan_year=district.year)
    book = read(CompletionsWorkbook(report, sessions=sessions).xlsx().content)
    assert book.sheetnames == [
        "Summary",
        "@evil",
        "Maple Elementary",
        "Oak Middle",
        "Oak Middle (2)",
        "Summary (2)",
        "Outstanding",
        "Seats",
        "Definitions",
    ]


def test_transcript_agrees_with_the_building_sheet(district, workbook):
    """A person's completed date is the completion on their transcript; a voided completion
    counts in neither."""
    maple = table(workbook.book["Maple Elementary"], 4)
    ann_row = next(row for row in maple if row[2] == district.ann.employee_id)
    ann_book = read(
        TranscriptExporter(transcript=transcript(staff=district.ann), as_of=AS_OF).xlsx().content
    )
    ann_rows = table(ann_book["Transcript"], 6)
    crt = [row for row in ann_rows[1:] if row[2] == "CRT-101"]
    assert len(crt) == 1
    assert crt[0][1] == ann_row[4] == day(2026, 9, 15)
    assert crt[0][7] == "Valid"

    evil = table(workbook.book["@evil"], 4)
    eve_row = next(row for row in evil if row[2] == district.eve.employee_id)
    assert eve_row[4] == "Missing"
    eve_book = read(
        TranscriptExporter(transcript=transcript(staff=district.eve), as_of=AS_OF).xlsx().content
    )
    transcript_sheet = eve_book["Transcript"]
    assert transcript_sheet["A4"].value.startswith("Clock hours in total: 0")
    eve_rows = table(transcript_sheet, 6)[1:]
    assert [(row[2], row[7]) for row in eve_rows] == [("CRT-101", "Voided")]


def _build(report, sessions) -> int:
    with CaptureQueriesContext(connection) as queries:
        CompletionsWorkbook(report, sessions=sessions).xlsx()
        OutstandingExporter(report, sessions=sessions).csv()
    return len(queries)


def _report_and_workbook(district) -> int:
    with CaptureQueriesContext(connection) as queries:
        report, sessions = make_report(plan_year=district.year)
        CompletionsWorkbook(report, sessions=sessions).xlsx()
    return len(queries)


def test_queries_do_not_grow_with_staff(district, django_assert_num_queries):
    """The report and next_sessions query; the exporters never do, whatever the rows."""
    report, sessions = make_report(plan_year=district.year)
    assert _build(report, sessions) == 0
    small = _report_and_workbook(district)
    for number in range(27):
        building = (district.maple, district.oak, district.evil)[number % 3]
        person = StaffMemberFactory(building=building, position=district.counselor)
        if number % 2:
            CompletionFactory(staff=person, course=district.crt, completed_on=dt.date(2026, 9, 1))
        elif number % 3:
            EnrollmentFactory(staff=person, session=district.session)
    report, sessions = make_report(plan_year=district.year)
    assert len(report.people_ids()) == 33
    assert _build(report, sessions) == 0
    with django_assert_num_queries(small):
        report, sessions = make_report(plan_year=district.year)
        CompletionsWorkbook(report, sessions=sessions).xlsx()


def test_person_who_moved_is_shown_where_each_requirement_counts_them(district):
    """Moved from Maple to Oak on 2026-11-01: RP (counted 2026-10-31) counts them at Maple,
    CRT (counted on the as-of day) at Oak."""
    mover = StaffMemberFactory(
        first_name="Mo", last_name="Mover", building=district.oak, position=district.counselor
    )
    common = {"staff": mover, "position": district.counselor, "status": StaffStatus.ACTIVE}
    StaffAssignment.objects.create(
        **common, building=district.maple, starts_on=None, ends_on=dt.date(2026, 11, 1)
    )
    StaffAssignment.objects.create(**common, building=district.oak, starts_on=dt.date(2026, 11, 1))
    report, sessions = make_report(plan_year=district.year)
    book = read(CompletionsWorkbook(report, sessions=sessions).xlsx().content)
    at_maple = next(row for row in table(book["Maple Elementary"], 4) if row[0] == "Mover")
    at_oak = next(row for row in table(book["Oak Middle"], 4) if row[0] == "Mover")
    assert at_maple[4:] == ("Counted at Oak Middle", "Missing", 0, 1)
    assert at_oak[4:] == ("Missing", "Counted at Maple Elementary", 0, 1)


def test_people_with_no_building_get_their_own_row_and_sheet(district):
    StaffMemberFactory(last_name="Floater", building=None, position=district.teacher)
    report, sessions = make_report(plan_year=district.year)
    book = read(CompletionsWorkbook(report, sessions=sessions).xlsx().content)
    assert book.sheetnames[-4:] == ["No building", "Outstanding", "Seats", "Definitions"]
    summary = {row[0]: row[1:] for row in table(book["Summary"], 5)}
    assert summary["No building"][0] == 0
    assert summary["District total"][0] == pytest.approx(2 / 7)
    assert [row[0] for row in table(book["No building"], 4)[1:]] == ["Floater"]


def test_an_empty_plan_still_makes_a_workbook(db):
    report = progress_report(filters=Filters(), as_of=AS_OF)
    export = CompletionsWorkbook(report, sessions={}).xlsx()
    book = read(export.content)
    assert book.sheetnames == ["Summary", "Outstanding", "Seats", "Definitions"]
    assert table(book["Summary"], 5)[0] == ("Building", "All requirements")
    assert table(book["Outstanding"], 1) == [OUTSTANDING_HEADER]
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert not [name for name in archive.namelist() if name.startswith("xl/charts/")]


def test_a_title_cut_at_an_apostrophe_does_not_end_with_one():
    # Excel refuses a sheet title that begins or ends with an apostrophe.
    name = "Saint Mary Magdalene Academy's' Annex"  # the 31st character is an apostrophe
    assert name[30] == "'"
    title = sheet_title(name, set())
    assert not title.endswith("'")
    assert title == name[:30]


def test_on_the_due_day_the_summary_still_colours_on_track_and_at_risk(district):
    # RP for counselors is due 2026-10-31: on that day completions still count, so the status
    # can be at risk, and its column keeps the on-track and at-risk bands.
    report = progress_report(filters=Filters(plan_year=district.year), as_of=dt.date(2026, 10, 31))
    sessions = next_sessions(item.requirement for item in report.requirements)
    sheet = read(CompletionsWorkbook(report, sessions=sessions).xlsx().content)["Summary"]

    ranges = {str(r.sqref): r.rules for r in sheet.conditional_formatting}

    assert len(ranges["C6:C9"]) == 4

"""The leaders' start page and seats against the plan: how many more completions each target
needs by its due date against the places held and the seats left in sessions that end in time,
overall and per building, with the warning when the schedule cannot reach it; where each role
lands after signing in; the menu's count of waiting approvals.

The fixture, by hand: a plan year around today; "Course One" due in 60 days at 80% for the
teachers of Maple (the leader's building, 10 teachers) and Oak (5). At Maple 2 completed and 1
holds a place; at Oak nobody. Overall 15 people, 80% is 12, so 10 more completions are needed;
1 place is held. Sessions: Maple, 4 seats left, ends in time (counted); Oak, 3 seats left, ends
in time (counted); one after the due date, one already started, one in draft, one kept for Oak
only (counted for district PD, not for Maple's leader). District: 10 needed, 1 held, 4 + 3 + 5
(Oak's own) = 12 seats: enough. Maple: its leader's report counts Maple's 10: 8 needed - 2
completed = 6, 1 held, seats open to Maple 4 + 3 = 7: enough; Course Two (no session) is short.
"""

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.choices import SessionStatus
from enrollment.choices import EnrollmentStatus
from plan.progress import Filters, default_plan_year
from plan.seats import seats_against_plan
from plan.selectors import progress_for
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    GoalFactory,
    MeetingFactory,
    OutsideActivityFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db

START = reverse("leaders:start")


def text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(body)).strip()


def session_at(course, building, *, days: int, capacity: int, taken: int = 0, **fields):
    session = SessionFactory(course=course, building=building, capacity=capacity, **fields)
    starts = timezone.now() + dt.timedelta(days=days)
    MeetingFactory(session=session, starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    for _ in range(taken):
        EnrollmentFactory(session=session)
    return session


@pytest.fixture
def plan(building, leader):
    today = timezone.localdate()
    oak = BuildingFactory(code="oak", name="Oak Elementary")
    teacher_position = PositionFactory(code="teacher", name="Teacher")
    year = PlanYearFactory(
        starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=200)
    )
    goal = GoalFactory(plan_year=year)
    course = CourseFactory(code="one-101", title="Course One")
    other_course = CourseFactory(code="two-201", title="Course Two")
    first = RequirementFactory(
        goal=goal, course=course, target_percent=80, due_on=today + dt.timedelta(days=60)
    )
    second = RequirementFactory(
        goal=goal, course=other_course, target_percent=50, due_on=today + dt.timedelta(days=60)
    )
    for requirement in (first, second):
        requirement.audience_positions.set([teacher_position])
        requirement.audience_buildings.set([building, oak])
    maple = [StaffMemberFactory(building=building, position=teacher_position) for _ in range(10)]
    oak_staff = [StaffMemberFactory(building=oak, position=teacher_position) for _ in range(5)]
    for person in maple[:2]:
        CompletionFactory(staff=person, course=course, completed_on=today)
    counted = session_at(course, building, days=10, capacity=5)
    EnrollmentFactory(staff=maple[2], session=counted)
    session_at(course, oak, days=20, capacity=3)
    session_at(course, building, days=90, capacity=50)  # ends after the due date
    session_at(course, building, days=-1, capacity=50)  # already started
    session_at(course, building, days=15, capacity=50, status=SessionStatus.DRAFT)
    kept = session_at(course, oak, days=25, capacity=5)
    kept.audience_buildings.set([oak])
    return {"first": first, "second": second, "oak": oak, "maple": maple, "oak_staff": oak_staff}


def test_seats_against_the_plan_for_the_district(plan, district_pd):
    report = progress_for(user=district_pd.user, filters=Filters(plan_year=default_plan_year()))

    seats = {s.item.requirement.pk: s for s in seats_against_plan(report)}
    one = seats[plan["first"].pk]

    assert (one.overall.audience, one.overall.completed, one.overall.enrolled) == (15, 2, 1)
    assert one.overall.needed == 10
    assert (one.overall.seats_left, one.overall.sessions) == (12, 3)
    assert one.reachable and one.warning == ""
    rows = {row.building.name: row for row in one.by_building}
    assert (rows["Oak Elementary"].needed, rows["Oak Elementary"].seats_left) == (4, 8)
    two = seats[plan["second"].pk]
    assert (two.overall.needed, two.overall.seats_left) == (8, 0)
    assert two.warning == (
        f"TWO-201 needs 8 more completions by {plan['second'].due_on:%B} "
        f"{plan['second'].due_on.day}; no session is scheduled before then: 8 short."
    )


def test_a_leader_counts_their_building_and_the_seats_open_to_it(plan, leader):
    report = progress_for(user=leader.user, filters=Filters(plan_year=default_plan_year()))

    one = next(s for s in seats_against_plan(report) if s.item.requirement == plan["first"])

    assert (one.overall.audience, one.overall.needed, one.overall.enrolled) == (10, 6, 1)
    # Maple's session (4 left) and Oak's open one (3); not the one kept for Oak.
    assert (one.overall.seats_left, one.overall.sessions) == (7, 2)


def test_the_start_page_warns_and_counts_what_waits(client, plan, leader):
    waiting = session_at(plan["first"].course, leader.building, days=30, capacity=2)
    EnrollmentFactory(
        staff=plan["maple"][5], session=waiting, status=EnrollmentStatus.PENDING_APPROVAL
    )
    client.force_login(leader.user)

    response = client.get(START)
    page = text(response)

    assert response.status_code == 200
    assert "1 request to approve" in page
    assert "outside activit" not in page
    assert "The schedule cannot reach 1 target" in page
    assert "TWO-201 needs 5 more completions" in page
    assert re.search(r"Approvals\s*<span class=\"nav-count\">1<", response.content.decode())


def test_district_pd_sees_outside_learning_waiting(client, plan, district_pd):
    OutsideActivityFactory()
    client.force_login(district_pd.user)

    page = text(client.get(START))

    assert "1 outside activity to review" in page
    assert "Start : District" in page


@pytest.mark.parametrize("role", ["teacher", "facilitator", "hr"])
def test_the_start_page_is_not_there_for_others(client, role, request):
    client.force_login(request.getfixturevalue(role).user)

    assert client.get(START).status_code == 404


@pytest.mark.parametrize(
    "role, lands",
    [
        ("teacher", "/me/"),
        ("facilitator", "/me/"),
        ("leader", "/leaders/start/"),
        ("district_pd", "/leaders/start/"),
        ("hr", "/hr/"),
        ("admin_user", "/leaders/start/"),
    ],
)
def test_each_role_lands_on_its_own_start(client, role, lands, request):
    person = request.getfixturevalue(role)
    client.force_login(getattr(person, "user", person))

    response = client.get(reverse("home"))

    assert (response.status_code, response["Location"]) == (302, lands)


def test_a_visitor_lands_on_the_catalog(client):
    assert client.get(reverse("home"))["Location"] == reverse("catalog:index")


def test_the_start_page_s_queries_do_not_grow_with_staff_or_sessions(client, plan, district_pd):
    client.force_login(district_pd.user)
    client.get(START)
    with CaptureQueriesContext(connection) as few:
        client.get(START)
    oak = plan["oak"]
    position = plan["maple"][0].position
    for _ in range(40):
        StaffMemberFactory(building=oak, position=position)
    for days in (5, 6, 7, 8):
        session_at(plan["first"].course, oak, days=days, capacity=4, taken=1)
    EnrollmentFactory(
        session=session_at(CourseFactory(), oak, days=9, capacity=3),
        status=EnrollmentStatus.PENDING_APPROVAL,
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(START)

    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


SEATS_API = "/api/v1/progress/seats/"


def test_the_api_gives_the_seats_the_page_shows(api_client, plan, district_pd):
    api_client.force_authenticate(district_pd.user)

    body = {row["requirement"]: row for row in api_client.get(SEATS_API).json()}

    one, two = body[plan["first"].pk], body[plan["second"].pk]
    assert one["overall"] == {
        "building": None,
        "name": "District",
        "audience": 15,
        "completed": 2,
        "enrolled": 1,
        "needed": 10,
        "seats_left": 12,
        "sessions": 3,
        "short": 0,
    }
    assert one["reachable"] is True and one["label"] == "ONE-101"
    oak = next(row for row in one["by_building"] if row["building"] == "oak")
    assert (oak["needed"], oak["seats_left"]) == (4, 8)
    assert two["reachable"] is False and two["warning"].startswith("TWO-201 needs 8 more")


def test_the_api_keeps_a_leader_to_their_building(api_client, plan, leader):
    api_client.force_authenticate(leader.user)

    body = {row["requirement"]: row for row in api_client.get(SEATS_API).json()}

    overall = body[plan["first"].pk]["overall"]
    assert (overall["name"], overall["audience"], overall["seats_left"]) == (
        "Your buildings",
        10,
        7,
    )
    assert {row["building"] for row in body[plan["first"].pk]["by_building"]} == {
        leader.building.code
    }


def test_the_api_names_a_bad_filter_and_refuses_teachers(api_client, plan, leader, teacher):
    api_client.force_authenticate(leader.user)
    bad = api_client.get(SEATS_API, {"plan_year": "nope"})
    api_client.force_authenticate(teacher.user)

    assert bad.status_code == 400 and list(bad.json()) == ["plan_year"]
    assert api_client.get(SEATS_API).status_code == 403


def test_the_api_s_queries_do_not_grow_with_staff_or_sessions(api_client, plan, district_pd):
    api_client.force_authenticate(district_pd.user)
    api_client.get(SEATS_API)
    with CaptureQueriesContext(connection) as few:
        api_client.get(SEATS_API)
    position = plan["maple"][0].position
    for _ in range(30):
        StaffMemberFactory(building=plan["oak"], position=position)
    for days in (5, 6, 7):
        session_at(plan["first"].course, plan["oak"], days=days, capacity=4, taken=1)
    with CaptureQueriesContext(connection) as many:
        api_client.get(SEATS_API)

    assert len(many) == len(few)


def test_the_workbook_has_the_seats_and_prints_page_wide(client, plan, district_pd):
    import io

    from openpyxl import load_workbook

    client.force_login(district_pd.user)

    response = client.get(reverse("leaders:workbook"))
    book = load_workbook(io.BytesIO(response.content))

    seats = book["Seats"]
    rows = [[cell.value for cell in row] for row in seats.iter_rows(min_row=4)]
    header, data = rows[0], rows[1:]
    assert header[:2] == ["Requirement", "Building"] and header[-1] == "Warning"
    one = next(row for row in data if row[0] == "ONE-101" and row[1] == "District")
    assert one[4:11] == [15, 2, 1, 10, 12, 3, 0]
    two = next(row for row in data if row[0] == "TWO-201" and row[1] == "District")
    assert two[11].startswith("TWO-201 needs 8 more completions")
    assert any(row[0] == "ONE-101" and row[1] == "Oak Elementary" for row in data)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_title_rows, sheet.title
    assert book["Outstanding"].page_setup.orientation == "landscape"
    # The summary's wrapped header row is tall enough for its longest requirement.
    header_row = int(book["Summary"].print_title_rows.split(":")[0].strip("$"))
    assert book["Summary"].row_dimensions[header_row].height >= 30


def test_the_warning_is_said_in_plain_words():
    from types import SimpleNamespace

    from plan.seats import RequirementSeats, SeatCount

    item = SimpleNamespace(requirement=SimpleNamespace(due_on=dt.date(2027, 1, 31)))
    overall = SeatCount(building=None, needed=10, enrolled=1, seats_left=4, sessions=1)
    seats = RequirementSeats(
        item=item, short_label="SEL-201", overall=overall, by_building=[], sessions=[object()]
    )

    assert seats.warning == (
        "SEL-201 needs 10 more completions by January 31; the 1 session scheduled before then "
        "offers 4 seats and 1 already holds a place: 5 short."
    )

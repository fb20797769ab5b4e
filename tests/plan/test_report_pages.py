"""The /leaders/ report pages: the numbers they show, where each number links, who may see which
building's people, bad filters, and a query count that does not grow with the staff.

The fixture, by hand: a plan year from 90 days ago to 275 days ahead; the audience of both
requirements is the teachers of Maple and Oak.
- "Course One" (target 80%, due in 90 days). Maple: 4 teachers, 3 completed, 1 missing -> 3/4 =
  75%. Oak: 2 teachers, 1 completed, 1 enrolled -> 1/2 = 50%. District 4/6 = 66.7%; expected
  today 80 * 90/180 = 40% -> on track.
- "Course Two" (target 50%, due 10 days ago). Maple: 1 on time, 1 late (after the due date), 2
  missing -> 1/4 = 25%; Oak: 0/2. District 1/6 = 16.7%, past due -> behind.
"""

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.choices import EnrollmentStatus
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

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("leaders:dashboard")
PEOPLE = reverse("leaders:people")
OUTSTANDING = reverse("leaders:outstanding")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def plan(db, today, building, other_building):
    teacher_position = PositionFactory(code="teacher", name="Teacher")
    year = PlanYearFactory(
        name="2026-27",
        starts_on=today - dt.timedelta(days=90),
        ends_on=today + dt.timedelta(days=275),
    )
    goal = GoalFactory(plan_year=year, title="Every teacher learns together")
    course_one = CourseFactory(code="one-101", title="Course One")
    course_two = CourseFactory(code="two-201", title="Course Two")
    first = RequirementFactory(
        goal=goal,
        course=course_one,
        target_percent=80,
        due_on=today + dt.timedelta(days=90),
        title="Course One for teachers",
    )
    second = RequirementFactory(
        goal=goal,
        course=course_two,
        target_percent=50,
        due_on=today - dt.timedelta(days=10),
        title="Course Two for teachers",
    )
    for requirement in (first, second):
        # The teachers of the two buildings: the role fixtures' own staff stay out.
        requirement.audience_positions.set([teacher_position])
        requirement.audience_buildings.set([building, other_building])

    def teacher(where, first_name, last_name):
        return StaffMemberFactory(
            building=where, position=teacher_position, first_name=first_name, last_name=last_name
        )

    maple = [
        teacher(building, "Ada", "Maple"),
        teacher(building, "Ben", "Maple"),
        teacher(building, "Cy", "Maple"),
        teacher(building, "Dee", "Maple"),
    ]
    oak = [teacher(other_building, "Eve", "Oak"), teacher(other_building, "Fay", "Oak")]
    month_ago = today - dt.timedelta(days=30)
    for person in (*maple[:3], oak[0]):
        CompletionFactory(staff=person, course=course_one, completed_on=month_ago)
    CompletionFactory(staff=maple[0], course=course_two, completed_on=month_ago)
    CompletionFactory(staff=maple[1], course=course_two, completed_on=today - dt.timedelta(days=5))
    session = SessionFactory(course=course_one, building=building, capacity=20)
    MeetingFactory(session=session, starts_at=timezone.now() + dt.timedelta(days=14))
    EnrollmentFactory(staff=oak[1], session=session, status=EnrollmentStatus.ENROLLED)
    return {
        "year": year,
        "first": first,
        "second": second,
        "maple": maple,
        "oak": oak,
        "session": session,
        "position": teacher_position,
    }


@pytest.fixture
def oak_leader(other_building):
    staff = StaffMemberFactory(
        building=other_building,
        first_name="Olive",
        last_name="Oakleader",
        position=PositionFactory(code="principal", category="leader"),
        leads=[other_building],
    )
    login_for(staff, username="oakleader")
    return staff


def text_of(response) -> str:
    """The page's visible words, tags dropped and whitespace squeezed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def links_to(response, path: str) -> list[dict]:
    """The query parameters of every link on the page to path."""
    found = []
    for href in re.findall(r'href="([^"]+)"', response.content.decode()):
        url = urlsplit(unescape(href))
        if url.path == path:
            found.append(parse_qs(url.query))
    return found


def row_of(response, header: str, table: str | None = None) -> str:
    """The text of the first table row (of the table with id table, if given) whose header
    starts with header."""
    html = response.content.decode()
    if table is not None:
        html = re.search(rf'<table[^>]* id="{table}".*?</table>', html, flags=re.S).group(0)
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        if cells.startswith(header):
            return cells
    raise AssertionError(f"no row starting with {header!r}")


# Access


def test_anonymous_is_sent_to_sign_in(client):
    for url in (DASHBOARD, PEOPLE, OUTSTANDING):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["teacher", "hr"])
def test_teacher_and_hr_get_404(client, plan, who, request):
    staff = request.getfixturevalue(who)
    client.force_login(staff.user)
    for url in (DASHBOARD, PEOPLE, OUTSTANDING):
        assert client.get(url).status_code == 404


def test_pages_answer_only_safe_methods(client, plan, district_pd):
    client.force_login(district_pd.user)
    assert client.post(DASHBOARD).status_code == 405


# Dashboard: district PD


def test_district_dashboard_shows_the_numbers_and_statuses(client, plan, district_pd, today):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    heading = re.search(r"<h1.*?</h1>", response.content.decode(), flags=re.S).group(0)
    assert "District" in heading
    text = text_of(response)
    assert "Plan year 2026-27" in text
    assert f"As of {today:%B} {today.day}, {today.year}" in text

    first = row_of(response, "Course One for teachers")
    # Audience, completed, rate, still need it, target, expected by now, status.
    assert re.search(r"\b6 .*\b4 .*66\.7% .*\b2 .*80% .*40% .*On track", first), first
    second = row_of(response, "Course Two for teachers")
    assert re.search(r"\b6 .*\b1 .*16\.7% .*\b4 .*50% .*50% .*Behind", second), second
    assert "Behind" in text  # the goal takes its worst requirement's status
    assert "0 of 2 requirements met" in text


def test_every_goal_number_links_to_its_people(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    first = str(plan["first"].pk)
    people_links = links_to(response, PEOPLE)
    of_first = [q for q in people_links if q.get("requirement") == [first] and "building" not in q]
    states = sorted(q.get("state", ["all"])[0] for q in of_first if "position" not in q)
    # Audience -> everyone, completed -> completed, rate and "still need it" -> outstanding.
    assert states == ["all", "completed", "outstanding", "outstanding"]


def test_district_compares_buildings_with_links_to_their_people(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    # Columns in due-date order: Course Two (due), then Course One.
    maple = row_of(response, "Maple Elementary", table="by-building")
    oak = row_of(response, "Oak Middle", table="by-building")
    assert re.search(r"25% 1/4 .*Below target .*75% 3/4 .*Below target", maple), maple
    assert re.search(r"0% 0/2 .*50% 1/2", oak), oak
    buildings = {
        q["building"][0]
        for q in links_to(response, PEOPLE)
        if q.get("requirement") == [str(plan["first"].pk)] and "building" in q
    }
    assert buildings == {"maple", "oak"}


def test_district_position_and_strand_breakdowns(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    teacher_row = row_of(response, "Teacher", table="by-position")
    assert re.search(r"16\.7% 1/6 .*66\.7% 4/6", teacher_row), teacher_row
    # Each course has its own strand; the total adds every person-requirement.
    strand_one = row_of(response, plan["first"].course.strand.name)
    assert re.search(r" 6 .* 4 .* 66\.7%$", strand_one), strand_one
    total = row_of(response, "All requirements")
    assert re.search(r" 12 .* 5 41\.7%$", total), total


def test_dashboard_links_downloads_and_pages_with_the_same_filters(client, plan, district_pd):
    client.force_login(district_pd.user)
    query = {"plan_year": str(plan["year"].pk), "position": "teacher"}
    response = client.get(DASHBOARD, query)
    assert response.status_code == 200
    for path in (
        reverse("leaders:workbook"),
        reverse("leaders:outstanding-csv"),
        OUTSTANDING,
    ):
        found = links_to(response, path)
        assert found, path
        assert found[0] == {k: [v] for k, v in query.items()}
    assert links_to(response, reverse("leaders:plan"))


def test_charts_are_accessible_svg_with_tables_beside(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 2
    for svg in svgs:
        assert 'role="img"' in svg
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for element_id in ids:
            assert f'id="{element_id}"' in html
    # The first requirement with an audience, in due-date order: Course Two.
    assert '<title id="chart-buildings-title">Completion rate by building: Course Two' in html
    # The bar chart's table holds the same numbers.
    assert re.search(r"Maple Elementary 1 4 25% Below", text_of(response))
    assert re.search(r"Oak Middle 0 2 0% Below", text_of(response))


def test_chart_requirement_can_be_chosen(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD, {"chart": plan["first"].pk})
    assert response.status_code == 200
    assert "Completion rate by building: Course One for teachers" in response.content.decode()
    assert re.search(r"Maple Elementary 3 4 75% Below", text_of(response))


# Dashboard: a building leader


def test_leader_sees_only_their_building(client, plan, leader):
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    heading = re.search(r"<h1.*?</h1>", response.content.decode(), flags=re.S).group(0)
    assert "Maple Elementary" in heading
    text = text_of(response)
    assert "Oak Middle" not in text
    first = row_of(response, "Course One for teachers")
    assert re.search(r"\b4 .*\b3 .*75% .*\b1 .*80%", first), first
    assert {q["building"][0] for q in links_to(response, PEOPLE) if "building" in q} == {"maple"}


def test_leader_cannot_ask_for_another_building(client, plan, leader):
    client.force_login(leader.user)
    for url in (DASHBOARD, PEOPLE, OUTSTANDING):
        response = client.get(url, {"building": "oak"})
        assert response.status_code == 400
        assert "building" in text_of(response)
        assert "Fay" not in text_of(response)


# Bad filters


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"plan_year": "abc"}, "plan_year"),
        ({"plan_year": "99999999999999999999999"}, "plan_year"),
        ({"requirement": "0"}, "requirement"),
        ({"as_of": "2026-13-45"}, "as_of"),
        ({"strand": "no-such-strand"}, "strand"),
        ({"chart": "12345"}, "chart"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client, plan, district_pd, params, named):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD, params)
    assert response.status_code == 400
    summary = re.search(r'class="error-summary".*?</div>', response.content.decode(), re.S)
    assert f"({named})" in unescape(summary.group(0))


def test_unknown_state_is_400_naming_it(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(PEOPLE, {"state": "asleep"})
    assert response.status_code == 400
    text = text_of(response)
    assert "(state)" in text and "outstanding" in text
    assert "Ada" not in text


# People


def test_people_behind_completed(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(PEOPLE, {"requirement": plan["first"].pk, "state": "completed"})
    assert response.status_code == 200
    text = text_of(response)
    for name in ("Ada Maple", "Ben Maple", "Cy Maple", "Eve Oak"):
        assert name in text
    assert "Dee Maple" not in text and "Fay Oak" not in text
    ada = row_of(response, "Ada Maple")
    assert plan["maple"][0].employee_id in ada
    assert "Maple Elementary" in ada and "Teacher" in ada and "Completed" in ada


def test_people_states(client, plan, district_pd):
    client.force_login(district_pd.user)
    second = plan["second"].pk

    def names(state, requirement=second):
        response = client.get(PEOPLE, {"requirement": requirement, "state": state})
        assert response.status_code == 200
        return {
            person.display_name
            for person in (*plan["maple"], *plan["oak"])
            if person.display_name in text_of(response)
        }

    assert names("late") == {"Ben Maple"}
    assert names("missing") == {"Cy Maple", "Dee Maple", "Eve Oak", "Fay Oak"}
    assert names("enrolled", plan["first"].pk) == {"Fay Oak"}
    assert names("outstanding", plan["first"].pk) == {"Dee Maple", "Fay Oak"}
    assert len(names("all")) == 6


def test_people_grouped_by_requirement(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(PEOPLE, {"state": "missing"})
    html = response.content.decode()
    headings = re.findall(r"<h2 id=\"requirement-\d+\">(.*?)</h2>", html)
    assert headings == ["Course Two for teachers", "Course One for teachers"]


def test_leader_people_are_only_their_buildings(client, plan, leader, oak_leader):
    client.force_login(leader.user)
    text = text_of(client.get(PEOPLE))
    assert "Ada Maple" in text and "Dee Maple" in text
    assert "Oak" not in text

    client.force_login(oak_leader.user)
    text = text_of(client.get(PEOPLE))
    assert "Eve Oak" in text and "Fay Oak" in text
    assert "Maple" not in text


# Outstanding


def test_outstanding_lists_who_still_needs_it_and_next_sessions(client, plan, district_pd):
    client.force_login(district_pd.user)
    response = client.get(OUTSTANDING, {"requirement": plan["first"].pk})
    assert response.status_code == 200
    text = text_of(response)
    assert "2 of 6 still need it: 1 enrolled, 1 missing" in text
    assert "Enrolled" in row_of(response, "Fay Oak")
    assert "Missing" in row_of(response, "Dee Maple")
    assert "Ada Maple" not in text
    session = plan["session"]
    html = response.content.decode()
    assert reverse("catalog:session", args=[session.pk]) in html
    assert reverse("enrollment:assign", args=[session.pk]) in html
    assert "19 of 20" in row_of(response, str(session.display_title))


def test_outstanding_for_a_leader_is_their_building(client, plan, leader):
    client.force_login(leader.user)
    response = client.get(OUTSTANDING)
    text = text_of(response)
    assert "Dee Maple" in text and "Cy Maple" in text
    assert "Fay Oak" not in text and "Eve Oak" not in text


# Query counts


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [DASHBOARD, PEOPLE, OUTSTANDING])
def test_query_count_does_not_grow_with_staff(client, plan, district_pd, url):
    client.force_login(district_pd.user)
    course = plan["first"].course
    maple_building = plan["maple"][0].building

    def add_staff(n):
        for index in range(n):
            person = StaffMemberFactory(building=maple_building, position=plan["position"])
            if index % 2:
                CompletionFactory(staff=person, course=course, completed_on=plan["year"].starts_on)
            else:
                EnrollmentFactory(staff=person, session=plan["session"])
        other = BuildingFactory()
        StaffMemberFactory(building=other, position=plan["position"])

    # 6 teachers plus a few others from the fixture; then 3 more, then 30 more.
    add_staff(3)
    client.get(url)  # warm per-process caches (content types, sessions)
    small = _queries(client, url)
    add_staff(27)
    assert _queries(client, url) == small


# Edges


def test_pages_without_any_plan(client, district_pd):
    client.force_login(district_pd.user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "There is no plan year yet." in text_of(response)
    assert client.get(PEOPLE).status_code == 200
    assert client.get(OUTSTANDING).status_code == 200


def test_as_of_before_the_plan_year_began(client, plan, district_pd):
    client.force_login(district_pd.user)
    before = plan["year"].starts_on - dt.timedelta(days=30)
    response = client.get(DASHBOARD, {"as_of": before.isoformat()})
    assert response.status_code == 200
    text = text_of(response)
    assert f"As of {before:%B} {before.day}, {before.year}" in text
    assert "The plan year has not begun yet." in text
    first = row_of(response, "Course One for teachers")
    assert re.search(r"\b6 .*\b0 .*0% .*\b6 .*80% .*0% .*On track", first), first


def test_a_building_shown_rounded_up_to_the_target_is_below_it(client, district_pd, building):
    # 17 of 21 is 80.95%: the cell shows 81% but must not call an 81% target met.
    today = timezone.localdate()
    year = PlanYearFactory(
        starts_on=today - dt.timedelta(days=90), ends_on=today + dt.timedelta(days=275)
    )
    course = CourseFactory()
    requirement = RequirementFactory(
        goal=GoalFactory(plan_year=year),
        course=course,
        target_percent=81,
        due_on=today - dt.timedelta(days=1),
    )
    requirement.audience_buildings.set([building])
    people = [StaffMemberFactory(building=building) for _ in range(21)]
    for person in people[:17]:
        CompletionFactory(staff=person, course=course, completed_on=today - dt.timedelta(days=5))
    client.force_login(district_pd.user)

    response = client.get(DASHBOARD)

    row = row_of(response, building.name, table="by-building")
    assert "81% 17/21" in row
    assert "Below target" in row
    assert "Met" not in row

"""/leaders/plan/: the plan with each year's goals and requirements and their progress, read by
building leaders (their buildings' numbers) and district PD, and kept by district PD in pages of
its own. Everyone else: 404; anonymous: the login page."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learning.choices import RequirementKind
from learning.models import Goal, PlanYear, Requirement
from plan import services
from plan.views.plan import MSG_UNKNOWN_PLAN
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    GoalFactory,
    PlanFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    StrandFactory,
)

pytestmark = pytest.mark.django_db

PLAN_URL = reverse("leaders:plan")


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return squash(response.content.decode())


def squash(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def row(response, requirement) -> str:
    """The text of a requirement's row on the plan page."""
    found = re.search(
        rf'<tr role="row" id="requirement-{requirement.pk}">(.*?)</tr>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no row for requirement {requirement.pk}"
    return squash(found.group(1))


def goal_summary(response, goal) -> str:
    found = re.search(
        rf'<section id="goal-{goal.pk}".*?<p class="results__summary">(.*?)</p>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no summary for goal {goal.pk}"
    return squash(found.group(1))


@pytest.fixture
def plan(db):
    return PlanFactory(
        slug="better-together", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2028, 6, 30)
    )


@pytest.fixture
def past_year(plan):
    return PlanYearFactory(
        plan=plan, name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30)
    )


@pytest.fixture
def year(plan):
    return PlanYearFactory(
        plan=plan, name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30)
    )


@pytest.fixture
def goal(year):
    return GoalFactory(plan_year=year, title="Restorative classrooms")


@pytest.fixture
def requirement(goal):
    return RequirementFactory(
        goal=goal,
        course=CourseFactory(code="rp-101", title="Restorative Circles"),
        target_percent=80,
        due_on=dt.date(2027, 5, 31),
    )


# Who may see what


def test_district_pd_sees_the_plan_with_every_control(client, district_pd, requirement):
    goal = requirement.goal
    client.force_login(district_pd.user)
    response = client.get(PLAN_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{reverse('leaders:year-new')}?plan={goal.plan_year.plan_id}" in page
    assert reverse("leaders:year-edit", args=[goal.plan_year_id]) in page
    assert f"{reverse('leaders:goal-new')}?plan_year={goal.plan_year_id}" in page
    assert reverse("leaders:goal-edit", args=[goal.pk]) in page
    assert reverse("leaders:goal-delete", args=[goal.pk]) in page
    assert f"{reverse('leaders:requirement-new')}?goal={goal.pk}" in page
    assert reverse("leaders:requirement-edit", args=[requirement.pk]) in page
    assert reverse("leaders:requirement-delete", args=[requirement.pk]) in page
    body = text(response)
    assert "2026-27" in body and "Jul 1, 2026 to Jun 30, 2027" in body
    assert "Restorative classrooms" in body
    assert "By May 31, 2027, 80% complete RP-101 Restorative Circles" in body


def edit_urls(requirement):
    goal = requirement.goal
    year = goal.plan_year
    return [
        f"{reverse('leaders:year-new')}?plan={year.plan_id}",
        reverse("leaders:year-edit", args=[year.pk]),
        f"{reverse('leaders:goal-new')}?plan_year={year.pk}",
        reverse("leaders:goal-edit", args=[goal.pk]),
        reverse("leaders:goal-delete", args=[goal.pk]),
        f"{reverse('leaders:requirement-new')}?goal={goal.pk}",
        reverse("leaders:requirement-edit", args=[requirement.pk]),
        reverse("leaders:requirement-delete", args=[requirement.pk]),
    ]


def test_a_leader_reads_the_plan_but_every_edit_page_is_a_404(client, leader, requirement):
    client.force_login(leader.user)
    response = client.get(PLAN_URL)
    assert response.status_code == 200
    assert "Restorative Circles" in text(response)
    page = response.content.decode()
    for url in edit_urls(requirement):
        assert url.split("?")[0] not in page, url  # no control leads there
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "Taken over"}).status_code == 404, url
    assert Requirement.objects.filter(pk=requirement.pk).exists()
    assert Goal.objects.get(pk=requirement.goal_id).title == "Restorative classrooms"


@pytest.mark.parametrize("who", ["teacher", "hr"])
def test_teachers_and_hr_find_no_plan_pages(client, request, who, requirement):
    client.force_login(request.getfixturevalue(who).user)
    assert client.get(PLAN_URL).status_code == 404
    for url in edit_urls(requirement):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, requirement):
    for url in [PLAN_URL, *edit_urls(requirement)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
        assert client.post(url).status_code == 302, url
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_edits_need_the_csrf_token(district_pd, goal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(district_pd.user)
    response = client.post(reverse("leaders:goal-delete", args=[goal.pk]))
    assert response.status_code == 403
    assert Goal.objects.filter(pk=goal.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        f"{reverse('leaders:year-new')}?plan=abc",
        f"{reverse('leaders:year-new')}",
        f"{reverse('leaders:goal-new')}?plan_year=99999999999999999999999",
        f"{reverse('leaders:requirement-new')}?goal=-1",
        reverse("leaders:goal-edit", args=[99999999999999999999999]),
        reverse("leaders:requirement-delete", args=[424242]),
    ],
)
def test_unknown_objects_are_a_404_not_an_error(client, district_pd, goal, url):
    client.force_login(district_pd.user)
    assert client.get(url).status_code == 404


def test_an_unknown_plan_is_named_by_its_parameter(client, district_pd, goal):
    client.force_login(district_pd.user)
    response = client.get(PLAN_URL, {"plan": "no-such-plan"})
    assert response.status_code == 400
    assert MSG_UNKNOWN_PLAN.format(slug="no-such-plan") in text(response)
    assert "BPS, Better Together" in text(response)  # offered in the plan chooser


def test_the_plan_holding_today_is_shown_and_another_is_chosen_by_slug(client, district_pd, goal):
    old = PlanFactory(
        slug="old-plan",
        name="Old plan",
        starts_on=dt.date(2019, 7, 1),
        ends_on=dt.date(2022, 6, 30),
    )
    old_goal = GoalFactory(
        plan_year=PlanYearFactory(
            plan=old, name="2020-21", starts_on=dt.date(2020, 7, 1), ends_on=dt.date(2021, 6, 30)
        ),
        title="An old goal",
    )
    client.force_login(district_pd.user)
    shown = text(client.get(PLAN_URL))
    assert "Restorative classrooms" in shown and "An old goal" not in shown

    chosen = client.get(PLAN_URL, {"plan": "old-plan"})
    assert chosen.status_code == 200
    assert "An old goal" in text(chosen) and "Restorative classrooms" not in text(chosen)
    assert f'id="goal-{old_goal.pk}"' in chosen.content.decode()


# The numbers


@pytest.fixture
def counted(plan, past_year, leader, building, other_building):
    """A past plan year (so every count is final) with two requirements, computed by hand.

    Requirement 1: teachers of Maple and Oak complete Circles by Jun 1, 2026, target 50%.
      Maple: ann (Sep 2025), bob (Jul 15, 2026: late), cat (nothing). The principal leading
      Maple is not a teacher. Oak: dan (Oct 2025), eve (Aug 2025), fay (May 2024: before the
      plan year). District: 3 of 6, 50.0%, met. Maple: 1 of 3, 33.3%, behind.
    Requirement 2: the committee (ann, dan) has 4 clock hours in Equity by Jun 30, 2026, target
      100%. ann: 3 + 2 hours; dan: 3 hours. District: 1 of 2, 50.0%, behind. Maple: 1 of 1,
      100.0%, met.
    """
    teacher = PositionFactory(code="teacher")
    circles = CourseFactory(code="rp-101", title="Restorative Circles")
    equity = StrandFactory(name="Equity")
    equity_1 = CourseFactory(strand=equity, clock_hours=Decimal("3"))
    equity_2 = CourseFactory(strand=equity, clock_hours=Decimal("2"))

    def person(name, place):
        return StaffMemberFactory(first_name=name, building=place, position=teacher)

    ann, bob, cat = (person(n, building) for n in ("Ann", "Bob", "Cat"))
    dan, eve, fay = (person(n, other_building) for n in ("Dan", "Eve", "Fay"))
    for who, day in [
        (ann, dt.date(2025, 9, 10)),
        (bob, dt.date(2026, 7, 15)),
        (dan, dt.date(2025, 10, 1)),
        (eve, dt.date(2025, 8, 1)),
        (fay, dt.date(2024, 5, 1)),
    ]:
        CompletionFactory(staff=who, course=circles, completed_on=day)
    for who, course, day in [
        (ann, equity_1, dt.date(2025, 9, 1)),
        (ann, equity_2, dt.date(2026, 2, 1)),
        (dan, equity_1, dt.date(2025, 9, 1)),
    ]:
        CompletionFactory(
            staff=who, course=course, completed_on=day, clock_hours=course.clock_hours
        )
    goal = GoalFactory(plan_year=past_year, title="Restorative classrooms")
    courses = RequirementFactory(
        goal=goal, course=circles, target_percent=50, due_on=dt.date(2026, 6, 1)
    )
    courses.audience_positions.set([teacher])
    courses.audience_buildings.set([building, other_building])
    hours = RequirementFactory(
        goal=goal,
        kind=RequirementKind.CLOCK_HOURS,
        course=None,
        strand=equity,
        clock_hours=Decimal("4"),
        target_percent=100,
        due_on=dt.date(2026, 6, 30),
    )
    hours.audience_groups.set([StaffGroupFactory(name="Equity committee", members=[ann, dan])])
    return goal, courses, hours


def test_district_pd_sees_the_district_numbers(client, district_pd, counted):
    goal, courses, hours = counted
    client.force_login(district_pd.user)
    response = client.get(PLAN_URL, {"plan": "better-together"})
    assert response.status_code == 200
    people = reverse("leaders:people")

    assert row(response, courses).startswith(
        "By Jun 1, 2026, 50% complete RP-101 Restorative Circles "
        "Positions: Teacher Buildings: Maple Elementary, Oak Middle "
        "Jun 1, 2026 50% 6 people counted 3 completed 50.0% Met Edit"
    )
    assert row(response, hours).startswith(
        "By Jun 30, 2026, 100% earn 4 clock hours in Equity Groups: Equity committee "
        "Jun 30, 2026 100% 2 people counted 1 completed 50.0% Behind Edit"
    )
    page = response.content.decode()
    assert f'href="{people}?requirement={courses.pk}"' in page
    assert f'href="{people}?requirement={courses.pk}&amp;state=completed"' in page
    assert goal_summary(response, goal) == "1 of 2 requirements met · Goal status: Behind"
    assert "The whole district" in text(response)


def test_a_leader_sees_their_buildings_numbers_only(client, leader, counted):
    goal, courses, hours = counted
    client.force_login(leader.user)
    response = client.get(PLAN_URL, {"plan": "better-together"})
    assert response.status_code == 200
    assert row(response, courses) == (
        "By Jun 1, 2026, 50% complete RP-101 Restorative Circles "
        "Positions: Teacher Buildings: Maple Elementary, Oak Middle "
        "Jun 1, 2026 50% 3 people counted 1 completed 33.3% Behind"
    )
    assert row(response, hours) == (
        "By Jun 30, 2026, 100% earn 4 clock hours in Equity Groups: Equity committee "
        "Jun 30, 2026 100% 1 person counted 1 completed 100.0% Met"
    )
    assert goal_summary(response, goal) == "1 of 2 requirements met · Goal status: Behind"
    assert "The people of Maple Elementary" in text(response)


def test_a_goal_without_requirements_is_shown_as_such(client, district_pd, goal):
    client.force_login(district_pd.user)
    response = client.get(PLAN_URL)
    assert goal_summary(response, goal) == "No requirements yet"


def plan_page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PLAN_URL, {"plan": "better-together"})
    assert response.status_code == 200
    return len(queries)


def test_the_plan_page_queries_do_not_grow_with_staff_or_requirements(
    client, district_pd, plan, past_year, year
):
    teacher = PositionFactory(code="teacher")
    group = StaffGroupFactory()
    goals = [GoalFactory(plan_year=past_year), GoalFactory(plan_year=year)]

    def add_requirements(n):
        for i in range(n):
            # Both kinds in every batch: each kind has its own query, once.
            hours, goal = i % 2 == 1, goals[(i // 2) % 2]
            requirement = RequirementFactory(
                goal=goal,
                due_on=goal.plan_year.ends_on,
                kind=RequirementKind.CLOCK_HOURS if hours else RequirementKind.COURSE,
                course=None if hours else CourseFactory(),
                strand=StrandFactory() if hours else None,
                clock_hours=Decimal("2") if hours else None,
            )
            requirement.audience_positions.set([teacher])
            requirement.audience_groups.set([group])

    def add_staff(n):
        for _ in range(n):
            person = StaffMemberFactory(position=teacher)
            group.members.add(person)
            CompletionFactory(staff=person)

    client.force_login(district_pd.user)
    add_requirements(2)
    add_staff(3)
    few = plan_page_queries(client)
    add_staff(27)
    assert plan_page_queries(client) == few
    add_requirements(4)
    assert plan_page_queries(client) == few


# Keeping the plan


def follow_message(client, response) -> str:
    assert response.status_code == 302
    return text(client.get(response["Location"]))


def test_district_pd_adds_and_changes_a_plan_year(client, district_pd, plan, year):
    client.force_login(district_pd.user)
    url = f"{reverse('leaders:year-new')}?plan={plan.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "2027-28", "starts_on": "2027-07-01", "ends_on": "2028-06-30"}
    )
    added = PlanYear.objects.get(plan=plan, name="2027-28")
    assert response["Location"] == f"{PLAN_URL}?plan=better-together#year-{added.pk}"
    assert "Saved the plan year 2027-28." in follow_message(client, response)

    edit = reverse("leaders:year-edit", args=[added.pk])
    form = client.get(edit).content.decode()
    assert 'value="2027-28"' in form and 'value="2027-07-01"' in form
    client.post(edit, {"name": "2027-28 (Y3)", "starts_on": "2027-07-01", "ends_on": "2028-06-30"})
    added.refresh_from_db()
    assert added.name == "2027-28 (Y3)"


@pytest.mark.parametrize(
    ("data", "label", "message"),
    [
        (
            {"name": "2027-28", "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
            "First day",
            services.MSG_YEAR_OVERLAPS.format(
                name="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
        (
            {"name": "2028-29", "starts_on": "2027-07-01", "ends_on": "2029-06-30"},
            "Last day",
            services.MSG_YEAR_OUTSIDE_PLAN.format(start="Jul 1, 2025", end="Jun 30, 2028"),
        ),
        (
            {"name": "", "starts_on": "2027-07-01", "ends_on": "2028-06-30"},
            "Name",
            services.MSG_YEAR_NAME_REQUIRED,
        ),
        (
            {"name": "2027-28", "starts_on": "July 1st", "ends_on": "2028-06-30"},
            "First day",
            "Enter a valid date.",
        ),
    ],
)
def test_a_refused_plan_year_shows_the_form_again_naming_the_field(
    client, district_pd, plan, year, data, label, message
):
    client.force_login(district_pd.user)
    response = client.post(f"{reverse('leaders:year-new')}?plan={plan.pk}", data)
    assert response.status_code == 400
    assert f"{label}: {message}" in text(response)
    assert list(PlanYear.objects.all()) == [year]


def test_district_pd_adds_changes_and_deletes_a_goal(client, district_pd, plan, year):
    client.force_login(district_pd.user)
    GoalFactory(plan_year=year, order=4)
    url = f"{reverse('leaders:goal-new')}?plan_year={year.pk}"
    form = client.get(url)
    assert 'name="order" value="5"' in form.content.decode()
    response = client.post(
        url, {"plan_year": year.pk, "title": "Equity", "description": "", "order": "5"}
    )
    goal = Goal.objects.get(title="Equity")
    assert response["Location"] == f"{PLAN_URL}?plan=better-together#goal-{goal.pk}"
    assert "Saved the goal “Equity”." in follow_message(client, response)

    client.post(
        reverse("leaders:goal-edit", args=[goal.pk]),
        {"plan_year": year.pk, "title": "Equity for all", "order": "1"},
    )
    goal.refresh_from_db()
    assert (goal.title, goal.order) == ("Equity for all", 1)

    kept = RequirementFactory(goal=goal, course=CourseFactory(code="eq-1", title="Equity 1"))
    delete = reverse("leaders:goal-delete", args=[goal.pk])
    confirm = client.get(delete)
    assert confirm.status_code == 200
    assert "By Jun 30, 2027, 90% complete EQ-1 Equity 1" in text(confirm)
    assert "Delete the goal and 1 requirement" in text(confirm)
    assert Goal.objects.filter(pk=goal.pk).exists()  # a GET deletes nothing

    response = client.post(delete)
    assert response["Location"] == f"{PLAN_URL}?plan=better-together#year-{year.pk}"
    assert "Deleted the goal “Equity for all” and its 1 requirement(s)." in follow_message(
        client, response
    )
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert not Requirement.objects.filter(pk=kept.pk).exists()


def test_a_refused_goal_names_the_field(client, district_pd, year):
    client.force_login(district_pd.user)
    response = client.post(
        f"{reverse('leaders:goal-new')}?plan_year={year.pk}",
        {"plan_year": year.pk, "title": " ", "order": "40000"},
    )
    assert response.status_code == 400
    body = text(response)
    assert f"Title: {services.MSG_GOAL_TITLE_REQUIRED}" in body
    assert f"Order: {services.MSG_GOAL_ORDER_RANGE}" in body
    assert not Goal.objects.exists()


def test_a_goal_moves_only_between_the_years_of_its_plan(client, district_pd, goal):
    elsewhere = PlanYearFactory(
        plan=PlanFactory(slug="other"), name="2026-27", starts_on=dt.date(2026, 7, 1)
    )
    client.force_login(district_pd.user)
    response = client.post(
        reverse("leaders:goal-edit", args=[goal.pk]),
        {"plan_year": elsewhere.pk, "title": goal.title, "order": "0"},
    )
    assert response.status_code == 400
    assert "Plan year: Select a valid choice." in text(response)
    goal.refresh_from_db()
    assert goal.plan_year_id != elsewhere.pk


def test_district_pd_adds_changes_and_deletes_a_requirement(client, district_pd, goal):
    teacher = PositionFactory(code="teacher")
    counselor = PositionFactory(code="counselor")
    maple = BuildingFactory(code="maple", name="Maple Elementary")
    committee = StaffGroupFactory(name="Equity committee")
    circles = CourseFactory(code="rp-101", title="Restorative Circles")
    equity = StrandFactory(name="Equity")
    client.force_login(district_pd.user)

    url = f"{reverse('leaders:requirement-new')}?goal={goal.pk}"
    form = text(client.get(url))
    for label in ("Teacher", "Counselor", "Maple Elementary", "Equity committee"):
        assert label in form
    response = client.post(
        url,
        {
            "title": "",
            "kind": "course",
            "course": circles.pk,
            "target_percent": "85",
            "due_on": "2027-05-31",
            "count_completions_before_plan_year": "on",
            "audience_positions": [teacher.pk, counselor.pk],
            "audience_buildings": [maple.pk],
            "audience_groups": [committee.pk],
        },
    )
    requirement = Requirement.objects.get(goal=goal)
    assert response["Location"] == f"{PLAN_URL}?plan=better-together#goal-{goal.pk}"
    assert (
        "Saved the requirement “By May 31, 2027, 85% complete RP-101 Restorative Circles”."
        in follow_message(client, response)
    )
    assert requirement.count_completions_before_plan_year
    assert set(requirement.audience_positions.all()) == {teacher, counselor}
    assert list(requirement.audience_buildings.all()) == [maple]
    assert list(requirement.audience_groups.all()) == [committee]
    shown = client.get(PLAN_URL)
    assert "Positions: Counselor, Teacher Buildings: Maple Elementary Groups: Equity committee" in (
        row(shown, requirement)
    )

    edit = reverse("leaders:requirement-edit", args=[requirement.pk])
    page = client.get(edit).content.decode()
    assert re.search(rf'value="{teacher.pk}"[^>]*checked', page)
    client.post(
        edit,
        {
            "title": "Equity hours",
            "kind": "clock_hours",
            "course": circles.pk,
            "strand": equity.pk,
            "clock_hours": "6",
            "target_percent": "100",
            "due_on": "2027-06-30",
        },
    )
    requirement.refresh_from_db()
    assert (requirement.kind, requirement.course, requirement.strand) == (
        "clock_hours",
        None,
        equity,
    )
    assert requirement.clock_hours == Decimal("6")
    assert not requirement.audience_positions.exists()

    delete = reverse("leaders:requirement-delete", args=[requirement.pk])
    confirm = text(client.get(delete))
    assert "By Jun 30, 2027, 100% earn 6 clock hours in Equity" in confirm
    assert "All staff" in confirm
    response = client.post(delete)
    assert response["Location"] == f"{PLAN_URL}?plan=better-together#goal-{goal.pk}"
    assert "Deleted the requirement “Equity hours”." in follow_message(client, response)
    assert not Requirement.objects.exists()


@pytest.mark.parametrize(
    ("data", "label", "message"),
    [
        (
            {"due_on": "2026-06-30"},
            "Due date",
            services.MSG_DUE_OUTSIDE_YEAR.format(
                year="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
        ({"kind": "clock_hours", "clock_hours": "3"}, "Strand", services.MSG_STRAND_REQUIRED),
        ({"kind": "clock_hours", "clock_hours": "0"}, "Clock hours", services.MSG_HOURS_POSITIVE),
        ({"course": ""}, "Course", services.MSG_COURSE_REQUIRED),
        ({"target_percent": "0"}, "Target (percent)", services.MSG_TARGET_RANGE),
        ({"target_percent": "250"}, "Target (percent)", services.MSG_TARGET_RANGE),
        ({"target_percent": "ninety"}, "Target (percent)", "Enter a whole number."),
        ({"due_on": ""}, "Due date", services.MSG_DATE_REQUIRED),
        ({"kind": "pizza"}, "What it asks", "Select a valid choice. pizza is not one of"),
        ({"audience_positions": ["99999999999999999999999"]}, "Positions", "Select a valid"),
        ({"course": "99999999999999999999999"}, "Course", "Select a valid choice."),
    ],
)
def test_a_refused_requirement_shows_the_form_again_naming_the_field(
    client, district_pd, goal, data, label, message
):
    client.force_login(district_pd.user)
    course = CourseFactory()
    posted = {"kind": "course", "course": course.pk, "target_percent": "90", "due_on": "2027-01-31"}
    response = client.post(f"{reverse('leaders:requirement-new')}?goal={goal.pk}", posted | data)
    assert response.status_code == 400
    assert f"{label}: {message}" in text(response)
    assert not Requirement.objects.exists()


def test_a_refused_change_keeps_the_page_about_the_requirement_as_it_was(
    client, district_pd, requirement
):
    client.force_login(district_pd.user)
    response = client.post(
        reverse("leaders:requirement-edit", args=[requirement.pk]),
        {
            "kind": "course",
            "course": requirement.course_id,
            "target_percent": "101",
            "due_on": "2027-05-31",
        },
    )
    assert response.status_code == 400
    assert "Edit the requirement “By May 31, 2027, 80% complete" in text(response)
    requirement.refresh_from_db()
    assert requirement.target_percent == 80

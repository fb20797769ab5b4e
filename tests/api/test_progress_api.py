"""Progress against the plan under /api/v1/progress/: the report as JSON, the people behind it,
and the workbook and CSV downloads, scoped by role and narrowed by the pages' filters.

The numbers are computed by hand from the `plan` fixture below (plan year 2025-26, all due dates
past, so the counts do not move with today)."""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import PositionCategory, RequirementKind
from learning.models import PlanYear, Requirement
from learning.services import staff_assignments_record, staff_placements
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    GoalFactory,
    PlanFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffMemberFactory,
    StrandFactory,
    login_for,
)

pytestmark = pytest.mark.django_db

PROGRESS = reverse("progress")
PEOPLE = reverse("progress-people")
WORKBOOK = reverse("progress-workbook")
OUTSTANDING_CSV = reverse("progress-outstanding-csv")
JSON_ENDPOINTS = (PROGRESS, PEOPLE)
ALL_ENDPOINTS = (PROGRESS, PEOPLE, WORKBOOK, OUTSTANDING_CSV)


@dataclass
class Plan:
    year: PlanYear
    next_year: PlanYear
    r1: Requirement  # CRT course, teachers and counselors, 80%: district 3 of 6
    r3: Requirement  # CRT course, everyone at Maple, 40%: 2 of 5, met
    r2: Requirement  # 6 RP clock hours by Jan 31, teachers, 50%: 2 of 5
    r4: Requirement  # next year's course, for the plan-year filter
    maple: object
    oak: object
    oak_leader: object
    pd: object
    people: dict


@pytest.fixture
def plan(building, other_building, leader):
    """Maple (led by Lee Leader) and Oak (led by Olive Oakley); district PD Pat Planner has no
    building. Ada, Ben (teachers) and Cal (counselor) at Maple; Dee and Eve (teachers) at Oak;
    Fay, a teacher, moved from Oak to Maple on 2026-03-01.

    R1 (due 2026-06-30, teachers + counselors): Ada, Dee, Fay completed; Ben completed late
    (2026-08-01); Cal enrolled; Eve missing. R3 (same course, due 2026-06-30, audience: Maple):
    Ada, Fay completed; Ben late; Cal enrolled; Lee missing. R2 (6 RP hours by 2026-01-31,
    teachers): Eve and Fay (then at Oak) reached 6 hours; Ada has 3; Ben, Dee none."""
    maple, oak = building, other_building
    teacher = PositionFactory(code="teacher", category=PositionCategory.TEACHER)
    counselor = PositionFactory(code="counselor", category=PositionCategory.SUPPORT)
    principal = PositionFactory(code="principal", category=PositionCategory.LEADER)
    coordinator = PositionFactory(code="coordinator", category=PositionCategory.CENTRAL_OFFICE)
    oak_leader = StaffMemberFactory(
        building=oak, position=principal, first_name="Olive", last_name="Oakley", leads=[oak]
    )
    login_for(oak_leader, username="oakleader")
    pd = StaffMemberFactory(
        building=None, position=coordinator, first_name="Pat", last_name="Planner"
    )
    login_for(pd, username="pd", groups=[DISTRICT_PD_GROUP])

    def person(first, last, where, position=teacher):
        return StaffMemberFactory(
            first_name=first, last_name=last, building=where, position=position
        )

    ada = person("Ada", "Alpha", maple)
    ben = person("Ben", "Bravo", maple)
    cal = person("Cal", "Charlie", maple, counselor)
    dee = person("Dee", "Delta", oak)
    eve = person("Eve", "Echo", oak)
    fay = person("Fay", "Foxtrot", oak)
    before = staff_placements([fay.pk])
    fay.building = maple
    fay.save()
    staff_assignments_record(before=before, on=dt.date(2026, 3, 1))

    crt = StrandFactory(code="crt", name="Culturally Responsive Teaching")
    rp = StrandFactory(code="rp", name="Restorative Practices")
    crt_101 = CourseFactory(code="crt-101", title="Foundations of CRT", strand=crt)
    rp_1 = CourseFactory(code="rp-1", title="Circles", strand=rp)
    rp_2 = CourseFactory(code="rp-2", title="Repair", strand=rp)
    later_course = CourseFactory(code="crt-201", title="CRT in Practice", strand=crt)

    bps = PlanFactory()
    year = PlanYearFactory(
        plan=bps, name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30)
    )
    next_year = PlanYearFactory(
        plan=bps, name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30)
    )
    everyone_crt = GoalFactory(plan_year=year, title="Everyone learns CRT", order=1)
    restorative = GoalFactory(plan_year=year, title="Restorative schools", order=2)
    r1 = RequirementFactory(
        goal=everyone_crt,
        title="Teachers and counselors complete CRT 101",
        course=crt_101,
        target_percent=80,
        due_on=dt.date(2026, 6, 30),
    )
    r1.audience_positions.set([teacher, counselor])
    r3 = RequirementFactory(
        goal=everyone_crt, course=crt_101, target_percent=40, due_on=dt.date(2026, 6, 30)
    )
    r3.audience_buildings.set([maple])
    r2 = RequirementFactory(
        goal=restorative,
        title="Six hours of restorative practices",
        kind=RequirementKind.CLOCK_HOURS,
        course=None,
        strand=rp,
        clock_hours=Decimal("6.00"),
        target_percent=50,
        due_on=dt.date(2026, 1, 31),
    )
    r2.audience_positions.set([teacher])
    r4 = RequirementFactory(
        goal=GoalFactory(plan_year=next_year, title="Deeper CRT"),
        course=later_course,
        due_on=dt.date(2027, 6, 30),
    )
    r4.audience_positions.set([teacher])

    for who, day in ((ada, (2025, 9, 15)), (dee, (2026, 1, 10)), (fay, (2025, 11, 1))):
        CompletionFactory(staff=who, course=crt_101, completed_on=dt.date(*day))
    CompletionFactory(staff=ben, course=crt_101, completed_on=dt.date(2026, 8, 1))
    EnrollmentFactory(staff=cal, session=SessionFactory(course=crt_101, building=maple))
    CompletionFactory(staff=ada, course=rp_1, completed_on=dt.date(2025, 10, 1))
    CompletionFactory(staff=eve, course=rp_1, completed_on=dt.date(2025, 10, 1))
    CompletionFactory(staff=eve, course=rp_2, completed_on=dt.date(2025, 12, 1))
    CompletionFactory(staff=fay, course=rp_1, completed_on=dt.date(2025, 11, 15))
    CompletionFactory(staff=fay, course=rp_2, completed_on=dt.date(2025, 12, 15))
    people = {p.last_name: p for p in (ada, ben, cal, dee, eve, fay, leader, oak_leader, pd)}
    return Plan(year, next_year, r1, r3, r2, r4, maple, oak, oak_leader, pd, people)


def signed_in(api_client, staff):
    api_client.force_login(staff.user)
    return api_client


@pytest.fixture
def as_pd(api_client, plan):
    return signed_in(api_client, plan.pd)


@pytest.fixture
def as_maple_leader(api_client, plan, leader):
    return signed_in(api_client, leader)


@pytest.fixture
def as_oak_leader(api_client, plan):
    return signed_in(api_client, plan.oak_leader)


def get_json(client, url, **params) -> dict:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def tally(row: dict) -> tuple:
    return row["audience"], row["completed"], row["rate"]


def by_id(body: dict) -> dict[int, dict]:
    return {row["id"]: row for row in body["requirements"]}


def people_rows(body: dict, plan: Plan) -> list[tuple]:
    names = {p.pk: last for last, p in plan.people.items()}
    requirements = {plan.r1.pk: "r1", plan.r2.pk: "r2", plan.r3.pk: "r3", plan.r4.pk: "r4"}
    return [
        (requirements[row["requirement"]], names[row["staff"]["id"]], row["state"])
        for row in body["results"]
    ]


# The report


def test_district_pd_gets_the_district_numbers(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk)

    assert body["scope"] == {"district": True, "buildings": []}
    assert body["plan_year"] == {
        "id": plan.year.pk,
        "name": "2025-26",
        "starts_on": "2025-07-01",
        "ends_on": "2026-06-30",
    }
    assert tally(body["total"]) == (16, 7, 0.4375)
    assert [row["id"] for row in body["requirements"]] == [plan.r1.pk, plan.r3.pk, plan.r2.pk]
    r1, r3, r2 = body["requirements"]
    assert tally(r1) == (6, 3, 0.5)
    assert (r1["status"], r1["expected_percent"], r1["count_date"]) == (
        "behind",
        80.0,
        "2026-06-30",
    )
    assert [(b["building"], b["name"], *tally(b)) for b in r1["by_building"]] == [
        ("maple", "Maple Elementary", 4, 2, 0.5),
        ("oak", "Oak Middle", 2, 1, 0.5),
    ]
    assert [(p["position"], *tally(p)) for p in r1["by_position"]] == [
        ("counselor", 1, 0, 0.0),
        ("teacher", 5, 3, 0.6),
    ]
    assert (tally(r3), r3["status"]) == ((5, 2, 0.4), "met")
    assert [(p["position"], *tally(p)) for p in r3["by_position"]] == [
        ("counselor", 1, 0, 0.0),
        ("principal", 1, 0, 0.0),
        ("teacher", 3, 2, 2 / 3),
    ]
    # Fay counts at Oak for R2: she moved to Maple after its due date.
    assert (tally(r2), r2["status"]) == ((5, 2, 0.4), "behind")
    assert [(b["building"], *tally(b)) for b in r2["by_building"]] == [
        ("maple", 2, 0, 0.0),
        ("oak", 3, 2, 2 / 3),
    ]
    assert [
        (g["title"], *tally(g), g["status"], g["requirements_met"], g["requirement_ids"])
        for g in body["goals"]
    ] == [
        ("Everyone learns CRT", 11, 5, 5 / 11, "behind", 1, [plan.r1.pk, plan.r3.pk]),
        ("Restorative schools", 5, 2, 0.4, "behind", 0, [plan.r2.pk]),
    ]
    assert [(s["strand"], s["name"], *tally(s)) for s in body["strands"]] == [
        ("crt", "Culturally Responsive Teaching", 11, 5, 5 / 11),
        ("rp", "Restorative Practices", 5, 2, 0.4),
    ]


def test_a_requirement_describes_itself_and_rates_are_numbers(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk)

    r1, r3, r2 = body["requirements"]
    assert r1["title"] == "Teachers and counselors complete CRT 101"
    assert r1["description"] == "By Jun 30, 2026, 80% complete CRT-101 Foundations of CRT"
    assert r3["title"] == r3["description"]  # no title of its own
    assert (r1["kind"], r1["course"], r1["strand"], r1["clock_hours"]) == (
        "course",
        "crt-101",
        "crt",
        None,
    )
    assert (r2["kind"], r2["course"], r2["strand"], r2["clock_hours"]) == (
        "clock_hours",
        None,
        "rp",
        6.0,
    )
    assert (r2["target_percent"], r2["due_on"]) == (50, "2026-01-31")
    assert isinstance(body["total"]["rate"], float)
    assert all(isinstance(b["rate"], float) for r in body["requirements"] for b in r["by_building"])


def test_the_trend_counts_on_time_completions_month_by_month(as_pd, plan):
    r1 = get_json(as_pd, PROGRESS, plan_year=plan.year.pk)["requirements"][0]

    months = {point["month_end"]: tally(point) for point in r1["trend"]}
    assert len(r1["trend"]) == 12
    assert months["2025-07-31"] == (6, 0, 0.0)
    assert months["2025-09-30"] == (6, 1, 1 / 6)
    assert months["2025-11-30"] == (6, 2, 2 / 6)
    assert months["2026-01-31"] == (6, 3, 0.5)
    # Ben's completion in August 2026 is late: the trend never counts it.
    assert r1["trend"][-1] == {
        "month_end": "2026-06-30",
        "completed": 3,
        "audience": 6,
        "rate": 0.5,
    }


def test_as_of_counts_the_day_asked_for(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk, as_of="2025-12-31")

    r1 = body["requirements"][0]
    assert body["as_of"] == "2025-12-31"
    assert r1["count_date"] == "2025-12-31"
    # On Dec 31 Fay was at Oak, Dee had not completed yet and Ben's completion lay ahead.
    assert tally(r1) == (6, 2, 2 / 6)
    assert [(b["building"], *tally(b)) for b in r1["by_building"]] == [
        ("maple", 3, 1, 1 / 3),
        ("oak", 3, 1, 1 / 3),
    ]
    assert (r1["expected_percent"], r1["status"]) == (40.2, "at_risk")


def test_a_leader_only_sees_their_building(as_maple_leader, plan):
    body = get_json(as_maple_leader, PROGRESS, plan_year=plan.year.pk)

    assert body["scope"] == {
        "district": False,
        "buildings": [{"code": "maple", "name": "Maple Elementary"}],
    }
    requirements = by_id(body)
    assert tally(requirements[plan.r1.pk]) == (4, 2, 0.5)
    assert tally(requirements[plan.r3.pk]) == (5, 2, 0.4)
    assert tally(requirements[plan.r2.pk]) == (2, 0, 0.0)
    assert tally(body["total"]) == (11, 4, 4 / 11)
    shown = {b["building"] for r in body["requirements"] for b in r["by_building"]}
    assert shown == {"maple"}


def test_the_other_leader_counts_the_transfer_where_she_was(as_oak_leader, plan):
    body = get_json(as_oak_leader, PROGRESS, plan_year=plan.year.pk)

    requirements = by_id(body)
    assert tally(requirements[plan.r1.pk]) == (2, 1, 0.5)
    assert tally(requirements[plan.r2.pk]) == (3, 2, 2 / 3)
    r3 = requirements[plan.r3.pk]
    assert (tally(r3), r3["status"], r3["by_building"]) == ((0, 0, None), "no_audience", [])
    assert {b["building"] for r in body["requirements"] for b in r["by_building"]} == {"oak"}


# Filters


def test_without_a_plan_year_the_current_one_is_shown(as_pd, plan):
    body = get_json(as_pd, PROGRESS)

    assert body["plan_year"]["id"] == plan.next_year.pk
    assert [r["id"] for r in body["requirements"]] == [plan.r4.pk]


def test_plan_year_filter_selects_the_year(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.next_year.pk)

    assert [r["id"] for r in body["requirements"]] == [plan.r4.pk]
    assert [g["title"] for g in body["goals"]] == ["Deeper CRT"]


def test_a_requirement_brings_its_own_plan_year(as_pd, plan):
    body = get_json(as_pd, PROGRESS, requirement=plan.r2.pk)

    assert body["plan_year"]["id"] == plan.year.pk
    assert [r["id"] for r in body["requirements"]] == [plan.r2.pk]
    assert [g["title"] for g in body["goals"]] == ["Restorative schools"]


def test_strand_filter_keeps_its_requirements(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk, strand="rp")

    assert [r["id"] for r in body["requirements"]] == [plan.r2.pk]
    assert [s["strand"] for s in body["strands"]] == ["rp"]
    assert tally(body["total"]) == (5, 2, 0.4)


def test_building_filter_narrows_the_district(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk, building="oak")

    requirements = by_id(body)
    assert tally(requirements[plan.r1.pk]) == (2, 1, 0.5)
    assert tally(requirements[plan.r2.pk]) == (3, 2, 2 / 3)
    assert {b["building"] for r in body["requirements"] for b in r["by_building"]} == {"oak"}
    both = get_json(as_pd, PROGRESS, plan_year=plan.year.pk, building=["oak", "maple"])
    assert tally(by_id(both)[plan.r1.pk]) == (6, 3, 0.5)


def test_position_filter_narrows_to_the_position(as_pd, plan):
    body = get_json(as_pd, PROGRESS, plan_year=plan.year.pk, position="counselor")

    requirements = by_id(body)
    assert tally(requirements[plan.r1.pk]) == (1, 0, 0.0)
    assert tally(requirements[plan.r3.pk]) == (1, 0, 0.0)
    assert (tally(requirements[plan.r2.pk]), requirements[plan.r2.pk]["status"]) == (
        (0, 0, None),
        "no_audience",
    )


def test_a_leader_naming_another_building_is_refused(as_maple_leader, plan):
    for url in ALL_ENDPOINTS:
        response = as_maple_leader.get(url, {"plan_year": plan.year.pk, "building": "oak"})

        assert response.status_code == 400, url
        assert list(response.json()) == ["building"], url


@pytest.mark.parametrize(
    "param, value",
    [
        ("plan_year", "abc"),
        ("plan_year", "99999999999999999999"),
        ("plan_year", "0"),
        ("requirement", "-4"),
        ("requirement", "1.5"),
        ("strand", "nope"),
        ("building", "nowhere"),
        ("position", "astronaut"),
        ("as_of", "2026-13-45"),
        ("as_of", "yesterday"),
    ],
)
def test_an_invalid_filter_is_a_400_naming_it(as_pd, plan, param, value):
    for url in ALL_ENDPOINTS:
        response = as_pd.get(url, {param: value})

        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert list(body) == [param], url
        assert body[param] and all(isinstance(message, str) for message in body[param])


def test_an_unknown_state_is_a_400_naming_it(as_pd, plan):
    response = as_pd.get(PEOPLE, {"state": "weird"})

    assert response.status_code == 400
    assert list(response.json()) == ["state"]


# The people behind the numbers


def test_people_are_listed_by_requirement_then_name(as_pd, plan):
    body = get_json(as_pd, PEOPLE, plan_year=plan.year.pk)

    assert body["count"] == 16
    assert people_rows(body, plan) == [
        ("r1", "Alpha", "completed"),
        ("r1", "Bravo", "late"),
        ("r1", "Charlie", "enrolled"),
        ("r1", "Delta", "completed"),
        ("r1", "Echo", "missing"),
        ("r1", "Foxtrot", "completed"),
        ("r3", "Alpha", "completed"),
        ("r3", "Bravo", "late"),
        ("r3", "Charlie", "enrolled"),
        ("r3", "Foxtrot", "completed"),
        ("r3", "Leader", "missing"),
        ("r2", "Alpha", "missing"),
        ("r2", "Bravo", "missing"),
        ("r2", "Delta", "missing"),
        ("r2", "Echo", "completed"),
        ("r2", "Foxtrot", "completed"),
    ]
    fay = plan.people["Foxtrot"]
    first_fay, *_ = [row for row in body["results"] if row["staff"]["id"] == fay.pk]
    assert first_fay == {
        "requirement": plan.r1.pk,
        "staff": {"id": fay.pk, "employee_id": fay.employee_id, "name": "Fay Foxtrot"},
        "building": "maple",
        "position": "teacher",
        "state": "completed",
        "completed_on": "2025-11-01",
    }
    fay_r2 = [row for row in body["results"] if row["staff"]["id"] == fay.pk][-1]
    assert (fay_r2["building"], fay_r2["completed_on"]) == ("oak", "2025-12-15")
    ben_late = body["results"][1]
    assert ben_late["completed_on"] == "2026-08-01"


@pytest.mark.parametrize(
    "state, expected",
    [
        ("late", [("r1", "Bravo", "late"), ("r3", "Bravo", "late")]),
        ("enrolled", [("r1", "Charlie", "enrolled"), ("r3", "Charlie", "enrolled")]),
        (
            "outstanding",
            [
                ("r1", "Charlie", "enrolled"),
                ("r1", "Echo", "missing"),
                ("r3", "Charlie", "enrolled"),
                ("r3", "Leader", "missing"),
                ("r2", "Alpha", "missing"),
                ("r2", "Bravo", "missing"),
                ("r2", "Delta", "missing"),
            ],
        ),
    ],
)
def test_people_state_filter(as_pd, plan, state, expected):
    body = get_json(as_pd, PEOPLE, plan_year=plan.year.pk, state=state)

    assert people_rows(body, plan) == expected


def test_people_follow_the_report_filters(as_pd, plan):
    completed = get_json(as_pd, PEOPLE, requirement=plan.r1.pk, state="completed")
    counselors = get_json(as_pd, PEOPLE, plan_year=plan.year.pk, position="counselor")
    oak = get_json(as_pd, PEOPLE, plan_year=plan.year.pk, building="oak", strand="rp")

    assert people_rows(completed, plan) == [
        ("r1", "Alpha", "completed"),
        ("r1", "Delta", "completed"),
        ("r1", "Foxtrot", "completed"),
    ]
    assert people_rows(counselors, plan) == [
        ("r1", "Charlie", "enrolled"),
        ("r3", "Charlie", "enrolled"),
    ]
    assert people_rows(oak, plan) == [
        ("r2", "Delta", "missing"),
        ("r2", "Echo", "completed"),
        ("r2", "Foxtrot", "completed"),
    ]


def test_a_leader_gets_only_the_people_of_their_buildings(as_maple_leader, plan):
    body = get_json(as_maple_leader, PEOPLE, plan_year=plan.year.pk)

    rows = people_rows(body, plan)
    assert {name for _r, name, _s in rows} == {"Alpha", "Bravo", "Charlie", "Foxtrot", "Leader"}
    assert {row["building"] for row in body["results"]} == {"maple"}
    # On R2's due date Fay was at Oak: she is not Maple's number there.
    assert ("r2", "Foxtrot", "completed") not in rows


def test_the_oak_leader_sees_the_transfer_only_where_she_was_theirs(as_oak_leader, plan):
    body = get_json(as_oak_leader, PEOPLE, plan_year=plan.year.pk)

    assert people_rows(body, plan) == [
        ("r1", "Delta", "completed"),
        ("r1", "Echo", "missing"),
        ("r2", "Delta", "missing"),
        ("r2", "Echo", "completed"),
        ("r2", "Foxtrot", "completed"),
    ]


def test_people_are_paginated(as_pd, plan):
    first = get_json(as_pd, PEOPLE, plan_year=plan.year.pk, page_size=5)
    last = get_json(as_pd, PEOPLE, plan_year=plan.year.pk, page_size=5, page=4)

    assert (first["count"], len(first["results"]), first["previous"]) == (16, 5, None)
    assert "page=2" in first["next"]
    assert people_rows(last, plan) == [("r2", "Foxtrot", "completed")]


# Who may


@pytest.mark.parametrize("url", ALL_ENDPOINTS)
def test_anonymous_clients_are_told_to_sign_in(api_client, plan, url):
    response = api_client.get(url)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("url", ALL_ENDPOINTS)
def test_teachers_and_hr_are_not_permitted(api_client, plan, url):
    teacher = login_for(plan.people["Alpha"])
    hr = login_for(StaffMemberFactory(building=plan.maple), groups=[HR_GROUP])
    for user in (teacher, hr):
        api_client.force_login(user)

        response = api_client.get(url, {"plan_year": plan.year.pk})

        assert response.status_code == 403, user
        assert response.json() == {
            "code": "not_permitted",
            "message": "Progress reports are for building leaders and district PD.",
        }


def test_a_token_works_for_a_script(api_client, plan, leader):
    token = Token.objects.create(user=leader.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    body = get_json(api_client, PROGRESS, plan_year=plan.year.pk)
    csv_response = api_client.get(OUTSTANDING_CSV, {"plan_year": plan.year.pk})

    assert body["scope"]["buildings"] == [{"code": "maple", "name": "Maple Elementary"}]
    assert csv_response.status_code == 200


# Query counts


def _grow(count: int, year: PlanYear, course, building, position, start: int) -> None:
    for n in range(start, start + count):
        staff = StaffMemberFactory(
            building=building, position=position, first_name=f"P{n}", last_name=f"Person{n}"
        )
        CompletionFactory(staff=staff, course=course, completed_on=dt.date(2025, 10, 1))


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_json_endpoints_make_the_same_queries_for_3_and_30_staff(api_client, url):
    maple = BuildingFactory(code="maple", name="Maple Elementary")
    teacher = PositionFactory(code="teacher")
    pd = login_for(None, username="pd-counts", groups=[DISTRICT_PD_GROUP])
    year = PlanYearFactory(
        name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30)
    )
    course = CourseFactory()
    RequirementFactory(goal=GoalFactory(plan_year=year), course=course, due_on=dt.date(2026, 6, 1))
    RequirementFactory(
        goal=GoalFactory(plan_year=year),
        kind=RequirementKind.CLOCK_HOURS,
        course=None,
        strand=course.strand,
        clock_hours=Decimal("3"),
        due_on=dt.date(2026, 6, 1),
    )
    api_client.force_login(pd)
    params = {"plan_year": year.pk, "building": "maple", "position": "teacher"}

    def measured() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(url, params)
        assert response.status_code == 200, response.content
        return len(captured), response.json()

    _grow(3, year, course, maple, teacher, start=0)
    few, small = measured()
    _grow(27, year, course, maple, teacher, start=3)
    many, large = measured()

    assert few == many
    if url == PROGRESS:
        assert [r["audience"] for r in small["requirements"]] == [3, 3]
        assert [r["audience"] for r in large["requirements"]] == [30, 30]
    else:
        assert (small["count"], large["count"]) == (6, 60)


# Downloads


def _cells(content: bytes) -> set[str]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    }


def test_the_workbook_downloads_as_an_attachment(as_pd, plan):
    response = as_pd.get(WORKBOOK, {"plan_year": plan.year.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.xlsx"')
    assert "-completions-district-" in disposition
    cells = _cells(response.content)
    assert {"Echo", "Delta", "Charlie"} <= cells


def test_a_leaders_workbook_holds_none_of_another_building(as_maple_leader, plan):
    response = as_maple_leader.get(WORKBOOK, {"plan_year": plan.year.pk})

    assert response.status_code == 200
    cells = _cells(response.content)
    assert "Charlie" in cells
    assert not {"Echo", "Delta", "Oak Middle"} & cells


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_outstanding_csv_downloads_as_an_attachment(as_pd, plan):
    response = as_pd.get(OUTSTANDING_CSV, {"plan_year": plan.year.pk}, HTTP_ACCEPT="text/csv")

    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.csv"')
    rows = _csv_rows(response)
    outstanding = sorted((row["Last name"], row["State"]) for row in rows)
    assert outstanding == sorted(
        [
            ("Charlie", "Enrolled"),
            ("Echo", "Missing"),
            ("Charlie", "Enrolled"),
            ("Leader", "Missing"),
            ("Alpha", "Missing"),
            ("Bravo", "Missing"),
            ("Delta", "Missing"),
        ]
    )


def test_a_leaders_csv_holds_only_their_people(as_maple_leader, plan):
    response = as_maple_leader.get(OUTSTANDING_CSV, {"plan_year": plan.year.pk})

    assert "-outstanding-maple-" in response["Content-Disposition"]
    names = {row["Last name"] for row in _csv_rows(response)}
    assert names == {"Alpha", "Bravo", "Charlie", "Leader"}


def test_downloads_follow_the_filters(as_pd, plan):
    response = as_pd.get(OUTSTANDING_CSV, {"plan_year": plan.year.pk, "building": "oak"})

    rows = _csv_rows(response)
    assert sorted(row["Last name"] for row in rows) == ["Delta", "Echo"]


# The schema


def test_the_schema_documents_the_filters_and_the_files(api_client):
    schema = api_client.get(
        reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()

    paths = schema["paths"]
    filters = {"plan_year", "strand", "building", "position", "requirement", "as_of"}
    for path in ("/api/v1/progress/", "/api/v1/progress/completions.xlsx"):
        assert filters <= {p["name"] for p in paths[path]["get"]["parameters"]}, path
    people = {p["name"]: p for p in paths["/api/v1/progress/people/"]["get"]["parameters"]}
    assert filters | {"state", "page", "page_size"} <= set(people)
    assert set(people["state"]["schema"]["enum"]) == {
        "completed",
        "late",
        "enrolled",
        "missing",
        "outstanding",
    }
    assert people["building"]["schema"]["type"] == "array"
    assert people["plan_year"]["schema"]["type"] == "integer"
    workbook = paths["/api/v1/progress/completions.xlsx"]["get"]["responses"]["200"]["content"]
    assert workbook == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        }
    }
    outstanding = paths["/api/v1/progress/outstanding.csv"]["get"]["responses"]["200"]["content"]
    assert outstanding["text/csv"]["schema"]["format"] == "binary"
    rate = schema["components"]["schemas"]["ProgressRequirement"]["properties"]["rate"]
    assert (rate["type"], rate["nullable"]) == ("number", True)

"""The plan's writes: plan years, goals and requirements. Every refusal names its field with the
service's message, leaves nothing written, and never reaches the database as an IntegrityError."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Course
from learning.choices import RequirementKind
from learning.models import Goal, PlanYear, Position, Requirement
from plan import services
from tests.factories import (
    BuildingFactory,
    CourseFactory,
    GoalFactory,
    PlanFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    StaffGroupFactory,
    StrandFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return PlanFactory(starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2028, 6, 30))


@pytest.fixture
def year(plan):
    return PlanYearFactory(
        plan=plan, name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30)
    )


@pytest.fixture
def goal(year):
    return GoalFactory(plan_year=year, title="Every teacher trained in restorative practices")


def refusal(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# Plan years


def year_args(plan, /, **changes):
    args = {
        "plan": plan,
        "name": "2025-26",
        "starts_on": dt.date(2025, 7, 1),
        "ends_on": dt.date(2026, 6, 30),
    }
    return {**args, **changes}


def test_a_plan_year_is_created_and_changed(plan):
    year = services.plan_year_save(**year_args(plan, name=" 2025-26 "))
    year.refresh_from_db()
    assert (year.plan, year.name, year.starts_on, year.ends_on) == (
        plan,
        "2025-26",
        dt.date(2025, 7, 1),
        dt.date(2026, 6, 30),
    )

    services.plan_year_save(**year_args(plan, name="2025-26 (Y1)"), plan_year=year)
    year.refresh_from_db()
    assert year.name == "2025-26 (Y1)"
    assert PlanYear.objects.count() == 1


def test_a_year_may_keep_its_own_dates_and_touch_the_next_year(plan, year):
    earlier = services.plan_year_save(**year_args(plan))  # ends the day before `year` starts
    services.plan_year_save(**year_args(plan, name="Y1"), plan_year=earlier)
    assert PlanYear.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", services.MSG_YEAR_NAME_REQUIRED),
        ({"name": "2026-27 "}, "name", services.MSG_YEAR_NAME_TAKEN.format(name="2026-27")),
        ({"starts_on": None}, "starts_on", services.MSG_DATE_REQUIRED),
        ({"ends_on": None}, "ends_on", services.MSG_DATE_REQUIRED),
        ({"ends_on": dt.date(2025, 7, 1)}, "ends_on", services.MSG_YEAR_ENDS_BEFORE_START),
        ({"ends_on": dt.date(2025, 6, 1)}, "ends_on", services.MSG_YEAR_ENDS_BEFORE_START),
        (
            {"starts_on": dt.date(2025, 6, 30)},
            "starts_on",
            services.MSG_YEAR_OUTSIDE_PLAN.format(start="Jul 1, 2025", end="Jun 30, 2028"),
        ),
        (
            {"name": "2028-29", "starts_on": dt.date(2028, 7, 1), "ends_on": dt.date(2029, 6, 30)},
            "starts_on",
            services.MSG_YEAR_OUTSIDE_PLAN.format(start="Jul 1, 2025", end="Jun 30, 2028"),
        ),
        (
            {"ends_on": dt.date(2028, 7, 1)},
            "ends_on",
            services.MSG_YEAR_OUTSIDE_PLAN.format(start="Jul 1, 2025", end="Jun 30, 2028"),
        ),
        (
            {"ends_on": dt.date(2026, 7, 1)},
            "starts_on",
            services.MSG_YEAR_OVERLAPS.format(
                name="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
        (
            {"starts_on": dt.date(2027, 1, 1), "ends_on": dt.date(2027, 3, 1)},
            "starts_on",
            services.MSG_YEAR_OVERLAPS.format(
                name="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
    ],
)
def test_a_plan_year_is_refused_with_a_message_naming_the_field(
    plan, year, changes, field, message
):
    errors = refusal(services.plan_year_save, **year_args(plan, **changes))
    assert errors[field] == [message]
    assert list(PlanYear.objects.all()) == [year]


def test_a_name_too_long_for_its_column_is_named(plan):
    errors = refusal(services.plan_year_save, **year_args(plan, name="x" * 21))
    assert "at most 20 characters" in errors["name"][0]
    assert not PlanYear.objects.exists()


def test_a_year_cannot_shrink_away_from_its_requirements(plan, year, goal):
    RequirementFactory(goal=goal, due_on=dt.date(2027, 6, 15))
    errors = refusal(
        services.plan_year_save,
        plan=plan,
        plan_year=year,
        name="2026-27",
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2027, 6, 1),
    )
    assert errors["ends_on"] == [services.MSG_YEAR_STRANDS_REQUIREMENTS.format(due="Jun 15, 2027")]
    year.refresh_from_db()
    assert year.ends_on == dt.date(2027, 6, 30)


# Goals


def test_a_goal_is_created_and_changed(year):
    goal = services.goal_save(plan_year=year, title=" Equity ", description="Why.", order=3)
    goal.refresh_from_db()
    assert (goal.plan_year, goal.title, goal.description, goal.order) == (year, "Equity", "Why.", 3)

    services.goal_save(goal=goal, plan_year=year, title="Equity for all", order=None)
    goal.refresh_from_db()
    assert (goal.title, goal.description, goal.order) == ("Equity for all", "", 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": " "}, "title", services.MSG_GOAL_TITLE_REQUIRED),
        ({"plan_year": None}, "plan_year", services.MSG_GOAL_YEAR_REQUIRED),
        ({"order": -1}, "order", services.MSG_GOAL_ORDER_RANGE),
        ({"order": 32768}, "order", services.MSG_GOAL_ORDER_RANGE),
    ],
)
def test_a_goal_is_refused_with_a_message_naming_the_field(year, changes, field, message):
    args = {"plan_year": year, "title": "Equity", "order": 1, **changes}
    errors = refusal(services.goal_save, **args)
    assert errors[field] == [message]
    assert not Goal.objects.exists()


def test_a_goal_moves_to_another_year_only_with_its_requirements_inside_it(plan, year, goal):
    earlier = PlanYearFactory(
        plan=plan, name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30)
    )
    RequirementFactory(goal=goal, due_on=dt.date(2027, 3, 1))
    errors = refusal(services.goal_save, goal=goal, plan_year=earlier, title=goal.title)
    assert errors["plan_year"] == [
        services.MSG_GOAL_STRANDS_REQUIREMENTS.format(
            year="2025-26", start="Jul 1, 2025", end="Jun 30, 2026", due="Mar 1, 2027"
        )
    ]
    goal.refresh_from_db()
    assert goal.plan_year == year

    empty = GoalFactory(plan_year=year)
    services.goal_save(goal=empty, plan_year=earlier, title=empty.title)
    empty.refresh_from_db()
    assert empty.plan_year == earlier


def test_deleting_a_goal_deletes_its_requirements_and_nothing_else(goal):
    course = CourseFactory()
    RequirementFactory(goal=goal, course=course)
    RequirementFactory(goal=goal, course=course)
    other = RequirementFactory(goal=GoalFactory(plan_year=goal.plan_year), course=course)

    assert services.goal_delete(goal=goal) == 2

    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert list(Requirement.objects.all()) == [other]
    assert Course.objects.filter(pk=course.pk).exists()


# Requirements


def requirement_args(goal, /, **changes):
    args = {
        "goal": goal,
        "kind": RequirementKind.COURSE,
        "course": CourseFactory(title="Restorative Circles"),
        "target_percent": 90,
        "due_on": dt.date(2027, 5, 31),
    }
    return {**args, **changes}


def test_a_course_requirement_is_saved_with_its_audience(goal):
    teacher = PositionFactory(code="teacher")
    counselor = PositionFactory(code="counselor")
    maple = BuildingFactory(code="maple")
    committee = StaffGroupFactory()
    course = CourseFactory(code="rp-101", title="Restorative Circles")
    requirement = services.requirement_save(
        **requirement_args(goal, title=" Circles ", course=course),
        count_completions_before_plan_year=True,
        audience_positions=[teacher, counselor],
        audience_buildings=[maple],
        audience_groups=[committee],
    )
    requirement = Requirement.objects.get(pk=requirement.pk)
    assert requirement.title == "Circles"
    assert requirement.count_completions_before_plan_year is True
    assert set(requirement.audience_positions.all()) == {teacher, counselor}
    assert list(requirement.audience_buildings.all()) == [maple]
    assert list(requirement.audience_groups.all()) == [committee]
    assert requirement.describe() == "By May 31, 2027, 90% complete RP-101 Restorative Circles"

    services.requirement_save(
        **requirement_args(goal, course=requirement.course),
        requirement=requirement,
        audience_positions=[counselor],
    )
    requirement.refresh_from_db()
    assert list(requirement.audience_positions.all()) == [counselor]
    assert not requirement.audience_buildings.exists()
    assert not requirement.audience_groups.exists()
    assert requirement.count_completions_before_plan_year is False


def test_a_clock_hours_requirement_keeps_only_its_strand_and_hours(goal):
    strand = StrandFactory(name="Equity")
    requirement = services.requirement_save(
        **requirement_args(goal),
        requirement=RequirementFactory(goal=goal),
    )
    services.requirement_save(
        **requirement_args(goal, kind=RequirementKind.CLOCK_HOURS, strand=strand),
        clock_hours=Decimal("4.5"),
        requirement=requirement,
    )
    requirement.refresh_from_db()
    assert (requirement.kind, requirement.course, requirement.strand) == (
        RequirementKind.CLOCK_HOURS,
        None,
        strand,
    )
    assert requirement.clock_hours == Decimal("4.50")
    assert requirement.describe() == "By May 31, 2027, 90% earn 4.5 clock hours in Equity"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"course": None}, "course", services.MSG_COURSE_REQUIRED),
        (
            {"kind": RequirementKind.CLOCK_HOURS, "clock_hours": Decimal("3")},
            "strand",
            services.MSG_STRAND_REQUIRED,
        ),
        ({"kind": RequirementKind.CLOCK_HOURS}, "clock_hours", services.MSG_HOURS_POSITIVE),
        (
            {"kind": RequirementKind.CLOCK_HOURS, "clock_hours": Decimal("0")},
            "clock_hours",
            services.MSG_HOURS_POSITIVE,
        ),
        (
            {"kind": RequirementKind.CLOCK_HOURS, "clock_hours": Decimal("-2")},
            "clock_hours",
            services.MSG_HOURS_POSITIVE,
        ),
        ({"kind": "hours"}, "kind", services.MSG_KIND_UNKNOWN),
        ({"target_percent": 0}, "target_percent", services.MSG_TARGET_RANGE),
        ({"target_percent": 101}, "target_percent", services.MSG_TARGET_RANGE),
        ({"target_percent": None}, "target_percent", services.MSG_TARGET_RANGE),
        ({"target_percent": 10**20}, "target_percent", services.MSG_TARGET_RANGE),
        ({"due_on": None}, "due_on", services.MSG_DATE_REQUIRED),
        (
            {"due_on": dt.date(2026, 6, 30)},
            "due_on",
            services.MSG_DUE_OUTSIDE_YEAR.format(
                year="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
        (
            {"due_on": dt.date(2027, 7, 1)},
            "due_on",
            services.MSG_DUE_OUTSIDE_YEAR.format(
                year="2026-27", start="Jul 1, 2026", end="Jun 30, 2027"
            ),
        ),
        ({"goal": None}, "goal", services.MSG_REQUIREMENT_GOAL_REQUIRED),
    ],
)
def test_a_requirement_is_refused_with_a_message_naming_the_field(goal, changes, field, message):
    errors = refusal(
        services.requirement_save,
        **requirement_args(goal, **changes),
        audience_positions=[PositionFactory()],
    )
    assert errors[field] == [message]
    assert not Requirement.objects.exists()
    assert not Requirement.audience_positions.through.objects.exists()


def test_a_refused_change_leaves_the_requirement_and_its_audience_as_they_were(goal):
    teacher = PositionFactory(code="teacher")
    requirement = RequirementFactory(goal=goal, target_percent=80)
    requirement.audience_positions.set([teacher])
    errors = refusal(
        services.requirement_save,
        **requirement_args(goal, target_percent=150),
        requirement=requirement,
        audience_positions=[],
    )
    assert errors == {"target_percent": [services.MSG_TARGET_RANGE]}
    requirement = Requirement.objects.get(pk=requirement.pk)
    assert requirement.target_percent == 80
    assert list(requirement.audience_positions.all()) == [teacher]


def test_the_due_date_may_be_any_day_of_the_plan_year_inclusive(goal):
    for due in (dt.date(2026, 7, 1), dt.date(2027, 6, 30)):
        services.requirement_save(**requirement_args(goal, due_on=due))
    assert Requirement.objects.count() == 2


def test_deleting_a_requirement_keeps_its_goal_course_and_audience_objects(goal):
    teacher = PositionFactory(code="teacher")
    requirement = RequirementFactory(goal=goal)
    requirement.audience_positions.set([teacher])
    services.requirement_delete(requirement=requirement)
    assert not Requirement.objects.exists()
    assert not Requirement.audience_positions.through.objects.exists()
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert Course.objects.filter(pk=requirement.course_id).exists()
    assert Position.objects.filter(pk=teacher.pk).exists()

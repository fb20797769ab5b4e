"""The district and plan models: every database constraint refuses a bad row, and the small
behaviours the rest of the code relies on."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from enrollment.models import Enrollment
from learning.choices import PositionCategory, RequirementKind
from learning.models import (
    Building,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffGroup,
    StaffMember,
    display_name_of,
)
from tests.assertions import refused
from tests.factories import (
    BuildingFactory,
    CourseFactory,
    EnrollmentFactory,
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


def new_staff(**fields) -> StaffMember:
    values = {
        "employee_id": "900001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@staff.example.org",
        **fields,
    }
    return StaffMember.objects.create(**values)


# StaffMember


def test_staff_email_is_unique_ignoring_case():
    new_staff(employee_id="1", email="A@x.org")
    with refused(StaffMember, "staff_email_unique_ci"):
        new_staff(employee_id="2", email="a@x.org")


def test_staff_email_is_required():
    with refused(StaffMember, "staff_email_required"):
        new_staff(email="")


def test_staff_cannot_be_separated_before_being_hired():
    with refused(StaffMember, "staff_separated_after_hired"):
        new_staff(hired_on=dt.date(2024, 8, 20), separated_on=dt.date(2024, 8, 19))
    same_day = new_staff(hired_on=dt.date(2024, 8, 20), separated_on=dt.date(2024, 8, 20))
    assert same_day.pk is not None


def test_staff_separation_date_is_checked_on_update_too():
    staff = new_staff(hired_on=dt.date(2024, 8, 20))
    staff.separated_on = dt.date(2023, 1, 1)
    with pytest.raises(IntegrityError, match="staff_separated_after_hired"), transaction.atomic():
        staff.save()
    staff.refresh_from_db()
    assert staff.separated_on is None


def test_staff_employee_id_is_unique():
    new_staff(employee_id="123456", email="one@x.org")
    with refused(StaffMember, "staffmember.employee_id"):
        new_staff(employee_id="123456", email="two@x.org")


def test_staff_with_enrollments_cannot_be_deleted():
    enrollment = EnrollmentFactory()
    with pytest.raises(ProtectedError):
        enrollment.staff.delete()
    assert StaffMember.objects.filter(pk=enrollment.staff_id).exists()


def test_staff_display_name_prefers_the_preferred_name():
    staff = StaffMemberFactory(first_name="Elizabeth", last_name="Bennet", preferred_name="Liz")
    assert staff.display_name == "Liz Bennet"
    staff.preferred_name = ""
    assert staff.display_name == "Elizabeth Bennet"


def test_the_display_name_in_sql_is_the_display_name():
    people = [
        StaffMemberFactory(first_name="Elizabeth", last_name="Bennet", preferred_name="Liz"),
        StaffMemberFactory(first_name="Fitzwilliam", last_name="Darcy"),
        StaffMemberFactory(first_name="José", last_name="Núñez", preferred_name="Pepe"),
    ]
    enrollment = EnrollmentFactory(staff=people[0])

    in_sql = dict(StaffMember.objects.annotate(name=display_name_of()).values_list("pk", "name"))
    assert in_sql == {person.pk: person.display_name for person in people}
    through = Enrollment.objects.annotate(name=display_name_of("staff")).get(pk=enrollment.pk)
    assert through.name == "Liz Bennet"


def test_staff_str_names_the_person_and_their_employee_id():
    staff = StaffMemberFactory(employee_id="004711", first_name="Tess", last_name="Teacher")
    assert str(staff) == "Tess Teacher (004711)"


# Building, Position, StaffGroup


def test_building_code_is_unique():
    Building.objects.create(code="maple", name="Maple Elementary")
    with refused(Building, "building.code"):
        Building.objects.create(code="maple", name="Another Maple")


def test_building_code_is_unique_ignoring_case():
    Building.objects.create(code="maple", name="Maple Elementary")
    with refused(Building, "building_code_unique_ci"):
        Building.objects.create(code="MAPLE", name="Another Maple")


def test_building_in_use_cannot_be_deleted():
    staff = StaffMemberFactory()
    with pytest.raises(ProtectedError):
        staff.building.delete()
    assert Building.objects.filter(pk=staff.building_id).exists()


def test_position_code_is_unique():
    Position.objects.create(code="teacher", name="Teacher", category=PositionCategory.TEACHER)
    with refused(Position, "position.code"):
        Position.objects.create(code="teacher", name="Classroom teacher", category="teacher")


def test_position_name_is_unique():
    Position.objects.create(code="teacher", name="Teacher", category=PositionCategory.TEACHER)
    with refused(Position, "position.name"):
        Position.objects.create(code="teacher-2", name="Teacher", category="teacher")


def test_staff_group_slug_is_unique():
    StaffGroup.objects.create(slug="advisory", name="Advisory Committee")
    with refused(StaffGroup, "staffgroup.slug"):
        StaffGroup.objects.create(slug="advisory", name="Another committee")


def test_staff_group_name_is_unique():
    StaffGroup.objects.create(slug="advisory", name="Advisory Committee")
    with refused(StaffGroup, "staffgroup.name"):
        StaffGroup.objects.create(slug="advisory-2", name="Advisory Committee")


# Plan, PlanYear


def test_plan_ends_after_it_starts():
    with refused(Plan, "plan_ends_after_start"):
        Plan.objects.create(
            slug="p", name="P", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 6, 30)
        )
    with refused(Plan, "plan_ends_after_start"):
        Plan.objects.create(
            slug="p", name="P", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 7, 1)
        )


def test_plan_year_name_is_unique_within_its_plan():
    year = PlanYearFactory(name="2026-27")
    with refused(PlanYear, r"plan_year_name_unique|planyear\.plan_id, \S*name"):
        PlanYear.objects.create(
            plan=year.plan, name="2026-27", starts_on=year.starts_on, ends_on=year.ends_on
        )
    other_plan = PlanFactory(slug="other")
    same_name_elsewhere = PlanYear.objects.create(
        plan=other_plan, name="2026-27", starts_on=year.starts_on, ends_on=year.ends_on
    )
    assert same_name_elsewhere.pk is not None


def test_plan_year_ends_after_it_starts():
    plan = PlanFactory()
    with refused(PlanYear, "plan_year_ends_after_start"):
        PlanYear.objects.create(
            plan=plan, name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 1)
        )


# Requirement

KIND_FIELDS = "requirement_kind_fields"


def requirement_values(**fields) -> dict:
    return {
        "goal": GoalFactory(),
        "kind": RequirementKind.COURSE,
        "course": CourseFactory(),
        "target_percent": 90,
        "due_on": dt.date(2027, 6, 30),
        **fields,
    }


@pytest.mark.parametrize("target", [0, 101])
def test_requirement_target_outside_1_to_100_is_refused(target):
    values = requirement_values(target_percent=target)
    with refused(Requirement, "requirement_target_percent_range"):
        Requirement.objects.create(**values)


@pytest.mark.parametrize("target", [1, 100])
def test_requirement_target_at_the_bounds_is_accepted(target):
    requirement = Requirement.objects.create(**requirement_values(target_percent=target))
    requirement.refresh_from_db()
    assert requirement.target_percent == target


def test_course_requirement_needs_a_course():
    values = requirement_values(course=None)
    with refused(Requirement, KIND_FIELDS):
        Requirement.objects.create(**values)


def test_clock_hours_requirement_needs_a_strand():
    values = requirement_values(
        kind=RequirementKind.CLOCK_HOURS, course=None, strand=None, clock_hours=Decimal("6")
    )
    with refused(Requirement, KIND_FIELDS):
        Requirement.objects.create(**values)


def test_clock_hours_requirement_needs_positive_hours():
    values = requirement_values(
        kind=RequirementKind.CLOCK_HOURS, course=None, strand=StrandFactory(), clock_hours=0
    )
    with refused(Requirement, KIND_FIELDS):
        Requirement.objects.create(**values)


def test_clock_hours_requirement_with_strand_and_hours_is_accepted():
    requirement = Requirement.objects.create(
        **requirement_values(
            kind=RequirementKind.CLOCK_HOURS,
            course=None,
            strand=StrandFactory(),
            clock_hours=Decimal("6"),
        )
    )
    assert requirement.pk is not None


def test_clock_hours_requirement_without_hours_is_refused():
    values = requirement_values(
        kind=RequirementKind.CLOCK_HOURS, course=None, strand=StrandFactory(), clock_hours=None
    )
    with refused(Requirement, KIND_FIELDS):
        Requirement.objects.create(**values)


# __str__


def test_district_and_plan_str_use_names():
    building = BuildingFactory(name="Maple Elementary")
    position = PositionFactory(code="counselor", name="Counselor")
    group = StaffGroupFactory(name="Advisory Committee")
    year = PlanYearFactory(plan=PlanFactory(name="BPS, Better Together"), name="2026-27")
    goal = GoalFactory(plan_year=year, title="Every teacher completes CRT")
    assert str(building) == "Maple Elementary"
    assert str(position) == "Counselor"
    assert str(group) == "Advisory Committee"
    assert str(year.plan) == "BPS, Better Together"
    assert str(year) == "BPS, Better Together 2026-27"
    assert str(goal) == "Every teacher completes CRT"


def test_requirement_str_is_its_title_or_a_description():
    requirement = RequirementFactory(
        title="",
        course__code="crt-101",
        course__title="Culturally Responsive Teaching",
        target_percent=90,
        due_on=dt.date(2027, 6, 30),
    )
    assert (
        str(requirement) == "By Jun 30, 2027, 90% complete CRT-101 Culturally Responsive Teaching"
    )
    requirement.title = "CRT for all"
    assert str(requirement) == "CRT for all"
    hours = RequirementFactory(
        title="",
        kind=RequirementKind.CLOCK_HOURS,
        course=None,
        strand=StrandFactory(name="Restorative Practices"),
        clock_hours=Decimal("6.00"),
        target_percent=75,
        due_on=dt.date(2027, 6, 30),
    )
    assert str(hours) == "By Jun 30, 2027, 75% earn 6 clock hours in Restorative Practices"
    # As a form gives them, before the database pads them to two places.
    hours.clock_hours = Decimal("10")
    assert str(hours) == "By Jun 30, 2027, 75% earn 10 clock hours in Restorative Practices"
    hours.clock_hours = Decimal("2.50")
    assert str(hours) == "By Jun 30, 2027, 75% earn 2.5 clock hours in Restorative Practices"

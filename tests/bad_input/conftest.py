"""A small district where every write path has something to act on, and the checks every case
shares: the status, the field named in the answer, and that no table changed."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from enrollment.choices import EnrollmentStatus
from imports.choices import ImportKind
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    GoalFactory,
    ImportRunFactory,
    MeetingFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)

# Every table a request could write to, ours and the framework's.
WRITABLE_APPS = (
    "auth",
    "authtoken",
    "admin",
    "learning",
    "catalog",
    "enrollment",
    "calendars",
    "imports",
    "audit",
)


def row_counts() -> dict[str, int]:
    """The number of rows of every table, in one query (the cases run it twice each)."""
    models = [
        model
        for label in WRITABLE_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy
    ]
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {model._meta.label: count for model, count in zip(models, row, strict=True)}


class World:
    """Named objects for the cases' URLs and bodies."""


def _build_world() -> World:
    now = timezone.now()
    w = World()
    w.building = BuildingFactory(code="maple", name="Maple Elementary")
    w.teacher = StaffMemberFactory(building=w.building, first_name="Tess", last_name="Teacher")
    login_for(w.teacher, username="teacher")
    w.leader = StaffMemberFactory(
        building=w.building,
        first_name="Lee",
        last_name="Leader",
        position=PositionFactory(code="principal", category="leader"),
        leads=[w.building],
    )
    login_for(w.leader, username="leader")
    w.facilitator = StaffMemberFactory(building=w.building, first_name="Fran", last_name="Fac")
    login_for(w.facilitator, username="facilitator")
    w.district_pd = StaffMemberFactory(first_name="Pat", last_name="Planner")
    login_for(w.district_pd, username="districtpd", groups=[DISTRICT_PD_GROUP])
    w.hr = StaffMemberFactory(first_name="Harper", last_name="Records")
    login_for(w.hr, username="hr", groups=[HR_GROUP])
    w.admin = login_for(None, username="admin", superuser=True)
    w.course = CourseFactory(code="crt-101", title="Culturally Responsive Teaching")

    # Open for registration, meeting next week; the teacher holds a seat, a colleague waits.
    w.open_session = SessionFactory(course=w.course, capacity=10, building=w.building)
    w.open_meeting = MeetingFactory(session=w.open_session, starts_at=now + dt.timedelta(days=7))
    w.seat = EnrollmentFactory(staff=w.teacher, session=w.open_session)
    w.colleague = StaffMemberFactory(building=w.building, first_name="Cole", last_name="League")
    w.pending = EnrollmentFactory(
        staff=w.colleague,
        session=w.open_session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=now + dt.timedelta(days=3),
    )

    # Met yesterday: attendance is open, and the teacher may evaluate it.
    w.past_session = SessionFactory(capacity=10, building=w.building)
    w.past_session.facilitators.add(w.facilitator)
    w.past_meeting = MeetingFactory(
        session=w.past_session, starts_at=now - dt.timedelta(days=1, hours=2)
    )
    w.attended = EnrollmentFactory(staff=w.teacher, session=w.past_session)

    w.completion = CompletionFactory(staff=w.teacher, course=w.course)
    w.import_run = ImportRunFactory(kind=ImportKind.ROSTER, created_by=w.hr.user)

    w.plan_year = PlanYearFactory()
    w.goal = GoalFactory(plan_year=w.plan_year)
    w.requirement = RequirementFactory(goal=w.goal, course=w.course)
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end; each test runs
    in its own savepoint within it, so what one test writes never reaches the next."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield _build_world()
            transaction.set_rollback(True)


def assert_nothing_written(before: dict[str, int]) -> None:
    after = row_counts()
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    assert not changed, f"rows written by a refused request: {changed}"


def named_in_api_error(body, field: str) -> bool:
    """DRF's `{field: [...]}`, or a refusal's `{"code", "message", "details": {"field"}}`."""
    if not isinstance(body, dict):
        return False
    if field in body:
        return True
    return (body.get("details") or {}).get("field") == field

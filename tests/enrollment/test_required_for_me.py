"""What the plan requires of one person, on My learning: the requirements whose audience takes
them in, by due date, each done, booked or not started, with the next sessions that would count
and that they may join; and the page marks where a place came from."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Session
from enrollment import selectors
from enrollment.choices import EnrollmentStatus
from learning.choices import RequirementKind
from tests import factories as f
from tests.enrollment.test_pages_participant import session_meeting_on, text

pytestmark = pytest.mark.django_db

ME = reverse("enrollment:me")


@pytest.fixture
def goal(db):
    today = timezone.localdate()
    year = f.PlanYearFactory(
        starts_on=today - dt.timedelta(days=120), ends_on=today + dt.timedelta(days=200)
    )
    return f.GoalFactory(plan_year=year)


def requirement(goal, course=None, **fields):
    fields.setdefault("due_on", timezone.localdate() + dt.timedelta(days=90))
    return f.RequirementFactory(goal=goal, course=course or f.CourseFactory(), **fields)


def mine(teacher):
    return {
        entry.requirement.pk: entry
        for entry in selectors.my_requirements(user=teacher.user, staff=teacher)
    }


def test_a_requirement_not_started_offers_the_next_sessions_with_a_seat(teacher, goal):
    rp = f.CourseFactory(code="rp-101", title="Restorative Practices")
    wanted = requirement(goal, rp)
    later, sooner, full = (session_meeting_on(days, course=rp) for days in (20, 10, 5))
    full.capacity = 1
    full.save()
    f.EnrollmentFactory(session=full)
    past = session_meeting_on(-3, course=rp)

    entry = mine(teacher)[wanted.pk]

    assert entry.state == selectors.REQUIREMENT_NOT_STARTED
    assert [s.pk for s in entry.next_sessions] == [sooner.pk, later.pk]
    assert past.pk not in [s.pk for s in entry.next_sessions]


def test_a_requirement_is_booked_by_a_live_place_and_done_by_a_completion(teacher, goal):
    booked_course, done_course = f.CourseFactory(), f.CourseFactory()
    booked = requirement(goal, booked_course)
    done = requirement(goal, done_course)
    session = session_meeting_on(8, course=booked_course)
    f.EnrollmentFactory(staff=teacher, session=session, status=EnrollmentStatus.WAITLISTED)
    on = timezone.localdate() - dt.timedelta(days=10)
    f.CompletionFactory(staff=teacher, course=done_course, completed_on=on)

    entries = mine(teacher)

    assert entries[booked.pk].state == selectors.REQUIREMENT_BOOKED
    assert entries[booked.pk].booked.session_id == session.pk
    assert (entries[done.pk].state, entries[done.pk].done_on) == (selectors.REQUIREMENT_DONE, on)


def test_a_completion_before_the_plan_year_counts_only_where_the_requirement_says(teacher, goal):
    course = f.CourseFactory()
    this_year_only = requirement(goal, course)
    any_time = requirement(goal, course, count_completions_before_plan_year=True)
    f.CompletionFactory(
        staff=teacher,
        course=course,
        completed_on=goal.plan_year.starts_on - dt.timedelta(days=30),
    )

    entries = mine(teacher)

    assert entries[this_year_only.pk].state == selectors.REQUIREMENT_NOT_STARTED
    assert entries[any_time.pk].state == selectors.REQUIREMENT_DONE


def test_clock_hours_add_up_in_the_strand(teacher, goal):
    strand = f.StrandFactory(code="sel", name="Social-Emotional Learning")
    hours = requirement(
        goal, None, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=Decimal("6")
    )
    hours.course = None
    hours.save()
    for spent in ("2", "3"):
        f.CompletionFactory(
            staff=teacher,
            course=f.CourseFactory(strand=strand),
            clock_hours=Decimal(spent),
            completed_on=timezone.localdate(),
        )
    f.CompletionFactory(staff=teacher, course=f.CourseFactory(), clock_hours=Decimal("9"))

    entry = mine(teacher)[hours.pk]

    assert (entry.state, entry.hours) == (selectors.REQUIREMENT_NOT_STARTED, Decimal("5"))


def test_only_requirements_whose_audience_takes_the_person_in(
    teacher, goal, building, other_building
):
    for_here = requirement(goal)
    for_here.audience_buildings.add(building)
    for_there = requirement(goal)
    for_there.audience_buildings.add(other_building)
    leaders = requirement(goal)
    leaders.audience_positions.add(f.PositionFactory(code="principal"))
    committee = requirement(goal)
    committee.audience_groups.add(f.StaffGroupFactory(members=[teacher]))

    assert set(mine(teacher)) == {for_here.pk, committee.pk}


def test_sessions_the_person_may_not_join_are_not_offered(teacher, goal):
    course = f.CourseFactory()
    wanted = requirement(goal, course)
    for_principals = session_meeting_on(6, course=course)
    for_principals.audience_positions.add(f.PositionFactory(code="principal"))

    assert mine(teacher)[wanted.pk].next_sessions == []


def test_my_learning_leads_with_what_is_required(client, teacher, goal):
    rp = f.CourseFactory(code="rp-101", title="Restorative Practices")
    requirement(goal, rp, due_on=dt.date(2027, 6, 30))
    session = session_meeting_on(12, course=rp, title="Cohort A")
    client.force_login(teacher.user)

    page = text(client.get(ME))

    assert "Required of you" in page
    assert "RP-101 Restorative Practices Due Jun 30, 2027" in page
    assert "Not started" in page
    assert f"{session.display_title}" in page
    assert page.index("Required of you") < page.index("Completed this school year")


def test_my_requirements_take_the_same_queries_for_5_requirements_and_for_40(teacher, goal):
    def count(n: int) -> int:
        while len(mine(teacher)) < n:
            course = f.CourseFactory()
            requirement(goal, course).audience_buildings.add(teacher.building)
            session_meeting_on(9, course=course)
            f.CompletionFactory(staff=teacher, course=f.CourseFactory())
        with CaptureQueriesContext(connection) as queries:
            selectors.my_requirements(user=teacher.user, staff=teacher)
        return len(queries)

    assert count(5) == count(40)


# The catalog's marks

CATALOG = reverse("catalog:index")


def test_the_catalog_marks_required_completed_and_each_place(client, teacher, goal):
    required = f.CourseFactory(code="rp-101", title="Restorative Practices")
    requirement(goal, required, due_on=dt.date(2027, 6, 30))
    done = f.CourseFactory(code="sel-101", title="SEL Foundations")
    f.CompletionFactory(staff=teacher, course=done, completed_on=dt.date(2026, 1, 14))
    enrolled = session_meeting_on(10, course=required, title="Enrolled here")
    f.EnrollmentFactory(staff=teacher, session=enrolled)
    full = session_meeting_on(11, course=f.CourseFactory(), title="Waiting here", capacity=2)
    f.EnrollmentFactory.create_batch(2, session=full)
    f.EnrollmentFactory(session=full, status=EnrollmentStatus.WAITLISTED)
    f.EnrollmentFactory(staff=teacher, session=full, status=EnrollmentStatus.WAITLISTED)
    again = session_meeting_on(12, course=done, title="Again here")
    locked = session_meeting_on(13, title="Locked here")
    locked.course.prerequisites.add(f.CourseFactory(code="crt-201", title="CRT in Practice"))
    client.force_login(teacher.user)

    page = text(client.get(CATALOG))

    assert "Required for you by Jun 30, 2027" in page
    assert "You completed it Jan 14, 2026" in page
    assert "You are enrolled" in page
    assert "You are #2 on the waitlist" in page
    assert "Open to you again" in page
    assert "Complete the prerequisite first: CRT-201 CRT in Practice." in page
    assert again.pk and locked.pk


def test_the_catalog_says_nothing_of_anyone_when_signed_out(client, teacher, goal):
    requirement(goal, f.CourseFactory())
    session_meeting_on(10)

    page = text(client.get(CATALOG))

    assert "Required for you" not in page and "Open to you" not in page


def test_catalog_marks_take_the_same_queries_for_5_sessions_and_for_40(client, teacher, goal):
    def count(n: int) -> int:
        while Session.objects.count() < n:
            course = f.CourseFactory()
            course.prerequisites.add(f.CourseFactory())
            requirement(goal, course)
            session = session_meeting_on(9, course=course)
            session.audience_buildings.add(teacher.building)
            f.EnrollmentFactory(
                staff=teacher, session=session_meeting_on(20), status=EnrollmentStatus.WAITLISTED
            )
            f.CompletionFactory(staff=teacher, course=f.CourseFactory())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CATALOG).status_code == 200
        return len(queries)

    client.force_login(teacher.user)
    assert count(5) == count(40)


def test_a_booked_seat_offers_nothing_more_but_a_waitlist_place_does(teacher, goal):
    seated_course, waiting_course = f.CourseFactory(), f.CourseFactory()
    seated = requirement(goal, seated_course)
    waiting = requirement(goal, waiting_course)
    f.EnrollmentFactory(staff=teacher, session=session_meeting_on(8, course=seated_course))
    session_meeting_on(15, course=seated_course)
    f.EnrollmentFactory(
        staff=teacher,
        session=session_meeting_on(8, course=waiting_course),
        status=EnrollmentStatus.WAITLISTED,
    )
    other = session_meeting_on(15, course=waiting_course)

    entries = mine(teacher)

    assert entries[seated.pk].next_sessions == []
    assert [s.pk for s in entries[waiting.pk].next_sessions] == [other.pk]

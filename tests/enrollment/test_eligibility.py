"""The enrollment rules said before the click: enrollment.eligibility answers what a click would
do, and the service that refuses reads the same rules, so the two never disagree. Also the rules
this brought: two waitlist places do not clash, the waitlist passes over whoever holds a seat at
the same time, and a session's audience of positions and buildings holds for oneself while
leaders and district PD may still assign anyone."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Session
from catalog.seats import with_seats
from core import refusals as r
from core.refusals import Refusal
from enrollment import eligibility, services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests import factories as f
from tests.enrollment.test_services import at, enroll, meeting, person, refusal_of

pytestmark = pytest.mark.django_db

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED


def shaped(session: Session) -> Session:
    return eligibility.with_rules(with_seats(Session.objects.filter(pk=session.pk))).get()


def said(staff, session) -> eligibility.Eligibility:
    return eligibility.eligibility(
        eligibility.person_facts(staff), shaped(session), now=timezone.now()
    )


def full_session(**fields) -> Session:
    session = f.SessionFactory(capacity=1, **fields)
    f.EnrollmentFactory(session=session, status=ENROLLED)
    return session


# Two waitlist places


def test_two_waitlist_places_at_the_same_time_do_not_clash(teacher):
    first, second = full_session(), full_session()
    meeting(first, 5)
    meeting(second, 5)

    assert enroll(teacher, first).status == WAITLISTED
    assert said(teacher, second).action == eligibility.WAITLIST
    assert enroll(teacher, second).status == WAITLISTED


def test_a_seat_clashes_with_a_waitlist_place_and_says_so_before_the_click(teacher):
    full, open_session = full_session(), f.SessionFactory(course__title="Restorative Circles")
    clashing = meeting(full, 5)
    meeting(open_session, 5)
    enroll(teacher, full)

    before = said(teacher, open_session)
    refusal = refusal_of(enroll, teacher, open_session)

    assert before.action is None
    assert before.code == refusal.code == r.SCHEDULE_CONFLICT
    assert before.reason == refusal.message
    assert "where you are waitlisted" in refusal.message
    assert refusal.details["meeting"] == clashing.pk


def test_a_waitlist_place_clashes_with_a_seat_held_at_the_same_time(teacher):
    seated, full = f.SessionFactory(), full_session()
    meeting(seated, 5)
    meeting(full, 5, hour=17)
    enroll(teacher, seated)

    assert said(teacher, full).code == r.SCHEDULE_CONFLICT
    assert refusal_of(enroll, teacher, full).code == r.SCHEDULE_CONFLICT


def test_the_waitlist_passes_over_whoever_holds_a_seat_at_the_same_time(teacher):
    first, second = full_session(), full_session()
    meeting(first, 5)
    meeting(second, 5)
    teachers_first = enroll(teacher, first).enrollment
    teachers_second = enroll(teacher, second).enrollment
    behind = person()
    behinds_second = enroll(behind, second).enrollment

    # A seat frees in the first session: the teacher takes it.
    Enrollment.objects.filter(session=first).exclude(pk=teachers_first.pk).delete()
    assert services.waitlist_fill(session=first) == [teachers_first.pk]
    # Then in the second: the teacher now holds a seat at that time, so the next in line gets it.
    Enrollment.objects.filter(session=second, status=ENROLLED).delete()
    assert services.waitlist_fill(session=second) == [behinds_second.pk]

    teachers_second.refresh_from_db()
    assert teachers_second.status == WAITLISTED


def test_a_cancelled_meeting_clashes_with_nothing(teacher):
    from catalog.choices import MeetingStatus

    seated, other = f.SessionFactory(), f.SessionFactory()
    meeting(seated, 5, status=MeetingStatus.CANCELLED)
    meeting(other, 5)
    enroll(teacher, seated)

    assert said(teacher, other).action == eligibility.ENROLL


# Audiences


@pytest.fixture
def principal_position(db):
    return f.PositionFactory(code="principal", name="Principal")


def test_a_course_for_principals_refuses_a_teacher_and_says_whom_it_is_for(
    teacher, principal_position
):
    session = f.SessionFactory()
    session.course.audience_positions.add(
        principal_position,
        f.PositionFactory(code="assistant-principal", name="Assistant Principal"),
    )
    meeting(session, 5)

    before = said(teacher, session)
    refusal = refusal_of(enroll, teacher, session)

    expected = "This session is only for Assistant Principal or Principal."
    assert before.reason == refusal.message == expected
    assert refusal.code == r.NOT_IN_AUDIENCE
    assert not Enrollment.objects.exists()

    principal = person(position=principal_position)
    assert said(principal, session).action == eligibility.ENROLL
    assert enroll(principal, session).status == ENROLLED


def test_a_session_for_one_building_and_a_course_for_a_position_both_hold(
    teacher, building, other_building, principal_position
):
    session = f.SessionFactory()
    session.course.audience_positions.add(principal_position)
    session.audience_buildings.add(other_building)
    here = person(building=building, position=principal_position)
    there = person(building=other_building, position=principal_position)

    assert said(here, session).reason == (
        "This session is only for Principal; staff of Oak Middle."
    )
    assert said(there, session).action == eligibility.ENROLL


def test_leaders_and_district_pd_may_still_assign_outside_the_audience(
    teacher, leader, district_pd, building, principal_position
):
    session = f.SessionFactory(building=building)
    session.audience_positions.add(principal_position)
    other_teacher = person(building=building)

    assigned = services.enrollment_create(staff=teacher, session=session, actor=leader.user)
    by_district = services.enrollment_create(
        staff=other_teacher, session=session, actor=district_pd.user
    )

    assert assigned.status == ENROLLED
    assert by_district.status == ENROLLED


# What a click would do


def test_the_action_follows_the_seats_and_the_approval(teacher, district_pd):
    assert said(teacher, f.SessionFactory()).action == eligibility.ENROLL
    assert said(teacher, f.SessionFactory(requires_approval=True)).action == eligibility.REQUEST
    assert said(teacher, full_session()).action == eligibility.WAITLIST
    # District PD's own requests need nobody's approval, as the service decides.
    approval = f.SessionFactory(requires_approval=True)
    facts = eligibility.person_facts(district_pd)
    decided = eligibility.eligibility(facts, shaped(approval), now=timezone.now(), approver=True)
    assert decided.action == eligibility.ENROLL
    assert enroll(district_pd, approval).status == ENROLLED


def test_a_missing_prerequisite_is_said_before_the_click(teacher):
    basics = f.CourseFactory(code="crt-201", title="CRT in Practice")
    session = f.SessionFactory(course__code="crt-301")
    session.course.prerequisites.add(basics)

    before = said(teacher, session)

    assert before.action is None
    assert before.reason == "Complete the prerequisite first: CRT-201 CRT in Practice."
    assert before.reason == refusal_of(enroll, teacher, session).message


def test_a_completed_course_is_said_and_may_be_taken_again(teacher):
    session = f.SessionFactory(course__code="sel-101")
    f.CompletionFactory(staff=teacher, course=session.course, completed_on=dt.date(2026, 1, 14))

    before = said(teacher, session)

    assert before.action == eligibility.ENROLL
    assert before.completed_words == "You completed this course on January 14, 2026."


def test_the_registration_window_is_said_before_the_click(teacher):
    session = f.SessionFactory(registration_opens_at=at(3))

    before = said(teacher, session)

    assert before.code == r.REGISTRATION_NOT_OPEN
    assert before.reason == refusal_of(enroll, teacher, session).message


@pytest.mark.parametrize(
    "case",
    ["open", "full", "approval", "prerequisite", "audience", "clash", "closed", "completed before"],
)
def test_what_the_page_says_is_what_the_service_does(teacher, case, principal_position):
    """One source: for each case, the action said before the click is taken, or the refusal said
    is the one the service gives."""
    session = f.SessionFactory()
    meeting(session, 6)
    if case == "full":
        session.capacity = 1
        session.save()
        f.EnrollmentFactory(session=session)
    elif case == "approval":
        session.requires_approval = True
        session.save()
    elif case == "prerequisite":
        session.course.prerequisites.add(f.CourseFactory())
    elif case == "audience":
        session.audience_positions.add(principal_position)
    elif case == "clash":
        other = f.SessionFactory()
        meeting(other, 6, hour=17)
        enroll(teacher, other)
    elif case == "closed":
        session.registration_closes_at = timezone.now() - dt.timedelta(hours=1)
        session.save()
    elif case == "completed before":
        f.CompletionFactory(staff=teacher, course=session.course)

    before = said(teacher, session)
    try:
        placement = enroll(teacher, session)
    except Refusal as refusal:
        assert before.action is None, case
        assert (before.code, before.reason) == (refusal.code, refusal.message)
    else:
        assert before.action is not None, case
        expected = {
            eligibility.ENROLL: EnrollmentStatus.ENROLLED,
            eligibility.REQUEST: EnrollmentStatus.PENDING_APPROVAL,
            eligibility.WAITLIST: EnrollmentStatus.WAITLISTED,
        }[before.action]
        assert placement.status == expected


def test_the_facts_and_the_rules_take_the_same_queries_for_5_sessions_and_for_50(teacher):
    def count(n: int) -> int:
        for _ in range(n - Session.objects.count() // 2):
            session = f.SessionFactory()
            meeting(session, 4)
            session.course.prerequisites.add(f.CourseFactory())
            f.EnrollmentFactory(staff=teacher, session=f.SessionFactory())
            f.CompletionFactory(staff=teacher, course=session.course)
        with CaptureQueriesContext(connection) as queries:
            facts = eligibility.person_facts(teacher)
            sessions = list(eligibility.with_rules(with_seats(Session.objects.all())))
            eligibility.eligibilities(facts, sessions, now=timezone.now())
        return len(queries)

    assert count(5) == count(50)

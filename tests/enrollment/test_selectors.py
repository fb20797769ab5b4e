"""The enrollment reads: seats and waitlist positions as annotations, a person's own learning and
transcript, the evaluation summary that hides small samples, scoping by role, and query counts
that do not grow with rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Session
from enrollment import selectors
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests import factories as f

pytestmark = pytest.mark.django_db

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED
PENDING = EnrollmentStatus.PENDING_APPROVAL


def at(days: int, hour: int = 16) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f.local(day.year, day.month, day.day, hour)


def meeting(session, days: int, hour: int = 16):
    starts_at = at(days, hour)
    return f.MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
    )


def fresh(user: User) -> User:
    """The user as a new request would load it, with no role cached on it."""
    return User.objects.get(pk=user.pk)


# Seats and waitlist positions


def test_seats_left_do_not_count_expired_approval_holds():
    session = f.SessionFactory(capacity=4)
    f.EnrollmentFactory(session=session, status=ENROLLED)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.COMPLETED)
    f.EnrollmentFactory(session=session, status=PENDING, hold_expires_at=at(2))
    f.EnrollmentFactory(session=session, status=PENDING, hold_expires_at=at(-1))
    f.EnrollmentFactory.create_batch(2, session=session, status=WAITLISTED)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)

    row = selectors.sessions_with_seats(Session.objects.filter(pk=session.pk)).get()

    assert (row.seats_taken, row.seats_left, row.waitlist_length) == (3, 1, 2)
    assert selectors.seats_taken(session, now=timezone.now()) == 3
    # Once the hold of the other request runs out too, its seat is free as well.
    assert selectors.seats_taken(session, now=at(3)) == 2


def test_seats_left_is_never_negative():
    session = f.SessionFactory(capacity=1)
    f.EnrollmentFactory.create_batch(3, session=session, status=ENROLLED)
    row = selectors.sessions_with_seats(Session.objects.filter(pk=session.pk)).get()
    assert (row.seats_taken, row.seats_left) == (3, 0)


def test_waitlist_position_is_first_come_first_served_per_session():
    session = f.SessionFactory(capacity=1)
    asked = timezone.now()
    seated = f.EnrollmentFactory(session=session, status=ENROLLED)
    third = f.EnrollmentFactory(session=session, status=WAITLISTED, requested_at=asked)
    first = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=asked - dt.timedelta(hours=1)
    )
    # Asked at the same moment as `first`, but later by id.
    second = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=first.requested_at
    )
    elsewhere = f.EnrollmentFactory(status=WAITLISTED, requested_at=asked + dt.timedelta(hours=1))

    positions = dict(
        selectors.with_waitlist_position(Enrollment.objects.all()).values_list(
            "pk", "waitlist_position"
        )
    )

    assert positions == {seated.pk: None, first.pk: 1, second.pk: 2, third.pk: 3, elsewhere.pk: 1}
    for enrollment in (first, second, third):
        assert selectors.waitlist_position(enrollment) == positions[enrollment.pk]


# A person's own learning


def this_school_year() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = dt.date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    return start, dt.date(start.year + 1, 6, 30)


def test_my_learning_sorts_places_by_what_they_wait_for(teacher):
    starts_on, ends_on = this_school_year()
    f.PlanYearFactory(name="This year", starts_on=starts_on, ends_on=ends_on)

    def place(status=ENROLLED, days=10, **course):
        session = f.SessionFactory(**{f"course__{k}": v for k, v in course.items()})
        meeting(session, days)
        return f.EnrollmentFactory(staff=teacher, session=session, status=status)

    upcoming = place(days=10)
    pending = place(status=PENDING, days=12)
    waitlisted = place(status=WAITLISTED, days=14)
    due = place(days=-3, evaluation_required=True)
    evaluated = place(days=-4, evaluation_required=True)
    f.EvaluationFactory(enrollment=evaluated)
    over = place(days=-5)
    place(status=EnrollmentStatus.WITHDRAWN)
    place(status=EnrollmentStatus.COMPLETED, days=-20)
    today = timezone.localdate()
    counted = f.CompletionFactory(staff=teacher, completed_on=today, clock_hours=Decimal("2.5"))
    f.CompletionFactory(
        staff=teacher,
        completed_on=today,
        clock_hours=Decimal("7"),
        voided_at=timezone.now(),
        void_reason="Wrong person",
    )
    f.CompletionFactory(staff=teacher, completed_on=starts_on - dt.timedelta(days=1))

    page = selectors.my_learning(staff=teacher)

    assert page.school_year.name == "This year"
    assert page.upcoming == [upcoming]
    assert page.pending == [pending]
    assert page.waitlisted == [waitlisted]
    assert page.waitlisted[0].waitlist_position == 1
    assert page.awaiting_evaluation == [due]
    assert "evaluation due" in page.awaiting_evaluation[0].missing
    assert page.in_progress == [over, evaluated]
    assert page.in_progress[0].missing == ["1 meeting to attend"]
    assert page.completed == [counted]
    assert page.hours_this_year == Decimal("2.5")


def test_transcript_groups_completions_by_plan_year_and_leaves_voided_hours_out(teacher):
    plan = f.PlanFactory(starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2027, 6, 30))
    f.PlanYearFactory(
        plan=plan, name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30)
    )
    f.PlanYearFactory(
        plan=plan, name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30)
    )
    older = f.CompletionFactory(
        staff=teacher, completed_on=dt.date(2025, 10, 1), clock_hours=Decimal("3")
    )
    recent = f.CompletionFactory(
        staff=teacher, completed_on=dt.date(2026, 10, 1), clock_hours=Decimal("2")
    )
    voided = f.CompletionFactory(
        staff=teacher,
        completed_on=dt.date(2026, 11, 1),
        clock_hours=Decimal("5"),
        voided_at=timezone.now(),
        void_reason="Entered twice",
    )
    before_plan = f.CompletionFactory(
        staff=teacher, completed_on=dt.date(2024, 9, 1), clock_hours=Decimal("1")
    )
    f.CompletionFactory(completed_on=dt.date(2026, 10, 1))  # someone else's
    in_progress = [
        f.EnrollmentFactory(staff=teacher, status=status)
        for status in (ENROLLED, PENDING, WAITLISTED)
    ]
    f.EnrollmentFactory(staff=teacher, status=EnrollmentStatus.WITHDRAWN)

    transcript = selectors.transcript(staff=teacher)

    assert [
        (year.school_year.name, [c.pk for c in year.completions], year.clock_hours)
        for year in transcript.years
    ] == [
        ("2026-27", [voided.pk, recent.pk], Decimal("2")),
        ("2025-26", [older.pk], Decimal("3")),
        ("2024-25", [before_plan.pk], Decimal("1")),
    ]
    assert transcript.clock_hours == Decimal("6")
    assert sorted(e.pk for e in transcript.in_progress) == sorted(e.pk for e in in_progress)


# Evaluations in aggregate


def test_evaluation_summary_hides_results_below_the_minimum(settings):
    settings.EVALUATION_MIN_RESPONSES = 3
    session = f.SessionFactory()
    ratings = [(5, 4, 3, "Useful"), (3, 4, 5, ""), (4, 4, 4, "A great day")]
    enrollments = f.EnrollmentFactory.create_batch(4, session=session)
    f.EnrollmentFactory(session=session, status=WAITLISTED)
    for enrollment, (content, facilitator, relevance, comment) in zip(
        enrollments[:2], ratings[:2], strict=True
    ):
        f.EvaluationFactory(
            enrollment=enrollment,
            content_rating=content,
            facilitator_rating=facilitator,
            relevance_rating=relevance,
            comment=comment,
        )

    summary = selectors.evaluation_summary(session=session)

    assert (summary.responses, summary.participants, summary.minimum) == (2, 4, 3)
    assert not summary.shown
    assert set(summary.averages.values()) == {None}
    assert summary.comments == []

    content, facilitator, relevance, comment = ratings[2]
    f.EvaluationFactory(
        enrollment=enrollments[2],
        content_rating=content,
        facilitator_rating=facilitator,
        relevance_rating=relevance,
        comment=comment,
    )
    summary = selectors.evaluation_summary(session=session)

    assert summary.shown
    assert summary.averages == {
        "content_rating": 4.0,
        "facilitator_rating": 4.0,
        "relevance_rating": 4.0,
    }
    # Sorted, not in the order given, so the order names nobody.
    assert summary.comments == ["A great day", "Useful"]


# Scoping by role


@pytest.fixture
def district(teacher, leader, facilitator, building, other_building):
    colleague = f.StaffMemberFactory(building=building)
    outsider = f.StaffMemberFactory(building=other_building)
    facilitated = f.SessionFactory()
    facilitated.facilitators.add(facilitator)
    return {
        "teacher": f.EnrollmentFactory(staff=teacher),
        "colleague": f.EnrollmentFactory(staff=colleague),
        "leader": f.EnrollmentFactory(staff=leader),
        "outsider": f.EnrollmentFactory(staff=outsider),
        "roster": f.EnrollmentFactory(staff=f.StaffMemberFactory(), session=facilitated),
    }


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("teacher", {"teacher"}),
        ("leader", {"teacher", "colleague", "leader"}),
        ("facilitator", {"roster"}),
        ("district_pd", {"teacher", "colleague", "leader", "outsider", "roster"}),
        # HR keeps staff records, not their learning.
        ("hr", {"own"}),
    ],
)
def test_enrollment_list_is_scoped_by_role(request, district, role, sees):
    staff = request.getfixturevalue(role)
    user = staff.user
    if role == "hr":
        district["own"] = f.EnrollmentFactory(staff=staff)
    shown = set(selectors.enrollment_list(user=user).values_list("pk", flat=True))
    assert shown == {district[name].pk for name in sees}


def test_enrollment_list_shows_nothing_to_anonymous(district):
    assert not selectors.enrollment_list(user=AnonymousUser()).exists()


# Query counts do not grow with rows


def count_queries(read) -> int:
    with CaptureQueriesContext(connection) as queries:
        read()
    return len(queries)


def read_enrollment_list(user):
    for enrollment in selectors.enrollment_list(user=fresh(user)):
        _ = (
            enrollment.staff.building,
            enrollment.session.course.strand,
            enrollment.session.building,
            enrollment.waitlist_position,
            enrollment.first_starts_at,
            enrollment.has_evaluation,
        )


def add_enrollments(count: int, session=None):
    for i in range(count):
        status = (ENROLLED, WAITLISTED, PENDING, EnrollmentStatus.COMPLETED)[i % 4]
        enrollment = f.EnrollmentFactory(
            session=session or f.SessionFactory(), status=status, hold_expires_at=at(3)
        )
        for meeting_ in enrollment.session.meetings.all():
            f.AttendanceFactory(enrollment=enrollment, meeting=meeting_)


def test_enrollment_list_queries_are_the_same_for_3_and_30_rows(district_pd):
    add_enrollments(3)
    three = count_queries(lambda: read_enrollment_list(district_pd.user))
    add_enrollments(27)
    assert count_queries(lambda: read_enrollment_list(district_pd.user)) == three


def test_roster_queries_are_the_same_for_3_and_30_rows():
    session = f.SessionFactory(capacity=100)
    meetings = [meeting(session, -3), meeting(session, -2)]

    def read():
        roster = selectors.roster(session=session)
        for row in roster.rows:
            _ = (row.enrollment.staff.building, row.marks, row.enrollment.attended_count)
        for enrollment in roster.waitlist + roster.pending:
            _ = (enrollment.staff, enrollment.waitlist_position)
        return roster

    add_enrollments(3, session=session)
    three = count_queries(read)
    add_enrollments(27, session=session)
    assert count_queries(read) == three
    roster = read()
    assert len(roster.rows) + len(roster.waitlist) + len(roster.pending) == 30
    assert {tuple(row.marks) for row in roster.rows} == {tuple(m.pk for m in meetings)}


def test_transcript_queries_are_the_same_for_3_and_30_rows(teacher):
    f.PlanYearFactory()

    def add(count: int):
        for i in range(count):
            session = f.SessionFactory()
            session.facilitators.add(f.StaffMemberFactory(), f.StaffMemberFactory())
            enrollment = f.EnrollmentFactory(
                staff=teacher, session=session, status=EnrollmentStatus.COMPLETED
            )
            f.CompletionFactory(
                staff=teacher,
                course=session.course,
                enrollment=enrollment,
                completed_on=dt.date(2026, 9, 1) + dt.timedelta(days=i * 20),
                voided_at=timezone.now() if i % 3 == 0 else None,
                void_reason="Entered twice" if i % 3 == 0 else "",
            )
            f.EnrollmentFactory(staff=teacher, status=WAITLISTED)

    def read():
        transcript = selectors.transcript(staff=teacher)
        for year in transcript.years:
            for completion in year.completions:
                _ = (
                    completion.course.strand,
                    list(completion.enrollment.session.facilitators.all()),
                    completion.voided_by,
                )
            _ = year.clock_hours
        for enrollment in transcript.in_progress:
            _ = (enrollment.session.course, enrollment.waitlist_position)

    add(3)
    three = count_queries(read)
    add(27)
    assert count_queries(read) == three

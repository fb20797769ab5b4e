"""Many people clicking at once against the real database: each thread has its own connection
and transaction, as each web request would. The session row lock (PostgreSQL) or the IMMEDIATE
transaction (SQLite) serializes the writers, so seats are never overbooked, the waitlist keeps
its order and nobody sees an error."""

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Session
from core import refusals as r
from core.refusals import Refusal
from enrollment import selectors, services
from enrollment.choices import SEAT_HOLDING_STATUSES, EnrollmentStatus
from enrollment.models import Completion, Enrollment
from tests.factories import (
    EnrollmentFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEATS = 5
PEOPLE = 24
HOURS_2 = dt.timedelta(hours=2)


def run_at_once(tasks: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Run every task in its own thread, released together by a barrier. Returns the results
    (None where the task raised) and everything raised."""
    barrier = threading.Barrier(len(tasks))
    results: list[object] = [None] * len(tasks)
    errors: list[BaseException] = []

    def work(index: int, task: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = task()
        except BaseException as error:  # noqa: BLE001 - every failure is reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return results, errors


def people(count: int) -> list[User]:
    """Staff members with their own logins; each thread reads its user afresh, as a request
    would, so no cached role is shared between threads."""
    users = []
    for _ in range(count):
        staff = StaffMemberFactory()
        users.append(login_for(staff))
    return users


def enroll_self(user_id: int, session_id: int) -> Callable[[], services.Placement]:
    def task() -> services.Placement:
        user = User.objects.get(pk=user_id)
        return services.enrollment_create(
            staff=user.staff_member, session=Session.objects.get(pk=session_id), actor=user
        )

    return task


def withdraw_self(user_id: int, enrollment_id: int) -> Callable[[], Enrollment]:
    def task() -> Enrollment:
        user = User.objects.get(pk=user_id)
        return services.enrollment_withdraw(
            enrollment=Enrollment.objects.get(pk=enrollment_id), actor=user
        )

    return task


def waitlist_in_order(session: Session) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(session=session, status=EnrollmentStatus.WAITLISTED).order_by(
            "requested_at", "pk"
        )
    )


def test_many_people_enrolling_at_once_fill_the_seats_then_the_waitlist(mailoutbox):
    session = SessionFactory(capacity=SEATS)
    users = people(PEOPLE)

    results, errors = run_at_once([enroll_self(user.pk, session.pk) for user in users])

    assert errors == []
    statuses = [placement.status for placement in results]
    assert statuses.count(EnrollmentStatus.ENROLLED) == SEATS
    assert statuses.count(EnrollmentStatus.WAITLISTED) == PEOPLE - SEATS
    enrolled = Enrollment.objects.filter(session=session, status=EnrollmentStatus.ENROLLED)
    assert enrolled.count() == SEATS
    assert Enrollment.objects.filter(session=session).count() == PEOPLE

    # First come first served: everyone enrolled asked before everyone waitlisted, and the
    # positions each thread was given are 1..N in the order of asking.
    waitlist = waitlist_in_order(session)
    assert max(e.requested_at for e in enrolled) <= min(e.requested_at for e in waitlist)
    given = {p.enrollment.pk: p.waitlist_position for p in results if p.waitlist_position}
    assert [given[e.pk] for e in waitlist] == list(range(1, PEOPLE - SEATS + 1))
    assert [selectors.waitlist_position(e) for e in waitlist] == list(range(1, PEOPLE - SEATS + 1))

    # Each person was told once, after their own transaction committed.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.staff_member.email for u in users)


def test_withdrawals_at_once_give_each_seat_to_exactly_one_person_in_order(mailoutbox):
    session = SessionFactory(capacity=SEATS)
    leaving = people(SEATS)
    for user in leaving:
        services.enrollment_create(staff=user.staff_member, session=session, actor=user)
    waiting = people(SEATS + 3)
    for user in waiting:
        services.enrollment_create(staff=user.staff_member, session=session, actor=user)
    queue = [e.pk for e in waitlist_in_order(session)]
    enrolled = Enrollment.objects.filter(session=session, status=EnrollmentStatus.ENROLLED)
    mailoutbox.clear()

    tasks = [withdraw_self(e.staff.user_id, e.pk) for e in enrolled.select_related("staff")]
    results, errors = run_at_once(tasks)

    assert errors == []
    assert {e.status for e in results} == {EnrollmentStatus.WITHDRAWN}
    promoted = list(
        Enrollment.objects.filter(session=session, status=EnrollmentStatus.ENROLLED).values_list(
            "pk", flat=True
        )
    )
    assert sorted(promoted) == sorted(queue[:SEATS])
    assert [e.pk for e in waitlist_in_order(session)] == queue[SEATS:]
    held = Enrollment.objects.filter(session=session, status__in=SEAT_HOLDING_STATUSES)
    assert held.count() == SEATS
    subjects = sorted(m.subject.split(":")[0] for m in mailoutbox)
    assert subjects == ["A seat opened for you"] * SEATS + [f"You are withdrawn from {session}"] * (
        SEATS
    )


def test_the_same_person_clicking_twice_at_once_gets_one_place():
    session = SessionFactory(capacity=SEATS)
    (user,) = people(1)

    results, errors = run_at_once([enroll_self(user.pk, session.pk) for _ in range(2)])

    assert [p.status for p in results if p is not None] == [EnrollmentStatus.ENROLLED]
    assert len(errors) == 1
    assert isinstance(errors[0], Refusal)
    assert errors[0].code == r.ALREADY_ENROLLED
    assert errors[0].message == "You already have a place in this session (enrolled)."
    assert Enrollment.objects.filter(session=session).count() == 1


def test_enrolling_and_withdrawing_at_once_never_overbook():
    session = SessionFactory(capacity=SEATS)
    leaving = people(SEATS)
    for user in leaving:
        services.enrollment_create(staff=user.staff_member, session=session, actor=user)
    coming = people(PEOPLE - SEATS)
    enrolled = Enrollment.objects.filter(session=session).select_related("staff")
    tasks = [withdraw_self(e.staff.user_id, e.pk) for e in enrolled]
    tasks += [enroll_self(user.pk, session.pk) for user in coming]

    _, errors = run_at_once(tasks)

    assert errors == []
    held = Enrollment.objects.filter(session=session, status__in=SEAT_HOLDING_STATUSES)
    assert held.count() == SEATS
    waitlist = waitlist_in_order(session)
    assert len(waitlist) == PEOPLE - 2 * SEATS
    assert [selectors.waitlist_position(e) for e in waitlist] == list(range(1, len(waitlist) + 1))


def test_attendance_and_an_enrollment_of_the_same_person_at_once_do_not_deadlock(
    facilitator, facilitated_session
):
    """A facilitator's attendance writes the person's completion while it holds the session; an
    enrollment request of that person holds the person and waits for the session. The person
    lock must not block the completion's reference to the person, or PostgreSQL finds a
    deadlock and one of them fails."""
    session = facilitated_session
    started = timezone.now() - dt.timedelta(hours=1)
    meeting = MeetingFactory(session=session, starts_at=started, ends_at=started + HOURS_2)
    (user,) = people(1)
    enrollment = EnrollmentFactory(staff=user.staff_member, session=session)
    session_held = threading.Event()

    def take_attendance():
        with transaction.atomic():
            # A slow writer: it holds the session while the enrollment request arrives.
            Session.objects.select_for_update().get(pk=session.pk)
            session_held.set()
            time.sleep(0.5)
            return services.attendance_record(
                meeting=meeting, marks={enrollment.pk: True}, actor=facilitator.user
            )

    def enroll_again():
        session_held.wait(timeout=30)
        return enroll_self(user.pk, session.pk)()

    results, errors = run_at_once([take_attendance, enroll_again])

    assert [type(error) for error in errors] == [Refusal]
    assert errors[0].code == r.ALREADY_ENROLLED
    assert len(results[0]) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert Completion.objects.filter(enrollment=enrollment).count() == 1


def test_seat_counting_is_serialized_by_the_database_in_use():
    """PostgreSQL locks the session row (FOR UPDATE); SQLite ignores select_for_update, so there
    the IMMEDIATE transaction, which takes the write lock at BEGIN, serializes the writers."""
    session = SessionFactory(capacity=SEATS)
    (user,) = people(1)
    user = User.objects.get(pk=user.pk)
    staff = user.staff_member

    with CaptureQueriesContext(connection) as queries:
        services.enrollment_create(staff=staff, session=session, actor=user)

    sql = [query["sql"] for query in queries.captured_queries]
    locks = [statement for statement in sql if "FOR" in statement and "UPDATE" in statement]
    if connection.vendor == "sqlite":
        assert not connection.features.has_select_for_update
        assert locks == []
        assert sql[0] == "BEGIN IMMEDIATE"
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        # A file, so the busy timeout applies: writers wait for each other rather than fail.
        assert not connection.is_in_memory_db()
        assert connection.settings_dict["OPTIONS"]["timeout"] >= 5
    else:
        assert connection.vendor == "postgresql"
        assert any('FROM "catalog_session"' in s and "FOR UPDATE" in s for s in locks)
        assert any('FROM "learning_staffmember"' in s and "FOR NO KEY UPDATE" in s for s in locks)

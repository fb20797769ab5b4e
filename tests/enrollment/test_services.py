"""The enrollment rules, one by one, through enrollment.services: what each write does, the
refusal (code and message) when a rule says no with nothing written, and who is mailed after
commit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import formats, timezone

from catalog.choices import MeetingStatus, SessionStatus
from core import refusals as r
from core.refusals import Refusal
from enrollment import selectors, services
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation
from learning.access import DISTRICT_PD_GROUP
from learning.choices import StaffStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED
PENDING = EnrollmentStatus.PENDING_APPROVAL


# Helpers


def person(building=None, **fields):
    """A staff member with a login of their own."""
    staff = f.StaffMemberFactory(building=building or f.BuildingFactory(), **fields)
    f.login_for(staff)
    return staff


def at(days: int, hour: int = 16, minute: int = 0) -> dt.datetime:
    """A local time `days` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return f.local(day.year, day.month, day.day, hour, minute)


def meeting(session, days: int, hour: int = 16, hours: int = 2, **fields):
    starts_at = at(days, hour)
    return f.MeetingFactory(
        session=session,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        **fields,
    )


def moment(value: dt.datetime) -> str:
    """How refusals name a moment: "Monday, October 5, 2026, 4:00 PM"."""
    return formats.date_format(timezone.localtime(value), "l, F j, Y, g:i A")


def day(value: dt.date) -> str:
    return formats.date_format(value, "F j, Y")


def enroll(staff, session, actor=None, **kwargs) -> services.Placement:
    return services.enrollment_create(
        staff=staff, session=session, actor=actor or staff.user, **kwargs
    )


def refusal_of(call, *args, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as refused:
        call(*args, **kwargs)
    return refused.value


def sent(mailoutbox) -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mailoutbox]


def status_of(enrollment) -> str:
    return Enrollment.objects.values_list("status", flat=True).get(pk=enrollment.pk)


def snapshot() -> dict:
    """Every row the enrollment rules write, to show a refusal wrote nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Enrollment, Attendance, Evaluation, Completion)
    }


# Capacity and the waitlist


def test_free_seats_enroll_then_the_waitlist_fills_first_come_first_served(mailed):
    session = f.SessionFactory(capacity=2)
    people = [person() for _ in range(4)]

    with mailed as outbox:
        placements = [enroll(staff, session) for staff in people]

    assert [(p.status, p.waitlist_position) for p in placements] == [
        (ENROLLED, None),
        (ENROLLED, None),
        (WAITLISTED, 1),
        (WAITLISTED, 2),
    ]
    assert {p.enrollment.source for p in placements} == {EnrollmentSource.SELF}
    assert sent(outbox) == [
        ([people[0].email], f"You are enrolled: {session}"),
        ([people[1].email], f"You are enrolled: {session}"),
        ([people[2].email], f"You are on the waitlist: {session}"),
        ([people[3].email], f"You are on the waitlist: {session}"),
    ]


def test_waitlist_positions_move_up_when_someone_ahead_leaves():
    session = f.SessionFactory(capacity=1)
    first, *waiting = [person() for _ in range(4)]
    enroll(first, session)
    queue = [enroll(staff, session).enrollment for staff in waiting]
    assert [selectors.waitlist_position(e) for e in queue] == [1, 2, 3]

    services.enrollment_withdraw(enrollment=queue[0], actor=waiting[0].user)

    assert [selectors.waitlist_position(e) for e in queue[1:]] == [1, 2]
    assert selectors.waitlist_position(Enrollment.objects.get(pk=queue[0].pk)) is None


def test_withdrawing_gives_the_seat_to_the_head_of_the_waitlist(mailed):
    session = f.SessionFactory(capacity=1)
    leaving, head, next_ = person(), person(), person()
    seat = enroll(leaving, session).enrollment
    head_place = enroll(head, session).enrollment
    next_place = enroll(next_, session).enrollment

    with mailed as outbox:
        withdrawn = services.enrollment_withdraw(
            enrollment=seat, actor=leaving.user, reason="  A conflict at school "
        )

    assert withdrawn.status == EnrollmentStatus.WITHDRAWN
    stored = Enrollment.objects.get(pk=seat.pk)
    assert (stored.status, stored.acted_by, stored.decision_reason) == (
        EnrollmentStatus.WITHDRAWN,
        leaving.user,
        "A conflict at school",
    )
    assert status_of(head_place) == ENROLLED
    assert selectors.waitlist_position(Enrollment.objects.get(pk=next_place.pk)) == 1
    assert sent(outbox) == [
        ([leaving.email], f"You are withdrawn from {session}"),
        ([head.email], f"A seat opened for you: {session}"),
    ]
    assert "A conflict at school" in outbox[0].body


def test_withdrawing_a_waitlisted_place_promotes_nobody(mailed):
    session = f.SessionFactory(capacity=1)
    seated, waiting = person(), person()
    enroll(seated, session)
    place = enroll(waiting, session).enrollment

    with mailed as outbox:
        services.enrollment_withdraw(enrollment=place, actor=waiting.user)

    assert sent(outbox) == [([waiting.email], f"You are withdrawn from {session}")]
    assert Enrollment.objects.filter(session=session, status=ENROLLED).count() == 1


@pytest.mark.parametrize("status", [EnrollmentStatus.COMPLETED, EnrollmentStatus.INCOMPLETE])
def test_a_finished_enrollment_cannot_be_withdrawn(teacher, status):
    enrollment = f.EnrollmentFactory(staff=teacher, status=status)
    before = snapshot()

    refusal = refusal_of(services.enrollment_withdraw, enrollment=enrollment, actor=teacher.user)

    assert refusal.code == r.NOT_WITHDRAWABLE
    assert refusal.message == r.MSG_NOT_WITHDRAWABLE.format(status=status.label.lower())
    assert snapshot() == before


def test_a_teacher_cannot_withdraw_someone_else(teacher):
    other = f.EnrollmentFactory()
    before = snapshot()

    refusal = refusal_of(services.enrollment_withdraw, enrollment=other, actor=teacher.user)

    assert (refusal.code, refusal.status) == (r.NOT_PERMITTED, 404)
    assert refusal.message == r.MSG_NOT_PERMITTED.format(name=other.staff.display_name)
    assert snapshot() == before


def test_raising_the_capacity_promotes_the_waitlist_in_order(mailed):
    session = f.SessionFactory(capacity=1)
    f.EnrollmentFactory(session=session, status=ENROLLED)
    now = timezone.now()
    # Created in one order, asked in another: requested_at decides.
    last = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=now - dt.timedelta(minutes=1)
    )
    second = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=now - dt.timedelta(minutes=2)
    )
    first = f.EnrollmentFactory(
        session=session, status=WAITLISTED, requested_at=now - dt.timedelta(minutes=3)
    )
    session.capacity = 3
    session.save()

    with mailed as outbox:
        promoted = services.waitlist_fill(session=session)

    assert promoted == [first.pk, second.pk]
    assert [status_of(e) for e in (first, second, last)] == [ENROLLED, ENROLLED, WAITLISTED]
    assert selectors.waitlist_position(Enrollment.objects.get(pk=last.pk)) == 1
    assert sorted(sent(outbox)) == sorted(
        [
            ([first.staff.email], f"A seat opened for you: {session}"),
            ([second.staff.email], f"A seat opened for you: {session}"),
        ]
    )


def test_filling_a_cancelled_session_promotes_nobody():
    session = f.SessionFactory(capacity=3, status=SessionStatus.CANCELLED)
    waiting = f.EnrollmentFactory(session=session, status=WAITLISTED)
    assert services.waitlist_fill(session=session) == []
    assert status_of(waiting) == WAITLISTED


# Registration window


def test_registration_not_yet_open_is_refused_with_the_opening_date(teacher):
    opens_at = at(3, 9)
    session = f.SessionFactory(registration_opens_at=opens_at)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.REGISTRATION_NOT_OPEN
    assert refusal.message == r.MSG_REGISTRATION_NOT_OPEN.format(when=moment(opens_at))
    assert day(opens_at.date()) in refusal.message
    assert not Enrollment.objects.exists()


def test_registration_closed_is_refused_with_the_closing_date(teacher):
    closes_at = at(-2, 17)
    session = f.SessionFactory(registration_closes_at=closes_at)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.REGISTRATION_CLOSED
    assert refusal.message == r.MSG_REGISTRATION_CLOSED.format(when=moment(closes_at))
    assert day(closes_at.date()) in refusal.message
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("window", ["not yet open", "closed"])
def test_district_pd_may_enroll_outside_the_window(teacher, district_pd, window):
    if window == "closed":
        session = f.SessionFactory(registration_closes_at=at(-1))
    else:
        session = f.SessionFactory(registration_opens_at=at(5))

    placement = enroll(teacher, session, actor=district_pd.user, override_window=True)

    assert placement.status == ENROLLED
    assert placement.enrollment.source == EnrollmentSource.ASSIGNED
    assert placement.enrollment.acted_by == district_pd.user


@pytest.mark.parametrize("actor", ["teacher", "leader"])
def test_only_district_pd_may_override_the_window(request, teacher, leader, actor):
    user = request.getfixturevalue(actor).user
    session = f.SessionFactory(registration_closes_at=at(-1))

    refusal = refusal_of(enroll, teacher, session, actor=user, override_window=True)
    assert (refusal.code, refusal.message, refusal.status) == (
        r.NOT_PERMITTED,
        r.MSG_OVERRIDE_NOT_PERMITTED,
        403,
    )
    if actor == "leader":
        refusal = refusal_of(
            services.enrollments_assign,
            staff=[teacher],
            session=session,
            actor=user,
            override_window=True,
        )
        assert refusal.message == r.MSG_OVERRIDE_NOT_PERMITTED
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    ("state", "code", "message"),
    [
        ("draft", r.SESSION_DRAFT, r.MSG_SESSION_DRAFT),
        ("cancelled", r.SESSION_CANCELLED, r.MSG_SESSION_CANCELLED),
        ("ended", r.SESSION_ENDED, r.MSG_SESSION_ENDED),
    ],
)
def test_a_session_not_on_offer_takes_no_one(teacher, district_pd, state, code, message):
    status = {"draft": SessionStatus.DRAFT, "cancelled": SessionStatus.CANCELLED}
    session = f.SessionFactory(status=status.get(state, SessionStatus.PUBLISHED))
    if state == "ended":
        meeting(session, -3)

    for actor, override in ((teacher.user, False), (district_pd.user, True)):
        refusal = refusal_of(enroll, teacher, session, actor=actor, override_window=override)
        assert (refusal.code, refusal.message) == (code, message)
    assert not Enrollment.objects.exists()


# Prerequisites


@pytest.fixture
def advanced_course():
    foundations = f.CourseFactory(code="crt-101", title="Culturally Responsive Foundations")
    circles = f.CourseFactory(code="rp-101", title="Restorative Circles")
    course = f.CourseFactory(code="crt-201")
    course.prerequisites.set([circles, foundations])
    return course, foundations, circles


def test_missing_prerequisites_are_named(teacher, advanced_course):
    course, foundations, circles = advanced_course
    session = f.SessionFactory(course=course)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.PREREQUISITES_MISSING
    assert refusal.message == r.MSG_PREREQUISITES_MISSING_MANY.format(
        courses="CRT-101 Culturally Responsive Foundations; RP-101 Restorative Circles"
    )
    assert refusal.details == {"courses": ["crt-101", "rp-101"]}
    assert not Enrollment.objects.exists()


def test_a_voided_prerequisite_completion_does_not_count(teacher, advanced_course):
    course, foundations, circles = advanced_course
    f.CompletionFactory(staff=teacher, course=foundations)
    f.CompletionFactory(
        staff=teacher, course=circles, voided_at=timezone.now(), void_reason="Wrong person"
    )
    session = f.SessionFactory(course=course)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.message == r.MSG_PREREQUISITES_MISSING.format(
        courses="RP-101 Restorative Circles"
    )
    assert not Enrollment.objects.exists()

    f.CompletionFactory(staff=teacher, course=circles)
    assert enroll(teacher, session).status == ENROLLED


# Schedule conflicts


@pytest.fixture
def busy_teacher(teacher):
    """The teacher is enrolled in a session meeting in two weeks from 4 to 6 PM."""
    session = f.SessionFactory(course__title="Restorative Circles", title="Cohort A")
    clash = meeting(session, 14, hour=16)
    enrollment = f.EnrollmentFactory(staff=teacher, session=session)
    return teacher, enrollment, clash


def test_an_overlapping_meeting_is_refused_naming_the_session_and_time(busy_teacher):
    teacher, enrollment, clash = busy_teacher
    session = f.SessionFactory()
    meeting(session, 10)
    meeting(session, 14, hour=17)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.SCHEDULE_CONFLICT
    # Said to the teacher, who asked for the place herself.
    assert refusal.message == (
        f"This clashes with Restorative Circles — Cohort A on {moment(clash.starts_at)}, "
        "where you are enrolled."
    )
    assert refusal.details == {"session": enrollment.session_id, "meeting": clash.pk}
    assert Enrollment.objects.filter(staff=teacher).count() == 1


def test_a_clash_met_by_whoever_assigns_names_the_person(busy_teacher, leader):
    teacher, _enrollment, clash = busy_teacher
    session = f.SessionFactory()
    meeting(session, 14, hour=17)

    refusal = refusal_of(enroll, teacher, session, actor=leader.user)

    assert refusal.message == (
        f"This clashes with Restorative Circles — Cohort A on {moment(clash.starts_at)}, "
        f"where {teacher.display_name} is enrolled."
    )


@pytest.mark.parametrize(
    "change",
    [
        "their meeting is cancelled",
        "their session is cancelled",
        "they withdrew",
        "the new meeting is cancelled",
        "the meetings only touch",
    ],
)
def test_no_clash_with_what_will_not_take_place(busy_teacher, change):
    teacher, enrollment, clash = busy_teacher
    session = f.SessionFactory()
    new = meeting(session, 14, hour=18 if change == "the meetings only touch" else 17)
    if change == "their meeting is cancelled":
        clash.status = MeetingStatus.CANCELLED
        clash.save()
    elif change == "their session is cancelled":
        enrollment.session.status = SessionStatus.CANCELLED
        enrollment.session.save()
    elif change == "they withdrew":
        enrollment.status = EnrollmentStatus.WITHDRAWN
        enrollment.save()
    elif change == "the new meeting is cancelled":
        new.status = MeetingStatus.CANCELLED
        new.save()

    assert enroll(teacher, session).status == ENROLLED


# Audience


def test_a_group_session_takes_only_its_members(teacher):
    member = person()
    group = f.StaffGroupFactory(name="Advisory Committee", members=[member])
    session = f.SessionFactory(restricted_to_group=group)

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.NOT_IN_AUDIENCE
    assert refusal.message == r.MSG_NOT_IN_AUDIENCE.format(group="Advisory Committee")
    assert not Enrollment.objects.exists()
    assert enroll(member, session).status == ENROLLED


# Approval


@pytest.fixture
def approval_session():
    return f.SessionFactory(capacity=1, course__requires_approval=True)


def test_a_request_waits_for_approval_holding_a_seat(
    settings, mailed, teacher, leader, building, approval_session
):
    settings.APPROVAL_HOLD_DAYS = 2
    second_leader = person(building=building, leads=[building])
    person(leads=[f.BuildingFactory()])  # leads another building: not asked
    now = timezone.now()

    with mailed as outbox:
        placement = enroll(teacher, approval_session, now=now)

    enrollment = placement.enrollment
    assert enrollment.status == PENDING
    assert enrollment.hold_expires_at == now + dt.timedelta(days=2)
    assert (enrollment.approved_at, enrollment.approved_by) == (None, None)
    assert [(sorted(m.to), m.subject) for m in outbox] == [
        ([teacher.email], f"Waiting for approval: {approval_session}"),
        (
            sorted([leader.email, second_leader.email]),
            f"Approval requested: Tess Teacher for {approval_session}",
        ),
    ]
    # The held seat counts: the next person waits.
    assert enroll(person(), approval_session).status == WAITLISTED


def test_a_session_may_ask_for_approval_itself(teacher):
    session = f.SessionFactory(requires_approval=True)
    assert enroll(teacher, session).status == PENDING


def test_the_building_leader_approves(mailed, teacher, leader, approval_session):
    pending = enroll(teacher, approval_session).enrollment

    with mailed as outbox:
        approved = services.enrollment_approve(enrollment=pending, actor=leader.user)

    stored = Enrollment.objects.get(pk=pending.pk)
    assert approved.status == stored.status == ENROLLED
    assert (stored.approved_by, stored.acted_by, stored.hold_expires_at) == (
        leader.user,
        leader.user,
        None,
    )
    assert stored.approved_at is not None
    assert sent(outbox) == [([teacher.email], f"Approved: {approval_session}")]


def test_declining_needs_a_reason_and_frees_the_seat(mailed, teacher, leader, approval_session):
    pending = enroll(teacher, approval_session).enrollment
    waiting = person(building=teacher.building)
    waiting_place = enroll(waiting, approval_session).enrollment
    before = snapshot()

    for reason in ("", "   "):
        refusal = refusal_of(
            services.enrollment_decline, enrollment=pending, actor=leader.user, reason=reason
        )
        assert (refusal.code, refusal.message) == (r.REASON_REQUIRED, r.MSG_DECLINE_NEEDS_REASON)
    assert snapshot() == before

    with mailed as outbox:
        services.enrollment_decline(
            enrollment=pending, actor=leader.user, reason="No substitute that day"
        )

    stored = Enrollment.objects.get(pk=pending.pk)
    assert (stored.status, stored.decision_reason, stored.acted_by) == (
        EnrollmentStatus.DECLINED,
        "No substitute that day",
        leader.user,
    )
    # The seat goes to the head of the waitlist, who still needs approval in turn.
    promoted = Enrollment.objects.get(pk=waiting_place.pk)
    assert promoted.status == PENDING
    assert promoted.hold_expires_at is not None
    assert sent(outbox) == [
        ([teacher.email], f"Not approved: {approval_session}"),
        ([waiting.email], f"A seat opened for you: {approval_session}"),
        # The promoted request needs approval in turn: the building's leaders are asked.
        ([leader.email], f"Approval requested: {waiting.display_name} for {approval_session}"),
    ]
    assert "No substitute that day" in outbox[0].body


def test_district_pd_approves_anyone(district_pd, other_building, approval_session):
    elsewhere = person(building=other_building)
    pending = enroll(elsewhere, approval_session).enrollment
    services.enrollment_approve(enrollment=pending, actor=district_pd.user)
    assert status_of(pending) == ENROLLED


def test_a_leader_cannot_approve_their_own_request(leader, approval_session):
    own = enroll(leader, approval_session).enrollment
    assert own.status == PENDING
    before = snapshot()

    for decide in (services.enrollment_approve, services.enrollment_decline):
        kwargs = {"reason": "Fine"} if decide is services.enrollment_decline else {}
        refusal = refusal_of(decide, enrollment=own, actor=leader.user, **kwargs)
        assert (refusal.code, refusal.status) == (r.NOT_PERMITTED, 404)
        assert refusal.message == r.MSG_NOT_PERMITTED.format(name=leader.display_name)
    assert snapshot() == before


def test_a_leader_cannot_approve_another_buildings_staff(leader, other_building, approval_session):
    elsewhere = person(building=other_building)
    pending = enroll(elsewhere, approval_session).enrollment
    before = snapshot()

    refusal = refusal_of(services.enrollment_approve, enrollment=pending, actor=leader.user)

    assert refusal.code == r.NOT_PERMITTED
    assert refusal.message == r.MSG_NOT_PERMITTED.format(name=elsewhere.display_name)
    assert snapshot() == before


def test_a_teacher_cannot_approve_their_own_request(teacher, approval_session):
    pending = enroll(teacher, approval_session).enrollment
    refusal = refusal_of(services.enrollment_approve, enrollment=pending, actor=teacher.user)
    assert refusal.code == r.NOT_PERMITTED
    assert status_of(pending) == PENDING


def test_only_a_pending_request_is_approved(teacher, leader):
    enrollment = f.EnrollmentFactory(staff=teacher, status=ENROLLED)
    refusal = refusal_of(services.enrollment_approve, enrollment=enrollment, actor=leader.user)
    assert (refusal.code, refusal.message) == (
        r.NOT_PENDING,
        r.MSG_NOT_PENDING.format(status="enrolled"),
    )


def test_a_leader_assigning_their_staff_approves_at_once(teacher, leader, approval_session):
    placement = enroll(teacher, approval_session, actor=leader.user)
    assert placement.status == ENROLLED
    assert (placement.enrollment.approved_by, placement.enrollment.source) == (
        leader.user,
        EnrollmentSource.ASSIGNED,
    )


# Expired approval holds


def test_an_expired_hold_lapses_frees_the_seat_and_promotes_the_head(
    mailed, settings, teacher, approval_session
):
    asked_at = timezone.now()
    pending = enroll(teacher, approval_session, now=asked_at).enrollment
    waiting = person()
    waiting_place = enroll(waiting, approval_session, now=asked_at).enrollment
    still_on = f.EnrollmentFactory(status=PENDING, hold_expires_at=asked_at + dt.timedelta(days=9))
    later = asked_at + dt.timedelta(days=settings.APPROVAL_HOLD_DAYS, minutes=1)

    with mailed as outbox:
        lapsed = services.approval_holds_lapse(now=later)

    assert lapsed == 1
    stored = Enrollment.objects.get(pk=pending.pk)
    assert (stored.status, stored.acted_by) == (EnrollmentStatus.DECLINED, None)
    assert stored.decision_reason == r.MSG_APPROVAL_LAPSED.format(days=settings.APPROVAL_HOLD_DAYS)
    promoted = Enrollment.objects.get(pk=waiting_place.pk)
    assert promoted.status == PENDING
    assert promoted.hold_expires_at == later + dt.timedelta(days=settings.APPROVAL_HOLD_DAYS)
    assert status_of(still_on) == PENDING
    assert sent(outbox) == [
        ([teacher.email], f"Your request lapsed: {approval_session}"),
        ([waiting.email], f"A seat opened for you: {approval_session}"),
    ]
    assert services.approval_holds_lapse(now=later) == 0


def test_approving_after_the_hold_expired_is_refused(teacher, leader, approval_session):
    asked_at = timezone.now() - dt.timedelta(days=10)
    pending = enroll(teacher, approval_session, now=asked_at).enrollment
    before = snapshot()

    refusal = refusal_of(services.enrollment_approve, enrollment=pending, actor=leader.user)

    assert (refusal.code, refusal.message) == (
        r.APPROVAL_LAPSED,
        r.MSG_APPROVAL_LAPSED.format(days=5),
    )
    assert snapshot() == before


def test_an_expired_hold_no_longer_blocks_the_seat(teacher, approval_session):
    asked_at = timezone.now() - dt.timedelta(days=10)
    pending = enroll(teacher, approval_session, now=asked_at).enrollment
    newcomer = person()

    # The newcomer's request lapses the old one on the way and takes its seat.
    assert enroll(newcomer, approval_session).status == PENDING
    assert status_of(pending) == EnrollmentStatus.DECLINED


# Assignment


def test_a_leader_assigns_in_bulk_with_a_result_per_person(
    mailed, leader, building, other_building
):
    session = f.SessionFactory(capacity=2)
    first, second, third = (person(building=building, last_name=n) for n in ("Ames", "Bo", "Cy"))
    elsewhere = person(building=other_building)
    gone = person(building=building, status=StaffStatus.SEPARATED)

    with mailed as outbox:
        results = services.enrollments_assign(
            staff=[first, second, elsewhere, gone, third, first],
            session=session,
            actor=leader.user,
        )

    assert [(result.staff, result.outcome) for result in results] == [
        (first, ENROLLED),
        (second, ENROLLED),
        (elsewhere, "refused"),
        (gone, "refused"),
        (third, WAITLISTED),
    ]
    assert results[4].placement.waitlist_position == 1
    assert (results[2].refusal.code, results[2].refusal.message) == (
        r.NOT_PERMITTED,
        r.MSG_NOT_PERMITTED.format(name=elsewhere.display_name),
    )
    assert (results[3].refusal.code, results[3].refusal.message) == (
        r.STAFF_SEPARATED,
        r.MSG_STAFF_SEPARATED.format(name=gone.display_name),
    )
    enrollments = Enrollment.objects.filter(session=session)
    assert {e.staff_id for e in enrollments} == {first.pk, second.pk, third.pk}
    assert {(e.source, e.acted_by) for e in enrollments} == {
        (EnrollmentSource.ASSIGNED, leader.user)
    }
    assert [m.to for m in outbox] == [[first.email], [second.email], [third.email]]


def test_assigning_everyone_of_a_building_or_position_in_scope(leader, building, district_pd):
    counselor = f.PositionFactory(code="counselor")
    teachers = [person(building=building) for _ in range(2)]
    counselors = [person(building=building, position=counselor)]
    person(building=building, status=StaffStatus.SEPARATED)
    person(position=counselor)  # another building: out of the leader's scope
    session = f.SessionFactory(capacity=50)

    everyone = selectors.assignable_staff(user=leader.user, building=building)
    results = services.enrollments_assign(staff=everyone, session=session, actor=leader.user)
    assert {result.staff for result in results} == {*teachers, *counselors, leader}
    assert {result.outcome for result in results} == {ENROLLED}

    by_position = selectors.assignable_staff(user=district_pd.user, position=counselor)
    results = services.enrollments_assign(staff=by_position, session=session, actor=leader.user)
    assert [result.outcome for result in results] == ["refused", "refused"]
    assert {result.refusal.code for result in results} == {r.ALREADY_ENROLLED, r.NOT_PERMITTED}


def test_one_refusal_does_not_undo_the_others(district_pd, teacher):
    session = f.SessionFactory(capacity=5)
    f.EnrollmentFactory(staff=teacher, session=session)
    newcomer = person()

    results = services.enrollments_assign(
        staff=[teacher, newcomer], session=session, actor=district_pd.user
    )

    assert [result.outcome for result in results] == ["refused", ENROLLED]
    assert results[0].refusal.code == r.ALREADY_ENROLLED
    assert Enrollment.objects.filter(session=session).count() == 2


# Duplicates, separated staff, permission


@pytest.mark.parametrize("first_status", [ENROLLED, WAITLISTED])
def test_a_second_place_in_the_same_session_is_refused_not_an_integrity_error(
    teacher, first_status
):
    session = f.SessionFactory(capacity=1)
    if first_status == WAITLISTED:
        enroll(person(), session)
    first = enroll(teacher, session).enrollment
    before = snapshot()

    refusal = refusal_of(enroll, teacher, session)

    assert refusal.code == r.ALREADY_ENROLLED
    assert refusal.message == (
        f"You already have a place in this session ({first_status.label.lower()})."
    )
    assert refusal.details == {"enrollment": first.pk, "status": first_status}
    assert snapshot() == before


def test_enrolling_again_after_withdrawing(teacher):
    session = f.SessionFactory()
    first = enroll(teacher, session).enrollment
    services.enrollment_withdraw(enrollment=first, actor=teacher.user)
    again = enroll(teacher, session).enrollment
    assert again.pk != first.pk
    assert again.status == ENROLLED


def test_separated_staff_are_refused(district_pd):
    gone = person(status=StaffStatus.SEPARATED)
    session = f.SessionFactory()

    refusal = refusal_of(enroll, gone, session, actor=district_pd.user)
    assert (refusal.code, refusal.message) == (
        r.STAFF_SEPARATED,
        r.MSG_STAFF_SEPARATED.format(name=gone.display_name),
    )
    # Their own login no longer acts for them.
    refusal = refusal_of(enroll, gone, session)
    assert refusal.code == r.NOT_PERMITTED
    assert not Enrollment.objects.exists()


def test_a_teacher_cannot_enroll_someone_else(teacher):
    other = person(building=teacher.building)
    refusal = refusal_of(enroll, other, f.SessionFactory(), actor=teacher.user)
    assert (refusal.code, refusal.status) == (r.NOT_PERMITTED, 404)
    assert refusal.message == r.MSG_NOT_PERMITTED.format(name=other.display_name)
    assert not Enrollment.objects.exists()


# Cancelling a session or a meeting


def test_cancelling_a_session_cancels_its_live_enrollments_and_tells_them(mailed, district_pd):
    session = f.SessionFactory(capacity=3)
    meetings = [meeting(session, 7), meeting(session, 14)]
    live = [
        f.EnrollmentFactory(session=session, status=ENROLLED),
        f.EnrollmentFactory(session=session, status=WAITLISTED),
        f.EnrollmentFactory(session=session, status=PENDING, hold_expires_at=at(3)),
    ]
    done = f.EnrollmentFactory(session=session, status=EnrollmentStatus.COMPLETED)
    gone = f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)
    untouched = {e.pk: Enrollment.objects.values().get(pk=e.pk) for e in (done, gone)}

    with mailed as outbox:
        count = services.session_cancel(
            session=session, actor=district_pd.user, reason="  The facilitator is ill "
        )

    assert count == 3
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    for enrollment in Enrollment.objects.filter(pk__in=[e.pk for e in live]):
        assert enrollment.status == EnrollmentStatus.CANCELLED
        assert enrollment.decision_reason == "The facilitator is ill"
        assert enrollment.acted_by == district_pd.user
        assert enrollment.hold_expires_at is None
    for pk, values in untouched.items():
        assert Enrollment.objects.values().get(pk=pk) == values
    assert [m.sequence for m in session.meetings.all()] == [1, 1]
    assert all(m.updated_at > meetings[0].updated_at for m in session.meetings.all())
    assert sorted(sent(outbox)) == sorted(([e.staff.email], f"Cancelled: {session}") for e in live)
    assert all("The facilitator is ill" in m.body for m in outbox)
    assert Enrollment.objects.filter(session=session).count() == 5


def test_cancelling_a_session_needs_a_reason_and_happens_once(district_pd):
    session = f.SessionFactory()
    meeting(session, 7)
    enrollment = f.EnrollmentFactory(session=session)
    before = snapshot()

    refusal = refusal_of(
        services.session_cancel, session=session, actor=district_pd.user, reason=" "
    )
    assert (refusal.code, refusal.message) == (r.REASON_REQUIRED, r.MSG_CANCEL_NEEDS_REASON)
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED
    assert session.meetings.get().sequence == 0
    assert snapshot() == before

    services.session_cancel(session=session, actor=district_pd.user, reason="Low numbers")
    refusal = refusal_of(
        services.session_cancel, session=session, actor=district_pd.user, reason="Again"
    )
    assert (refusal.code, refusal.message) == (r.ALREADY_CANCELLED, r.MSG_ALREADY_CANCELLED)
    assert status_of(enrollment) == EnrollmentStatus.CANCELLED
    assert session.meetings.get().sequence == 1


@pytest.fixture
def running_session(facilitator, facilitated_session):
    """A facilitated session with two meetings held and one to come, and two participants."""
    session = facilitated_session
    session.capacity = 5
    session.save()
    held = [meeting(session, -8), meeting(session, -1)]
    coming = meeting(session, 6)
    everywhere = f.EnrollmentFactory(session=session, staff=person())
    once = f.EnrollmentFactory(session=session, staff=person())
    return session, held, coming, everywhere, once


def test_cancelling_a_meeting_keeps_it_tells_them_and_completes_whoever_attended_the_rest(
    mailed, facilitator, district_pd, running_session
):
    session, held, coming, everywhere, once = running_session
    for past in held:
        services.attendance_record(
            meeting=past, marks={everywhere.pk: True}, actor=facilitator.user
        )
    services.attendance_record(meeting=held[0], marks={once.pk: True}, actor=facilitator.user)
    assert status_of(everywhere) == ENROLLED

    with mailed as outbox:
        cancelled = services.meeting_cancel(
            meeting=coming, actor=district_pd.user, reason="Snow day"
        )

    assert cancelled.status == MeetingStatus.CANCELLED
    coming.refresh_from_db()
    assert (coming.status, coming.sequence) == (MeetingStatus.CANCELLED, 1)
    assert [m.sequence for m in held] == [0, 0]
    assert sorted(sent(outbox)) == sorted(
        ([e.staff.email], f"A meeting is cancelled: {session}") for e in (everywhere, once)
    )
    assert all("Snow day" in m.body for m in outbox)
    # Credit now needs only the meetings held.
    assert status_of(everywhere) == EnrollmentStatus.COMPLETED
    completion = Completion.objects.get(enrollment=everywhere)
    assert completion.completed_on == timezone.localdate(held[1].ends_at)
    assert completion.clock_hours == session.course.clock_hours
    assert status_of(once) == ENROLLED
    assert not Completion.objects.filter(enrollment=once).exists()


def test_cancelling_a_meeting_needs_a_reason_and_happens_once(running_session, district_pd):
    session, held, coming, *_ = running_session
    actor = district_pd.user
    refusal = refusal_of(services.meeting_cancel, meeting=coming, actor=actor, reason="")
    assert (refusal.code, refusal.message) == (r.REASON_REQUIRED, r.MSG_CANCEL_NEEDS_REASON)
    coming.refresh_from_db()
    assert (coming.status, coming.sequence) == (MeetingStatus.SCHEDULED, 0)

    services.meeting_cancel(meeting=coming, actor=actor, reason="Snow day")
    refusal = refusal_of(services.meeting_cancel, meeting=coming, actor=actor, reason="Again")
    assert refusal.code == r.ALREADY_CANCELLED
    coming.refresh_from_db()
    assert coming.sequence == 1


def test_telling_participants_of_a_change(mailed, running_session):
    session, _, _, everywhere, once = running_session
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)

    with mailed as outbox:
        services.session_changed_notify(session=session, what="the room is now the Library")

    assert sorted(sent(outbox)) == sorted(
        ([e.staff.email], f"Changed: {session}") for e in (everywhere, once)
    )
    assert "has changed: the room is now the Library." in outbox[0].body


# Attendance


def test_the_facilitator_takes_attendance_for_the_whole_roster(facilitator, running_session):
    session, held, _, everywhere, once = running_session
    now = timezone.now()

    changes = services.attendance_record(
        meeting=held[0],
        marks={everywhere.pk: True, once.pk: False},
        actor=facilitator.user,
        now=now,
    )

    assert changes == [
        services.AttendanceChange(everywhere.pk, True, created=True),
        services.AttendanceChange(once.pk, False, created=True),
    ]
    marks = Attendance.objects.filter(meeting=held[0]).order_by("enrollment_id")
    assert [(a.enrollment_id, a.present, a.recorded_by, a.recorded_at) for a in marks] == [
        (everywhere.pk, True, facilitator.user, now),
        (once.pk, False, facilitator.user, now),
    ]


def test_one_person_at_a_time_and_a_late_change_records_who_and_when(
    facilitator, district_pd, running_session
):
    session, held, _, everywhere, once = running_session
    first = timezone.now() - dt.timedelta(days=1)
    services.attendance_record(
        meeting=held[0], marks={everywhere.pk: True}, actor=facilitator.user, now=first
    )
    assert Attendance.objects.filter(meeting=held[0]).count() == 1

    later = timezone.now()
    changes = services.attendance_record(
        meeting=held[0],
        marks={everywhere.pk: False, once.pk: True},
        actor=district_pd.user,
        now=later,
    )

    assert changes == [
        services.AttendanceChange(everywhere.pk, False, created=False),
        services.AttendanceChange(once.pk, True, created=True),
    ]
    mark = Attendance.objects.get(meeting=held[0], enrollment=everywhere)
    assert (mark.present, mark.recorded_by, mark.recorded_at) == (False, district_pd.user, later)
    # Sending the same marks again changes nothing, not even who recorded them.
    assert (
        services.attendance_record(
            meeting=held[0], marks={everywhere.pk: False}, actor=facilitator.user
        )
        == []
    )
    mark.refresh_from_db()
    assert mark.recorded_by == district_pd.user


@pytest.mark.parametrize("who", ["teacher", "leader", "another facilitator"])
def test_only_the_facilitator_or_district_pd_takes_attendance(request, running_session, who):
    session, held, _, everywhere, _ = running_session
    if who == "another facilitator":
        user = person().user
        f.SessionFactory().facilitators.add(user.staff_member)
    else:
        user = request.getfixturevalue(who).user
    before = snapshot()

    refusal = refusal_of(
        services.attendance_record, meeting=held[0], marks={everywhere.pk: True}, actor=user
    )

    assert (refusal.code, refusal.message, refusal.status) == (
        r.NOT_PERMITTED,
        r.MSG_NOT_FACILITATOR,
        404,
    )
    assert snapshot() == before


def test_attendance_is_for_the_roster_of_a_held_meeting(facilitator, running_session):
    session, held, coming, everywhere, _ = running_session
    waiting = f.EnrollmentFactory(session=session, status=WAITLISTED)
    before = snapshot()

    refusal = refusal_of(
        services.attendance_record,
        meeting=held[0],
        marks={everywhere.pk: True, waiting.pk: True},
        actor=facilitator.user,
    )
    assert (refusal.code, refusal.message) == (
        r.NOT_ON_ROSTER,
        r.MSG_NOT_ON_ROSTER.format(name=waiting.staff.display_name),
    )

    refusal = refusal_of(
        services.attendance_record,
        meeting=coming,
        marks={everywhere.pk: True},
        actor=facilitator.user,
    )
    assert (refusal.code, refusal.message) == (
        r.MEETING_NOT_STARTED,
        r.MSG_MEETING_NOT_STARTED.format(when=day(timezone.localdate(coming.starts_at))),
    )

    held[0].status = MeetingStatus.CANCELLED
    held[0].save()
    refusal = refusal_of(
        services.attendance_record,
        meeting=held[0],
        marks={everywhere.pk: True},
        actor=facilitator.user,
    )
    assert (refusal.code, refusal.message) == (r.MEETING_CANCELLED, r.MSG_MEETING_CANCELLED)
    assert snapshot() == before


# Attendance -> completion -> clock hours


@pytest.fixture
def held_session(facilitator, facilitated_session):
    """A facilitated 4.5-hour course whose two meetings are over, with two participants."""
    session = facilitated_session
    session.course.clock_hours = Decimal("4.50")
    session.course.save()
    meetings = [meeting(session, -9), meeting(session, -2)]
    first = f.EnrollmentFactory(session=session, staff=person())
    second = f.EnrollmentFactory(session=session, staff=person())
    return session, meetings, first, second


def attend(meetings, marks, actor):
    for past in meetings:
        services.attendance_record(meeting=past, marks=marks, actor=actor)


def test_attending_every_meeting_completes_with_the_courses_clock_hours(facilitator, held_session):
    session, meetings, first, second = held_session
    attend(meetings[:1], {first.pk: True, second.pk: False}, facilitator.user)
    assert (status_of(first), status_of(second)) == (ENROLLED, EnrollmentStatus.INCOMPLETE)
    assert not Completion.objects.exists()

    attend(meetings[1:], {first.pk: True, second.pk: True}, facilitator.user)

    assert (status_of(first), status_of(second)) == (
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.INCOMPLETE,
    )
    completion = Completion.objects.get()
    assert (
        completion.staff,
        completion.course,
        completion.enrollment,
        completion.clock_hours,
        completion.source,
        completion.recorded_by,
        completion.completed_on,
    ) == (
        first.staff,
        session.course,
        Enrollment.objects.get(pk=first.pk),
        Decimal("4.50"),
        CompletionSource.SESSION,
        facilitator.user,
        timezone.localdate(meetings[1].ends_at),
    )
    assert selectors.transcript(staff=first.staff).clock_hours == Decimal("4.50")


def evaluate(enrollment, **ratings):
    values = {"content_rating": 4, "facilitator_rating": 5, "relevance_rating": 3} | ratings
    return services.evaluation_submit(enrollment=enrollment, actor=enrollment.staff.user, **values)


def test_with_a_required_evaluation_credit_waits_for_it(facilitator, held_session):
    session, meetings, first, second = held_session
    session.course.evaluation_required = True
    session.course.save()

    attend(meetings, {first.pk: True}, facilitator.user)

    assert status_of(first) == ENROLLED
    assert not Completion.objects.exists()
    shaped = selectors.live_enrollment(staff=first.staff, session=session)
    assert selectors.missing_for_credit(shaped, at=timezone.now()) == ["evaluation due"]

    evaluate(first)

    assert status_of(first) == EnrollmentStatus.COMPLETED
    completion = Completion.objects.get(enrollment=first)
    assert completion.clock_hours == Decimal("4.50")
    assert completion.completed_on == timezone.localdate(meetings[1].ends_at)


def test_an_early_evaluation_completes_once_attendance_is_in(facilitator, held_session):
    session, meetings, first, _ = held_session
    session.course.evaluation_required = True
    session.course.save()
    attend(meetings[:1], {first.pk: True}, facilitator.user)
    evaluate(first)
    assert status_of(first) == ENROLLED

    attend(meetings[1:], {first.pk: True}, facilitator.user)

    assert status_of(first) == EnrollmentStatus.COMPLETED
    assert Completion.objects.filter(enrollment=first).count() == 1


def test_a_correction_voids_the_completion_and_keeps_it_in_history(
    facilitator, district_pd, held_session
):
    session, meetings, first, _ = held_session
    attend(meetings, {first.pk: True}, facilitator.user)
    completion = Completion.objects.get(enrollment=first)

    services.attendance_record(meeting=meetings[1], marks={first.pk: False}, actor=district_pd.user)

    assert status_of(first) == EnrollmentStatus.INCOMPLETE
    completion.refresh_from_db()
    assert completion.is_voided
    assert completion.voided_by == district_pd.user
    assert completion.void_reason
    transcript = selectors.transcript(staff=first.staff)
    assert transcript.clock_hours == 0
    assert [c.pk for year in transcript.years for c in year.completions] == [completion.pk]

    # Corrected back: a new completion; the voided one stays.
    services.attendance_record(meeting=meetings[1], marks={first.pk: True}, actor=facilitator.user)
    assert status_of(first) == EnrollmentStatus.COMPLETED
    assert Completion.objects.filter(enrollment=first).count() == 2
    assert Completion.objects.filter(enrollment=first, voided_at__isnull=True).count() == 1


# Evaluations


def test_the_evaluation_opens_when_the_last_meeting_starts(facilitator, running_session):
    session, held, coming, everywhere, _ = running_session
    before = snapshot()

    refusal = refusal_of(evaluate, everywhere)
    assert (refusal.code, refusal.message) == (
        r.EVALUATION_NOT_OPEN,
        r.MSG_EVALUATION_NOT_OPEN.format(when=moment(coming.starts_at)),
    )
    assert snapshot() == before

    evaluation = services.evaluation_submit(
        enrollment=everywhere,
        actor=everywhere.staff.user,
        content_rating=5,
        facilitator_rating=4,
        relevance_rating=3,
        comment="  Useful circles  ",
        now=coming.starts_at,
    )
    assert (evaluation.content_rating, evaluation.comment, evaluation.submitted_at) == (
        5,
        "Useful circles",
        coming.starts_at,
    )


def test_one_evaluation_per_enrollment(held_session):
    _, _, first, _ = held_session
    evaluate(first)
    before = snapshot()
    refusal = refusal_of(evaluate, first, content_rating=1)
    assert (refusal.code, refusal.message) == (
        r.EVALUATION_ALREADY_SUBMITTED,
        r.MSG_EVALUATION_ALREADY_SUBMITTED,
    )
    assert snapshot() == before


@pytest.mark.parametrize("field", ["content_rating", "facilitator_rating", "relevance_rating"])
@pytest.mark.parametrize("rating", [0, 6, True, "4", None])
def test_ratings_are_1_to_5(held_session, field, rating):
    _, _, first, _ = held_session
    refusal = refusal_of(evaluate, first, **{field: rating})
    label = field.replace("_", " ").capitalize()
    assert (refusal.code, refusal.message, refusal.status) == (
        r.RATING_OUT_OF_RANGE,
        r.MSG_RATING_OUT_OF_RANGE.format(field=label),
        400,
    )
    assert not Evaluation.objects.exists()


def test_only_participants_evaluate(held_session):
    session, _, first, second = held_session
    refusal = refusal_of(
        services.evaluation_submit,
        enrollment=first,
        actor=second.staff.user,
        content_rating=1,
        facilitator_rating=1,
        relevance_rating=1,
    )
    assert (refusal.code, refusal.message) == (r.NOT_PERMITTED, r.MSG_NOT_PARTICIPANT)

    waiting = f.EnrollmentFactory(session=session, staff=person(), status=WAITLISTED)
    refusal = refusal_of(evaluate, waiting)
    assert (refusal.code, refusal.message) == (r.EVALUATION_NOT_OPEN, r.MSG_EVALUATION_NOT_ATTENDED)
    assert not Evaluation.objects.exists()


# Manual completions


def record(staff, course, actor, **values):
    return services.completion_record(
        staff=staff,
        course=course,
        actor=actor,
        **{
            "completed_on": dt.date(2026, 10, 1),
            "clock_hours": None,
            "evidence": "MDE certificate #4471",
        }
        | values,
    )


def test_district_pd_records_external_credit_with_evidence(district_pd, teacher):
    course = f.CourseFactory(clock_hours=Decimal("6.00"))

    completion = record(teacher, course, district_pd.user, evidence="  MDE certificate #4471 ")

    assert (
        completion.source,
        completion.clock_hours,
        completion.evidence,
        completion.recorded_by,
        completion.enrollment,
    ) == (CompletionSource.MANUAL, Decimal("6.00"), "MDE certificate #4471", district_pd.user, None)
    assert len(completion.verification_code) == 12
    other = record(
        teacher, f.CourseFactory(), district_pd.user, clock_hours=Decimal("1.5"), evidence="Agenda"
    )
    assert other.clock_hours == Decimal("1.50")


@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        ({"evidence": "  "}, r.EVIDENCE_REQUIRED, r.MSG_EVIDENCE_REQUIRED),
        (
            {"completed_on": timezone.localdate() + dt.timedelta(days=1)},
            r.INVALID_VALUE,
            r.MSG_COMPLETED_ON_FUTURE,
        ),
        ({"clock_hours": "many"}, r.INVALID_VALUE, r.MSG_CLOCK_HOURS_INVALID),
        ({"clock_hours": Decimal("-1")}, r.INVALID_VALUE, r.MSG_CLOCK_HOURS_INVALID),
        ({"clock_hours": Decimal("1000")}, r.INVALID_VALUE, r.MSG_CLOCK_HOURS_INVALID),
    ],
    ids=["no evidence", "future", "not a number", "negative", "too many"],
)
def test_a_manual_completion_is_refused_when_wrong(district_pd, teacher, values, code, message):
    refusal = refusal_of(record, teacher, f.CourseFactory(), district_pd.user, **values)
    assert (refusal.code, refusal.message, refusal.status) == (code, message, 400)
    assert not Completion.objects.exists()


def test_a_second_completion_of_the_same_course_on_the_same_day_is_refused(district_pd, teacher):
    course = f.CourseFactory(code="crt-101")
    first = record(teacher, course, district_pd.user)
    before = snapshot()

    refusal = refusal_of(record, teacher, course, district_pd.user)

    assert refusal.code == r.COMPLETION_EXISTS
    assert refusal.message == r.MSG_COMPLETION_EXISTS.format(
        name="Tess Teacher", course="CRT-101", day="October 1, 2026"
    )
    assert snapshot() == before
    services.completion_void(completion=first, reason="Wrong date", actor=district_pd.user)
    assert record(teacher, course, district_pd.user).pk != first.pk


# Voiding a completion


@pytest.fixture
def actor(db):
    return f.login_for(None, username="records", groups=[DISTRICT_PD_GROUP])


def test_void_records_who_when_and_why(actor):
    completion = f.CompletionFactory()
    before = timezone.now()

    voided = services.completion_void(completion=completion, reason="  Entered twice ", actor=actor)

    assert voided is completion
    stored = Completion.objects.get(pk=completion.pk)
    assert stored.is_voided
    assert stored.voided_at >= before
    assert stored.voided_by == actor
    assert stored.void_reason == "Entered twice"
    # Nothing else about the completion changes: it is kept as it was recorded.
    assert (stored.clock_hours, stored.completed_on) == (
        completion.clock_hours,
        completion.completed_on,
    )


def test_void_frees_the_day_for_the_corrected_completion(actor):
    completion = f.CompletionFactory()
    services.completion_void(completion=completion, reason="Wrong hours", actor=actor)
    corrected = f.CompletionFactory(
        staff=completion.staff, course=completion.course, completed_on=completion.completed_on
    )
    assert Completion.objects.filter(staff=completion.staff).count() == 2
    assert not corrected.is_voided


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_void_without_a_reason_is_refused(actor, reason):
    completion = f.CompletionFactory()
    refusal = refusal_of(
        services.completion_void, completion=completion, reason=reason, actor=actor
    )
    assert (refusal.code, refusal.message, refusal.status) == (
        r.REASON_REQUIRED,
        r.MSG_VOID_NEEDS_REASON,
        400,
    )
    stored = Completion.objects.get(pk=completion.pk)
    assert (stored.voided_at, stored.voided_by, stored.void_reason) == (None, None, "")


def test_voiding_twice_is_refused_and_keeps_the_first_void(actor):
    completion = f.CompletionFactory()
    services.completion_void(completion=completion, reason="Entered twice", actor=actor)
    first = Completion.objects.get(pk=completion.pk)
    other = f.login_for(None, username="someone-else", groups=[DISTRICT_PD_GROUP])

    refusal = refusal_of(
        services.completion_void, completion=completion, reason="Another reason", actor=other
    )

    assert (refusal.code, refusal.message) == (r.ALREADY_VOIDED, r.MSG_ALREADY_VOIDED)
    stored = Completion.objects.get(pk=completion.pk)
    assert (stored.voided_at, stored.voided_by, stored.void_reason) == (
        first.voided_at,
        actor,
        "Entered twice",
    )


def test_a_stale_copy_of_a_voided_completion_cannot_void_it_again(actor):
    completion = f.CompletionFactory()
    stale = Completion.objects.get(pk=completion.pk)
    services.completion_void(completion=completion, reason="Entered twice", actor=actor)

    refusal = refusal_of(services.completion_void, completion=stale, reason="Again", actor=actor)

    assert refusal.code == r.ALREADY_VOIDED
    assert Completion.objects.get(pk=completion.pk).void_reason == "Entered twice"


def test_voiding_a_session_completion_leaves_the_enrollment_incomplete(
    facilitator, district_pd, held_session
):
    _, meetings, first, _ = held_session
    attend(meetings, {first.pk: True}, facilitator.user)
    completion = Completion.objects.get(enrollment=first)

    services.completion_void(
        completion=completion, reason="Signed in for a colleague", actor=district_pd.user
    )

    stored = Enrollment.objects.get(pk=first.pk)
    assert (stored.status, stored.decision_reason, stored.acted_by) == (
        EnrollmentStatus.INCOMPLETE,
        "Signed in for a colleague",
        district_pd.user,
    )
    assert Completion.objects.filter(enrollment=first).get().is_voided


# Mail goes out only after commit


def test_nothing_is_mailed_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks, mailoutbox, teacher, district_pd
):
    session = f.SessionFactory(capacity=1)
    seated = f.EnrollmentFactory(session=session)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enroll(teacher, session)
            services.enrollment_withdraw(enrollment=seated, actor=district_pd.user)
            services.session_cancel(session=session, actor=district_pd.user, reason="Closed")
            raise RuntimeError("the request failed after the writes")

    assert callbacks == []
    assert mailoutbox == []
    assert Enrollment.objects.filter(session=session).get() == seated
    assert status_of(seated) == ENROLLED


def test_a_refused_write_mails_nobody(mailed, teacher):
    session = f.SessionFactory(registration_closes_at=at(-1))
    with mailed as outbox:
        refusal_of(enroll, teacher, session)
    assert outbox == []


def test_a_mail_outage_does_not_undo_the_change(mailed, monkeypatch, teacher):
    from django.core.mail.backends.locmem import EmailBackend

    def down(self, messages):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    session = f.SessionFactory()
    with mailed as outbox:
        placement = enroll(teacher, session)
    assert outbox == []
    assert status_of(placement.enrollment) == ENROLLED


# Who may do what, and what a rule must not undo


def test_a_void_by_district_pd_is_not_undone_by_a_later_attendance_edit(
    facilitator, district_pd, held_session
):
    _, meetings, first, _ = held_session
    attend(meetings, {first.pk: True}, facilitator.user)
    completion = Completion.objects.get(enrollment=first)
    services.completion_void(
        completion=completion, reason="Signed in for a colleague", actor=district_pd.user
    )

    # Any later edit of the roster settles the enrollment again; the decision stands.
    attend(meetings[:1], {first.pk: False}, facilitator.user)
    attend(meetings[:1], {first.pk: True}, facilitator.user)

    assert status_of(first) == EnrollmentStatus.INCOMPLETE
    assert not Completion.objects.filter(enrollment=first, voided_at__isnull=True).exists()
    assert Completion.objects.filter(enrollment=first).count() == 1


def test_an_automatic_void_is_credited_again_when_attendance_is_corrected_back(
    facilitator, held_session
):
    _, meetings, first, _ = held_session
    attend(meetings, {first.pk: True}, facilitator.user)
    attend(meetings[:1], {first.pk: False}, facilitator.user)
    assert status_of(first) == EnrollmentStatus.INCOMPLETE

    attend(meetings[:1], {first.pk: True}, facilitator.user)

    assert status_of(first) == EnrollmentStatus.COMPLETED
    assert Completion.objects.filter(enrollment=first, voided_at__isnull=True).count() == 1
    voided = Completion.objects.get(enrollment=first, voided_at__isnull=False)
    assert voided.void_reason == services.AUTOMATIC_VOID_REASON


def test_only_district_pd_voids_records_and_cancels(teacher, facilitator, facilitated_session):
    completion = f.CompletionFactory()
    coming = meeting(facilitated_session, 5)
    before = snapshot()

    for call, kwargs in (
        (services.completion_void, {"completion": completion, "reason": "Wrong"}),
        (services.session_cancel, {"session": facilitated_session, "reason": "Ill"}),
        (services.meeting_cancel, {"meeting": coming, "reason": "Snow"}),
        (
            services.completion_record,
            {
                "staff": teacher,
                "course": completion.course,
                "completed_on": dt.date(2026, 1, 5),
                "clock_hours": None,
                "evidence": "Certificate",
            },
        ),
    ):
        for actor in (teacher.user, facilitator.user, None):
            refusal = refusal_of(call, actor=actor, **kwargs)
            assert (refusal.code, refusal.message, refusal.status) == (
                r.NOT_PERMITTED,
                r.MSG_DISTRICT_PD_ONLY,
                403,
            )
    assert snapshot() == before
    assert f.SessionFactory._meta.model.objects.get(pk=facilitated_session.pk).status == (
        SessionStatus.PUBLISHED
    )


def test_hr_records_imported_completions_but_not_manual_ones(hr, teacher):
    course = f.CourseFactory()
    values = {"staff": teacher, "course": course, "completed_on": dt.date(2026, 1, 5)}

    imported = services.completion_record(
        **values,
        clock_hours=None,
        evidence="District A transcript",
        actor=hr.user,
        source=CompletionSource.IMPORT,
    )
    refusal = refusal_of(
        services.completion_record,
        **{**values, "completed_on": dt.date(2026, 1, 6)},
        clock_hours=None,
        evidence="Certificate",
        actor=hr.user,
    )

    assert imported.source == CompletionSource.IMPORT
    assert refusal.code == r.NOT_PERMITTED


def test_a_teacher_cannot_assign_even_themselves(teacher):
    session = f.SessionFactory()
    meeting(session, 10)

    refusal = refusal_of(
        services.enrollments_assign, staff=[teacher], session=session, actor=teacher.user
    )

    assert (refusal.code, refusal.message, refusal.status) == (
        r.NOT_PERMITTED,
        r.MSG_ASSIGN_NOT_PERMITTED,
        404,
    )
    assert not Enrollment.objects.exists()


def test_an_enrolled_place_cannot_be_withdrawn_once_the_session_is_over(mailed):
    session = f.SessionFactory(capacity=1)
    meeting(session, 3)
    seated, waiting = person(), person()
    first = enroll(seated, session).enrollment
    second = enroll(waiting, session).enrollment
    later = at(4)

    refusal = refusal_of(
        services.enrollment_withdraw, enrollment=first, actor=seated.user, now=later
    )
    # A waitlist place can still be given up, and nobody is promoted into a session that is over.
    with mailed as outbox:
        services.enrollment_withdraw(enrollment=second, actor=waiting.user, now=later)

    assert (refusal.code, refusal.message) == (
        r.NOT_WITHDRAWABLE,
        r.MSG_SESSION_OVER_NOT_WITHDRAWABLE,
    )
    assert (status_of(first), status_of(second)) == (ENROLLED, EnrollmentStatus.WITHDRAWN)
    assert sent(outbox) == [([waiting.email], f"You are withdrawn from {session}")]


def test_no_waitlist_promotion_into_a_session_that_is_over():
    session = f.SessionFactory(capacity=1)
    meeting(session, 3)
    enroll(person(), session)
    waiting = enroll(person(), session).enrollment
    session.capacity = 2
    session.save()

    promoted = services.waitlist_fill(session=session, now=at(4))

    assert promoted == []
    assert status_of(waiting) == WAITLISTED


def test_a_refused_attendance_mark_does_not_name_people_of_other_sessions(
    facilitator, held_session
):
    _, meetings, first, _ = held_session
    elsewhere = f.EnrollmentFactory(staff=person(first_name="Secret", last_name="Person"))

    refusal = refusal_of(
        services.attendance_record,
        meeting=meetings[0],
        marks={first.pk: True, elsewhere.pk: True},
        actor=facilitator.user,
    )

    assert refusal.code == r.NOT_ON_ROSTER
    assert "Secret" not in refusal.message
    assert refusal.message == r.MSG_NOT_ON_ROSTER.format(name=f"Enrollment {elsewhere.pk}")
    assert not Attendance.objects.exists()

"""Every write to enrollments, attendance, evaluations and completions. The API, the pages, the
admin and the importers call these, so each rule is written once.

Concurrency: every write that counts a session's seats locks the session row first
(`select_for_update`; on SQLite the IMMEDIATE transaction serializes writers), and a write that
checks one person's schedule locks that person's row first. Locks are always taken person(s)
first, then session, so two writers never wait on each other in a circle.

Mail goes out after commit (`transaction.on_commit`), so nobody is told about a change that was
rolled back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.context import with_actor
from audit.services import tracking
from catalog import access as session_access
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session
from catalog.services import meeting_note_changes, session_note_changes
from core import refusals as r
from core.refusals import Refusal
from core.text import day, moment
from learning import access
from learning import changes as data_changes
from learning.choices import StaffStatus
from learning.models import StaffMember

from . import checkin, eligibility, notifications
from .choices import (
    ROSTER_STATUSES,
    SEAT_HOLDING_STATUSES,
    WITHDRAWABLE_STATUSES,
    CompletionSource,
    EnrollmentSource,
    EnrollmentStatus,
    OutsideActivityStatus,
    ReminderKind,
)
from .models import Attendance, Completion, Enrollment, Evaluation, OutsideActivity, Reminder
from .selectors import seats_taken, waitlist_position

# Statuses that follow a session into cancellation; completed and incomplete ones are history.
CANCELLABLE_STATUSES = WITHDRAWABLE_STATUSES
# Who hears of a cancelled meeting or a changed time or place: everyone with a live place,
# someone who missed an earlier meeting (incomplete) included.
TOLD_OF_CHANGES = (*WITHDRAWABLE_STATUSES, EnrollmentStatus.INCOMPLETE)
# The reason on a completion voided by _settle itself: one voided by a person (district PD) is
# a decision that later attendance edits must not undo.
AUTOMATIC_VOID_REASON = "Attendance or evaluation corrected; the rule for credit is no longer met."


def _hold_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.APPROVAL_HOLD_DAYS)


def _lock_session(session: Session) -> Session:
    """The session row, locked for the rest of the transaction, with its course loaded."""
    return (
        Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
    )


def _lock_staff(staff_ids: Iterable[int]) -> None:
    # In primary-key order, so concurrent bulk writers lock in the same order. NO KEY: a plain
    # FOR UPDATE would also block rows being inserted that point at the person (a completion
    # written by attendance under the session lock) and deadlock with an enrollment that holds
    # the person and waits for that session.
    list(
        StaffMember.objects.select_for_update(no_key=True)
        .filter(pk__in=staff_ids)
        .order_by("pk")
        .values("pk")
    )


def _check_district_pd(actor: User | None) -> None:
    if actor is None or not access.is_district_pd(actor):
        raise Refusal(r.NOT_PERMITTED, r.MSG_DISTRICT_PD_ONLY, 403)


def _may_act_on(actor: User | None, staff: StaffMember) -> bool:
    return actor is not None and access.actionable_staff(actor).filter(pk=staff.pk).exists()


# Seats and the waitlist


def _lapse_expired_holds(session: Session, *, now: dt.datetime) -> list[int]:
    """Requests that waited too long for approval lapse (declined, with the reason said), which
    frees their seats. Returns their ids."""
    expired = list(
        Enrollment.objects.filter(
            session=session,
            status=EnrollmentStatus.PENDING_APPROVAL,
            hold_expires_at__lte=now,
        ).values_list("pk", flat=True)
    )
    if expired:
        data_changes.record()
        with tracking(Enrollment.objects.filter(pk__in=expired)):
            Enrollment.objects.filter(pk__in=expired).update(
                status=EnrollmentStatus.DECLINED,
                status_changed_at=now,
                decision_reason=r.MSG_APPROVAL_LAPSED.format(days=settings.APPROVAL_HOLD_DAYS),
                acted_by=None,
                updated_at=now,
            )
        notifications.notify(notifications.LAPSED, expired)
    return expired


def _fill_from_waitlist(session: Session, *, now: dt.datetime) -> list[int]:
    """Give free seats to the head of the waitlist, first come first served. The session must be
    locked. Promoted people whose enrollment still needs approval wait for it, holding the seat.
    Returns the promoted enrollments' ids."""
    if session.status == SessionStatus.CANCELLED or _has_ended(session, now=now):
        return []
    free = session.capacity - seats_taken(session, now=now)
    if free <= 0:
        return []
    waiting = Enrollment.objects.filter(
        session=session, status=EnrollmentStatus.WAITLISTED
    ).order_by("requested_at", "pk")
    # Two waitlist places may overlap in time; a seat may not. Whoever meanwhile holds a seat
    # at the same time keeps their turn but is passed over until they give that seat up.
    seated_elsewhere = _holding_seats_at_the_same_time(session, waiting.values("staff_id"))
    heads = list(waiting.exclude(staff_id__in=seated_elsewhere)[:free])
    if not heads:
        return []
    needs_approval = session.approval_required
    for enrollment in heads:
        if needs_approval and enrollment.approved_at is None:
            enrollment.status = EnrollmentStatus.PENDING_APPROVAL
            enrollment.hold_expires_at = _hold_until(now)
        else:
            enrollment.status = EnrollmentStatus.ENROLLED
        enrollment.status_changed_at = now
        enrollment.updated_at = now
    data_changes.record()
    with tracking(Enrollment.objects.filter(pk__in=[enrollment.pk for enrollment in heads])):
        Enrollment.objects.bulk_update(
            heads, ["status", "hold_expires_at", "status_changed_at", "updated_at"]
        )
    promoted = [enrollment.pk for enrollment in heads]
    notifications.notify(notifications.PROMOTED, promoted)
    notifications.notify(
        notifications.APPROVAL_REQUESTED,
        [e.pk for e in heads if e.status == EnrollmentStatus.PENDING_APPROVAL],
    )
    return promoted


def _holding_seats_at_the_same_time(session: Session, staff_ids) -> set[int]:
    """Of the given people, those holding a seat in another session with a meeting that overlaps
    one of this session's (cancelled meetings and sessions overlap nothing)."""
    own = Meeting.objects.filter(session=session).exclude(status=MeetingStatus.CANCELLED)
    overlapping = Q()
    for starts_at, ends_at in own.values_list("starts_at", "ends_at"):
        overlapping |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    if not overlapping:
        return set()
    busy = (
        Meeting.objects.filter(overlapping)
        .exclude(session=session)
        .exclude(status=MeetingStatus.CANCELLED)
        .exclude(session__status=SessionStatus.CANCELLED)
        .values("session_id")
    )
    return set(
        Enrollment.objects.filter(
            staff_id__in=staff_ids, status__in=SEAT_HOLDING_STATUSES, session_id__in=busy
        ).values_list("staff_id", flat=True)
    )


def _has_ended(session: Session, *, now: dt.datetime) -> bool:
    """Whether the session's last meeting (cancelled ones aside) has ended."""
    last_end = (
        Meeting.objects.filter(session=session)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    return last_end is not None and last_end < now


def _refresh_seats(session: Session, *, now: dt.datetime) -> None:
    _lapse_expired_holds(session, now=now)
    _fill_from_waitlist(session, now=now)


@transaction.atomic
def waitlist_fill(*, session: Session, now: dt.datetime | None = None) -> list[int]:
    """Lapse expired approval holds and promote from the waitlist into any free seats: after the
    capacity is raised, or from the periodic job. Returns the promoted enrollments' ids."""
    now = now or timezone.now()
    session = _lock_session(session)
    _lapse_expired_holds(session, now=now)
    return _fill_from_waitlist(session, now=now)


def approval_holds_lapse(*, now: dt.datetime | None = None) -> int:
    """Lapse every expired approval hold in the district and refill those seats. Returns how
    many requests lapsed."""
    now = now or timezone.now()
    session_ids = (
        Enrollment.objects.filter(
            status=EnrollmentStatus.PENDING_APPROVAL, hold_expires_at__lte=now
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    lapsed = 0
    for session in Session.objects.filter(pk__in=list(session_ids)).order_by("pk"):
        with transaction.atomic():
            locked = _lock_session(session)
            lapsed += len(_lapse_expired_holds(locked, now=now))
            _fill_from_waitlist(locked, now=now)
    return lapsed


# Enrolling


@dataclass(frozen=True)
class Placement:
    """The outcome of one enrollment request: the enrollment, and its waitlist position if the
    session was full."""

    enrollment: Enrollment
    waitlist_position: int | None = None

    @property
    def status(self) -> str:
        return self.enrollment.status


def _check_not_enrolled(staff: StaffMember, session: Session, *, personal: bool = False) -> None:
    """After a lost race for the one-live-enrollment constraint: the place the other request
    made."""
    refused = eligibility.already_placed_refusal(
        eligibility.person_facts(staff), session, personal=personal
    )
    if refused is not None:
        raise refused


def _place(
    *,
    staff: StaffMember,
    session: Session,
    actor: User | None,
    source: str,
    override_window: bool,
    now: dt.datetime,
    mail: dict[str, list[int]] | None = None,
    note: str = "",
) -> Placement:
    """The rules of one enrollment, with the person and the session already locked. The mail to
    send is collected in `mail` (kind -> enrollment ids) when given, else sent after commit."""
    personal = source == EnrollmentSource.SELF
    # Expired holds lapse and the waitlist moves first: whether the place is a seat decides
    # what it clashes with.
    _refresh_seats(session, now=now)
    seat_free = seats_taken(session, now=now) < session.capacity
    refused = eligibility.refusal(
        eligibility.person_facts(staff),
        eligibility.load_rules(session),
        now=now,
        seat_free=seat_free,
        personal=personal,
        override_window=override_window,
    )
    if refused is not None:
        raise refused

    pre_approved = eligibility.may_approve(actor, staff)
    enrollment = Enrollment(
        staff=staff,
        session=session,
        source=source,
        requested_at=now,
        status_changed_at=now,
        acted_by=actor,
        approved_at=now if pre_approved else None,
        approved_by=actor if pre_approved else None,
        request_note=note.strip(),
    )
    if not seat_free:
        enrollment.status = EnrollmentStatus.WAITLISTED
    elif session.approval_required and not pre_approved:
        enrollment.status = EnrollmentStatus.PENDING_APPROVAL
        enrollment.hold_expires_at = _hold_until(now)
    else:
        enrollment.status = EnrollmentStatus.ENROLLED
    enrollment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:
        # Another request placed the same person first (the one-live-enrollment constraint).
        _check_not_enrolled(staff, session, personal=personal)
        raise
    kinds = [notifications.kind_for_status(enrollment.status)]
    if enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
        kinds.append(notifications.APPROVAL_REQUESTED)
    for kind in kinds:
        if mail is None:
            notifications.notify(kind, [enrollment.pk])
        else:
            mail.setdefault(kind, []).append(enrollment.pk)
    return Placement(enrollment=enrollment, waitlist_position=waitlist_position(enrollment))


def _check_may_enroll(actor: User | None, staff: StaffMember, override_window: bool) -> None:
    if not _may_act_on(actor, staff):
        raise Refusal(r.NOT_PERMITTED, r.MSG_NOT_PERMITTED.format(name=staff.display_name), 404)
    if override_window and not access.is_district_pd(actor):
        raise Refusal(r.NOT_PERMITTED, r.MSG_OVERRIDE_NOT_PERMITTED, 403)


@with_actor
@transaction.atomic
def enrollment_create(
    *,
    staff: StaffMember,
    session: Session,
    actor: User | None,
    override_window: bool = False,
    note: str = "",
    now: dt.datetime | None = None,
) -> Placement:
    """Enroll a person in a session: a seat if one is free (or a held seat waiting for approval,
    where the course or session asks for it, with the person's `note` to whoever decides), else
    the waitlist. Refuses, with a Refusal and
    nothing written, outside the registration window (district PD may override), when the person
    already has a place, is not in the session's audience, lacks a prerequisite, or has a meeting
    at the same time. The actor must be the person, their building leader, or district PD."""
    _check_may_enroll(actor, staff, override_window)
    source = (
        EnrollmentSource.SELF
        if (own := access.staff_of(actor)) is not None and own.pk == staff.pk
        else EnrollmentSource.ASSIGNED
    )
    _lock_staff([staff.pk])
    locked = _lock_session(session)
    return _place(
        staff=staff,
        session=locked,
        actor=actor,
        source=source,
        override_window=override_window,
        now=now or timezone.now(),
        note=note,
    )


@dataclass(frozen=True)
class AssignmentResult:
    """What happened to one person of a bulk assignment."""

    staff: StaffMember
    placement: Placement | None = None
    refusal: Refusal | None = None

    @property
    def outcome(self) -> str:
        return self.placement.status if self.placement else "refused"


@with_actor
@transaction.atomic
def enrollments_assign(
    *,
    staff: Iterable[StaffMember],
    session: Session,
    actor: User,
    override_window: bool = False,
    include_credited: bool = False,
    because: str = "",
    now: dt.datetime | None = None,
) -> list[AssignmentResult]:
    """Assign many people to a session with the rules of enrollment_create, one at a time in the
    order given (so the first ones get the free seats). Each person gets a result: enrolled,
    pending approval, waitlisted, or refused with the reason. Refusals do not stop the others.
    Someone who has completed the course is left out unless include_credited. Only building
    leaders and district PD assign; one mail per kind goes out after commit, saying who assigned
    the place and `because` (why, e.g. the requirement it serves)."""
    now = now or timezone.now()
    people = list(dict.fromkeys(staff))
    if not (access.is_district_pd(actor) or access.led_building_ids(actor)):
        raise Refusal(r.NOT_PERMITTED, r.MSG_ASSIGN_NOT_PERMITTED, 404)
    if override_window and not access.is_district_pd(actor):
        raise Refusal(r.NOT_PERMITTED, r.MSG_OVERRIDE_NOT_PERMITTED, 403)
    actionable = set(
        access.actionable_staff(actor)
        .filter(pk__in=[person.pk for person in people])
        .values_list("pk", flat=True)
    )
    _lock_staff(actionable)
    locked = _lock_session(session)
    credited = {} if include_credited else _last_completions(actionable, locked.course_id)
    results = []
    mail: dict[str, list[int]] = {}
    for person in people:
        if person.pk not in actionable:
            refusal = Refusal(
                r.NOT_PERMITTED, r.MSG_NOT_PERMITTED.format(name=person.display_name), 404
            )
            results.append(AssignmentResult(staff=person, refusal=refusal))
            continue
        if person.pk in credited:
            refusal = eligibility.credited_refusal(person, credited[person.pk])
            results.append(AssignmentResult(staff=person, refusal=refusal))
            continue
        try:
            with transaction.atomic():
                placement = _place(
                    staff=person,
                    session=locked,
                    actor=actor,
                    source=EnrollmentSource.ASSIGNED,
                    override_window=override_window,
                    now=now,
                    mail=mail,
                )
        except Refusal as refusal:
            results.append(AssignmentResult(staff=person, refusal=refusal))
        else:
            results.append(AssignmentResult(staff=person, placement=placement))
    for kind, ids in mail.items():
        notifications.notify(kind, ids, because=because)
    return results


def _last_completions(staff_ids: Iterable[int], course_id: int) -> dict[int, dt.date]:
    """The day each of these people last completed the course, for those who have."""
    return dict(
        Completion.objects.filter(
            staff_id__in=list(staff_ids), course_id=course_id, voided_at__isnull=True
        )
        .values("staff_id")
        .annotate(last=Max("completed_on"))
        .values_list("staff_id", "last")
    )


# Leaving, approving, declining


def _decide(
    enrollment: Enrollment,
    status: str,
    *,
    actor: User | None,
    now: dt.datetime,
    reason: str | None = None,
    also: tuple[str, ...] = (),
) -> None:
    """Save a person's or an approver's decision on an enrollment: the new status, who and when;
    the seat hold ends; the reason, when one is given, replaces the last."""
    enrollment.status = status
    enrollment.status_changed_at = now
    enrollment.hold_expires_at = None
    enrollment.acted_by = actor
    fields = ["status", "status_changed_at", "hold_expires_at", "acted_by", "updated_at", *also]
    if reason is not None:
        enrollment.decision_reason = reason
        fields.append("decision_reason")
    enrollment.save(update_fields=fields)


def _lock_enrollment(enrollment: Enrollment) -> tuple[Enrollment, Session]:
    session = _lock_session(enrollment.session)
    current = Enrollment.objects.select_related("staff", "session__course").get(pk=enrollment.pk)
    return current, session


@with_actor
@transaction.atomic
def enrollment_withdraw(
    *,
    enrollment: Enrollment,
    actor: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Enrollment:
    """Withdraw from a session (the person, their leader, district PD or an admin). The seat goes
    at once to the head of the waitlist. A finished enrollment cannot be withdrawn."""
    now = now or timezone.now()
    if not _may_act_on(actor, enrollment.staff):
        raise Refusal(
            r.NOT_PERMITTED, r.MSG_NOT_PERMITTED.format(name=enrollment.staff.display_name), 404
        )
    current, session = _lock_enrollment(enrollment)
    if not current.may_withdraw(session_ended=_has_ended(session, now=now)):
        template = (
            r.MSG_SESSION_OVER_NOT_WITHDRAWABLE
            if current.status in WITHDRAWABLE_STATUSES
            else r.MSG_NOT_WITHDRAWABLE
        )
        raise Refusal(
            r.NOT_WITHDRAWABLE, template.format(status=current.get_status_display().lower())
        )
    previous_status = current.status
    _decide(current, EnrollmentStatus.WITHDRAWN, actor=actor, now=now, reason=reason.strip())
    # Only a place that had been invited (a seat) gets its meetings cancelled by mail.
    notifications.notify(notifications.WITHDRAWN, [current.pk], previous_status=previous_status)
    _refresh_seats(session, now=now)
    return current


@with_actor
@transaction.atomic
def enrollment_approve(
    *, enrollment: Enrollment, actor: User, now: dt.datetime | None = None
) -> Enrollment:
    """A building leader (of the person's building) or district PD approves a pending request;
    the person keeps the seat the request held."""
    now = now or timezone.now()
    if not eligibility.may_approve(actor, enrollment.staff):
        raise Refusal(
            r.NOT_PERMITTED, r.MSG_NOT_PERMITTED.format(name=enrollment.staff.display_name), 404
        )
    current, _session = _lock_enrollment(enrollment)
    if (
        current.status == EnrollmentStatus.PENDING_APPROVAL
        and current.hold_expires_at
        and (current.hold_expires_at <= now)
    ):
        # Seat counts already ignore the expired hold; the lapse itself is recorded (and mailed)
        # by the next write on the session or by lapse_approval_holds.
        raise Refusal(
            r.APPROVAL_LAPSED, r.MSG_APPROVAL_LAPSED.format(days=settings.APPROVAL_HOLD_DAYS)
        )
    if current.status != EnrollmentStatus.PENDING_APPROVAL:
        raise Refusal(
            r.NOT_PENDING, r.MSG_NOT_PENDING.format(status=current.get_status_display().lower())
        )
    current.approved_at = now
    current.approved_by = actor
    _decide(
        current,
        EnrollmentStatus.ENROLLED,
        actor=actor,
        now=now,
        also=("approved_at", "approved_by"),
    )
    notifications.notify(notifications.APPROVED, [current.pk])
    return current


def _decline_reason(reason: str | None) -> str:
    """The reason given for a decline, stripped; a Refusal when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(
            r.REASON_REQUIRED, r.MSG_DECLINE_NEEDS_REASON, 400, details={"field": "reason"}
        )
    if "\x00" in reason:
        # The page posts the reason as typed; PostgreSQL refuses to store NUL in text.
        raise Refusal(r.INVALID_VALUE, r.MSG_REASON_NUL, 400, details={"field": "reason"})
    return reason


@with_actor
@transaction.atomic
def enrollment_decline(
    *, enrollment: Enrollment, actor: User, reason: str, now: dt.datetime | None = None
) -> Enrollment:
    """A building leader or district PD declines a pending request, saying why; the seat it held
    goes to the head of the waitlist."""
    now = now or timezone.now()
    if not eligibility.may_approve(actor, enrollment.staff):
        raise Refusal(
            r.NOT_PERMITTED, r.MSG_NOT_PERMITTED.format(name=enrollment.staff.display_name), 404
        )
    reason = _decline_reason(reason)
    current, session = _lock_enrollment(enrollment)
    if current.status != EnrollmentStatus.PENDING_APPROVAL:
        raise Refusal(
            r.NOT_PENDING, r.MSG_NOT_PENDING.format(status=current.get_status_display().lower())
        )
    _decide(current, EnrollmentStatus.DECLINED, actor=actor, now=now, reason=reason)
    notifications.notify(notifications.DECLINED, [current.pk])
    _refresh_seats(session, now=now)
    return current


# Cancelling and changing sessions


@dataclass
class Decisions:
    """What deciding several requests did: those decided, and those refused with why."""

    decided: list[Enrollment]
    refused: list[tuple[Enrollment, Refusal]]


def enrollments_decide(
    *, enrollments: list[Enrollment], actor: User, approve: bool, reason: str = ""
) -> Decisions:
    """Approve, or decline with one reason, several requests, each in its own transaction as
    enrollment_approve and enrollment_decline decide one. A decline without a reason is refused
    before any is decided."""
    if not approve:
        reason = _decline_reason(reason)
    result = Decisions(decided=[], refused=[])
    for enrollment in enrollments:
        try:
            if approve:
                enrollment_approve(enrollment=enrollment, actor=actor)
            else:
                enrollment_decline(enrollment=enrollment, actor=actor, reason=reason)
        except Refusal as refusal:
            result.refused.append((enrollment, refusal))
        else:
            result.decided.append(enrollment)
    return result


@with_actor
@transaction.atomic
def session_cancel(
    *, session: Session, actor: User | None, reason: str, now: dt.datetime | None = None
) -> int:
    """Cancel a whole session: its live enrollments are cancelled with it (finished ones stay as
    they are), calendars see the change, and everyone who had a place is mailed. Nothing is
    deleted. Returns how many enrollments were cancelled. District PD (and admins) cancel."""
    now = now or timezone.now()
    _check_district_pd(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(r.REASON_REQUIRED, r.MSG_CANCEL_NEEDS_REASON, 400)
    locked = _lock_session(session)
    if locked.status == SessionStatus.CANCELLED:
        raise Refusal(r.ALREADY_CANCELLED, r.MSG_ALREADY_CANCELLED)
    locked.status = SessionStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    session_note_changes(session=locked, changed_fields=["status"])
    places = list(
        Enrollment.objects.filter(session=locked, status__in=CANCELLABLE_STATUSES).values_list(
            "pk", "status"
        )
    )
    affected = [pk for pk, _status in places]
    # Only those who held a seat were sent the events; a CANCEL goes to them alone.
    invited = [pk for pk, status in places if status == EnrollmentStatus.ENROLLED]
    data_changes.record()
    with tracking(Enrollment.objects.filter(pk__in=affected)):
        Enrollment.objects.filter(pk__in=affected).update(
            status=EnrollmentStatus.CANCELLED,
            status_changed_at=now,
            hold_expires_at=None,
            acted_by=actor,
            decision_reason=reason,
            updated_at=now,
        )
    notifications.notify(notifications.SESSION_CANCELLED, affected, reason=reason, invited=invited)
    return len(affected)


@with_actor
@transaction.atomic
def meeting_cancel(
    *, meeting: Meeting, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Meeting:
    """Cancel one meeting of a session: it stays, marked cancelled (calendars show it struck
    through), and the participants are mailed. Completion then needs only the meetings held.
    District PD (and admins) cancel."""
    now = now or timezone.now()
    _check_district_pd(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(r.REASON_REQUIRED, r.MSG_CANCEL_NEEDS_REASON, 400)
    _lock_session(meeting.session)
    current = Meeting.objects.select_related("session").get(pk=meeting.pk)
    if current.status == MeetingStatus.CANCELLED:
        raise Refusal(r.ALREADY_CANCELLED, r.MSG_ALREADY_CANCELLED)
    current.status = MeetingStatus.CANCELLED
    meeting_note_changes(meeting=current, changed_fields=["status"])
    current.save(update_fields=["status", "sequence", "updated_at"])
    participants = list(
        Enrollment.objects.filter(session=current.session, status__in=TOLD_OF_CHANGES).values_list(
            "pk", flat=True
        )
    )
    notifications.notify(
        notifications.MEETING_CANCELLED, participants, reason=reason, meeting=current.pk
    )
    # Credit now needs only the meetings still held: someone who attended all of those is done.
    _settle(
        list(
            Enrollment.objects.filter(
                session=current.session, status__in=ROSTER_STATUSES, attendance__isnull=False
            ).distinct()
        ),
        actor=actor,
        now=now,
    )
    return current


def session_changed_notify(*, session: Session, what: str) -> None:
    """Tell everyone with a place in the session that something they rely on (time, place) has
    changed. Called by the writes that change a session or its meetings."""
    participants = list(
        Enrollment.objects.filter(session=session, status__in=TOLD_OF_CHANGES).values_list(
            "pk", flat=True
        )
    )
    notifications.notify(notifications.SESSION_CHANGED, participants, reason=what)


# Reminders

# Which reminder is due, by the number of the district's calendar days until the meeting. Each
# kind has two days, so a missed daily run is made up the next day (the 1-day reminder on the
# day itself, in time for the meeting).
REMINDER_DAYS = {
    0: ReminderKind.ONE_DAY,
    1: ReminderKind.ONE_DAY,
    2: ReminderKind.THREE_DAYS,
    3: ReminderKind.THREE_DAYS,
}


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Mail a reminder 3 days and 1 day before each meeting to everyone with a seat in it (on
    the roster, incomplete included while meetings remain, or waiting for approval with the seat
    still held). Cancelled meetings, cancelled or draft sessions, meetings that have started and
    people who have left the district get none. Each reminder is recorded, with its message in
    the mail outbox, and goes out once per enrollment, meeting, kind and start (a meeting moved
    after its reminder gets a new one), so the daily job may run again at any time and does
    nothing twice. A fixed number of queries however many are due. Returns how many were
    recorded; the outbox retries any the mail server does not take at once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        due = _reminders_record(now=now, today=today)
        if due:
            notifications.record_reminders(due, today)
    return len(due)


def _reminders_record(*, now: dt.datetime, today: dt.date) -> list[Reminder]:
    horizon = timezone.make_aware(
        dt.datetime.combine(today + dt.timedelta(days=max(REMINDER_DAYS) + 1), dt.time.min)
    )
    # Locked, so that two runs at once queue here and the second sees the first's reminders.
    meetings = list(
        Meeting.objects.select_for_update(of=("self",))
        .filter(starts_at__gt=now, starts_at__lt=horizon, session__status=SessionStatus.PUBLISHED)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("session__course", "session__building")
        .order_by("pk")
    )
    if not meetings:
        return []
    seat_held = Q(status__in=ROSTER_STATUSES) | Q(
        Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now),
        status=EnrollmentStatus.PENDING_APPROVAL,
    )
    by_session: dict[int, list[Enrollment]] = {}
    for enrollment in (
        Enrollment.objects.filter(seat_held, session_id__in={m.session_id for m in meetings})
        .exclude(staff__status=StaffStatus.SEPARATED)
        .select_related("staff")
        .order_by("pk")
    ):
        by_session.setdefault(enrollment.session_id, []).append(enrollment)
    already = set(
        Reminder.objects.filter(meeting__in=meetings).values_list(
            "enrollment_id", "meeting_id", "kind", "starts_at"
        )
    )
    due = []
    for meeting in meetings:
        kind = REMINDER_DAYS[(timezone.localdate(meeting.starts_at) - today).days]
        for enrollment in by_session.get(meeting.session_id, []):
            if (enrollment.pk, meeting.pk, kind, meeting.starts_at) not in already:
                due.append(
                    Reminder(
                        enrollment=enrollment,
                        meeting=meeting,
                        kind=kind,
                        starts_at=meeting.starts_at,
                        sent_at=now,
                    )
                )
    Reminder.objects.bulk_create(due)
    return due


# Attendance and completion


@dataclass(frozen=True)
class AttendanceChange:
    enrollment_id: int
    present: bool
    created: bool


@with_actor
@transaction.atomic
def attendance_record(
    *,
    meeting: Meeting,
    marks: Mapping[int, bool],
    actor: User,
    now: dt.datetime | None = None,
) -> list[AttendanceChange]:
    """Record who was at a meeting: `marks` maps enrollment ids of the session's roster to
    present (True) or absent (False); one person or the whole roster at once. Late changes are
    allowed: each changed mark records who changed it and when. Completions follow: recorded
    when every held meeting is attended (and the evaluation is in, where the course asks for
    it), voided if a correction breaks the rule. Returns the marks that changed."""
    now = now or timezone.now()
    session = meeting.session
    if not session_access.manageable_sessions(actor).filter(pk=session.pk).exists():
        raise Refusal(r.NOT_PERMITTED, r.MSG_NOT_FACILITATOR, 404)
    _lock_session(session)
    # Read again under the lock: a cancellation may have just been committed.
    meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting.session_id != session.pk:
        raise Refusal(r.INVALID_VALUE, r.MSG_MEETING_OF_OTHER_SESSION, 400)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Refusal(r.MEETING_CANCELLED, r.MSG_MEETING_CANCELLED)
    if timezone.localdate(meeting.starts_at) > timezone.localdate(now):
        raise Refusal(
            r.MEETING_NOT_STARTED,
            r.MSG_MEETING_NOT_STARTED.format(when=day(timezone.localdate(meeting.starts_at))),
        )
    roster = {
        enrollment.pk: enrollment
        for enrollment in Enrollment.objects.filter(
            session=session, status__in=ROSTER_STATUSES, pk__in=list(marks)
        ).select_related("staff")
    }
    unknown = [pk for pk in marks if pk not in roster]
    if unknown:
        # Named only when they have a place in this session (e.g. on its waitlist): an id from
        # elsewhere must not tell who is enrolled in other sessions.
        other = (
            Enrollment.objects.filter(pk__in=unknown, session=session)
            .select_related("staff")
            .first()
        )
        name = other.staff.display_name if other else f"Enrollment {unknown[0]}"
        raise Refusal(
            r.NOT_ON_ROSTER,
            r.MSG_NOT_ON_ROSTER.format(name=name),
            400,
            details={"enrollments": unknown},
        )
    return _write_marks(meeting=meeting, marks=marks, roster=roster, actor=actor, now=now)


def _write_marks(
    *,
    meeting: Meeting,
    marks: Mapping[int, bool],
    roster: Mapping[int, Enrollment],
    actor: User,
    now: dt.datetime,
) -> list[AttendanceChange]:
    """Write the marks that change, each keeping who made it and when, and settle the
    enrollments they change. The session must be locked."""
    existing = {
        attendance.enrollment_id: attendance
        for attendance in Attendance.objects.filter(meeting=meeting, enrollment_id__in=list(marks))
    }
    created, updated, changes = [], [], []
    for enrollment_id, present in marks.items():
        present = bool(present)
        record = existing.get(enrollment_id)
        if record is None:
            created.append(
                Attendance(
                    enrollment_id=enrollment_id,
                    meeting=meeting,
                    present=present,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
            changes.append(AttendanceChange(enrollment_id, present, created=True))
        elif record.present != present:
            record.present, record.recorded_by, record.recorded_at = present, actor, now
            record.updated_at = now
            updated.append(record)
            changes.append(AttendanceChange(enrollment_id, present, created=False))
    data_changes.record()
    with tracking(Attendance.objects.filter(meeting=meeting, enrollment_id__in=list(marks))):
        Attendance.objects.bulk_create(created)
        Attendance.objects.bulk_update(
            updated, ["present", "recorded_by", "recorded_at", "updated_at"]
        )
    if changes:
        _settle([roster[change.enrollment_id] for change in changes], actor=actor, now=now)
    return changes


@dataclass(frozen=True)
class CheckIn:
    """A self check-in: the meeting and the enrollment marked present, and whether it already
    was (a second check-in changes nothing)."""

    meeting: Meeting
    enrollment: Enrollment
    already: bool


def _check_in_tries_key(user: User) -> str:
    return f"check-in-tries:{user.pk}"


def _refuse_check_in(user: User, refusal: Refusal) -> Refusal:
    """Count a failed try (a code guessed for someone's own meeting is what the limit stops)."""
    key = _check_in_tries_key(user)
    cache.add(key, 0, timeout=settings.CHECK_IN_TRIES_MINUTES * 60)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.CHECK_IN_TRIES_MINUTES * 60)
    return refusal


@with_actor
@transaction.atomic
def attendance_check_in(*, user: User, code: str, now: dt.datetime | None = None) -> CheckIn:
    """Mark the signed-in person present at the meeting whose check-in code they give: one of
    their sessions (they hold a seat on its roster) meeting now, from CHECK_IN_OPENS_MINUTES_BEFORE
    its start to CHECK_IN_CLOSES_MINUTES_AFTER its end, with the code showing now or a moment
    ago. The mark records them as who made it; a facilitator may correct it like any other.
    Refuses, writing nothing, a malformed, expired or wrong code, a time with none of their
    meetings, and more than CHECK_IN_MAX_TRIES failed tries in CHECK_IN_TRIES_MINUTES."""
    now = now or timezone.now()
    staff = access.staff_of(user)
    if staff is None:
        raise Refusal(r.NOT_PERMITTED, r.MSG_NO_STAFF_RECORD, 404)
    if (cache.get(_check_in_tries_key(user)) or 0) >= settings.CHECK_IN_MAX_TRIES:
        raise Refusal(
            r.CHECK_IN_TOO_MANY_TRIES,
            r.MSG_CHECK_IN_TOO_MANY_TRIES.format(minutes=settings.CHECK_IN_TRIES_MINUTES),
            429,
        )
    code = checkin.normalise(code)
    if not checkin.well_formed(code):
        raise _refuse_check_in(
            user,
            Refusal(
                r.INVALID_VALUE,
                r.MSG_CHECK_IN_CODE_FORMAT.format(length=checkin.LENGTH, example=checkin.EXAMPLE),
                400,
                details={"field": "code"},
            ),
        )
    before = dt.timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)
    after = dt.timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER)
    places = {
        enrollment.session_id: enrollment
        for enrollment in Enrollment.objects.filter(
            staff=staff, status__in=ROSTER_STATUSES
        ).select_related("staff")
    }
    meetings = list(
        Meeting.objects.filter(
            session_id__in=list(places),
            starts_at__lte=now + before,
            ends_at__gte=now - after,
        )
        .exclude(status=MeetingStatus.CANCELLED)
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session")
        .order_by("starts_at", "pk")
    )
    if not meetings:
        raise Refusal(
            r.CHECK_IN_CLOSED,
            r.MSG_CHECK_IN_CLOSED.format(
                before=settings.CHECK_IN_OPENS_MINUTES_BEFORE,
                after=settings.CHECK_IN_CLOSES_MINUTES_AFTER,
            ),
        )
    meeting = next((m for m in meetings if checkin.accepts(m, code, now)), None)
    if meeting is None:
        expired = any(checkin.was_once(m, code, now) for m in meetings)
        raise _refuse_check_in(
            user,
            Refusal(r.CHECK_IN_CODE_EXPIRED, r.MSG_CHECK_IN_CODE_EXPIRED, 400)
            if expired
            else Refusal(r.CHECK_IN_CODE_WRONG, r.MSG_CHECK_IN_CODE_WRONG, 400),
        )
    _lock_session(meeting.session)
    enrollment = places[meeting.session_id]
    changes = _write_marks(
        meeting=meeting,
        marks={enrollment.pk: True},
        roster={enrollment.pk: enrollment},
        actor=user,
        now=now,
    )
    return CheckIn(meeting=meeting, enrollment=enrollment, already=not changes)


def _settle(enrollments: list[Enrollment], *, actor: User | None, now: dt.datetime) -> None:
    """Bring the enrollments' status and completion in line with their attendance and
    evaluation. One pass over all of them: a fixed number of queries for a whole roster."""
    if not enrollments:
        return
    session_ids = {enrollment.session_id for enrollment in enrollments}
    held: dict[int, set[int]] = {}
    last_ends_at: dict[int, dt.datetime] = {}
    for session_id, meeting_id, ends_at in (
        Meeting.objects.filter(session_id__in=session_ids)
        .exclude(status=MeetingStatus.CANCELLED)
        .values_list("session_id", "pk", "ends_at")
        .order_by("starts_at")
    ):
        held.setdefault(session_id, set()).add(meeting_id)
        last_ends_at[session_id] = ends_at
    ids = [enrollment.pk for enrollment in enrollments]
    attended: dict[int, set[int]] = {}
    recorded: dict[int, set[int]] = {}
    for enrollment_id, meeting_id, present in Attendance.objects.filter(
        enrollment_id__in=ids
    ).values_list("enrollment_id", "meeting_id", "present"):
        recorded.setdefault(enrollment_id, set()).add(meeting_id)
        if present:
            attended.setdefault(enrollment_id, set()).add(meeting_id)
    evaluated = set(
        Evaluation.objects.filter(enrollment_id__in=ids).values_list("enrollment_id", flat=True)
    )
    completions = {
        completion.enrollment_id: completion
        for completion in Completion.objects.filter(enrollment_id__in=ids, voided_at__isnull=True)
    }
    # A completion district PD voided stays voided: attendance edits do not credit it again (a
    # new completion is then recorded by hand).
    voided_by_people = set(
        Completion.objects.filter(enrollment_id__in=ids, voided_at__isnull=False)
        .exclude(void_reason=AUTOMATIC_VOID_REASON)
        .values_list("enrollment_id", flat=True)
    )
    enrollments = list(
        Enrollment.objects.filter(pk__in=ids).select_related("session__course", "staff")
    )
    to_create, to_void, changed = [], [], []
    for enrollment in enrollments:
        course = enrollment.session.course
        meetings = held.get(enrollment.session_id, set())
        all_attended = bool(meetings) and meetings <= attended.get(enrollment.pk, set())
        evaluation_ok = not course.evaluation_required or enrollment.pk in evaluated
        missed = bool(
            meetings & (recorded.get(enrollment.pk, set()) - attended.get(enrollment.pk, set()))
        )
        completion = completions.get(enrollment.pk)
        if enrollment.pk in voided_by_people and completion is None:
            status = EnrollmentStatus.INCOMPLETE
        elif all_attended and evaluation_ok:
            status = EnrollmentStatus.COMPLETED
            if completion is None:
                to_create.append(
                    Completion(
                        staff=enrollment.staff,
                        course=course,
                        enrollment=enrollment,
                        completed_on=timezone.localdate(last_ends_at[enrollment.session_id]),
                        clock_hours=course.clock_hours,
                        source=CompletionSource.SESSION,
                        recorded_by=actor,
                    )
                )
        else:
            status = EnrollmentStatus.INCOMPLETE if missed else EnrollmentStatus.ENROLLED
            if completion is not None:
                completion.voided_at = now
                completion.voided_by = actor
                completion.void_reason = AUTOMATIC_VOID_REASON
                completion.updated_at = now
                to_void.append(completion)
        if enrollment.status != status:
            enrollment.status = status
            enrollment.status_changed_at = now
            enrollment.updated_at = now
            changed.append(enrollment)
    data_changes.record()
    with tracking(
        Completion.objects.filter(enrollment_id__in=ids),
        Enrollment.objects.filter(pk__in=[enrollment.pk for enrollment in changed]),
    ):
        Completion.objects.bulk_update(
            to_void, ["voided_at", "voided_by", "void_reason", "updated_at"]
        )
        # A completion already recorded for the same person, course and day (a manual record,
        # or a concurrent writer) stands; the unique constraint leaves this one out.
        Completion.objects.bulk_create(to_create, ignore_conflicts=True)
        Enrollment.objects.bulk_update(changed, ["status", "status_changed_at", "updated_at"])


# Evaluations

RATING_FIELDS = ("content_rating", "facilitator_rating", "relevance_rating")


@with_actor
@transaction.atomic
def evaluation_submit(
    *,
    enrollment: Enrollment,
    actor: User,
    content_rating: int,
    facilitator_rating: int,
    relevance_rating: int,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Evaluation:
    """The participant's own survey after the session: open once the last meeting has started,
    once per enrollment. Where the course asks for it, it completes the credit."""
    now = now or timezone.now()
    own = access.staff_of(actor)
    if own is None or own.pk != enrollment.staff_id:
        raise Refusal(r.NOT_PERMITTED, r.MSG_NOT_PARTICIPANT, 404)
    ratings = {
        "content_rating": content_rating,
        "facilitator_rating": facilitator_rating,
        "relevance_rating": relevance_rating,
    }
    for name, value in ratings.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            label = Evaluation._meta.get_field(name).verbose_name.capitalize()
            raise Refusal(
                r.RATING_OUT_OF_RANGE,
                r.MSG_RATING_OUT_OF_RANGE.format(field=label),
                400,
                details={"field": name},
            )
    _lock_session(enrollment.session)
    current = Enrollment.objects.select_related("session__course").get(pk=enrollment.pk)
    if current.status not in ROSTER_STATUSES:
        raise Refusal(r.EVALUATION_NOT_OPEN, r.MSG_EVALUATION_NOT_ATTENDED)
    last_start = (
        Meeting.objects.filter(session_id=current.session_id)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if last_start is None or last_start > now:
        when = moment(last_start) if last_start else "once its dates are set"
        raise Refusal(r.EVALUATION_NOT_OPEN, r.MSG_EVALUATION_NOT_OPEN.format(when=when))
    if Evaluation.objects.filter(enrollment=current).exists():
        raise Refusal(r.EVALUATION_ALREADY_SUBMITTED, r.MSG_EVALUATION_ALREADY_SUBMITTED)
    evaluation = Evaluation(
        enrollment=current, comment=(comment or "").strip(), submitted_at=now, **ratings
    )
    evaluation.full_clean()
    evaluation.save()
    if current.session.course.evaluation_required:
        _settle([current], actor=None, now=now)
    return evaluation


# Completions


@with_actor
@transaction.atomic
def completion_record(
    *,
    staff: StaffMember,
    course: Course,
    completed_on: dt.date,
    clock_hours: Decimal | None,
    evidence: str,
    actor: User | None,
    source: str = CompletionSource.MANUAL,
    now: dt.datetime | None = None,
) -> Completion:
    """District PD records credit earned outside a session (external PD), with evidence; an
    import by HR or district PD records it with source "import". The course's clock hours apply
    unless others are given."""
    now = now or timezone.now()
    if source == CompletionSource.IMPORT:
        if actor is None or not (access.is_district_pd(actor) or access.is_hr(actor)):
            raise Refusal(r.NOT_PERMITTED, r.MSG_DISTRICT_PD_ONLY, 403)
    else:
        _check_district_pd(actor)
    evidence = (evidence or "").strip()
    if not evidence:
        raise Refusal(
            r.EVIDENCE_REQUIRED, r.MSG_EVIDENCE_REQUIRED, 400, details={"field": "evidence"}
        )
    if completed_on > timezone.localdate(now):
        raise Refusal(
            r.INVALID_VALUE, r.MSG_COMPLETED_ON_FUTURE, 400, details={"field": "completed_on"}
        )
    if clock_hours is None:
        clock_hours = course.clock_hours
    try:
        clock_hours = Decimal(clock_hours)
    except (InvalidOperation, TypeError, ValueError):
        raise Refusal(
            r.INVALID_VALUE, r.MSG_CLOCK_HOURS_INVALID, 400, details={"field": "clock_hours"}
        ) from None
    if not clock_hours.is_finite() or not Decimal(0) <= clock_hours < Decimal(1000):
        raise Refusal(
            r.INVALID_VALUE, r.MSG_CLOCK_HOURS_INVALID, 400, details={"field": "clock_hours"}
        )
    _lock_staff([staff.pk])
    if Completion.objects.filter(
        staff=staff, course=course, completed_on=completed_on, voided_at__isnull=True
    ).exists():
        raise Refusal(
            r.COMPLETION_EXISTS,
            r.MSG_COMPLETION_EXISTS.format(
                name=staff.display_name, course=course.code.upper(), day=day(completed_on)
            ),
        )
    completion = Completion(
        staff=staff,
        course=course,
        completed_on=completed_on,
        clock_hours=clock_hours.quantize(Decimal("0.01")),
        source=source,
        evidence=evidence,
        recorded_by=actor,
    )
    completion.full_clean()
    completion.save()
    return completion


@with_actor
@transaction.atomic
def completion_void(
    *, completion: Completion, reason: str, actor: User | None, now: dt.datetime | None = None
) -> Completion:
    """Void a wrong completion, keeping the row: who voided it, when and why. A correction is
    recorded as a new completion. A voided session completion leaves its enrollment incomplete,
    so reports stop counting it. District PD (and admins) void."""
    _check_district_pd(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(r.REASON_REQUIRED, r.MSG_VOID_NEEDS_REASON, 400, details={"field": "reason"})
    # Locked and read afresh, so two people voiding at once cannot both pass the check.
    current = Completion.objects.select_for_update().only("voided_at").get(pk=completion.pk)
    if completion.is_voided or current.is_voided:
        raise Refusal(r.ALREADY_VOIDED, r.MSG_ALREADY_VOIDED)
    now = now or timezone.now()
    completion.voided_at = now
    completion.voided_by = actor
    completion.void_reason = reason
    completion.full_clean()
    completion.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    if completion.enrollment_id is not None:
        data_changes.record()
        with tracking(Enrollment.objects.filter(pk=completion.enrollment_id)):
            Enrollment.objects.filter(
                pk=completion.enrollment_id, status=EnrollmentStatus.COMPLETED
            ).update(
                status=EnrollmentStatus.INCOMPLETE,
                status_changed_at=now,
                acted_by=actor,
                decision_reason=reason,
                updated_at=now,
            )
    return completion


# Outside learning

# The types evidence may be, told by their first bytes (never by the name or the browser's word).
EVIDENCE_TYPES = {
    "application/pdf": ("a PDF", "pdf", (b"%PDF-",)),
    "image/png": ("a PNG image", "png", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ("a JPEG image", "jpg", (b"\xff\xd8\xff",)),
}
_NAMED = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


def evidence_type_of(head: bytes) -> str | None:
    for content_type, (_words, _extension, signatures) in EVIDENCE_TYPES.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def _size_words(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _checked_evidence(upload) -> str:
    """The evidence's type, told by its contents; a Refusal (field "evidence") if it is missing,
    empty, too big, not a PDF, PNG or JPEG, or named as one type while being another."""

    def refuse(message: str) -> Refusal:
        return Refusal(r.INVALID_VALUE, message, 400, details={"field": "evidence"})

    if upload is None:
        raise refuse(r.MSG_OUTSIDE_EVIDENCE_MISSING)
    name = upload.name or "evidence"
    if not upload.size:
        raise refuse(r.MSG_OUTSIDE_EVIDENCE_EMPTY.format(name=name))
    most = settings.OUTSIDE_EVIDENCE_MAX_BYTES
    if upload.size > most:
        raise refuse(
            r.MSG_OUTSIDE_EVIDENCE_TOO_BIG.format(
                name=name, size=_size_words(upload.size), most=_size_words(most)
            )
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    actual = evidence_type_of(head)
    if actual is None:
        raise refuse(r.MSG_OUTSIDE_EVIDENCE_TYPE.format(name=name))
    named = _NAMED.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None
    if named is not None and named != actual:
        raise refuse(
            r.MSG_OUTSIDE_EVIDENCE_MISLABELLED.format(
                name=name,
                named=EVIDENCE_TYPES[named][0],
                actual=EVIDENCE_TYPES[actual][0],
                extension=EVIDENCE_TYPES[actual][1],
            )
        )
    return actual


@with_actor
@transaction.atomic
def outside_activity_submit(
    *,
    staff: StaffMember,
    actor: User,
    title: str,
    provider: str,
    starts_on: dt.date,
    ends_on: dt.date,
    hours: Decimal,
    strand,
    evidence,
    description: str = "",
    now: dt.datetime | None = None,
) -> OutsideActivity:
    """A person submits learning done outside the district's sessions, with evidence, for
    district PD to review. Refuses, writing nothing (no file either), dates that end before they
    start or have not ended yet, hours that are not positive or more than the days allow at
    OUTSIDE_MAX_HOURS_PER_DAY, and evidence that is missing, empty, over
    OUTSIDE_EVIDENCE_MAX_BYTES or not the PDF, PNG or JPEG it is named as."""
    now = now or timezone.now()
    own = access.staff_of(actor)
    if own is None or own.pk != staff.pk:
        raise Refusal(r.NOT_PERMITTED, r.MSG_OUTSIDE_OWN_ONLY, 403)
    if ends_on < starts_on:
        raise Refusal(
            r.INVALID_VALUE,
            r.MSG_OUTSIDE_DATES.format(starts=day(starts_on), ends=day(ends_on)),
            400,
            details={"field": "ends_on"},
        )
    if ends_on > timezone.localdate(now):
        raise Refusal(
            r.INVALID_VALUE,
            r.MSG_OUTSIDE_FUTURE.format(ends=day(ends_on)),
            400,
            details={"field": "ends_on"},
        )
    try:
        hours = Decimal(hours)
    except (InvalidOperation, TypeError, ValueError):
        hours = Decimal("NaN")
    if not hours.is_finite() or hours <= 0:
        raise Refusal(r.INVALID_VALUE, r.MSG_OUTSIDE_HOURS_INVALID, 400, details={"field": "hours"})
    days = (ends_on - starts_on).days + 1
    per_day = settings.OUTSIDE_MAX_HOURS_PER_DAY
    if hours > days * per_day:
        raise Refusal(
            r.INVALID_VALUE,
            r.MSG_OUTSIDE_HOURS_TOO_MANY.format(
                hours=f"{hours.normalize():f}",
                days=days,
                plural="" if days == 1 else "s",
                s="s" if days == 1 else "",
                per_day=per_day,
                most=days * per_day,
            ),
            400,
            details={"field": "hours"},
        )
    evidence_type = _checked_evidence(evidence)
    activity = OutsideActivity(
        staff=staff,
        title=title.strip(),
        provider=provider.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        hours=hours.quantize(Decimal("0.01")),
        strand=strand,
        description=description.strip(),
        evidence_name=(evidence.name or "evidence")[-255:],
        evidence_type=evidence_type,
        evidence_size=evidence.size,
        submitted_at=now,
    )
    activity.full_clean(exclude=["evidence"])
    # The file is written last, and removed again if the row cannot be written.
    activity.evidence.save(evidence.name, evidence, save=False)
    try:
        activity.save()
    except BaseException:
        activity.evidence.storage.delete(activity.evidence.name)
        raise
    return activity


def _outside_strand_course(strand) -> Course:
    """The course an approved outside activity is credited under: one per strand, inactive (it
    is never offered in the catalog), so clock-hours requirements in the strand count it."""
    course, _ = Course.objects.get_or_create(
        code=f"outside-{strand.code}",
        defaults={
            "title": f"Outside learning: {strand.name}",
            "strand": strand,
            "summary": "Professional learning done outside the district's sessions and approved "
            "by district PD.",
            "clock_hours": Decimal(0),
            "active": False,
        },
    )
    return course


def _lock_outside(activity: OutsideActivity) -> OutsideActivity:
    return (
        OutsideActivity.objects.select_for_update(of=("self",))
        .select_related("staff", "strand")
        .get(pk=activity.pk)
    )


@with_actor
@transaction.atomic
def outside_activity_approve(
    *,
    activity: OutsideActivity,
    actor: User,
    hours: Decimal | None = None,
    now: dt.datetime | None = None,
) -> OutsideActivity:
    """District PD approves an outside activity: a completion with source "outside", dated the
    day it ended, for the hours approved (the hours claimed unless others are given); the person
    is mailed."""
    now = now or timezone.now()
    _check_district_pd(actor)
    activity = _lock_outside(activity)
    if activity.status != OutsideActivityStatus.SUBMITTED:
        raise Refusal(
            r.NOT_PENDING,
            r.MSG_OUTSIDE_NOT_SUBMITTED.format(status=activity.get_status_display().lower()),
        )
    approved = activity.hours if hours in (None, "") else hours
    completion = completion_record(
        staff=activity.staff,
        course=_outside_strand_course(activity.strand),
        completed_on=activity.ends_on,
        clock_hours=approved,
        evidence=f"{activity.title}, {activity.provider} ({day(activity.starts_on)}"
        + (f" to {day(activity.ends_on)}" if activity.ends_on != activity.starts_on else "")
        + ")",
        actor=actor,
        source=CompletionSource.OUTSIDE,
        now=now,
    )
    activity.status = OutsideActivityStatus.APPROVED
    activity.approved_hours = completion.clock_hours
    activity.completion = completion
    activity.decided_at, activity.decided_by = now, actor
    activity.save(
        update_fields=[
            "status",
            "approved_hours",
            "completion",
            "decided_at",
            "decided_by",
            "updated_at",
        ]
    )
    notifications.notify_outside(notifications.OUTSIDE_APPROVED, activity)
    return activity


@with_actor
@transaction.atomic
def outside_activity_decline(
    *, activity: OutsideActivity, actor: User, reason: str, now: dt.datetime | None = None
) -> OutsideActivity:
    """District PD declines an outside activity, saying why; the person is mailed the reason."""
    now = now or timezone.now()
    _check_district_pd(actor)
    reason = _decline_reason(reason)
    activity = _lock_outside(activity)
    if activity.status != OutsideActivityStatus.SUBMITTED:
        raise Refusal(
            r.NOT_PENDING,
            r.MSG_OUTSIDE_NOT_SUBMITTED.format(status=activity.get_status_display().lower()),
        )
    activity.status = OutsideActivityStatus.DECLINED
    activity.decision_reason = reason
    activity.decided_at, activity.decided_by = now, actor
    activity.save(
        update_fields=["status", "decision_reason", "decided_at", "decided_by", "updated_at"]
    )
    notifications.notify_outside(notifications.OUTSIDE_DECLINED, activity)
    return activity

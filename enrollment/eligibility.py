"""The enrollment rules, written once as functions of what is known about a person and a session.

The service (`services._place`) loads the facts of one person under lock and raises the first
refusal; the pages and the API load the facts of the signed-in person once and ask the same
functions, for every session they list, what would happen on a click: so a button is offered only
where the service would accept it, and a refusal is said before anyone clicks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch, QuerySet, prefetch_related_objects

from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Meeting, RegistrationState, Session
from core import refusals as r
from core.refusals import Refusal
from core.text import day, moment
from learning import access
from learning.choices import StaffStatus
from learning.models import StaffMember

from .choices import LIVE_STATUSES, SEAT_HOLDING_STATUSES, EnrollmentStatus
from .models import Completion, Enrollment

# Places that are booked but not yet credited: a requirement they count towards is under way.
BOOKED_STATUSES = (
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.WAITLISTED,
)

# What a click would do, for the button's words.
ENROLL = "enroll"
REQUEST = "request"
WAITLIST = "waitlist"


@dataclass(frozen=True)
class BusyMeeting:
    """A meeting of a session the person has a live place in."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    meeting_id: int
    session_id: int
    session_title: str
    status: str

    @property
    def seated(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES


@dataclass
class PersonFacts:
    """What the rules need to know of one person: their record, groups, completed courses (the
    last day of each) and live places with the meetings they take up."""

    staff: StaffMember
    group_ids: frozenset[int] = frozenset()
    completed_on: dict[int, dt.date] = field(default_factory=dict)
    places: dict[int, Enrollment] = field(default_factory=dict)
    busy: list[BusyMeeting] = field(default_factory=list)


def person_facts(staff: StaffMember) -> PersonFacts:
    """The person's facts in four queries, however many places and completions they hold."""
    places = {
        enrollment.session_id: enrollment
        for enrollment in Enrollment.objects.filter(
            staff=staff, status__in=LIVE_STATUSES
        ).select_related("session__course")
    }
    busy = [
        BusyMeeting(
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            meeting_id=meeting.pk,
            session_id=meeting.session_id,
            session_title=places[meeting.session_id].session.display_title,
            status=places[meeting.session_id].status,
        )
        for meeting in Meeting.objects.filter(session_id__in=list(places))
        .exclude(status=MeetingStatus.CANCELLED)
        .exclude(session__status=SessionStatus.CANCELLED)
        .order_by("starts_at", "pk")
    ]
    completed_on = dict(
        Completion.objects.filter(staff=staff, voided_at__isnull=True)
        .values("course_id")
        .annotate(last=Max("completed_on"))
        .values_list("course_id", "last")
    )
    return PersonFacts(
        staff=staff,
        group_ids=frozenset(staff.staff_groups.values_list("pk", flat=True)),
        completed_on=completed_on,
        places=places,
        busy=busy,
    )


def people_facts(staff: Iterable[StaffMember]) -> dict[int, PersonFacts]:
    """person_facts for many people at once, by staff id, in four queries however many."""
    people = {person.pk: person for person in staff}
    places: dict[int, dict[int, Enrollment]] = {pk: {} for pk in people}
    for enrollment in Enrollment.objects.filter(
        staff_id__in=list(people), status__in=LIVE_STATUSES
    ).select_related("session__course"):
        places[enrollment.staff_id][enrollment.session_id] = enrollment
    by_session: dict[int, list[int]] = {}
    for staff_id, held in places.items():
        for session_id in held:
            by_session.setdefault(session_id, []).append(staff_id)
    busy: dict[int, list[BusyMeeting]] = {pk: [] for pk in people}
    for meeting in (
        Meeting.objects.filter(session_id__in=list(by_session))
        .exclude(status=MeetingStatus.CANCELLED)
        .exclude(session__status=SessionStatus.CANCELLED)
        .order_by("starts_at", "pk")
    ):
        for staff_id in by_session[meeting.session_id]:
            place = places[staff_id][meeting.session_id]
            busy[staff_id].append(
                BusyMeeting(
                    starts_at=meeting.starts_at,
                    ends_at=meeting.ends_at,
                    meeting_id=meeting.pk,
                    session_id=meeting.session_id,
                    session_title=place.session.display_title,
                    status=place.status,
                )
            )
    completed_on: dict[int, dict[int, dt.date]] = {pk: {} for pk in people}
    for staff_id, course_id, last in (
        Completion.objects.filter(staff_id__in=list(people), voided_at__isnull=True)
        .values("staff_id", "course_id")
        .annotate(last=Max("completed_on"))
        .values_list("staff_id", "course_id", "last")
    ):
        completed_on[staff_id][course_id] = last
    groups: dict[int, set[int]] = {pk: set() for pk in people}
    for staff_id, group_id in StaffMember.staff_groups.through.objects.filter(
        staffmember_id__in=list(people)
    ).values_list("staffmember_id", "staffgroup_id"):
        groups[staff_id].add(group_id)
    return {
        pk: PersonFacts(
            staff=person,
            group_ids=frozenset(groups[pk]),
            completed_on=completed_on[pk],
            places=places[pk],
            busy=busy[pk],
        )
        for pk, person in people.items()
    }


def _rule_lookups() -> tuple:
    return (
        "course__prerequisites",
        "course__audience_positions",
        "course__audience_buildings",
        "audience_positions",
        "audience_buildings",
        Prefetch("meetings", queryset=Meeting.objects.order_by("starts_at", "id")),
    )


def with_rules(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with what the rules read of them loaded in a fixed number of queries: the course's
    prerequisites, the audiences of the session and its course, and the meetings."""
    return sessions.select_related("course", "restricted_to_group").prefetch_related(
        *_rule_lookups()
    )


def load_rules(*sessions: Session) -> Session | None:
    """Sessions already fetched (locked, or shaped for a page) with what the rules read of them
    loaded; lookups already loaded are not loaded again. Returns the first."""
    prefetch_related_objects(list(sessions), *_rule_lookups())
    return sessions[0] if sessions else None


# The rules, in the order the service applies them.


def credited_refusal(person: StaffMember, completed_on: dt.date) -> Refusal:
    """The refusal of an assigned place to someone who has completed the course, unless the
    assigner asks to include them."""
    return Refusal(
        r.ALREADY_CREDITED,
        r.MSG_ALREADY_CREDITED.format(name=person.display_name, when=day(completed_on)),
    )


def may_approve(actor, staff: StaffMember) -> bool:
    """District PD approves anyone; a building leader approves the staff of their buildings, but
    not their own requests."""
    if actor is None:
        return False
    if access.is_district_pd(actor):
        return True
    own = access.staff_of(actor)
    return (
        own is not None
        and own.pk != staff.pk
        and staff.building_id is not None
        and staff.building_id in access.led_building_ids(actor)
    )


def open_refusal(session: Session, *, now: dt.datetime, override_window: bool) -> Refusal | None:
    state = session.registration_state(now)
    if state == RegistrationState.DRAFT:
        return Refusal(r.SESSION_DRAFT, r.MSG_SESSION_DRAFT)
    if state == RegistrationState.CANCELLED:
        return Refusal(r.SESSION_CANCELLED, r.MSG_SESSION_CANCELLED)
    if state == RegistrationState.ENDED:
        return Refusal(r.SESSION_ENDED, r.MSG_SESSION_ENDED)
    if override_window:
        return None
    if state == RegistrationState.NOT_YET_OPEN:
        return Refusal(
            r.REGISTRATION_NOT_OPEN,
            r.MSG_REGISTRATION_NOT_OPEN.format(when=moment(session.registration_opens_at)),
            details={"opens_at": session.registration_opens_at.isoformat()},
        )
    if state == RegistrationState.CLOSED:
        return Refusal(
            r.REGISTRATION_CLOSED,
            r.MSG_REGISTRATION_CLOSED.format(when=moment(session.registration_closes_at)),
            details={"closed_at": session.registration_closes_at.isoformat()},
        )
    return None


def already_placed_refusal(
    person: PersonFacts, session: Session, *, personal: bool
) -> Refusal | None:
    live = person.places.get(session.pk)
    if live is None:
        return None
    status = live.get_status_display().lower()
    return Refusal(
        r.ALREADY_ENROLLED,
        r.MSG_ALREADY_ENROLLED_OWN.format(status=status)
        if personal
        else r.MSG_ALREADY_ENROLLED.format(name=person.staff.display_name, status=status),
        details={"enrollment": live.pk, "status": live.status},
    )


def in_audience(person: PersonFacts, session: Session) -> bool:
    """Each condition the session or its course names must hold: every list of positions,
    every list of buildings, and the group."""
    staff = person.staff
    for positions in (session.course.audience_positions.all(), session.audience_positions.all()):
        if positions and staff.position_id not in {p.pk for p in positions}:
            return False
    for buildings in (session.course.audience_buildings.all(), session.audience_buildings.all()):
        if buildings and staff.building_id not in {b.pk for b in buildings}:
            return False
    group_id = session.restricted_to_group_id
    return group_id is None or group_id in person.group_ids


def audience_refusal(person: PersonFacts, session: Session) -> Refusal | None:
    if in_audience(person, session):
        return None
    if (
        session.restricted_to_group_id is not None
        and not session.course.audience_positions.all()
        and not session.audience_positions.all()
        and not session.course.audience_buildings.all()
        and not session.audience_buildings.all()
    ):
        message = r.MSG_NOT_IN_AUDIENCE.format(group=session.restricted_to_group.name)
    else:
        message = r.MSG_NOT_IN_AUDIENCE_FOR.format(audience=session.audience_words)
    return Refusal(r.NOT_IN_AUDIENCE, message)


def prerequisites_refusal(person: PersonFacts, session: Session) -> Refusal | None:
    required = sorted(session.course.prerequisites.all(), key=lambda course: course.code)
    missing = [course for course in required if course.pk not in person.completed_on]
    if not missing:
        return None
    names = "; ".join(f"{course.code.upper()} {course.title}" for course in missing)
    template = (
        r.MSG_PREREQUISITES_MISSING if len(missing) == 1 else r.MSG_PREREQUISITES_MISSING_MANY
    )
    return Refusal(
        r.PREREQUISITES_MISSING,
        template.format(courses=names),
        details={"courses": [course.code for course in missing]},
    )


def clash(person: PersonFacts, session: Session, *, seated: bool) -> BusyMeeting | None:
    """The first of the person's meetings elsewhere that overlaps a meeting of the session.
    Cancelled meetings and sessions clash with nothing, and two waitlist places do not clash
    (neither holds a seat yet): the new place clashes with a waitlist place only if it is a
    seat."""
    if session.status == SessionStatus.CANCELLED:
        return None
    own = [
        (meeting.starts_at, meeting.ends_at)
        for meeting in session.meetings.all()
        if meeting.status != MeetingStatus.CANCELLED
    ]
    for busy in person.busy:
        if busy.session_id == session.pk or not (seated or busy.seated):
            continue
        if any(busy.starts_at < ends_at and busy.ends_at > starts_at for starts_at, ends_at in own):
            return busy
    return None


def schedule_refusal(
    person: PersonFacts, session: Session, *, seated: bool, personal: bool
) -> Refusal | None:
    found = clash(person, session, seated=seated)
    if found is None:
        return None
    status = EnrollmentStatus(found.status).label.lower()
    where = {"session": found.session_title, "when": moment(found.starts_at)}
    return Refusal(
        r.SCHEDULE_CONFLICT,
        r.MSG_SCHEDULE_CONFLICT_OWN.format(**where, status=status)
        if personal
        else r.MSG_SCHEDULE_CONFLICT.format(**where, name=person.staff.display_name, status=status),
        details={"session": found.session_id, "meeting": found.meeting_id},
    )


def refusal(
    person: PersonFacts,
    session: Session,
    *,
    now: dt.datetime,
    seat_free: bool,
    personal: bool,
    override_window: bool = False,
) -> Refusal | None:
    """The first rule that refuses the person a place in the session, or None. `seat_free`: the
    place would be a seat (else a waitlist place). `personal`: the person asks for themselves
    (the audience holds for them; whoever assigns may place anyone)."""
    staff = person.staff
    if staff.status == StaffStatus.SEPARATED:
        return Refusal(r.STAFF_SEPARATED, r.MSG_STAFF_SEPARATED.format(name=staff.display_name))
    return (
        open_refusal(session, now=now, override_window=override_window)
        or already_placed_refusal(person, session, personal=personal)
        or (audience_refusal(person, session) if personal else None)
        or prerequisites_refusal(person, session)
        or schedule_refusal(person, session, seated=seat_free, personal=personal)
    )


@dataclass(frozen=True)
class Eligibility:
    """What the signed-in person may do with a session they have no place in, before they click:
    the action a click would take (None: no click would work) and, if none, why not; and the day
    they last completed the course, if they have (a click enrolls them again: a refresher, said
    before the click)."""

    action: str | None
    refusal: Refusal | None = None
    completed_on: dt.date | None = None

    @property
    def reason(self) -> str:
        return self.refusal.message if self.refusal else ""

    @property
    def code(self) -> str:
        return self.refusal.code if self.refusal else ""

    @property
    def completed_words(self) -> str:
        return (
            f"You completed this course on {day(self.completed_on)}." if self.completed_on else ""
        )


def eligibility(
    person: PersonFacts, session: Session, *, now: dt.datetime, approver: bool = False
) -> Eligibility:
    """What a click on the session would do for the person. Expects the session shaped with
    `seats_left` (catalog.seats) and with_rules. `approver`: the person's own requests need no
    approval (district PD)."""
    seat_free = session.seats_left > 0
    refused = refusal(person, session, now=now, seat_free=seat_free, personal=True)
    completed_on = person.completed_on.get(session.course_id)
    if refused is not None:
        return Eligibility(action=None, refusal=refused, completed_on=completed_on)
    if not seat_free:
        action = WAITLIST
    elif session.approval_required and not approver:
        action = REQUEST
    else:
        action = ENROLL
    return Eligibility(action=action, completed_on=completed_on)


def eligibilities(
    person: PersonFacts, sessions: Iterable[Session], *, now: dt.datetime, approver: bool = False
) -> dict[int, Eligibility]:
    """eligibility() for each session the person has no live place in, by session id."""
    return {
        session.pk: eligibility(person, session, now=now, approver=approver)
        for session in sessions
        if session.pk not in person.places
    }

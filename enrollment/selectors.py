"""Reads about enrollments, attendance, evaluations and completions, shaped for the pages, the
API and the exports. Seats are an enrollment fact, so the seat annotations live here and the
catalog's selectors use them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone

from catalog import access as session_access
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session
from catalog.seats import with_seats
from catalog.selectors import shape_sessions
from core.text import day
from learning import access
from learning.access import AnyUser
from learning.choices import RequirementKind, StaffStatus
from learning.models import PlanYear, Requirement, StaffGroup, StaffMember

from . import eligibility as rules
from .choices import (
    LIVE_STATUSES,
    ROSTER_STATUSES,
    SEAT_HOLDING_STATUSES,
    EnrollmentSource,
    EnrollmentStatus,
    OutsideActivityStatus,
)
from .models import Attendance, Completion, Enrollment, Evaluation, OutsideActivity


def _count_of(enrollments: QuerySet[Enrollment]) -> Coalesce:
    counted = (
        enrollments.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def seat_holding(at: dt.datetime | None = None) -> Q:
    """Enrollments that hold a seat at `at` (default: the database's now): a pending approval
    only while its hold is on."""
    return Q(status__in=SEAT_HOLDING_STATUSES) & ~Q(
        status=EnrollmentStatus.PENDING_APPROVAL, hold_expires_at__lte=at or Now()
    )


def sessions_with_seats(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate seats_taken, seats_left and waitlist_length. Correlated subqueries, not joins, so
    the counts stay right when other relations are joined or aggregated in the same query."""
    return sessions.annotate(
        seats_taken=_count_of(Enrollment.objects.filter(seat_holding())),
        waitlist_length=_count_of(Enrollment.objects.filter(status=EnrollmentStatus.WAITLISTED)),
    ).annotate(
        seats_left=Greatest(F("capacity") - F("seats_taken"), Value(0), output_field=IntegerField())
    )


def seats_taken(session: Session, *, now: dt.datetime) -> int:
    """Seats held at `now`: enrolled, finished, and pending approvals whose hold is still on."""
    return Enrollment.objects.filter(seat_holding(now), session=session).count()


def waitlist_position(enrollment: Enrollment) -> int | None:
    """The enrollment's place on its session's waitlist (1 = next), or None if not waitlisted."""
    if enrollment.status != EnrollmentStatus.WAITLISTED:
        return None
    return (
        with_waitlist_position(Enrollment.objects.filter(pk=enrollment.pk))
        .values_list("waitlist_position", flat=True)
        .get()
    )


@dataclass(frozen=True)
class WithdrawalLoss:
    """What withdrawing gives up, for the page that asks first: a seat (and how many wait for
    one), a waitlist place (and how far back joining again would put the person) or a request
    waiting for approval."""

    status: str
    waitlist_position: int | None
    waiting: int

    @property
    def rejoin_position(self) -> int:
        """Where joining the waitlist again would put the person: behind everyone waiting."""
        return self.waiting if self.status == EnrollmentStatus.WAITLISTED else self.waiting + 1


def withdrawal_loss(enrollment: Enrollment) -> WithdrawalLoss:
    """Two queries: the person's place on the waitlist, and how many wait in all."""
    return WithdrawalLoss(
        status=enrollment.status,
        waitlist_position=waitlist_position(enrollment),
        waiting=Enrollment.objects.filter(
            session_id=enrollment.session_id, status=EnrollmentStatus.WAITLISTED
        ).count(),
    )


def with_waitlist_position(enrollments: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Annotate waitlist_position (1 = next to get a seat) on waitlisted enrollments; None on
    the others. First come first served: by requested_at, then id."""
    ahead = (
        Enrollment.objects.filter(session=OuterRef("session"), status=EnrollmentStatus.WAITLISTED)
        .filter(
            Q(requested_at__lt=OuterRef("requested_at"))
            | Q(requested_at=OuterRef("requested_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return enrollments.annotate(
        waitlist_position=Case(
            When(
                status=EnrollmentStatus.WAITLISTED,
                then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1,
            ),
            default=None,
            output_field=IntegerField(),
        )
    )


def held_meetings_of_session(aggregate: Aggregate) -> Subquery:
    """An aggregate over the meetings (cancelled ones aside) of an enrollment's session, as a
    correlated subquery on enrollments."""
    return Subquery(
        Meeting.objects.filter(session=OuterRef("session"))
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by()
        .values("session")
        .annotate(value=aggregate)
        .values("value")
    )


def _next_meeting_start(at: dt.datetime) -> Subquery:
    """When the next meeting (not yet ended, not cancelled) of an enrollment's session starts."""
    return Subquery(
        Meeting.objects.filter(session=OuterRef("session"), ends_at__gte=at)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by()
        .values("session")
        .annotate(value=Min("starts_at"))
        .values("value")
    )


def _shaped(enrollments: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    return (
        with_waitlist_position(enrollments)
        .annotate(
            first_starts_at=held_meetings_of_session(Min("starts_at")),
            last_starts_at=held_meetings_of_session(Max("starts_at")),
            last_ends_at=held_meetings_of_session(Max("ends_at")),
            has_evaluation=Exists(Evaluation.objects.filter(enrollment=OuterRef("pk"))),
        )
        .select_related(
            "staff",
            "staff__building",
            "session",
            "session__course",
            "session__course__strand",
            "session__building",
        )
    )


def enrollment_list(*, user: AnyUser) -> QuerySet[Enrollment]:
    """Enrollments the user may see: those of the staff in their scope (learning.access), plus the
    rosters of the sessions they facilitate. Shaped with waitlist positions and meeting dates, in
    a fixed number of queries; unfiltered (EnrollmentFilterSet narrows it). HR keeps staff
    records, not their learning: like anyone else, they see only their own enrollments."""
    scope = Q(staff__in=access.actionable_staff(user)) | Q(
        session__in=session_access.manageable_sessions(user)
    )
    return _shaped(Enrollment.objects.filter(scope)).order_by("-requested_at", "-pk")


def live_enrollment(*, staff: StaffMember | None, session: Session) -> Enrollment | None:
    """The person's live enrollment in the session, shaped, or None."""
    if staff is None:
        return None
    return (
        _shaped(Enrollment.objects.filter(staff=staff, session=session, status__in=LIVE_STATUSES))
        .order_by("-requested_at")
        .first()
    )


@dataclass
class SessionPlace:
    """Where the signed-in user stands with one session, for the session page: their live
    enrollment (or None) and what it still lacks for credit, and whether they may manage the
    session's roster or assign staff to it."""

    staff: StaffMember | None
    enrollment: Enrollment | None = None
    missing: list[str] = field(default_factory=list)
    may_manage: bool = False
    may_assign: bool = False
    # Without a live place: what a click would do, or why none would work.
    eligibility: rules.Eligibility | None = None


def session_place(*, user: AnyUser, session: Session, at: dt.datetime) -> SessionPlace:
    """The user's place in the session: the live enrollment shaped like live_enrollment plus
    attendance counts and `completion_id` (its valid completion, for the certificate link).
    At most two queries beyond the user's roles, whatever the session's size."""
    roles = access.roles_of(user)
    staff = access.staff_of(user)
    place = SessionPlace(
        staff=staff,
        may_assign=bool(roles & {access.Role.BUILDING_LEADER, access.Role.DISTRICT_PD}),
    )
    if staff is not None:
        valid_completion = Completion.objects.filter(
            enrollment=OuterRef("pk"), voided_at__isnull=True
        ).order_by("-completed_on", "-pk")
        place.enrollment = (
            with_attendance_counts(
                _shaped(
                    Enrollment.objects.filter(
                        staff=staff, session=session, status__in=LIVE_STATUSES
                    )
                )
            )
            .annotate(completion_id=Subquery(valid_completion.values("pk")[:1]))
            .order_by("-requested_at")
            .first()
        )
        if place.enrollment is not None:
            place.missing = missing_for_credit(place.enrollment, at=at)
            _mark_withdrawable(place.enrollment, at=at)
        else:
            place.eligibility = rules.eligibility(
                rules.person_facts(staff),
                rules.load_rules(session),
                now=at,
                approver=access.Role.DISTRICT_PD in roles,
            )
    if access.Role.DISTRICT_PD in roles:
        place.may_manage = True
    elif staff is not None:
        place.may_manage = session_access.manageable_sessions(user).filter(pk=session.pk).exists()
    return place


def own_enrollment(*, user: AnyUser, pk: int) -> Enrollment:
    """One of the signed-in person's own enrollments, shaped, whatever its status. Raises
    Enrollment.DoesNotExist for anyone else's, a leader's staff included: the participant pages
    act on oneself only."""
    staff = access.staff_of(user)
    if staff is None:
        raise Enrollment.DoesNotExist("This login has no staff record.")
    return _shaped(Enrollment.objects.filter(staff=staff)).get(pk=pk)


def missing_for_credit(
    enrollment: Enrollment, *, at: dt.datetime, include_evaluation: bool = True
) -> list[str]:
    """What still stands between a live enrollment and its credit, in words for the person:
    e.g. ["2 meetings to attend", "evaluation due"]. Empty once completed. Expects the
    enrollment shaped by enrollment_list / live_enrollment, with `attended_count` and
    `held_count` when the caller annotated them (otherwise counted here). Whether someone has
    evaluated is theirs alone: others (facilitators above all) get `include_evaluation=False`,
    or comparing the results before and after would tell who said what."""
    if enrollment.status not in ROSTER_STATUSES or enrollment.status == EnrollmentStatus.COMPLETED:
        return []
    missing = []
    held = getattr(enrollment, "held_count", None)
    attended = getattr(enrollment, "attended_count", None)
    if held is None or attended is None:
        held = enrollment.session.meetings.exclude(status=MeetingStatus.CANCELLED).count()
        attended = (
            enrollment.attendance.filter(present=True)
            .exclude(meeting__status=MeetingStatus.CANCELLED)
            .count()
        )
    if enrollment.status == EnrollmentStatus.INCOMPLETE:
        missing.append("no credit: a meeting was missed or the completion was voided")
    elif held > attended:
        left = held - attended
        missing.append(f"{left} meeting{'s' if left != 1 else ''} to attend")
    if (
        include_evaluation
        and enrollment.status != EnrollmentStatus.INCOMPLETE
        and enrollment.session.course.evaluation_required
        and not enrollment.has_evaluation
    ):
        if enrollment.last_ends_at is not None and enrollment.last_ends_at <= at:
            missing.append("evaluation due")
        else:
            missing.append("evaluation after the last meeting")
    return missing


def _mark_withdrawable(enrollment: Enrollment, *, at: dt.datetime) -> None:
    """Set `withdrawable_now` for templates, by the rule enrollment_withdraw applies."""
    ended = enrollment.last_ends_at is not None and enrollment.last_ends_at < at
    enrollment.withdrawable_now = enrollment.may_withdraw(session_ended=ended)


def with_attendance_counts(enrollments: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Annotate held_count (meetings not cancelled) and attended_count (of those, present)."""
    attended = (
        Attendance.objects.filter(enrollment=OuterRef("pk"), present=True)
        .exclude(meeting__status=MeetingStatus.CANCELLED)
        .order_by()
        .values("enrollment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return enrollments.annotate(
        held_count=Coalesce(
            held_meetings_of_session(Count("pk")), Value(0), output_field=IntegerField()
        ),
        attended_count=Coalesce(Subquery(attended, output_field=IntegerField()), Value(0)),
    )


# School years


@dataclass(frozen=True)
class SchoolYear:
    name: str
    starts_on: dt.date
    ends_on: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def school_years() -> list[SchoolYear]:
    """The plan's years (one query), newest first."""
    return [
        SchoolYear(name, starts_on, ends_on)
        for name, starts_on, ends_on in PlanYear.objects.order_by("-starts_on").values_list(
            "name", "starts_on", "ends_on"
        )
    ]


def school_year_of(day: dt.date, years: list[SchoolYear]) -> SchoolYear:
    """The plan year holding the day, or else the July-June school year around it."""
    for year in years:
        if day in year:
            return year
    start = dt.date(day.year if day.month >= 7 else day.year - 1, 7, 1)
    return SchoolYear(
        f"{start.year}-{(start.year + 1) % 100:02d}", start, dt.date(start.year + 1, 6, 30)
    )


# A person's own pages


@dataclass
class MyLearning:
    """What /me/ shows: places in sessions by what they wait for, and the year's hours."""

    staff: StaffMember
    school_year: SchoolYear
    upcoming: list[Enrollment] = field(default_factory=list)
    pending: list[Enrollment] = field(default_factory=list)
    waitlisted: list[Enrollment] = field(default_factory=list)
    awaiting_evaluation: list[Enrollment] = field(default_factory=list)
    in_progress: list[Enrollment] = field(default_factory=list)
    completed: list[Completion] = field(default_factory=list)
    hours_this_year: Decimal = Decimal(0)


def _assigner_name(enrollment: Enrollment) -> str:
    """Who gave the person an assigned place, by name ("" for a place they took themselves)."""
    if enrollment.source == EnrollmentSource.SELF:
        return ""
    assigner = enrollment.acted_by
    staff = getattr(assigner, "staff_member", None) if assigner is not None else None
    if staff is not None:
        return staff.display_name
    return "the district" if assigner is None else assigner.get_full_name() or assigner.username


def my_learning(*, staff: StaffMember, at: dt.datetime | None = None) -> MyLearning:
    """The person's live enrollments sorted by what they wait for, the completions of the school
    year and its clock hours. A fixed number of queries however many enrollments."""
    at = at or timezone.now()
    year = school_year_of(timezone.localdate(at), school_years())
    page = MyLearning(staff=staff, school_year=year)
    enrollments = (
        with_attendance_counts(
            _shaped(Enrollment.objects.filter(staff=staff, status__in=LIVE_STATUSES))
        )
        # A series shows its next meeting, not its first (gone by); in that order.
        .annotate(next_starts_at=_next_meeting_start(at))
        .order_by(
            Coalesce("next_starts_at", "first_starts_at").asc(nulls_last=True),
            "pk",
        )
    )
    for enrollment in enrollments.select_related("acted_by__staff_member"):
        enrollment.missing = missing_for_credit(enrollment, at=at)
        _mark_withdrawable(enrollment, at=at)
        enrollment.assigned_by = _assigner_name(enrollment)
        if enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
            page.pending.append(enrollment)
        elif enrollment.status == EnrollmentStatus.WAITLISTED:
            page.waitlisted.append(enrollment)
        elif enrollment.status == EnrollmentStatus.ENROLLED:
            if "evaluation due" in enrollment.missing:
                page.awaiting_evaluation.append(enrollment)
            elif enrollment.last_ends_at is None or enrollment.last_ends_at >= at:
                page.upcoming.append(enrollment)
            else:
                page.in_progress.append(enrollment)
        elif enrollment.status == EnrollmentStatus.INCOMPLETE:
            # No credit yet (a missed meeting): the person must see it, not lose it from view.
            page.in_progress.append(enrollment)
    page.completed = list(
        Completion.objects.filter(
            staff=staff,
            voided_at__isnull=True,
            completed_on__gte=year.starts_on,
            completed_on__lte=year.ends_on,
        ).select_related("course", "course__strand")
    )
    page.hours_this_year = sum((c.clock_hours for c in page.completed), Decimal(0))
    return page


@dataclass
class TranscriptYear:
    school_year: SchoolYear
    completions: list[Completion] = field(default_factory=list)

    @property
    def clock_hours(self) -> Decimal:
        return sum((c.clock_hours for c in self.completions if not c.is_voided), Decimal(0))


@dataclass
class Transcript:
    staff: StaffMember
    years: list[TranscriptYear]
    in_progress: list[Enrollment]

    @property
    def clock_hours(self) -> Decimal:
        return sum((year.clock_hours for year in self.years), Decimal(0))


def completions_shaped(completions: QuerySet[Completion]) -> QuerySet[Completion]:
    return completions.select_related(
        "staff", "staff__building", "course", "course__strand", "enrollment__session", "voided_by"
    ).prefetch_related(
        Prefetch(
            "enrollment__session__facilitators",
            queryset=StaffMember.objects.order_by("last_name", "first_name"),
        )
    )


def transcript(*, staff: StaffMember) -> Transcript:
    """Every completion of the person (voided ones too, marked, so corrections stay visible)
    grouped by school year, newest first, with the year's clock hours (voided ones not counted),
    and the enrollments still in progress. A fixed number of queries."""
    years = school_years()
    by_year: dict[str, TranscriptYear] = {}
    completions = completions_shaped(Completion.objects.filter(staff=staff)).order_by(
        "-completed_on", "-pk"
    )
    for completion in completions:
        year = school_year_of(completion.completed_on, years)
        by_year.setdefault(year.name, TranscriptYear(school_year=year)).completions.append(
            completion
        )
    in_progress = list(
        _shaped(
            Enrollment.objects.filter(
                staff=staff,
                status__in=(
                    EnrollmentStatus.ENROLLED,
                    EnrollmentStatus.PENDING_APPROVAL,
                    EnrollmentStatus.WAITLISTED,
                ),
            )
        ).order_by(F("first_starts_at").asc(nulls_last=True), "pk")
    )
    ordered = sorted(by_year.values(), key=lambda y: y.school_year.starts_on, reverse=True)
    return Transcript(staff=staff, years=ordered, in_progress=in_progress)


def completion_for_certificate(*, user: AnyUser, pk: int) -> Completion:
    """One completion the user may see (their own, their staff's, or any for district PD).
    Raises Completion.DoesNotExist otherwise."""
    return completions_shaped(Completion.objects.filter(staff__in=access.visible_staff(user))).get(
        pk=pk
    )


def completion_by_code(code: str) -> Completion | None:
    """The completion a verification code names, for the public /verify/ page."""
    code = "".join(code.split()).upper()
    if not code or len(code) > 16:
        return None
    return completions_shaped(Completion.objects.filter(verification_code=code)).first()


def completion_list(*, user: AnyUser) -> QuerySet[Completion]:
    """Completions of the staff the user may see, newest first."""
    return completions_shaped(
        Completion.objects.filter(staff__in=access.visible_staff(user))
    ).order_by("-completed_on", "-pk")


# Facilitators


@dataclass
class RosterRow:
    enrollment: Enrollment
    marks: dict[int, bool | None]


@dataclass
class Roster:
    session: Session
    meetings: list[Meeting]
    rows: list[RosterRow]
    waitlist: list[Enrollment]
    pending: list[Enrollment]


def roster(*, session: Session) -> Roster:
    """The participants of a session with their attendance per meeting, then the pending
    requests and the waitlist in order. A fixed number of queries for any roster size."""
    meetings = list(Meeting.objects.filter(session=session).order_by("starts_at", "pk"))
    enrollments = list(
        with_attendance_counts(
            _shaped(Enrollment.objects.filter(session=session, status__in=LIVE_STATUSES))
        )
        .select_related("staff__position")
        .prefetch_related("attendance")
        .order_by("staff__last_name", "staff__first_name", "pk")
    )
    rows, waitlist, pending = [], [], []
    for enrollment in enrollments:
        if enrollment.status == EnrollmentStatus.WAITLISTED:
            waitlist.append(enrollment)
        elif enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
            pending.append(enrollment)
        else:
            marks = {a.meeting_id: a.present for a in enrollment.attendance.all()}
            rows.append(
                RosterRow(
                    enrollment=enrollment,
                    marks={meeting.pk: marks.get(meeting.pk) for meeting in meetings},
                )
            )
    waitlist.sort(key=lambda e: e.waitlist_position)
    return Roster(session=session, meetings=meetings, rows=rows, waitlist=waitlist, pending=pending)


def meeting_presence(*, meeting: Meeting) -> tuple[int, int]:
    """How many are marked present at the meeting, and how many are on its session's roster."""
    present = Attendance.objects.filter(meeting=meeting, present=True).count()
    roster = Enrollment.objects.filter(
        session_id=meeting.session_id, status__in=ROSTER_STATUSES
    ).count()
    return present, roster


def attendance_sheet(
    *, session: Session, meeting: Meeting
) -> list[tuple[Enrollment, Attendance | None]]:
    """The roster for one meeting, each participant with their recorded mark (or None)."""
    marks = {
        a.enrollment_id: a
        for a in Attendance.objects.filter(meeting=meeting).select_related(
            "recorded_by", "recorded_by__staff_member"
        )
    }
    enrollments = (
        Enrollment.objects.filter(session=session, status__in=ROSTER_STATUSES)
        .select_related("staff", "staff__building", "staff__position")
        .order_by("staff__last_name", "staff__first_name", "pk")
    )
    return [(enrollment, marks.get(enrollment.pk)) for enrollment in enrollments]


@dataclass
class EvaluationSummary:
    """A session's evaluations in aggregate. Below the minimum number of responses nothing but
    the count is shown, so no answer can be traced to a person."""

    responses: int
    participants: int
    minimum: int
    averages: dict[str, float | None]
    comments: list[str]

    @property
    def shown(self) -> bool:
        return self.responses >= self.minimum


def evaluation_summary(*, session: Session) -> EvaluationSummary:
    evaluations = Evaluation.objects.filter(enrollment__session=session)
    totals = evaluations.aggregate(
        responses=Count("pk"),
        content=Avg("content_rating"),
        facilitator=Avg("facilitator_rating"),
        relevance=Avg("relevance_rating"),
    )
    participants = Enrollment.objects.filter(session=session, status__in=ROSTER_STATUSES).count()
    minimum = settings.EVALUATION_MIN_RESPONSES
    shown = totals["responses"] >= minimum
    # Sorted, not in submission order, so the order of comments gives away nobody.
    comments = (
        sorted(c for c in evaluations.exclude(comment="").values_list("comment", flat=True))
        if shown
        else []
    )

    def rounded(value):
        return round(value, 2) if (value is not None and shown) else None

    return EvaluationSummary(
        responses=totals["responses"],
        participants=participants,
        minimum=minimum,
        averages={
            "content_rating": rounded(totals["content"]),
            "facilitator_rating": rounded(totals["facilitator"]),
            "relevance_rating": rounded(totals["relevance"]),
        },
        comments=comments,
    )


# Leaders


def pending_approvals(*, user: AnyUser) -> QuerySet[Enrollment]:
    """Requests waiting for the user's approval, oldest first: for district PD every one; for a
    building leader those of their buildings' staff (not their own)."""
    pending = Enrollment.objects.filter(status=EnrollmentStatus.PENDING_APPROVAL).filter(
        Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=Now())
    )
    if not access.is_district_pd(user):
        buildings = access.led_building_ids(user)
        own = access.staff_of(user)
        pending = pending.filter(staff__building_id__in=buildings)
        if own is not None:
            pending = pending.exclude(staff=own)
    return _shaped(pending).order_by("requested_at", "pk")


def assignable_staff(
    *, user: AnyUser, staff_ids=None, position=None, building=None
) -> QuerySet[StaffMember]:
    """Current staff the user may assign, narrowed to chosen people, or to everyone of a position
    or building; in name order."""
    people = access.actionable_staff(user).exclude(status=StaffStatus.SEPARATED)
    if staff_ids is not None:
        people = people.filter(pk__in=staff_ids)
    if position is not None:
        people = people.filter(position=position)
    if building is not None:
        people = people.filter(building=building)
    return people.select_related("building", "position").order_by("last_name", "first_name", "pk")


def signin_rows(*, session: Session) -> QuerySet[Enrollment]:
    """Participants of a session for the printable sign-in sheet, in name order: its roster,
    not requests that may still be declined."""
    return (
        Enrollment.objects.filter(session=session, status__in=ROSTER_STATUSES)
        .select_related("staff", "staff__building", "staff__position")
        .order_by("staff__last_name", "staff__first_name", "pk")
    )


# What the plan requires of one person

REQUIREMENT_DONE = "done"
REQUIREMENT_BOOKED = "booked"
REQUIREMENT_NOT_STARTED = "not_started"
# Sessions offered under each requirement the person has not met.
NEXT_SESSIONS_SHOWN = 3


@dataclass
class MyRequirement:
    """One of the plan's requirements that applies to the person, and where they stand: done
    (on `done_on`), booked (a live place in `booked`) or not started; for clock hours, the hours
    counted so far; and, until done, the next sessions with a seat that would count."""

    requirement: Requirement
    state: str
    done_on: dt.date | None = None
    hours: Decimal = Decimal(0)
    booked: Enrollment | None = None
    next_sessions: list[Session] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.state != REQUIREMENT_DONE and self.requirement.due_on < timezone.localdate()


def _requirement_applies(requirement: Requirement, facts: rules.PersonFacts) -> bool:
    """The audience the plan's progress reports count: each condition the requirement names
    (positions, buildings, groups: any of those listed) must hold."""
    staff = facts.staff
    positions = {p.pk for p in requirement.audience_positions.all()}
    buildings = {b.pk for b in requirement.audience_buildings.all()}
    groups = {g.pk for g in requirement.audience_groups.all()}
    return (
        (not positions or staff.position_id in positions)
        and (not buildings or staff.building_id in buildings)
        and (not groups or bool(groups & facts.group_ids))
    )


def _counts_for(requirement: Requirement, course: Course) -> bool:
    if requirement.kind == RequirementKind.CLOCK_HOURS:
        return course.strand_id == requirement.strand_id
    return course.pk == requirement.course_id


def my_requirements(
    *,
    user: AnyUser,
    staff: StaffMember,
    at: dt.datetime | None = None,
    facts: rules.PersonFacts | None = None,
    offer_sessions: bool = True,
) -> list[MyRequirement]:
    """The requirements of the current and later plan years that apply to the person, by due
    date, each with its state and (until done) up to NEXT_SESSIONS_SHOWN upcoming sessions with
    a seat that the person may join themselves. A fixed number of queries, however many
    requirements, completions and sessions."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    if staff.status == StaffStatus.SEPARATED:
        return []
    facts = facts or rules.person_facts(staff)
    requirements = [
        requirement
        for requirement in Requirement.objects.filter(goal__plan_year__ends_on__gte=today)
        .select_related("goal__plan_year", "course", "strand")
        .prefetch_related("audience_positions", "audience_buildings", "audience_groups")
        .order_by("due_on", "pk")
        if _requirement_applies(requirement, facts)
    ]
    if not requirements:
        return []
    completions = list(
        Completion.objects.filter(staff=staff, voided_at__isnull=True)
        .select_related("course")
        .order_by("completed_on", "pk")
    )
    candidates = (
        []
        if not offer_sessions
        else list(
            rules.with_rules(
                with_seats(
                    session_access.visible_sessions(user).filter(
                        Q(course_id__in={r.course_id for r in requirements if r.course_id})
                        | Q(
                            course__strand_id__in={r.strand_id for r in requirements if r.strand_id}
                        ),
                        status=SessionStatus.PUBLISHED,
                    )
                )
            )
            .annotate(first_starts_at=Min("meetings__starts_at"))
            .filter(first_starts_at__gte=at)
            .order_by("first_starts_at", "pk")
        )
    )
    mine = []
    for requirement in requirements:
        start = (
            None
            if requirement.count_completions_before_plan_year
            else requirement.goal.plan_year.starts_on
        )
        counted = [
            completion
            for completion in completions
            if _counts_for(requirement, completion.course)
            and (start is None or completion.completed_on >= start)
        ]
        entry = MyRequirement(requirement=requirement, state=REQUIREMENT_NOT_STARTED)
        if requirement.kind == RequirementKind.CLOCK_HOURS:
            running = Decimal(0)
            for completion in counted:
                running += completion.clock_hours
                if entry.done_on is None and running >= requirement.clock_hours:
                    entry.done_on = completion.completed_on
            entry.hours = running
        elif counted:
            entry.done_on = counted[0].completed_on
        if entry.done_on is not None:
            entry.state = REQUIREMENT_DONE
            mine.append(entry)
            continue
        entry.booked = next(
            (
                place
                for place in facts.places.values()
                if place.status in rules.BOOKED_STATUSES
                and _counts_for(requirement, place.session.course)
            ),
            None,
        )
        if entry.booked is not None:
            entry.state = REQUIREMENT_BOOKED
            if entry.booked.status != EnrollmentStatus.WAITLISTED:
                # A seat is booked; other sessions are offered only to someone still waiting.
                mine.append(entry)
                continue
        for session in candidates:
            if len(entry.next_sessions) == NEXT_SESSIONS_SHOWN:
                break
            if (
                _counts_for(requirement, session.course)
                and session.seats_left > 0
                and session.pk not in facts.places
                and rules.eligibility(facts, session, now=at).action is not None
            ):
                entry.next_sessions.append(session)
        mine.append(entry)
    return mine


def catalog_marks(
    *, user: AnyUser, sessions: list[Session], courses: list[Course], at: dt.datetime
) -> bool:
    """Mark the catalog's sessions and courses for the signed-in person: on each session
    `my_place` (their live place, waitlisted ones with `waitlist_position`) or `my_eligibility`
    (what a click would do); on each course `my_completed_on` and `my_due_on` (the due date of
    a requirement naming the course that they have not met). Returns whether anything was
    marked (False without a staff record). A fixed number of queries."""
    staff = access.staff_of(user)
    if staff is None:
        return False
    facts = rules.person_facts(staff)
    rules.load_rules(*sessions)
    positions = dict(
        with_waitlist_position(
            Enrollment.objects.filter(
                pk__in=[
                    place.pk
                    for place in facts.places.values()
                    if place.status == EnrollmentStatus.WAITLISTED
                ]
            )
        ).values_list("pk", "waitlist_position")
    )
    approver = access.is_district_pd(user)
    for session in sessions:
        session.my_place = facts.places.get(session.pk)
        if session.my_place is not None:
            session.my_place.waitlist_position = positions.get(session.my_place.pk)
            session.my_eligibility = None
        else:
            session.my_eligibility = rules.eligibility(facts, session, now=at, approver=approver)
    due: dict[int, dt.date] = {}
    for entry in my_requirements(user=user, staff=staff, at=at, facts=facts, offer_sessions=False):
        course_id = entry.requirement.course_id
        if entry.state != REQUIREMENT_DONE and course_id is not None:
            due.setdefault(course_id, entry.requirement.due_on)
    for course in courses:
        course.my_completed_on = facts.completed_on.get(course.pk)
        course.my_due_on = due.get(course.pk)
    return True


# Sessions a facilitator leads


@dataclass
class LedSession:
    """One session a person facilitates, for their "Sessions I lead" page: its meetings of today,
    its next meeting, how many of the meetings held so far have attendance recorded, its roster
    and waitlist, and how many evaluations are in."""

    session: Session
    today: list[Meeting] = field(default_factory=list)
    next_meeting: Meeting | None = None
    last_meeting: Meeting | None = None
    held: int = 0
    recorded: int = 0
    participants: int = 0
    evaluations: int = 0

    @property
    def unrecorded(self) -> int:
        return self.held - self.recorded


@dataclass
class SessionsLed:
    today: list[LedSession] = field(default_factory=list)
    upcoming: list[LedSession] = field(default_factory=list)
    past: list[LedSession] = field(default_factory=list)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def sessions_led(*, staff: StaffMember, at: dt.datetime | None = None) -> SessionsLed:
    """The sessions the person facilitates (drafts included, cancelled ones left out): those
    meeting today, those still to come, and those of the past school year and this one that
    are over, latest first. A fixed number of queries however many sessions and meetings."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    since = school_year_of(today, school_years()).starts_on - dt.timedelta(days=365)

    def per_session(rows: QuerySet) -> Coalesce:
        counted = rows.filter(session=OuterRef("pk")).order_by().values("session")
        return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")[:1]), 0)

    sessions = list(
        shape_sessions(
            Session.objects.filter(facilitators=staff).exclude(status=SessionStatus.CANCELLED)
        )
        .annotate(
            participants=per_session(Enrollment.objects.filter(status__in=ROSTER_STATUSES)),
            evaluations=per_session(Evaluation.objects.annotate(session=F("enrollment__session"))),
        )
        .filter(Q(last_ends_at__isnull=True) | Q(last_ends_at__gte=_day_start(since)))
    )
    recorded_meetings = set(
        Attendance.objects.filter(meeting__session__in=[s.pk for s in sessions])
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    page = SessionsLed()
    for session in sessions:
        held = [
            meeting
            for meeting in session.meetings.all()
            if meeting.status != MeetingStatus.CANCELLED
        ]
        entry = LedSession(
            session=session,
            today=[m for m in held if timezone.localdate(m.starts_at) == today],
            next_meeting=next((m for m in held if m.ends_at >= at), None),
            last_meeting=held[-1] if held else None,
            held=sum(1 for m in held if m.starts_at <= at),
            recorded=sum(1 for m in held if m.starts_at <= at and m.pk in recorded_meetings),
            participants=session.participants,
            evaluations=session.evaluations,
        )
        if entry.today:
            page.today.append(entry)
        elif entry.next_meeting is not None or not held:
            page.upcoming.append(entry)
        else:
            page.past.append(entry)
    page.past.sort(key=lambda e: e.last_meeting.starts_at, reverse=True)
    return page


# Outside learning


def my_outside_activities(*, staff: StaffMember) -> QuerySet[OutsideActivity]:
    """The person's outside learning, latest first, with its strand and the decision's maker."""
    return (
        OutsideActivity.objects.filter(staff=staff)
        .select_related("strand", "decided_by__staff_member", "completion")
        .order_by("-submitted_at", "-pk")
    )


def outside_review(*, at: dt.datetime | None = None) -> tuple[list, list]:
    """For district PD: the activities waiting for review, oldest first, and those decided in the
    last 30 days, latest first."""
    at = at or timezone.now()
    shaped = OutsideActivity.objects.select_related(
        "staff__building", "staff__position", "strand", "decided_by__staff_member"
    )
    waiting = list(
        shaped.filter(status=OutsideActivityStatus.SUBMITTED).order_by("submitted_at", "pk")
    )
    decided = list(
        shaped.exclude(status=OutsideActivityStatus.SUBMITTED)
        .filter(decided_at__gte=at - dt.timedelta(days=30))
        .order_by("-decided_at", "-pk")
    )
    return waiting, decided


def outside_waiting_count() -> int:
    """How many outside activities wait for district PD's review."""
    return OutsideActivity.objects.filter(status=OutsideActivityStatus.SUBMITTED).count()


def outside_activity_for(*, user: AnyUser, pk: int) -> OutsideActivity:
    """One outside activity its owner, district PD or an administrator may see (its evidence
    included); OutsideActivity.DoesNotExist for anyone else, as for an id that does not exist."""
    activities = OutsideActivity.objects.select_related("staff", "strand")
    if not access.is_district_pd(user):
        staff = access.staff_of(user)
        if staff is None:
            raise OutsideActivity.DoesNotExist("This login has no staff record.")
        activities = activities.filter(staff=staff)
    return activities.get(pk=pk)


def approval_cards(*, user: AnyUser) -> list[Enrollment]:
    """pending_approvals with what a decision needs on each: the person's position, the seats
    left in the session (`seats_left`), and the plan's requirements the place would serve
    (`serves`: requirements naming the course, whose audience takes the person in, not yet met).
    A fixed number of queries however many requests."""
    pending = list(pending_approvals(user=user).select_related("staff__position"))
    if not pending:
        return pending
    seats = dict(
        sessions_with_seats(
            Session.objects.filter(pk__in={e.session_id for e in pending})
        ).values_list("pk", "seats_left")
    )
    today = timezone.localdate()
    course_ids = {e.session.course_id for e in pending}
    staff_ids = {e.staff_id for e in pending}
    requirements = list(
        Requirement.objects.filter(goal__plan_year__ends_on__gte=today, course_id__in=course_ids)
        .select_related("goal__plan_year", "course")
        .prefetch_related("audience_positions", "audience_buildings", "audience_groups")
        .order_by("due_on", "pk")
    )
    groups: dict[int, set[int]] = {}
    for staff_id, group_id in StaffGroup.members.through.objects.filter(
        staffmember_id__in=staff_ids
    ).values_list("staffmember_id", "staffgroup_id"):
        groups.setdefault(staff_id, set()).add(group_id)
    completed: dict[tuple[int, int], list[dt.date]] = {}
    for staff_id, course_id, on in Completion.objects.filter(
        staff_id__in=staff_ids, course_id__in=course_ids, voided_at__isnull=True
    ).values_list("staff_id", "course_id", "completed_on"):
        completed.setdefault((staff_id, course_id), []).append(on)
    for enrollment in pending:
        enrollment.seats_left = seats.get(enrollment.session_id, 0)
        facts = rules.PersonFacts(
            staff=enrollment.staff, group_ids=frozenset(groups.get(enrollment.staff_id, ()))
        )
        course_id = enrollment.session.course_id
        enrollment.serves = [
            requirement
            for requirement in requirements
            if requirement.course_id == course_id
            and _requirement_applies(requirement, facts)
            and not any(
                requirement.count_completions_before_plan_year
                or on >= requirement.goal.plan_year.starts_on
                for on in completed.get((enrollment.staff_id, course_id), [])
            )
        ]
    return pending


@dataclass
class AssignmentLine:
    """What assigning one person would do: "enrolled", "pending_approval", "waitlisted" or
    "skipped" (with the reason)."""

    staff: StaffMember
    outcome: str
    reason: str = ""


@dataclass
class AssignmentPreview:
    lines: list[AssignmentLine]

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def enrolled(self) -> int:
        return self.count(EnrollmentStatus.ENROLLED)

    @property
    def pending(self) -> int:
        return self.count(EnrollmentStatus.PENDING_APPROVAL)

    @property
    def waitlisted(self) -> int:
        return self.count(EnrollmentStatus.WAITLISTED)

    @property
    def skipped(self) -> int:
        return self.count("skipped")


def assignment_preview(
    *,
    staff: list[StaffMember],
    session: Session,
    user: AnyUser,
    include_credited: bool = False,
    override_window: bool = False,
    at: dt.datetime | None = None,
) -> AssignmentPreview:
    """What services.enrollments_assign would do with these people, in order, by the same rules
    (eligibility.refusal, the credited rule, seats then waitlist), without writing anything; a
    fixed number of queries however many people. The session comes shaped with seats_left."""
    at = at or timezone.now()
    people = list(dict.fromkeys(staff))
    facts = rules.people_facts(people)
    rules.load_rules(session)
    seats = max(0, session.seats_left)
    lines = []
    for person in people:
        person_facts = facts[person.pk]
        completed_on = person_facts.completed_on.get(session.course_id)
        refused = None
        if completed_on is not None and not include_credited:
            refused = rules.credited_refusal(person, completed_on)
        refused = refused or rules.refusal(
            person_facts,
            session,
            now=at,
            seat_free=seats > 0,
            personal=False,
            override_window=override_window,
        )
        if refused is not None:
            lines.append(AssignmentLine(person, "skipped", refused.message))
            continue
        if seats <= 0:
            outcome = EnrollmentStatus.WAITLISTED
        elif session.approval_required and not rules.may_approve(user, person):
            outcome = EnrollmentStatus.PENDING_APPROVAL
        else:
            outcome = EnrollmentStatus.ENROLLED
        if outcome != EnrollmentStatus.WAITLISTED:
            seats -= 1
        lines.append(AssignmentLine(person, outcome))
    return AssignmentPreview(lines)


def requirement_for_session(*, pk: int | None, session: Session) -> Requirement | None:
    """A course requirement of a current or later plan year that the session's course gives,
    with its audiences loaded; None when there is no such requirement."""
    if pk is None:
        return None
    return (
        Requirement.objects.filter(
            pk=pk,
            kind=RequirementKind.COURSE,
            course_id=session.course_id,
            goal__plan_year__ends_on__gte=timezone.localdate(),
        )
        .select_related("goal__plan_year", "course")
        .prefetch_related("audience_positions", "audience_buildings", "audience_groups")
        .first()
    )


def still_needing(*, requirement: Requirement, user: AnyUser) -> list[StaffMember]:
    """The current staff the user may assign who still need a course requirement, in name
    order: in its audience, without a completion that counts for it, and holding no live place
    in a session of its course (as "Who still needs it" counts them missing). One query, its
    audience and the rest applied in the database (the requirement's audiences prefetched)."""
    people = assignable_staff(user=user)
    positions = [position.pk for position in requirement.audience_positions.all()]
    buildings = [building.pk for building in requirement.audience_buildings.all()]
    groups = [group.pk for group in requirement.audience_groups.all()]
    if positions:
        people = people.filter(position_id__in=positions)
    if buildings:
        people = people.filter(building_id__in=buildings)
    if groups:
        people = people.filter(
            Exists(
                StaffGroup.members.through.objects.filter(
                    staffmember_id=OuterRef("pk"), staffgroup_id__in=groups
                )
            )
        )
    completions = Completion.objects.filter(
        staff_id=OuterRef("pk"), course_id=requirement.course_id, voided_at__isnull=True
    )
    if not requirement.count_completions_before_plan_year:
        completions = completions.filter(completed_on__gte=requirement.goal.plan_year.starts_on)
    holding = Enrollment.objects.filter(
        staff_id=OuterRef("pk"),
        session__course_id=requirement.course_id,
        status__in=rules.BOOKED_STATUSES,
    )
    return list(people.filter(~Exists(completions), ~Exists(holding)))


def assign_marks(*, staff_ids: list[int], session: Session) -> dict[int, str]:
    """What the assign page says beside each listed person: their place in this session, their
    place in another session of the course, or the day they completed the course. Two queries."""
    marks: dict[int, str] = {}
    for staff_id, session_id, status in (
        Enrollment.objects.filter(
            staff_id__in=staff_ids,
            session__course_id=session.course_id,
            status__in=rules.BOOKED_STATUSES,
        )
        .order_by("pk")
        .values_list("staff_id", "session_id", "status")
    ):
        if session_id == session.pk:
            marks[staff_id] = f"{EnrollmentStatus(status).label} here"
        else:
            marks.setdefault(staff_id, f"{EnrollmentStatus(status).label} in another session")
    for staff_id, last in (
        Completion.objects.filter(
            staff_id__in=staff_ids, course_id=session.course_id, voided_at__isnull=True
        )
        .values("staff_id")
        .annotate(last=Max("completed_on"))
        .values_list("staff_id", "last")
    ):
        marks.setdefault(staff_id, f"Completed {day(last)}")
    return marks

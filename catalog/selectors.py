"""Reads of the catalog, shaped for the pages, the API and the feeds."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import (
    Aggregate,
    DateTimeField,
    Exists,
    F,
    Field,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from learning.access import AnyUser
from learning.models import StaffMember

from . import access as session_access
from . import ical, seats
from .filters import SessionFilterSet
from .models import Course, Meeting, RegistrationState, Session, Strand


def session_list(*, user: AnyUser) -> QuerySet[Session]:
    """Sessions the user may see, shaped by shape_sessions. Unfiltered: the API's filter backend
    applies SessionFilterSet, and answers an invalid value with a 400."""
    return shape_sessions(session_access.visible_sessions(user))


def session_detail(*, user: AnyUser, pk: int, at: dt.datetime | None = None) -> Session:
    """One session the user may see, shaped like a list row plus its course's prerequisites, with
    its registration and meeting states as of `at` (default: now). Raises Session.DoesNotExist
    alike for an unknown id and for a session the user may not see (a draft)."""
    session = (
        shape_sessions(session_access.visible_sessions(user))
        .prefetch_related("course__prerequisites")
        .get(pk=pk)
    )
    attach_states([session], at=at or timezone.now())
    return session


def shape_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with course, strand, building, group, facilitators and meetings loaded, seat counts
    and first_starts_at/last_ends_at annotated, in a fixed number of queries. Ordered by their
    first meeting; sessions without meetings last on every database (SQLite would put NULL
    first, PostgreSQL last)."""
    return (
        seats.with_seats(sessions)
        .annotate(
            first_starts_at=per_session_meetings(Min("starts_at")),
            last_ends_at=per_session_meetings(Max("ends_at")),
        )
        .select_related("course", "course__strand", "building", "restricted_to_group")
        .prefetch_related(
            Prefetch("meetings", queryset=Meeting.objects.order_by("starts_at", "id")),
            "facilitators",
            "audience_positions",
            "audience_buildings",
            "course__audience_positions",
            "course__audience_buildings",
        )
        .order_by(F("first_starts_at").asc(nulls_last=True), "id")
    )


def shape_meetings_for_calendars(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings with all that catalog.ical shows of them loaded (session, course, strand,
    building, facilitators), in two queries whatever their number."""
    return meetings.select_related(
        "session", "session__course", "session__course__strand", "session__building"
    ).prefetch_related("session__facilitators")


# What calendar_meetings reads of each meeting, then of its session (all but the first
# make CalendarSession, in this order).
_MEETING_COLUMNS = ("uid", "sequence", "starts_at", "ends_at", "room", "status", "updated_at")
_SESSION_COLUMNS = (
    "session_id",
    "session__title",
    "session__course__title",
    "session__status",
    "session__room",
    "session__virtual_url",
    "session__notes",
    "session__course__summary",
    "session__course__clock_hours",
    "session__course__strand__name",
    "session__building_id",
    "session__building__name",
    "session__building__address",
    "session__updated_at",
    "session__course__updated_at",
    "session__course__strand__updated_at",
    "session__building__updated_at",
)
# What calendar_meetings reads of each meeting, in order.
CALENDAR_COLUMNS = (*_MEETING_COLUMNS, *_SESSION_COLUMNS)


def calendar_meetings(
    meetings: QuerySet[Meeting], *, annotations: Sequence[str] = ()
) -> list[ical.CalendarMeeting]:
    """The meetings as catalog.ical's EventBuilder reads them, in their queryset's order: only
    the columns events show, one CalendarSession per session shared by its meetings. Two
    queries whatever their number (the meetings with their session, course, strand and
    building, then the sessions' facilitators), one without meetings. `annotations` names
    annotations of `meetings` to carry in each CalendarMeeting.extra."""
    rows = meetings.prefetch_related(None).values_list(*CALENDAR_COLUMNS, *annotations)
    return calendar_meetings_from_rows(list(rows), annotations=annotations)


def calendar_meetings_from_rows(
    rows: list[tuple], *, annotations: Sequence[str] = ()
) -> list[ical.CalendarMeeting]:
    """calendar_meetings for rows already read: a meetings query's values_list of
    CALENDAR_COLUMNS and then the `annotations`."""
    width = len(_MEETING_COLUMNS)
    session_end = width + len(_SESSION_COLUMNS)
    session_rows = {row[width]: row[width:session_end] for row in rows}
    facilitators = _facilitators_of(session_rows)
    sessions = {
        session_id: _calendar_session(columns, facilitators.get(session_id, ()))
        for session_id, columns in session_rows.items()
    }
    return [
        ical.CalendarMeeting(
            *row[:width],
            session=sessions[row[width]],
            extra=dict(zip(annotations, row[session_end:], strict=True)),
        )
        for row in rows
    ]


def _facilitators_of(session_ids: Iterable[int]) -> dict[int, list[tuple[str, dt.datetime]]]:
    """Each session's facilitators as (display name, updated_at), in StaffMember's order (as
    session.facilitators.all() gives them), in one query; none without sessions."""
    session_ids = list(session_ids)
    if not session_ids:
        return {}
    ordering = [
        f"-staffmember__{name[1:]}" if name.startswith("-") else f"staffmember__{name}"
        for name in StaffMember._meta.ordering
    ]
    links = (
        Session.facilitators.through.objects.filter(session_id__in=session_ids)
        .order_by(*ordering)
        .values_list(
            "session_id",
            "staffmember__preferred_name",
            "staffmember__first_name",
            "staffmember__last_name",
            "staffmember__updated_at",
        )
    )
    facilitators: dict[int, list[tuple[str, dt.datetime]]] = {}
    for session_id, preferred_name, first_name, last_name, updated_at in links:
        # As StaffMember.display_name.
        name = f"{preferred_name or first_name} {last_name}"
        facilitators.setdefault(session_id, []).append((name, updated_at))
    return facilitators


def _calendar_session(
    columns: tuple, facilitators: Iterable[tuple[str, dt.datetime]]
) -> ical.CalendarSession:
    (
        session_id,
        title,
        course_title,
        status,
        room,
        virtual_url,
        notes,
        course_summary,
        clock_hours,
        strand_name,
        building_id,
        building_name,
        building_address,
        *stamps,
    ) = columns
    if building_id is None:
        stamps.pop()  # the building's updated_at, None
    stamps += [updated_at for _, updated_at in facilitators]
    return ical.CalendarSession(
        pk=session_id,
        # As Session.display_title.
        title=f"{course_title} — {title}" if title else course_title,
        status=status,
        room=room,
        virtual_url=virtual_url,
        notes=notes,
        course_summary=course_summary,
        clock_hours=clock_hours,
        strand_name=strand_name,
        building=None if building_id is None else (building_name, building_address),
        facilitator_names=tuple(name for name, _ in facilitators),
        changed_at=max(stamps),
    )


def per_session_meetings(aggregate: Aggregate, output_field: Field | None = None) -> Subquery:
    """An aggregate over a session's meetings as a correlated subquery: no GROUP BY on the
    sessions query, so it composes with the seat annotations and with filters' joins."""
    of_session = (
        Meeting.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(value=aggregate)
        .values("value")
    )
    return Subquery(of_session, output_field=output_field or DateTimeField())


def upcoming(sessions: QuerySet[Session], *, at: dt.datetime) -> QuerySet[Session]:
    """Sessions with a meeting still to end at `at` (a series stays listed while any of its
    meetings is ahead), and sessions whose dates are still to be announced (no meetings yet)."""
    meetings = Meeting.objects.filter(session=OuterRef("pk"))
    return sessions.filter(Exists(meetings.filter(ends_at__gte=at)) | ~Exists(meetings))


def attach_states(sessions: Iterable[Session], *, at: dt.datetime) -> None:
    """Set `registration` on each session and `state` on each of its meetings, as of `at`:
    templates cannot pass the moment to Session.registration_at or Meeting.state_at. Uses only
    what shape_sessions loaded, so it adds no query."""
    for session in sessions:
        session.registration = session.registration_at(at)
        for meeting in session.meetings.all():
            meeting.state = meeting.state_at(at)


@dataclass
class CourseEntry:
    course: Course
    sessions: list[Session] = field(default_factory=list)


@dataclass
class StrandEntry:
    strand: Strand
    courses: list[CourseEntry] = field(default_factory=list)


@dataclass
class CatalogPage:
    filterset: SessionFilterSet
    strands: list[StrandEntry]
    filtered: bool
    course_count: int = 0
    # Sessions listed, cancelled ones apart: a cancelled session is shown but is no offer.
    session_count: int = 0
    cancelled_count: int = 0


def catalog_page(*, user: AnyUser, params: Mapping, at: dt.datetime | None = None) -> CatalogPage:
    """Active courses grouped by strand, each with its sessions matching the filters and their
    registration states as of `at` (default: now). Without a month the sessions are the upcoming
    ones. With any filter but strand, only courses that have a matching session are listed; with
    invalid filters, none."""
    at = at or timezone.now()
    filterset = SessionFilterSet(data=params, queryset=session_access.visible_sessions(user))
    if not filterset.is_valid():
        return CatalogPage(filterset=filterset, strands=[], filtered=True)
    data = filterset.form.cleaned_data
    sessions = filterset.qs
    if not data.get("month"):
        sessions = upcoming(sessions, at=at)
    sessions = list(shape_sessions(sessions))
    attach_states(sessions, at=at)

    by_course: dict[int, list[Session]] = {}
    for session in sessions:
        by_course.setdefault(session.course_id, []).append(session)

    narrowing = any(
        data.get(name) for name in ("q", "course", "building", "audience", "month", "status")
    )
    courses = Course.objects.filter(active=True).select_related("strand")
    if data.get("strand"):
        courses = courses.filter(strand__in=data["strand"])
    courses = courses.prefetch_related("prerequisites").order_by("strand__order", "code")

    strands: dict[int, StrandEntry] = {}
    listed: list[Session] = []
    course_count = 0
    for course in courses:
        course_sessions = by_course.get(course.pk, [])
        if narrowing and not course_sessions:
            continue
        entry = strands.setdefault(course.strand_id, StrandEntry(strand=course.strand))
        entry.courses.append(CourseEntry(course=course, sessions=course_sessions))
        listed.extend(course_sessions)
        course_count += 1
    cancelled = sum(session.registration.state == RegistrationState.CANCELLED for session in listed)
    return CatalogPage(
        filterset=filterset,
        strands=list(strands.values()),
        filtered=narrowing or bool(data.get("strand")),
        course_count=course_count,
        session_count=len(listed) - cancelled,
        cancelled_count=cancelled,
    )

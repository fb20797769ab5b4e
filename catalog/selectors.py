"""Reads of the catalog, shaped for the pages, the API and the feeds."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import (
    Aggregate,
    DateTimeField,
    Exists,
    Field,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from enrollment.selectors import sessions_with_seats
from learning import access
from learning.access import AnyUser

from .filters import SessionFilterSet
from .models import Course, Meeting, Session, Strand


def session_list(*, user: AnyUser, filters: Mapping | None = None) -> QuerySet[Session]:
    """Sessions the user may see, filtered by SessionFilterSet, with course, strand, building,
    facilitators, meetings and seat counts loaded in a fixed number of queries."""
    sessions = access.visible_sessions(user)
    filterset = SessionFilterSet(data=filters or {}, queryset=sessions)
    if filterset.is_valid():
        sessions = filterset.qs
    else:
        sessions = sessions.none()
    return shape_sessions(sessions)


def shape_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return (
        sessions_with_seats(sessions)
        .annotate(
            first_starts_at=per_session_meetings(Min("starts_at")),
            last_ends_at=per_session_meetings(Max("ends_at")),
        )
        .select_related("course", "course__strand", "building", "restricted_to_group")
        .prefetch_related(
            Prefetch("meetings", queryset=Meeting.objects.order_by("starts_at", "id")),
            "facilitators",
        )
        .order_by("first_starts_at", "id")
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


def upcoming(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with a meeting still to end."""
    still_ahead = Meeting.objects.filter(session=OuterRef("pk"), ends_at__gte=timezone.now())
    return sessions.filter(Exists(still_ahead))


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


def catalog_page(*, user: AnyUser, params: Mapping) -> CatalogPage:
    """Active courses grouped by strand, each with its sessions matching the filters. Without a
    month the sessions are the upcoming ones. With any filter but strand, only courses that have
    a matching session are listed; with invalid filters, none."""
    filterset = SessionFilterSet(data=params, queryset=access.visible_sessions(user))
    if not filterset.is_valid():
        return CatalogPage(filterset=filterset, strands=[], filtered=True)
    data = filterset.form.cleaned_data
    sessions = filterset.qs
    if not data.get("month"):
        sessions = upcoming(sessions)
    sessions = shape_sessions(sessions)

    by_course: dict[int, list[Session]] = {}
    for session in sessions:
        by_course.setdefault(session.course_id, []).append(session)

    narrowing = any(data.get(name) for name in ("q", "course", "building", "month", "status"))
    courses = Course.objects.filter(active=True).select_related("strand")
    if data.get("strand"):
        courses = courses.filter(strand__in=data["strand"])
    courses = courses.prefetch_related("prerequisites").order_by("strand__order", "code")

    strands: dict[int, StrandEntry] = {}
    for course in courses:
        course_sessions = by_course.get(course.pk, [])
        if narrowing and not course_sessions:
            continue
        entry = strands.setdefault(course.strand_id, StrandEntry(strand=course.strand))
        entry.courses.append(CourseEntry(course=course, sessions=course_sessions))
    return CatalogPage(
        filterset=filterset,
        strands=list(strands.values()),
        filtered=narrowing or bool(data.get("strand")),
    )

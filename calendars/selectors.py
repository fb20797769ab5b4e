"""Reads for the calendar feeds: the meetings each feed shows, shaped for catalog.ical in a fixed
number of queries, and the catalog and session feeds' versions (ETag and Last-Modified)
computed from the data with an aggregate query, without building the feed. (The personal feed
is versioned by its bytes, kept under the data's generation: calendars.views.feeds.)

Every feed keeps a cancelled meeting (STATUS:CANCELLED) until it has ended, then drops it:
calendar apps only learn of a cancellation from the event itself."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.forms.utils import ErrorDict

from catalog import ical
from catalog.choices import MeetingStatus, SessionStatus
from catalog.filters import SessionFilterSet
from catalog.models import Meeting, Session
from catalog.selectors import (
    CALENDAR_COLUMNS,
    calendar_meetings,
    calendar_meetings_from_rows,
    shape_meetings_for_calendars,
)
from core import rfc5545
from core.db.compiled import CompiledQuery
from core.filters import without_blank_values
from enrollment.choices import LIVE_STATUSES, EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.selectors import with_waitlist_position
from learning import changes
from learning.choices import StaffStatus
from learning.models import StaffGroup, StaffMember

from .models import FeedToken

# A person's enrollment that puts a session in their feed: a live one, or one cancelled with its
# session (kept so the meetings show as cancelled until they end).
SHOWN_ENROLLMENT = Q(status__in=LIVE_STATUSES) | Q(
    status=EnrollmentStatus.CANCELLED, session__status=SessionStatus.CANCELLED
)
# An explicit "no" from the person, which keeps a session of their group out of their feed.
REFUSED_STATUSES = (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.DECLINED)


class InvalidFilters(Exception):
    """The catalog feed's parameters do not validate; `errors` names each filter."""

    def __init__(self, errors: ErrorDict):
        super().__init__("Invalid filters: " + ", ".join(errors))
        self.errors = errors


def without_ended_cancellations(meetings: QuerySet[Meeting], *, at: dt.datetime) -> QuerySet:
    """Drop cancelled meetings (or meetings of cancelled sessions) that ended before `at`."""
    cancelled = Q(status=MeetingStatus.CANCELLED) | Q(session__status=SessionStatus.CANCELLED)
    return meetings.exclude(cancelled & Q(ends_at__lt=at))


def _in_feeds(meetings: QuerySet[Meeting], *, at: dt.datetime) -> QuerySet[Meeting]:
    return without_ended_cancellations(meetings.exclude(session__status=SessionStatus.DRAFT), at=at)


# The personal feed


@dataclass(frozen=True)
class ServedFeed:
    """A person's feed as last rendered, as its token keeps it: the version it was rendered
    under (the data's generation with the builder and the settings it shows), its ETag, its
    Last-Modified and when it changes without any write (a cancelled meeting it shows ends)."""

    version: str
    etag: str
    last_modified: dt.datetime | None
    changes_at: dt.datetime | None

    def current(self, version: str, now: dt.datetime) -> bool:
        return self.version == version and (self.changes_at is None or now < self.changes_at)


@dataclass(frozen=True)
class FeedPoll:
    """What a poll of a personal feed needs before the cache: the token (to check its key and
    note the fetch), its person, the data's generation and the feed last served (None before
    the first)."""

    token_id: int
    key: str
    last_fetched_at: dt.datetime | None
    last_client: str
    staff_id: int
    generation: str
    served: ServedFeed | None


# Values no token digest, person or moment has, standing for them while the queries a calendar
# app makes many times an hour are compiled once (core.db.compiled).
_DIGEST_MARK = "feed-poll-digest"
_PERSON_MARK = -7_300_912_345
_MOMENT_MARK = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)

_feed_poll = CompiledQuery(
    lambda digest: (
        FeedToken.objects.exclude(staff__status=StaffStatus.SEPARATED)
        .filter(key_digest=digest)
        .annotate(generation=changes.generation_subquery())
        # The digest is unique: no ordering to compute.
        .order_by()
        .values_list(
            "pk",
            "key",
            "last_fetched_at",
            "last_client",
            "staff_id",
            "generation",
            "feed_version",
            "feed_etag",
            "feed_last_modified",
            "feed_changes_at",
        )[:1]
    ),
    prepare=True,
    digest=_DIGEST_MARK,
)


def feed_poll(key_digest: str) -> FeedPoll | None:
    """The token whose key has this digest (calendars.models.feed_key_digest), unless its
    person has left, with its person, the data's generation and the feed last served: one
    query, compiled once, which is also the connection's health check (core.db.compiled)."""
    changes.note_read(connections[FeedToken.objects.db])
    rows = _feed_poll.rows(digest=key_digest, checks_connection=True)
    if not rows:
        return None
    *token, version, etag, last_modified, changes_at = rows[0]
    served = ServedFeed(version, etag, last_modified, changes_at) if version else None
    return FeedPoll(*token, served=served)


def _own_enrollments(staff: StaffMember | int) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(staff=staff, session=OuterRef("session"))


def personal_feed_meetings(staff: StaffMember | int, *, at: dt.datetime) -> QuerySet[Meeting]:
    """The meetings of the person's live enrollments (waitlisted ones with their position) and of
    the sessions restricted to a group they belong to (committee meetings, unless they withdrew
    or were declined), drafts never. Annotated with the person's enrollment_status,
    enrollment_updated_at and waitlist_position (None without one)."""
    own = _own_enrollments(staff)
    shown = own.filter(SHOWN_ENROLLMENT).order_by("-pk")
    # The person's sessions first (through the indexes on their enrollments and groups), then
    # their meetings by session: testing every meeting of the catalog against the person's
    # enrollments grows with the catalog.
    mine = Enrollment.objects.filter(staff=staff)
    groups = StaffGroup.members.through.objects.filter(staffmember=staff).values("staffgroup_id")
    refused = mine.filter(status__in=REFUSED_STATUSES).values("session_id")
    sessions = Session.objects.filter(
        Q(pk__in=mine.filter(SHOWN_ENROLLMENT).values("session_id"))
        | (Q(restricted_to_group__in=groups) & ~Q(pk__in=refused))
    )
    meetings = Meeting.objects.filter(session__in=sessions.values("pk"))
    waitlisted = with_waitlist_position(own.filter(status=EnrollmentStatus.WAITLISTED))
    meetings = meetings.annotate(
        enrollment_status=Subquery(shown.values("status")[:1]),
        enrollment_updated_at=Subquery(shown.values("updated_at")[:1]),
        waitlist_position=Subquery(
            waitlisted.order_by("-pk").values("waitlist_position")[:1],
            output_field=IntegerField(),
        ),
    )
    return shape_meetings_for_calendars(_in_feeds(meetings, at=at)).order_by("starts_at", "uid")


PERSONAL_ANNOTATIONS = ("enrollment_status", "enrollment_updated_at", "waitlist_position")

_personal_feed_rows = CompiledQuery(
    lambda staff, at: personal_feed_meetings(staff, at=at).values_list(
        *CALENDAR_COLUMNS, *PERSONAL_ANNOTATIONS
    ),
    staff=_PERSON_MARK,
    at=_MOMENT_MARK,
)


def personal_feed_calendar_meetings(staff_id: int, *, at: dt.datetime) -> list:
    """personal_feed_meetings loaded for building events (as feed_meetings_shown, with the
    PERSONAL_ANNOTATIONS in each one's `extra`), its query compiled once."""
    return calendar_meetings_from_rows(
        _personal_feed_rows.rows(staff=staff_id, at=at), annotations=PERSONAL_ANNOTATIONS
    )


# The public catalog feed


def catalog_window(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The catalog feed's dates: a month back to a year ahead by default, so the feed stays well
    under what Google Calendar accepts (about 1 MB)."""
    return (
        at - dt.timedelta(days=settings.CALENDAR_FEED_DAYS_BACK),
        at + dt.timedelta(days=settings.CALENDAR_FEED_DAYS_AHEAD),
    )


def catalog_filters(params: Mapping) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The parameters the catalog feed filters by, normalised (unknown ones and blanks dropped,
    values sorted), so equal filters share one cached feed."""
    data = without_blank_values(params)
    names = SessionFilterSet.base_filters
    return tuple(
        (name, tuple(sorted(data.getlist(name)))) for name in sorted(data) if name in names
    )


def catalog_feed_meetings(params: Mapping, *, at: dt.datetime) -> QuerySet[Meeting]:
    """Meetings of published sessions (and of cancelled ones, until each meeting has ended)
    matching SessionFilterSet, as the API and the catalog page filter, inside the feed's
    window. Nothing about participants. Raises InvalidFilters."""
    filterset = SessionFilterSet(
        data=params,
        queryset=Session.objects.filter(
            status__in=(SessionStatus.PUBLISHED, SessionStatus.CANCELLED)
        ),
    )
    if not filterset.is_valid():
        raise InvalidFilters(filterset.errors)
    start, end = catalog_window(at)
    meetings = Meeting.objects.filter(
        session__in=filterset.qs.order_by().values("pk"), ends_at__gte=start, starts_at__lt=end
    )
    return shape_meetings_for_calendars(_in_feeds(meetings, at=at)).order_by("starts_at", "uid")


def feed_meetings_shown(
    meetings: QuerySet[Meeting], *annotations: str
) -> list[ical.CalendarMeeting]:
    """A feed's meetings (from one of the *_feed_meetings selectors) loaded for building its
    events: only what the events show, in two queries whatever their number, with the named
    `annotations` in each one's `extra`."""
    return calendar_meetings(meetings, annotations=annotations)


# One session


def session_feed_meetings(session: Session, *, at: dt.datetime) -> QuerySet[Meeting]:
    """All meetings of one session, cancelled ones until they end. Whether the user may see the
    session (a draft) is the caller's question."""
    meetings = Meeting.objects.filter(session=session)
    return shape_meetings_for_calendars(without_ended_cancellations(meetings, at=at)).order_by(
        "starts_at", "uid"
    )


# Versions


@dataclass(frozen=True)
class FeedVersion:
    """A feed's ETag (unquoted) and Last-Modified (None for a feed that never held anything),
    and which feed it is (`feed`, a hash of its kind and identity, the same for all its
    versions)."""

    etag: str
    last_modified: dt.datetime | None
    feed: str = ""


def _per_session(queryset: QuerySet, aggregate) -> Subquery:
    return Subquery(
        queryset.filter(session=OuterRef("session"))
        .order_by()
        .values("session")
        .annotate(value=aggregate)
        .values("value")
    )


def _data_fingerprint(meetings: QuerySet[Meeting]) -> dict:
    """One aggregate query over the feed's meetings: which meetings (count, sum of ids), their
    sequences, and the latest change of everything an event shows. (The names are prefixed so
    they cannot shadow the fields they aggregate.)"""
    facilitators = Session.facilitators.through.objects.all()
    return meetings.annotate(
        facilitators_changed=_per_session(facilitators, Max("staffmember__updated_at")),
        facilitator_ids=_per_session(facilitators, Sum("staffmember_id")),
    ).aggregate(
        v_count=Count("pk"),
        v_ids=Sum("pk"),
        v_sequences=Sum("sequence"),
        v_meetings=Max("updated_at"),
        v_sessions=Max("session__updated_at"),
        v_courses=Max("session__course__updated_at"),
        v_strands=Max("session__course__strand__updated_at"),
        v_buildings=Max("session__building__updated_at"),
        v_facilitators=Max("facilitators_changed"),
        v_facilitator_ids=Sum("facilitator_ids"),
    )


def _version(kind: str, identity: object, data: dict) -> FeedVersion:
    settings_shown = (settings.SITE_URL, settings.DISTRICT_NAME, settings.TIME_ZONE)
    # The builder's version too: a deploy that writes feeds differently renews ETags and keys.
    text = repr((rfc5545.BUILDER_VERSION, kind, identity, settings_shown, sorted(data.items())))
    moments = [value for value in data.values() if isinstance(value, dt.datetime)]
    return FeedVersion(
        etag=hashlib.sha256(text.encode()).hexdigest()[:32],
        last_modified=max(moments) if moments else None,
        feed=hashlib.sha256(repr((kind, identity)).encode()).hexdigest()[:32],
    )


def catalog_feed_version(
    params: Mapping, *, at: dt.datetime, meetings: QuerySet[Meeting] | None = None
) -> FeedVersion:
    """The catalog feed's version for these filters, in one query. Pass the feed's `meetings`
    (catalog_feed_meetings) when you have them, or the filters are validated again. Raises
    InvalidFilters."""
    if meetings is None:
        meetings = catalog_feed_meetings(params, at=at)
    return _version("catalog", catalog_filters(params), _data_fingerprint(meetings))


def session_feed_version(session: Session, *, at: dt.datetime, include_link: bool) -> FeedVersion:
    data = _data_fingerprint(session_feed_meetings(session, at=at))
    return _version("session", (session.pk, include_link), data)

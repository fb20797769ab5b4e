"""Calendar feeds on the shared district: a person's feed cold (nothing cached), warm and as a
304, and the public catalog feed cold, each through the real view (django.test.Client: URL
routing, middleware, view, selectors, catalog.ical).

The floor of a cold feed is icalendar alone building and serializing the same events: the same
calendar properties, the same VTIMEZONE (built once beforehand) and, per event, UID, DTSTAMP,
LAST-MODIFIED, SEQUENCE, DTSTART/DTEND with TZID, SUMMARY, STATUS, LOCATION, DESCRIPTION, URL
and CATEGORIES, from plain values loaded beforehand: no queries, no HTTP, no cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F
from django.db.models.functions import Abs
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from calendars import selectors
from calendars.models import FeedToken
from calendars.views import feeds
from catalog.choices import SessionStatus
from catalog.models import Meeting, Session
from core import rfc5545
from enrollment.choices import LIVE_STATUSES, EnrollmentStatus
from enrollment.models import Enrollment
from learning.choices import StaffStatus

from . import core

PERSONAL_MEETINGS = 60
CATALOG_MEETINGS = 3_000
WARM_TARGET_MS = 3.0

PERSONAL_COLD = "personal feed, 60 meetings, cold"
PERSONAL_WARM = "personal feed, warm"
PERSONAL_304 = "personal feed, conditional GET (304)"
CATALOG_COLD = "catalog feed, 3,000 meetings, cold"
FIGURES = (PERSONAL_COLD, PERSONAL_WARM, PERSONAL_304, CATALOG_COLD)


# The floor


@dataclass(frozen=True)
class PlainEvent:
    uid: str
    sequence: int
    modified: dt.datetime  # UTC, whole seconds
    starts_at: dt.datetime  # in the district's zone
    ends_at: dt.datetime
    summary: str
    status: str
    location: str
    description: str
    url: str
    categories: tuple[str, ...]


def plain_events(events: list[rfc5545.EventData]) -> list[PlainEvent]:
    return [
        PlainEvent(
            uid=event.uid,
            sequence=event.sequence,
            modified=event.modified_at.astimezone(dt.UTC).replace(microsecond=0),
            starts_at=event.starts_at.replace(microsecond=0),
            ends_at=event.ends_at.replace(microsecond=0),
            summary=event.summary,
            status=event.status,
            location=event.location,
            description=event.description,
            url=event.url,
            categories=event.categories,
        )
        for event in events
    ]


def icalendar_floor(name: str, events: list[PlainEvent], vtimezone: icalendar.Timezone) -> bytes:
    """The same calendar written with icalendar and nothing else."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", rfc5545.prodid())
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("NAME", icalendar.vText(name))
    calendar.add("X-WR-CALNAME", icalendar.vText(name))
    calendar.add("X-WR-TIMEZONE", settings.TIME_ZONE)
    refresh = icalendar.vDuration(dt.timedelta(hours=1))
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", refresh)
    calendar.add_component(vtimezone)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("UID", event.uid)
        vevent.add("DTSTAMP", event.modified)
        vevent.add("LAST-MODIFIED", event.modified)
        vevent.add("SEQUENCE", event.sequence)
        vevent.add("DTSTART", event.starts_at)
        vevent.add("DTEND", event.ends_at)
        vevent.add("SUMMARY", event.summary)
        vevent.add("STATUS", event.status)
        if event.location:
            vevent.add("LOCATION", event.location)
        if event.description:
            vevent.add("DESCRIPTION", event.description)
        if event.url:
            vevent.add("URL", event.url)
        if event.categories:
            vevent.add("CATEGORIES", list(event.categories))
        calendar.add_component(vevent)
    return calendar.to_ical()


def _vtimezone(events: list[PlainEvent]) -> icalendar.Timezone:
    years = [moment.year for event in events for moment in (event.starts_at, event.ends_at)]
    this_year = timezone.localdate().year
    return rfc5545.vtimezone(
        settings.TIME_ZONE,
        first_year=min(years, default=this_year),
        last_year=max(years, default=this_year),
    )


# Choosing the data


def person_with_meetings(meetings: int, *, at: dt.datetime) -> tuple[FeedToken, int, int]:
    """A person (their feed token) whose feed holds `meetings` meetings, with how many it holds
    and how many enrollments were added to get there. Among the people whose live enrollments
    in published sessions add up to about that many meetings, the one whose feed (which also
    holds group sessions and leaves out drafts) comes nearest without going over; if short,
    they are enrolled in more open published sessions until their feed holds exactly that many
    (a synthetic district has about 30 meetings a person)."""
    candidates = (
        Enrollment.objects.filter(
            status__in=LIVE_STATUSES,
            session__status=SessionStatus.PUBLISHED,
            staff__feed_token__isnull=False,
        )
        .exclude(staff__status=StaffStatus.SEPARATED)
        .order_by()
        .values("staff_id")
        .annotate(meetings=Count("session__meetings"))
        .annotate(distance=Abs(F("meetings") - meetings))
        .order_by("distance", "staff_id")
        .values_list("staff_id", flat=True)[:20]
    )
    best: tuple[int, FeedToken] | None = None
    for staff_id in candidates:
        token = FeedToken.objects.select_related("staff").get(staff_id=staff_id)
        count = selectors.personal_feed_meetings(token.staff, at=at).count()
        if count <= meetings and (best is None or count > best[0]):
            best = (count, token)
        if count == meetings:
            break
    if best is None:
        raise RuntimeError("No one in the district has a feed to measure.")
    count, token = best
    added = _top_up(token.staff, meetings - count, at=at) if count < meetings else 0
    count = selectors.personal_feed_meetings(token.staff, at=at).count()
    return token, count, added


def _top_up(staff, missing: int, *, at: dt.datetime) -> int:
    """Enroll the person in published sessions open to all until their feed holds `missing`
    more meetings; how many enrollments that took."""
    shown = selectors.without_ended_cancellations(Meeting.objects.all(), at=at)
    sizes = dict(
        shown.order_by().values("session").annotate(n=Count("pk")).values_list("session", "n")
    )
    sessions = (
        Session.objects.filter(status=SessionStatus.PUBLISHED, restricted_to_group__isnull=True)
        .exclude(enrollments__staff=staff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = []
    for session_id in sessions:
        size = sizes.get(session_id, 0)
        if 0 < size <= missing:
            chosen.append(session_id)
            missing -= size
        if missing == 0:
            break
    Enrollment.objects.bulk_create(
        Enrollment(staff=staff, session_id=session_id, status=EnrollmentStatus.ENROLLED)
        for session_id in chosen
    )
    return len(chosen)


def catalog_window_days(meetings: int, *, at: dt.datetime) -> tuple[float, float, int]:
    """CALENDAR_FEED_DAYS_BACK and _AHEAD (fractional days) that put `meetings` meetings in the
    catalog feed, and how many it then holds: the window's usual month back, its end midway
    between the last meeting in and the first one out; or, when the months ahead hold fewer,
    as far ahead as needed and back far enough."""
    far = 365_000
    with override_settings(CALENDAR_FEED_DAYS_BACK=far, CALENDAR_FEED_DAYS_AHEAD=far):
        spans = list(
            selectors.catalog_feed_meetings(QueryDict(), at=at).values_list("starts_at", "ends_at")
        )
    back = settings.CALENDAR_FEED_DAYS_BACK
    start = at - dt.timedelta(days=back)
    starts = sorted(starts for starts, ends in spans if ends >= start)
    if len(starts) > meetings:
        boundary = _midway(starts, meetings)
        count = sum(1 for moment in starts if moment < boundary)
        return back, (boundary - at) / dt.timedelta(days=1), count
    # Not enough from a month back: keep everything ahead, reach further back.
    ends = sorted((ends for starts, ends in spans), reverse=True)
    if len(ends) <= meetings:
        return far, far, len(ends)
    last_in, first_out = ends[meetings - 1], ends[meetings]
    boundary = first_out + (last_in - first_out) / 2 if last_in > first_out else last_in
    count = sum(1 for moment in ends if moment >= boundary)
    return (at - boundary) / dt.timedelta(days=1), far, count


def _midway(moments: list[dt.datetime], count: int) -> dt.datetime:
    """A moment after the first `count` (sorted) moments and before the next, or after all those
    at the same moment as the last one in."""
    last_in = moments[count - 1]
    later = [moment for moment in moments[count:] if moment > last_in]
    first_out = later[0] if later else last_in + dt.timedelta(days=1)
    return last_in + (first_out - last_in) / 2


# The figures


def figures(context: core.Context) -> Iterator[core.Figure]:
    context.district()
    client = Client()
    now = timezone.now()

    token, meeting_count, added = person_with_meetings(PERSONAL_MEETINGS, at=now)
    url = reverse("calendars:feed", args=[token.key])
    events = plain_events(
        feeds._personal_events(selectors.personal_feed_calendar_meetings(token.staff_id, at=now))
    )
    name = feeds.PERSONAL_NAME.format(district=settings.DISTRICT_NAME)
    vtimezone = _vtimezone(events)

    def personal() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content

    body = personal()
    floor_body = icalendar_floor(name, events, vtimezone)
    subject, floor = core.compare(
        personal,
        lambda: icalendar_floor(name, events, vtimezone),
        repeat=9,
        warmup=2,
        setup=cache.clear,
    )
    yield core.against_floor(
        PERSONAL_COLD,
        subject * 1000,
        floor * 1000,
        unit="ms",
        note=f"{meeting_count} meetings ({added} enrollments added to reach them); the feed "
        f"{len(body):,} bytes, the floor "
        f"{len(floor_body):,}; best of 9, cache cleared before each",
    )

    # Warm: the same feed again, unchanged, from the cache.
    cache.clear()
    response = client.get(url)
    etag = response["ETag"]
    warm = core.timed(personal, repeat=7, warmup=1, number=20)
    yield core.at_most(
        PERSONAL_WARM, warm * 1000, WARM_TARGET_MS, unit="ms", note="in-process, per request"
    )

    def not_modified() -> None:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304, response.status_code

    conditional = core.timed(not_modified, repeat=7, warmup=1, number=20)
    yield core.at_most(
        PERSONAL_304, conditional * 1000, WARM_TARGET_MS, unit="ms", note="in-process, per request"
    )

    # The catalog feed, its window stretched or shrunk to hold about 3,000 meetings.
    days_back, days_ahead, _count = catalog_window_days(CATALOG_MEETINGS, at=now)
    with override_settings(CALENDAR_FEED_DAYS_BACK=days_back, CALENDAR_FEED_DAYS_AHEAD=days_ahead):
        catalog_url = reverse("calendars:catalog")
        catalog_events = plain_events(
            feeds._events(
                selectors.catalog_feed_meetings(QueryDict(), at=timezone.now()),
                include_link=False,
            )
        )
        catalog_name = feeds.CATALOG_NAME.format(district=settings.DISTRICT_NAME)
        catalog_vtimezone = _vtimezone(catalog_events)

        def catalog() -> bytes:
            response = client.get(catalog_url)
            assert response.status_code == 200, response.status_code
            return response.content

        catalog_body = catalog()
        subject, floor = core.compare(
            catalog,
            lambda: icalendar_floor(catalog_name, catalog_events, catalog_vtimezone),
            repeat=3,
            warmup=1,
            setup=cache.clear,
        )
    yield core.against_floor(
        CATALOG_COLD,
        subject * 1000,
        floor * 1000,
        unit="ms",
        note=f"{len(catalog_events):,} meetings (window {days_back:.1f} days back, "
        f"{days_ahead:.1f} ahead), "
        f"{len(catalog_body):,} bytes; best of 3, cache cleared before each",
    )

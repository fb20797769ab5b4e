"""The feeds calendar apps fetch: no login (calendar apps cannot log in), GET and HEAD only.

The personal feed's URL is its only secret: the key is compared in constant time, never logged
(calendars.log masks it), and a wrong, rotated or revoked key is a plain 404. Every feed answers
conditional requests (ETag, Last-Modified) and keeps its bytes in the cache, so an unchanged
feed is neither rebuilt nor resent:

- the personal feed, polled by every subscriber's calendar app, is kept rendered under the
  person and the data's generation (learning.changes), and its token keeps the validators of
  the feed last served: a poll of an unchanged feed is one query (the token, its person, the
  generation and those validators), answered 304 from it when the app's copy is current and
  with one cache read when not; its ETag is a hash of its bytes;
- the catalog and session feeds compute a version from the data without building the feed.

The cache is a help, never a need: a feed is served without it when it fails."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, quote_etag
from django.views.decorators.http import require_safe

from catalog import access as session_access
from catalog import ical
from catalog.models import Meeting
from core import rfc5545
from enrollment.choices import EnrollmentStatus
from learning import access

from .. import selectors, services
from ..models import FeedToken, feed_key_digest

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
# Calendar apps are asked to refresh hourly (REFRESH-INTERVAL); HTTP caches may keep a copy as
# long. The personal feed's URL is a capability: only the person's own client may keep it.
MAX_AGE = 3600
PERSONAL_CACHE_CONTROL = f"private, max-age={MAX_AGE}"
PUBLIC_CACHE_CONTROL = f"public, max-age={MAX_AGE}"
# Rendered feeds stay in the cache this long after their last build; a new version is a new key.
RENDERED_TTL = 24 * 3600
# How long the moment a version was first served is kept (Last-Modified); should it go, the
# version only looks newer, which costs a client one full download.
SEEN_TTL = 30 * 24 * 3600
# Free text: every search would be a key of its own, so such feeds are never cached.
UNCACHED_PARAMS = ("q",)
# What new_feed_key makes: 43 URL-safe characters. Anything else cannot be a key.
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}")
USER_AGENT_LENGTH = FeedToken._meta.get_field("last_client").max_length

PERSONAL_NAME = "My professional learning ({district})"
CATALOG_NAME = "Professional learning catalog ({district})"

WAITLIST_PREFIX = "[Waitlist #{position}] "
PENDING_PREFIX = "[Awaiting approval] "
MSG_INVALID_FILTERS = "Invalid filter {name}: {message}"
MSG_NO_FEED = "No calendar feed at this address.\n"


def _cached(operation: Callable[[], object], default: object = None) -> object:
    """A cache operation that an outage (the cache server down) turns into `default`, with a
    warning: the feed is then rendered without the cache, never answered with an error."""
    try:
        return operation()
    except Exception:  # noqa: BLE001 - any backend's failure
        logger.warning("The cache failed; the calendar feed is served without it.", exc_info=True)
        return default


def _first_seen(version: selectors.FeedVersion, now: dt.datetime) -> int | None:
    """When this version was first served (a timestamp), recorded now if it is new. A version
    can be new without newer data (a meeting leaving the feed), so Last-Modified is at least
    this, for clients that only send If-Modified-Since. A new version of a feed is also seen at
    least a second after the feed's previous one: HTTP dates count whole seconds."""
    key = f"calendars:seen:{version.etag}"
    seen = _cached(lambda: cache.get(key))
    if isinstance(seen, int):
        return seen
    latest_key = f"calendars:latest:{version.feed}"
    latest = _cached(lambda: cache.get(latest_key))
    stamp = int(now.timestamp())
    if isinstance(latest, int):
        stamp = max(stamp, latest + 1)
    if _cached(lambda: cache.add(key, stamp, SEEN_TTL), default=False):
        _cached(lambda: cache.set(latest_key, stamp, SEEN_TTL))
        return stamp
    # Another request recorded it first.
    seen = _cached(lambda: cache.get(key))
    return seen if isinstance(seen, int) else None


def _respond(
    request: HttpRequest,
    version: selectors.FeedVersion,
    build: Callable[[], bytes],
    *,
    cache_control: str,
    now: dt.datetime,
    use_cache: bool = True,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The feed, or 304 when the client's copy is current (If-None-Match, If-Modified-Since).
    The bytes come from the cache when this version was built before (unless `use_cache` is
    false); a cache outage only means building them."""
    etag = quote_etag(version.etag)
    moments = []
    if version.last_modified is not None:
        moments.append(int(version.last_modified.timestamp()))
    if use_cache and (seen := _first_seen(version, now)) is not None:
        moments.append(seen)
    last_modified = max(moments) if moments else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        key = f"calendars:feed:{version.etag}"
        body = _cached(lambda: cache.get(key)) if use_cache else None
        if not isinstance(body, bytes):
            body = build()
            if use_cache:
                _cached(lambda: cache.set(key, body, RENDERED_TTL))
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        for name, value in (headers or {}).items():
            response[name] = value
    _validators(response, etag, last_modified, cache_control=cache_control)
    return response


def _validators(
    response: HttpResponse, etag: str, last_modified: int | None, *, cache_control: str
) -> None:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = cache_control


def _events(meetings: QuerySet[Meeting], *, include_link: bool) -> list[rfc5545.EventData]:
    builder = ical.EventBuilder(include_link=include_link)
    return [builder.event(meeting) for meeting in selectors.feed_meetings_shown(meetings)]


# The personal feed


def _poll_for(key: str) -> selectors.FeedPoll | None:
    """The token with exactly this key (with its person and the data's generation), or None.
    The database is searched by the key's digest (feed_key_digest), so how long the search
    takes tells nothing of the key; the key itself is then compared in constant time."""
    if not KEY_FORMAT.fullmatch(key):
        return None
    poll = selectors.feed_poll(feed_key_digest(key))
    if poll is None or not hmac.compare_digest(poll.key.encode(), key.encode()):
        return None
    return poll


# The person's own place shows in an event's title and status (waitlist position, awaiting
# approval, confirmed), and calendars take a change only with a higher SEQUENCE. A place only
# moves forward (up the waitlist, to a request, to a seat), so a fixed scale added to the
# meeting's sequence rises with each step: waitlisted #n < awaiting approval < confirmed.
PLACE_SEQUENCE_CONFIRMED = 1000
PLACE_SEQUENCE_PENDING = 999


def place_sequence(status: str | None, waitlist_position: int | None) -> int:
    if status == EnrollmentStatus.WAITLISTED:
        return PLACE_SEQUENCE_PENDING - min(waitlist_position or 1, PLACE_SEQUENCE_PENDING - 1)
    if status == EnrollmentStatus.PENDING_APPROVAL:
        return PLACE_SEQUENCE_PENDING
    return PLACE_SEQUENCE_CONFIRMED


def _personal_events(shown: list[ical.CalendarMeeting]) -> list[rfc5545.EventData]:
    """The events of a person's meetings (selectors.personal_feed_calendar_meetings)."""
    builder = ical.EventBuilder(include_link=True)
    events = []
    for meeting in shown:
        status = meeting.extra["enrollment_status"]
        position = meeting.extra["waitlist_position"]
        prefix, tentative = "", False
        if status == EnrollmentStatus.WAITLISTED:
            prefix = WAITLIST_PREFIX.format(position=position)
            tentative = True
        elif status == EnrollmentStatus.PENDING_APPROVAL:
            prefix, tentative = PENDING_PREFIX, True
        events.append(
            builder.event(
                meeting,
                title_prefix=prefix,
                tentative=tentative,
                changed_at=meeting.extra["enrollment_updated_at"],
                sequence_offset=place_sequence(status, position),
            )
        )
    return events


@dataclass(frozen=True)
class RenderedFeed:
    """A rendered personal feed as kept under the person and the feed's version: its bytes,
    its ETag (a hash of the bytes), its Last-Modified (a timestamp: the latest change it shows,
    or when these bytes were first served if later; None for an empty feed never served) and
    when it changes without any write (a timestamp: the end of the first cancelled meeting it
    still shows, which then leaves the feed)."""

    body: bytes
    etag: str
    last_modified: int | None
    changes_at: float | None

    def current(self, now: dt.datetime) -> bool:
        return self.changes_at is None or now.timestamp() < self.changes_at

    def served(self, version: str) -> selectors.ServedFeed:
        """The feed as its token keeps it."""
        return selectors.ServedFeed(
            version=version,
            etag=self.etag,
            last_modified=_moment(self.last_modified),
            changes_at=_moment(self.changes_at),
        )


def _moment(stamp: float | None) -> dt.datetime | None:
    return None if stamp is None else dt.datetime.fromtimestamp(stamp, tz=dt.UTC)


def _stamp(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _feed_version(generation: str) -> str:
    """The data's generation with the builder and the settings a feed shows: a deploy that
    changes either renders the feed anew."""
    shown = (rfc5545.BUILDER_VERSION, settings.SITE_URL, settings.DISTRICT_NAME, settings.TIME_ZONE)
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
    return f"{generation}:{digest}"


def _rendered_key(staff_id: int, version: str) -> str:
    return f"calendars:personal:{staff_id}:{version}"


def _render_personal(staff_id: int, *, now: dt.datetime) -> RenderedFeed:
    events = _personal_events(selectors.personal_feed_calendar_meetings(staff_id, at=now))
    body = rfc5545.calendar_bytes(name=PERSONAL_NAME.format(district=_district()), events=events)
    ending = [event.ends_at for event in events if event.status == rfc5545.CANCELLED]
    etag = hashlib.sha256(body).hexdigest()[:32]
    moments = [int(max(event.modified_at for event in events).timestamp())] if events else []
    # The same bytes under a new generation keep the moment they were first served.
    feed = hashlib.sha256(repr(("personal", staff_id)).encode()).hexdigest()[:32]
    seen = _first_seen(selectors.FeedVersion(etag=etag, last_modified=None, feed=feed), now)
    if seen is not None:
        moments.append(seen)
    return RenderedFeed(
        body=body,
        etag=etag,
        last_modified=max(moments) if moments else None,
        changes_at=min(ending).timestamp() if ending else None,
    )


def _rendered(staff_id: int, version: str, *, now: dt.datetime) -> RenderedFeed:
    """The person's feed under this version: from the cache when a worker rendered it before,
    rendered (and kept) otherwise."""
    key = _rendered_key(staff_id, version)
    rendered = _cached(lambda: cache.get(key))
    if isinstance(rendered, RenderedFeed) and rendered.current(now):
        return rendered
    rendered = _render_personal(staff_id, now=now)
    timeout = RENDERED_TTL
    if rendered.changes_at is not None:
        timeout = min(timeout, max(1, math.ceil(rendered.changes_at - now.timestamp())))
    _cached(lambda: cache.set(key, rendered, timeout))
    return rendered


def _personal_response(
    response: HttpResponse, etag: str, last_modified: int | None
) -> HttpResponse:
    etag = quote_etag(etag)
    _validators(response, etag, last_modified, cache_control=PERSONAL_CACHE_CONTROL)
    # A capability URL: keep it out of search engines should it ever be linked.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def personal_feed(request: HttpRequest, key: str) -> HttpResponse:
    poll = _poll_for(key)
    if poll is None:
        # The same answer for a key that never was, was rotated or was revoked; plain text, as
        # calendar apps show no HTML, and nothing echoed back.
        return HttpResponseNotFound(MSG_NO_FEED, content_type="text/plain; charset=utf-8")
    now = timezone.now()
    client = request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH]
    version = _feed_version(poll.generation)
    served = poll.served
    if served is not None and served.current(version, now):
        # No data changed since the feed was last served: a current copy is answered from the
        # token's validators, without the cache.
        last_modified = _stamp(served.last_modified)
        answer = get_conditional_response(
            request, etag=quote_etag(served.etag), last_modified=last_modified
        )
        if answer is not None:
            services.feed_poll_record(poll=poll, client=client, now=now)
            return _personal_response(answer, served.etag, last_modified)
    rendered = _rendered(poll.staff_id, version, now=now)
    services.feed_poll_record(poll=poll, client=client, now=now, served=rendered.served(version))
    response = get_conditional_response(
        request, etag=quote_etag(rendered.etag), last_modified=rendered.last_modified
    ) or HttpResponse(rendered.body, content_type=CONTENT_TYPE)
    return _personal_response(response, rendered.etag, rendered.last_modified)


# The public catalog feed


@require_safe
def catalog_feed(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    try:
        meetings = selectors.catalog_feed_meetings(request.GET, at=now)
    except selectors.InvalidFilters as invalid:
        lines = [
            MSG_INVALID_FILTERS.format(name=name, message=message)
            for name, messages in invalid.errors.items()
            for message in messages
        ]
        return HttpResponse(
            "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    version = selectors.catalog_feed_version(request.GET, at=now, meetings=meetings)

    def build() -> bytes:
        return rfc5545.calendar_bytes(
            name=CATALOG_NAME.format(district=_district()),
            events=_events(meetings, include_link=False),
        )

    searched = any(request.GET.get(name, "").strip() for name in UNCACHED_PARAMS)
    return _respond(
        request,
        version,
        build,
        cache_control=PUBLIC_CACHE_CONTROL,
        now=now,
        use_cache=not searched,
    )


# One session


@require_safe
def session_feed(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Add to my calendar" for one session: a download, for whoever may see the session (a
    draft only for district PD and its facilitators), with the online link for staff."""
    session = (
        session_access.visible_sessions(request.user).select_related("course").filter(pk=pk).first()
    )
    if session is None:
        raise Http404("No such session.")
    now = timezone.now()
    include_link = access.may_see_meeting_links(request.user)
    version = selectors.session_feed_version(session, at=now, include_link=include_link)

    def build() -> bytes:
        meetings = selectors.session_feed_meetings(session, at=now)
        return rfc5545.calendar_bytes(
            name=session.display_title, events=_events(meetings, include_link=include_link)
        )

    filename = f"{session.course.code}-session-{session.pk}.ics"
    return _respond(
        request,
        version,
        build,
        # It may hold the online link and answers per user: never a shared cache.
        cache_control=PERSONAL_CACHE_CONTROL,
        now=now,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def _district() -> str:
    return settings.DISTRICT_NAME

"""iCalendar (RFC 5545) for the catalog's meetings: subscription feeds and mailed invitations.

A pure builder: it reads meetings as loaded for calendars (CalendarMeeting, from
catalog.selectors.calendar_meetings, or model instances shaped by shape_meetings_for_calendars)
and returns bytes; HTTP, caching and who may see what are the callers' business. Every value comes
from the data, never from the clock, so unchanged data gives identical bytes (and ETags).

Where icalendar 7.3 writes something clients reject, this module writes it itself:
REFRESH-INTERVAL gets VALUE=DURATION, X-PUBLISHED-TTL is a vDuration (a bare timedelta X-
property comes out as "1:00:00"), and VTIMEZONEs are built here from zoneinfo as yearly RRULEs
with UNTIL in UTC (add_missing_timezones adds a COMMENT libical rejects, and Timezone.from_tzinfo
lists transitions as RDATEs, which Outlook ignores).

VCALENDAR and VEVENT are written as content lines here, byte for byte what icalendar 7.3 writes
for them (property order, TEXT escaping, parameter quoting, folding), several times faster than
building icalendar components: a feed holds thousands of events. Only VTIMEZONEs are built with
icalendar, once per zone and years. tests/calendars/test_ical_writer.py keeps icalendar's output
as the oracle.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from icalendar import (
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDDDTypes,
    vDuration,
)

from .choices import MeetingStatus, SessionStatus
from .models import Meeting

# Raised whenever what this module writes changes. With icalendar's version it makes
# BUILDER_VERSION, part of every feed's version, so a deploy never serves bytes built before it.
FEED_FORMAT = 2
BUILDER_VERSION = f"{FEED_FORMAT}/icalendar-{icalendar.__version__}"

REFRESH = dt.timedelta(hours=1)
CANCELLED_PREFIX = "[Cancelled] "

CONFIRMED = "CONFIRMED"
TENTATIVE = "TENTATIVE"
CANCELLED = "CANCELLED"


def district_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def prodid() -> str:
    return f"-//{settings.DISTRICT_NAME}//Professional Learning//EN"


@dataclass(frozen=True)
class EventData:
    """One VEVENT, already decided: what a calendar shows of one meeting."""

    uid: str
    sequence: int
    # When the data shown last changed (DTSTAMP and LAST-MODIFIED), aware.
    modified_at: dt.datetime
    # Aware, in the zone the event is written in (TZID).
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    status: Literal["CONFIRMED", "TENTATIVE", "CANCELLED"] = CONFIRMED
    location: str = ""
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    # Invitations only: when the message was made (their DTSTAMP, RFC 5545 3.8.7.2), the
    # organizer and the attendees as (email, name).
    sent_at: dt.datetime | None = None
    organizer: tuple[str, str] | None = None
    attendees: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        for name in ("modified_at", "starts_at", "ends_at", "sent_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"EventData.{name} must be timezone-aware.")
        if self.ends_at <= self.starts_at:
            raise ValueError("An event must end after it starts.")


def session_url(session_id: int) -> str:
    return settings.SITE_URL + reverse("catalog:session", args=[session_id])


# Stands for the session's id in session_url_format (reversing once per feed, not per session).
_URL_ID = 918273645


def session_url_format() -> str:
    """session_url as a format string with a {session_id} field."""
    url = session_url(_URL_ID).replace("{", "{{").replace("}", "}}")
    return url.replace(str(_URL_ID), "{session_id}")


@dataclass(frozen=True)
class CalendarSession:
    """What calendars show of a session, shared by all its meetings."""

    pk: int
    title: str  # Session.display_title
    status: str
    room: str
    virtual_url: str
    notes: str
    course_summary: str
    clock_hours: Decimal
    strand_name: str
    # (name, address), or None when the session has no building.
    building: tuple[str, str] | None
    facilitator_names: tuple[str, ...]
    # The latest change of the session, its course, strand, building and facilitators.
    changed_at: dt.datetime


@dataclass(frozen=True)
class CalendarMeeting:
    """What calendars show of a meeting: its own columns and its session's shared part.
    `extra` holds the caller's annotations (catalog.selectors.calendar_meetings)."""

    uid: str
    sequence: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str
    status: str
    updated_at: dt.datetime
    session: CalendarSession
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def calendar_meeting(meeting: Meeting) -> CalendarMeeting:
    """A model instance as the event builder reads it. Its session, course, strand, building and
    facilitators should be loaded (shape_meetings_for_calendars), or each is a query."""
    session = meeting.session
    course = session.course
    building = session.building
    facilitators = list(session.facilitators.all())
    stamps = [session.updated_at, course.updated_at, course.strand.updated_at]
    stamps += [person.updated_at for person in facilitators]
    if building is not None:
        stamps.append(building.updated_at)
    return CalendarMeeting(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        room=meeting.room,
        status=meeting.status,
        updated_at=meeting.updated_at,
        session=CalendarSession(
            pk=session.pk,
            title=session.display_title,
            status=session.status,
            room=session.room,
            virtual_url=session.virtual_url,
            notes=session.notes,
            course_summary=course.summary,
            clock_hours=course.clock_hours,
            strand_name=course.strand.name,
            building=None if building is None else (building.name, building.address),
            facilitator_names=tuple(person.display_name for person in facilitators),
            changed_at=max(stamps),
        ),
    )


def event_for_meeting(
    meeting: Meeting,
    *,
    title_prefix: str = "",
    tentative: bool = False,
    include_link: bool,
    changed_at: dt.datetime | None = None,
    sequence_offset: int = 0,
) -> EventData:
    """What a calendar shows of one meeting (a model instance, see calendar_meeting); a feed of
    many builds them with one EventBuilder instead."""
    return EventBuilder(include_link=include_link).event(
        calendar_meeting(meeting),
        title_prefix=title_prefix,
        tentative=tentative,
        changed_at=changed_at,
        sequence_offset=sequence_offset,
    )


CANCELLED_PARAGRAPH = "Cancelled: this meeting will not take place."


class EventBuilder:
    """Builds the events of one calendar. What the meetings of a session share (its URL and the
    description past the cancellation line) is made once per session. The virtual link is only
    written when `include_link`: a public feed would invite anyone into the meeting; the
    session's notes likewise.

    Everything shown here must be watched by catalog.services (*_FIELDS_IN_CALENDARS), so that
    a change of it raises the meeting's SEQUENCE."""

    def __init__(self, *, include_link: bool):
        self.include_link = include_link
        self._zone = district_zone()
        self._shared: dict[int, tuple[str, str]] = {}
        self._url_format = session_url_format()

    def event(
        self,
        meeting: CalendarMeeting,
        *,
        title_prefix: str = "",
        tentative: bool = False,
        changed_at: dt.datetime | None = None,
        sequence_offset: int = 0,
    ) -> EventData:
        """One meeting's event. `changed_at` is a later change the event also shows (the
        person's enrollment, for the waitlist prefix), so LAST-MODIFIED moves with it, and
        `sequence_offset` raises SEQUENCE for such a change."""
        session = meeting.session
        cancelled = (
            meeting.status == MeetingStatus.CANCELLED or session.status == SessionStatus.CANCELLED
        )
        if cancelled:
            status = CANCELLED
        elif tentative:
            status = TENTATIVE
        else:
            status = CONFIRMED
        modified_at = max(meeting.updated_at, session.changed_at)
        if changed_at is not None:
            modified_at = max(modified_at, changed_at)

        shared = self._shared.get(session.pk)
        if shared is None:
            shared = self._shared[session.pk] = self._session_parts(session)
        url, description = shared
        if cancelled:
            description = f"{CANCELLED_PARAGRAPH}\n\n{description}"
        return EventData(
            uid=meeting.uid,
            sequence=meeting.sequence + sequence_offset,
            modified_at=modified_at,
            starts_at=meeting.starts_at.astimezone(self._zone),
            ends_at=meeting.ends_at.astimezone(self._zone),
            summary=(CANCELLED_PREFIX if cancelled else title_prefix) + session.title,
            status=status,
            location=self._location(meeting),
            description=description,
            url=url,
            categories=(session.strand_name,),
        )

    def _location(self, meeting: CalendarMeeting) -> str:
        session = meeting.session
        room = meeting.room or session.room
        if session.building is not None:
            parts = [room, *session.building]
            return ", ".join(part for part in parts if part)
        if session.virtual_url:
            return session.virtual_url if self.include_link else "Online"
        return room

    def _session_parts(self, session: CalendarSession) -> tuple[str, str]:
        """The session's URL and its description as every meeting shows it (a cancelled one
        after a line of its own)."""
        url = self._url_format.format(session_id=session.pk)
        paragraphs = []
        if session.course_summary:
            paragraphs.append(session.course_summary.strip())
        facts = []
        names = session.facilitator_names
        if names:
            label = "Facilitator" if len(names) == 1 else "Facilitators"
            facts.append(f"{label}: {', '.join(names)}")
        facts.append(f"Clock hours: {_hours(session.clock_hours)}")
        paragraphs.append("\n".join(facts))
        # Notes are for the people taking part (directions, what to bring, sometimes a
        # passcode): like the online link, never in a public feed or an anonymous download.
        if self.include_link and session.notes:
            paragraphs.append(session.notes.strip())
        if self.include_link and session.virtual_url:
            paragraphs.append(f"Join online: {session.virtual_url}")
        paragraphs.append(f"Session page: {url}")
        return url, "\n\n".join(paragraphs)


def _hours(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def calendar_bytes(*, name: str, events: Iterable[EventData], method: str | None = None) -> bytes:
    """A whole VCALENDAR: the service's PRODID, NAME and X-WR-CALNAME, the district's zone as
    X-WR-TIMEZONE, a VTIMEZONE for every TZID used (the district's always, so even an empty feed
    holds one), then the events by start and UID. A feed (no `method`) carries
    REFRESH-INTERVAL and X-PUBLISHED-TTL; an invitation (METHOD REQUEST or CANCEL) does not."""
    events = sorted(events, key=lambda event: (event.starts_at, event.uid))
    # icalendar's order: VERSION, PRODID, CALSCALE, METHOD, NAME, X-WR-CALNAME, then the others
    # by name. TEXT values: a course title's commas and semicolons are escaped here too.
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(prodid())}", "CALSCALE:GREGORIAN"]
    if method is not None:
        lines.append(f"METHOD:{_text(method)}")
    lines.append(f"NAME:{_text(name)}")
    lines.append(f"X-WR-CALNAME:{_text(name)}")
    if method is None:
        duration = vDuration(REFRESH).to_ical().decode()
        lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{duration}")
        lines.append(f"X-PUBLISHED-TTL:{duration}")
    lines.append(f"X-WR-TIMEZONE:{_text(settings.TIME_ZONE)}")
    head = _content_lines(lines)

    zones = [
        _vtimezone_bytes(tzid, first_year, last_year)
        for tzid, (first_year, last_year) in sorted(_zone_years(events).items())
    ]
    lines = []
    for event in events:
        _vevent_lines(event, lines)
    lines.append("END:VCALENDAR")
    return head + b"".join(zones) + _content_lines(lines)


def _zone_years(events: Sequence[EventData]) -> dict[str, tuple[int, int]]:
    """Every zone the events are written in, with the years they span there."""
    district = settings.TIME_ZONE
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        for moment in (event.starts_at, event.ends_at):
            tzid = _tzid(moment)
            first, last = years.get(tzid, (moment.year, moment.year))
            years[tzid] = (min(first, moment.year), max(last, moment.year))
    if district not in years:
        # No event in the district's zone (an empty feed): the year does not change the
        # VTIMEZONE while the zone's rules stay as they are (they are walked back to their start).
        this_year = dt.datetime.now(district_zone()).year
        years[district] = (this_year, this_year)
    return years


def _tzid(moment: dt.datetime) -> str:
    key = getattr(moment.tzinfo, "key", None)
    if key is None:
        raise ValueError(f"Events must use a zoneinfo zone, not {moment.tzinfo!r}.")
    return key


# The content-line writer: what icalendar 7.3's Calendar.to_ical() writes for these properties.

# A line is folded before the character that would take it to 75 octets (so at most 74), never
# inside a UTF-8 character, and never right after a backslash or caret (icalendar keeps an escape
# with the character it escapes).
FOLD_OCTETS = 74
_UTF8_CONTINUATION = 0x80
_ESCAPE_OCTETS = (ord("\\"), ord("^"))
# RFC 6868 parameter escaping, and the characters that make icalendar quote a parameter value
# (a CN also when it holds a space or an apostrophe).
_PARAM_ESCAPES = re.compile(r'\^|\r\n|\r|\n|"')
_PARAM_REPLACEMENTS = {"^": "^^", "\r\n": "^n", "\r": "^n", "\n": "^n", '"': "^'"}
_QUOTABLE = re.compile("[,;:\u2019]")
_CN_QUOTABLE = (" ", "'")


def _text(value: str) -> str:
    """A TEXT value escaped as icalendar's vText does (RFC 5545 3.3.11), reading a literal "\\N"
    as a line break as it does, and writing every CRLF, LF or lone CR as "\\n"."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _param(value: str, *, quote: bool = False) -> str:
    escaped = _PARAM_ESCAPES.sub(lambda match: _PARAM_REPLACEMENTS[match.group(0)], value)
    if quote or _QUOTABLE.search(escaped):
        return f'"{escaped}"'
    return escaped


def _address(name: str, email: str, params: str = "") -> str:
    """An ORGANIZER or ATTENDEE: the CN first (parameters come sorted by name), then `params`."""
    if name:
        cn = _param(name, quote=any(character in name for character in _CN_QUOTABLE))
        params = f";CN={cn}{params}"
    return f"{params}:mailto:{email}"


@lru_cache(maxsize=64)
def _time_form(zone: dt.tzinfo) -> tuple[str, str]:
    """How a DATE-TIME in `zone` is written: the parameters before the value and the suffix after
    it, ";TZID=<zone>" and "", or "" and "Z" for a zone icalendar takes for UTC."""
    value = vDDDTypes(dt.datetime(2000, 1, 1, tzinfo=zone))
    params = value.params.to_ical().decode()
    return (f";{params}" if params else ""), ("Z" if value.to_ical().endswith(b"Z") else "")


def _date_time(moment: dt.datetime) -> str:
    return (
        f"{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}"
    )


def _vevent_lines(event: EventData, lines: list[str]) -> None:
    """Append the VEVENT's content lines, unfolded, in icalendar's order: SUMMARY, DTSTART,
    DTEND, DTSTAMP, UID, SEQUENCE, then the others by name."""
    modified = _date_time(event.modified_at.astimezone(dt.UTC))
    # Without METHOD, DTSTAMP is the event's last revision: the data's, so bytes stay the same.
    stamp = modified if event.sent_at is None else _date_time(event.sent_at.astimezone(dt.UTC))
    start_params, start_suffix = _time_form(event.starts_at.tzinfo)
    end_params, end_suffix = _time_form(event.ends_at.tzinfo)
    lines += (
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(event.summary)}",
        f"DTSTART{start_params}:{_date_time(event.starts_at)}{start_suffix}",
        f"DTEND{end_params}:{_date_time(event.ends_at)}{end_suffix}",
        f"DTSTAMP:{stamp}Z",
        f"UID:{_text(event.uid)}",
        f"SEQUENCE:{event.sequence:d}",
    )
    for email, name in event.attendees:
        # The mail asks the person to accept: their answer is still to come.
        params = ";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE"
        lines.append(f"ATTENDEE{_address(name, email, params)}")
    if event.categories:
        lines.append(f"CATEGORIES:{','.join(_text(category) for category in event.categories)}")
    if event.description:
        lines.append(f"DESCRIPTION:{_text(event.description)}")
    lines.append(f"LAST-MODIFIED:{modified}Z")
    if event.location:
        lines.append(f"LOCATION:{_text(event.location)}")
    if event.organizer is not None:
        email, name = event.organizer
        lines.append(f"ORGANIZER{_address(name, email)}")
    lines.append(f"STATUS:{_text(event.status)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append("END:VEVENT")


def _content_lines(lines: list[str]) -> bytes:
    """The lines folded, each ended by CRLF, in UTF-8."""
    text = "\r\n".join(
        line if len(line) <= FOLD_OCTETS and line.isascii() else _folded(line) for line in lines
    )
    return f"{text}\r\n".encode()


def _folded(line: str) -> str:
    data = line.encode()
    if len(data) <= FOLD_OCTETS:
        return line
    pieces = []
    start = 0
    while len(data) - start > FOLD_OCTETS:
        end = start + FOLD_OCTETS
        while data[end] & 0xC0 == _UTF8_CONTINUATION:
            end -= 1
        if data[end - 1] in _ESCAPE_OCTETS and end - 1 > start:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode()


@lru_cache(maxsize=32)
def _vtimezone_bytes(tzid: str, first_year: int, last_year: int) -> bytes:
    return vtimezone(tzid, first_year=first_year, last_year=last_year).to_ical()


def invitation_bytes(
    *,
    meetings: Iterable[Meeting],
    method: Literal["REQUEST", "CANCEL"],
    attendee_email: str,
    attendee_name: str,
    organizer_email: str,
    sent_at: dt.datetime | None = None,
) -> bytes:
    """A mailed invitation (iMIP) for one person: METHOD REQUEST to add or update the meetings,
    CANCEL to take them out of the person's calendar (withdrawal, cancellation). Same UIDs and
    SEQUENCE as the feeds, so a calendar that has both sees one event. DTSTAMP is when the
    message is made (`sent_at`, default now), as iTIP wants: a CANCEL after a REQUEST with the
    same SEQUENCE is then the newer message. Clients handle one meeting per message best
    (Outlook and Gmail act on the first event of a message with several UIDs)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"An invitation is a REQUEST or a CANCEL, not {method!r}.")
    sent_at = sent_at or dt.datetime.now(dt.UTC)
    organizer = (organizer_email, f"{settings.DISTRICT_NAME} Professional Learning")
    events = []
    for meeting in meetings:
        event = event_for_meeting(meeting, include_link=True)
        events.append(
            replace(
                event,
                status=CANCELLED if method == "CANCEL" else event.status,
                sent_at=sent_at,
                organizer=organizer,
                attendees=((attendee_email, attendee_name),),
            )
        )
    if not events:
        raise ValueError("An invitation needs at least one meeting.")
    names = sorted({event.summary.removeprefix(CANCELLED_PREFIX) for event in events})
    return calendar_bytes(name="; ".join(names), events=events, method=method)


# VTIMEZONE from zoneinfo

# Rules are walked back to where they start, but not before this year.
EARLIEST_YEAR = 1970
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class _Transition:
    at: dt.datetime  # UTC instant of the change
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    daylight: bool
    name: str

    @property
    def onset(self) -> dt.datetime:
        """The local wall time of the change, in the offset before it (RFC 5545 3.6.5)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def observance(self) -> tuple:
        onset = self.onset
        return (
            self.daylight,
            self.offset_from,
            self.offset_to,
            self.name,
            onset.month,
            onset.weekday(),
            onset.time(),
        )

    @property
    def ordinals(self) -> frozenset[int]:
        """Which BYDAY ordinals describe its day: the nth weekday, and -1 if it is the last."""
        onset = self.onset
        days_in_month = month_calendar.monthrange(onset.year, onset.month)[1]
        ordinals = {(onset.day - 1) // 7 + 1}
        if onset.day + 7 > days_in_month:
            ordinals.add(-1)
        return frozenset(ordinals)


@dataclass(frozen=True)
class _Observance:
    """One STANDARD or DAYLIGHT: the first change and, for a yearly rule, its BYDAY and the last
    change (None while the rule still holds after the years asked for)."""

    first: _Transition
    byday: str | None
    until: dt.datetime | None


def _offset(zone: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    return instant.astimezone(zone).utcoffset()


def _year_transitions(zone: ZoneInfo, year: int) -> list[_Transition]:
    """The zone's offset changes in one (UTC) year: a day-by-day scan, then a bisection to the
    second."""
    day = dt.timedelta(days=1)
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    found = []
    before, offset_before = start, _offset(zone, start)
    while before < end:
        after = min(before + day, end)
        offset_after = _offset(zone, after)
        if offset_after != offset_before:
            low, high = before, after
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) // 2
                if _offset(zone, middle) == offset_before:
                    low = middle
                else:
                    high = middle
            local = high.astimezone(zone)
            found.append(
                _Transition(
                    at=high,
                    offset_from=offset_before,
                    offset_to=offset_after,
                    daylight=bool(local.dst()),
                    name=local.tzname() or "",
                )
            )
        before, offset_before = after, offset_after
    return found


def _same_rules(earlier: list[_Transition], later: list[_Transition]) -> bool:
    if len(earlier) != len(later):
        return False
    pairs = zip(
        sorted(earlier, key=lambda t: t.observance),
        sorted(later, key=lambda t: t.observance),
        strict=True,
    )
    return all(a.observance == b.observance and a.ordinals & b.ordinals for a, b in pairs)


@lru_cache(maxsize=32)
def _observances(tzid: str, first_year: int, last_year: int) -> tuple[_Observance, ...]:
    """The zone's observances from before first_year (walked back while the same rules hold, so
    the result rarely depends on first_year) to past last_year."""
    zone = ZoneInfo(tzid)
    start = max(EARLIEST_YEAR, first_year - 1)
    while start > EARLIEST_YEAR and _same_rules(
        _year_transitions(zone, start - 1), _year_transitions(zone, start)
    ):
        start -= 1
    end = last_year + 1  # one year more, to see whether the rules go on

    # Group each year's changes into yearly series of the same observance and weekday rule.
    series: list[list[_Transition]] = []
    open_series: dict[tuple, tuple[list[_Transition], frozenset[int]]] = {}
    for year in range(start, end + 1):
        for transition in _year_transitions(zone, year):
            key = transition.observance
            current = open_series.get(key)
            if current is not None:
                members, ordinals = current
                common = ordinals & transition.ordinals
                if members[-1].at.year == year - 1 and common:
                    members.append(transition)
                    open_series[key] = (members, common)
                    continue
            members = [transition]
            series.append(members)
            open_series[key] = (members, transition.ordinals)

    observances = []
    for members in series:
        first, last = members[0], members[-1]
        if len(members) == 1:
            observances.append(_Observance(first=first, byday=None, until=None))
            continue
        ordinals = _common_ordinals(members)
        positive = sorted(ordinal for ordinal in ordinals if ordinal > 0)
        ordinal = positive[0] if positive else -1
        byday = f"{ordinal}{WEEKDAYS[first.onset.weekday()]}"
        until = None if last.at.year >= end else last.at
        observances.append(_Observance(first=first, byday=byday, until=until))
    if not observances:
        # No change in these years: one STANDARD with the zone's offset.
        moment = dt.datetime(start, 1, 1, tzinfo=dt.UTC)
        local = moment.astimezone(zone)
        offset = local.utcoffset()
        fixed = _Transition(
            at=moment - offset,
            offset_from=offset,
            offset_to=offset,
            daylight=False,
            name=local.tzname() or "",
        )
        observances.append(_Observance(first=fixed, byday=None, until=None))
    return tuple(sorted(observances, key=lambda o: (o.first.at, o.first.daylight)))


def _common_ordinals(members: list[_Transition]) -> frozenset[int]:
    ordinals = members[0].ordinals
    for member in members[1:]:
        ordinals &= member.ordinals
    return ordinals


def vtimezone(tzid: str, *, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for a zoneinfo zone, right for every instant from first_year to last_year:
    yearly RRULEs (with BYDAY and BYMONTH, as Outlook needs) where the zone follows a rule,
    UNTIL in UTC where a rule ended, and no COMMENT."""
    component = Timezone()
    component.add("TZID", tzid)
    component.add("X-LIC-LOCATION", tzid)
    for observance in _observances(tzid, first_year, last_year):
        first = observance.first
        part = TimezoneDaylight() if first.daylight else TimezoneStandard()
        part.add("DTSTART", first.onset)
        if observance.byday is not None:
            rule = {"FREQ": "YEARLY", "BYMONTH": first.onset.month, "BYDAY": observance.byday}
            if observance.until is not None:
                rule["UNTIL"] = observance.until.astimezone(dt.UTC)
            part.add("RRULE", rule)
        part.add("TZOFFSETFROM", first.offset_from)
        part.add("TZOFFSETTO", first.offset_to)
        if first.name:
            part.add("TZNAME", first.name)
        component.add_component(part)
    return component

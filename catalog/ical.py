"""iCalendar (RFC 5545) for the catalog's meetings: subscription feeds and mailed invitations.

A pure builder: it reads shaped meetings (catalog.selectors.shape_meetings_for_calendars) and
returns bytes; HTTP, caching and who may see what are the callers' business. Every value comes
from the data, never from the clock, so unchanged data gives identical bytes (and ETags).

Where icalendar 7.3 writes something clients reject, this module writes it itself:
REFRESH-INTERVAL gets VALUE=DURATION, X-PUBLISHED-TTL is a vDuration (a bare timedelta X-
property comes out as "1:00:00"), and VTIMEZONEs are built here from zoneinfo as yearly RRULEs
with UNTIL in UTC (add_missing_timezones adds a COMMENT libical rejects, and Timezone.from_tzinfo
lists transitions as RDATEs, which Outlook ignores).
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vText,
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


def event_for_meeting(
    meeting: Meeting,
    *,
    title_prefix: str = "",
    tentative: bool = False,
    include_link: bool,
    changed_at: dt.datetime | None = None,
    sequence_offset: int = 0,
) -> EventData:
    """What a calendar shows of one meeting. The meeting's session, course, strand, building and
    the session's facilitators should be loaded (shape_meetings_for_calendars), or each is a
    query. `changed_at` is a later change the event also shows (the person's enrollment, for the
    waitlist prefix), so LAST-MODIFIED moves with it, and `sequence_offset` raises SEQUENCE for
    such a change. The virtual link is only written when
    `include_link`: a public feed would invite anyone into the meeting; the session's notes
    likewise.

    Everything shown here must be watched by catalog.services (*_FIELDS_IN_CALENDARS), so that
    a change of it raises the meeting's SEQUENCE."""
    session = meeting.session
    course = session.course
    building = session.building
    facilitators = list(session.facilitators.all())
    cancelled = (
        meeting.status == MeetingStatus.CANCELLED or session.status == SessionStatus.CANCELLED
    )
    if cancelled:
        status = CANCELLED
    elif tentative:
        status = TENTATIVE
    else:
        status = CONFIRMED

    stamps = [meeting.updated_at, session.updated_at, course.updated_at, course.strand.updated_at]
    stamps += [person.updated_at for person in facilitators]
    if building is not None:
        stamps.append(building.updated_at)
    if changed_at is not None:
        stamps.append(changed_at)

    zone = district_zone()
    url = session_url(session.pk)
    return EventData(
        uid=meeting.uid,
        sequence=meeting.sequence + sequence_offset,
        modified_at=max(stamps),
        starts_at=meeting.starts_at.astimezone(zone),
        ends_at=meeting.ends_at.astimezone(zone),
        summary=(CANCELLED_PREFIX if cancelled else title_prefix) + session.display_title,
        status=status,
        location=_location(meeting, include_link=include_link),
        description=_description(
            meeting, facilitators, url=url, include_link=include_link, cancelled=cancelled
        ),
        url=url,
        categories=(course.strand.name,),
    )


def _location(meeting: Meeting, *, include_link: bool) -> str:
    session = meeting.session
    room = meeting.room or session.room
    if session.building is not None:
        parts = [room, session.building.name, session.building.address]
        return ", ".join(part for part in parts if part)
    if session.virtual_url:
        return session.virtual_url if include_link else "Online"
    return room


def _description(
    meeting: Meeting, facilitators: list, *, url: str, include_link: bool, cancelled: bool
) -> str:
    session = meeting.session
    course = session.course
    paragraphs = []
    if cancelled:
        paragraphs.append("Cancelled: this meeting will not take place.")
    if course.summary:
        paragraphs.append(course.summary.strip())
    facts = []
    if facilitators:
        label = "Facilitator" if len(facilitators) == 1 else "Facilitators"
        facts.append(f"{label}: {', '.join(person.display_name for person in facilitators)}")
    facts.append(f"Clock hours: {_hours(course.clock_hours)}")
    paragraphs.append("\n".join(facts))
    # Notes are for the people taking part (directions, what to bring, sometimes a passcode):
    # like the online link, never in a public feed or an anonymous download.
    if include_link and session.notes:
        paragraphs.append(session.notes.strip())
    if include_link and session.virtual_url:
        paragraphs.append(f"Join online: {session.virtual_url}")
    paragraphs.append(f"Session page: {url}")
    return "\n\n".join(paragraphs)


def _hours(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def calendar_bytes(*, name: str, events: Iterable[EventData], method: str | None = None) -> bytes:
    """A whole VCALENDAR: the service's PRODID, NAME and X-WR-CALNAME, the district's zone as
    X-WR-TIMEZONE, a VTIMEZONE for every TZID used (the district's always, so even an empty feed
    holds one), then the events by start and UID. A feed (no `method`) carries
    REFRESH-INTERVAL and X-PUBLISHED-TTL; an invitation (METHOD REQUEST or CANCEL) does not."""
    events = sorted(events, key=lambda event: (event.starts_at, event.uid))
    cal = Calendar()
    cal.add("PRODID", prodid())
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method is not None:
        cal.add("METHOD", method)
    # TEXT values: a course title's commas and semicolons must be escaped here too.
    cal.add("NAME", vText(name))
    cal.add("X-WR-CALNAME", vText(name))
    cal.add("X-WR-TIMEZONE", settings.TIME_ZONE)
    if method is None:
        cal.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
        cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))

    for tzid, (first_year, last_year) in sorted(_zone_years(events).items()):
        cal.add_component(vtimezone(tzid, first_year=first_year, last_year=last_year))
    for event in events:
        cal.add_component(_vevent(event))
    return cal.to_ical()


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


def _vevent(event: EventData) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    modified = event.modified_at.astimezone(dt.UTC).replace(microsecond=0)
    # Without METHOD, DTSTAMP is the event's last revision: the data's, so bytes stay the same.
    stamp = modified if event.sent_at is None else event.sent_at.astimezone(dt.UTC)
    vevent.add("DTSTAMP", stamp.replace(microsecond=0))
    vevent.add("LAST-MODIFIED", modified)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTART", event.starts_at.replace(microsecond=0))
    vevent.add("DTEND", event.ends_at.replace(microsecond=0))
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
    if event.organizer is not None:
        vevent.add("ORGANIZER", _address(*event.organizer))
    for email, name in event.attendees:
        attendee = _address(email, name)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        # The mail asks the person to accept: their answer is still to come.
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "FALSE"
        vevent.add("ATTENDEE", attendee)
    return vevent


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


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

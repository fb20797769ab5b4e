"""iCalendar (RFC 5545) written byte for byte: VCALENDARs of events (subscription feeds) and
invitations (METHOD:REQUEST / CANCEL), with the VTIMEZONEs they need. Events come in as
EventData, already decided by the caller (catalog.ical maps meetings to them); every value comes
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
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from icalendar import (
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDDDTypes,
    vDuration,
)

# Raised whenever what this module writes changes. With icalendar's version it makes
# BUILDER_VERSION, part of every feed's version, so a deploy never serves bytes built before it.
FEED_FORMAT = 2
BUILDER_VERSION = f"{FEED_FORMAT}/icalendar-{icalendar.__version__}"

REFRESH = dt.timedelta(hours=1)

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

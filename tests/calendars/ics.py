"""Checks every calendar the service writes must pass: three independent parsers (icalendar,
`ical`, vobject), then what none of them checks but calendar apps need."""

import datetime as dt
import re

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

REFRESH_LINE = "REFRESH-INTERVAL;VALUE=DURATION:PT1H"
TTL_LINE = "X-PUBLISHED-TTL:PT1H"


def unfolded_lines(text: str) -> list[str]:
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def check_calendar(body: bytes, *, method: str | None = None) -> icalendar.Calendar:
    """Parse `body` with all three parsers and check it; returns icalendar's parse."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "CRLF line endings"
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "lines folded at 75"

    cal = icalendar.Calendar.from_ical(text)
    stream = IcsCalendarStream.from_ics(text)
    assert len(stream.calendars) == 1
    parsed = vobject.readOne(text, validate=True)
    parsed.validate(raiseException=True)

    lines = unfolded_lines(text)
    methods = [line for line in lines if line.startswith("METHOD")]
    if method is None:
        assert methods == [], "a subscription feed carries no METHOD"
        assert REFRESH_LINE in lines
        assert TTL_LINE in lines
        assert not [line for line in lines if line.startswith("REFRESH-INTERVAL:")]
    else:
        assert methods == [f"METHOD:{method}"]
    assert [line for line in lines if line.startswith("X-WR-TIMEZONE")] == [
        "X-WR-TIMEZONE:America/Detroit"
    ]
    assert str(cal["PRODID"]).startswith("-//")
    assert cal["NAME"] == cal["X-WR-CALNAME"]

    # Every TZID used has its VTIMEZONE; the district's is there even with no event.
    defined = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert "America/Detroit" in defined
    assert cal.get_used_tzids() <= defined
    assert not [line for line in lines if line.startswith("COMMENT")], "libical rejects it"
    # Any RRULE UNTIL (in VTIMEZONEs here) is UTC.
    for line in lines:
        if line.startswith("RRULE") and "UNTIL=" in line:
            assert re.search(r"UNTIL=\d{8}T\d{6}Z(;|$)", line), line

    events = cal.walk("VEVENT")
    uids = [str(event["UID"]) for event in events]
    assert len(uids) == len(set(uids)), "UIDs unique"
    for event in events:
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert isinstance(start, dt.datetime) and start.tzinfo is not None, "no floating times"
        assert isinstance(end, dt.datetime) and end.tzinfo is not None, "no floating times"
        assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"]
        assert end > start
        assert event["DTSTAMP"].dt.utcoffset() == dt.timedelta(0)
        assert event["LAST-MODIFIED"].dt.utcoffset() == dt.timedelta(0)
        if method is None:
            assert event["LAST-MODIFIED"].dt == event["DTSTAMP"].dt
        assert str(event["STATUS"]) in {"CONFIRMED", "TENTATIVE", "CANCELLED"}
    return cal


def events_by_uid(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}


def summaries(cal: icalendar.Calendar) -> list[str]:
    return [str(event["SUMMARY"]) for event in cal.walk("VEVENT")]

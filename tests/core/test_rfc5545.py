"""core.rfc5545 writes VCALENDAR and VEVENT content lines itself: byte for byte what icalendar
writes for the same calendar, checked against icalendar building the components (the oracle
below) for thousands of generated events: escaping, parameter quoting, every zone form, and
folding across multibyte characters and escapes."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from core import rfc5545
from tests.calendars.ics import check_calendar

ZONES = [
    ZoneInfo(key)
    for key in (
        "America/Detroit",
        "Europe/Berlin",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "America/St_Johns",
        "UTC",
    )
]
# Pieces text is made of: what TEXT escapes, what parameters quote or escape, and characters of
# two, three and four UTF-8 octets (accents, right-to-left scripts, CJK, emoji with joiners).
PIECES = [
    "a",
    "Room 12",
    " ",
    ",",
    ";",
    ":",
    "\\",
    "\\N",
    "\\n",
    "\n",
    "\r\n",
    "\r",
    "^",
    '"',
    "'",
    "\u2019",
    "\t",
    "é",
    "ñ",
    "Ünïcödé",
    "שלום",
    "مرحبا",
    "漢字",
    "🎉",
    "👩\u200d🏫",
    "https://meet.example.org/j/123?pwd=a,b;c",
]


# The oracle: the calendar built with icalendar, as the writer did before it wrote lines itself.


def icalendar_calendar_bytes(
    *, name: str, events: list[rfc5545.EventData], method: str | None = None
) -> bytes:
    events = sorted(events, key=lambda event: (event.starts_at, event.uid))
    cal = Calendar()
    cal.add("PRODID", rfc5545.prodid())
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method is not None:
        cal.add("METHOD", method)
    cal.add("NAME", vText(name))
    cal.add("X-WR-CALNAME", vText(name))
    cal.add("X-WR-TIMEZONE", settings.TIME_ZONE)
    if method is None:
        cal.add("REFRESH-INTERVAL", vDuration(rfc5545.REFRESH), parameters={"VALUE": "DURATION"})
        cal.add("X-PUBLISHED-TTL", vDuration(rfc5545.REFRESH))
    for tzid, (first_year, last_year) in sorted(rfc5545._zone_years(events).items()):
        cal.add_component(rfc5545.vtimezone(tzid, first_year=first_year, last_year=last_year))
    for event in events:
        cal.add_component(_icalendar_vevent(event))
    return cal.to_ical()


def _icalendar_vevent(event: rfc5545.EventData) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    modified = event.modified_at.astimezone(dt.UTC).replace(microsecond=0)
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
        vevent.add("ORGANIZER", _icalendar_address(*event.organizer))
    for email, name in event.attendees:
        attendee = _icalendar_address(email, name)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "FALSE"
        vevent.add("ATTENDEE", attendee)
    return vevent


def _icalendar_address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


# Generated events


def _text(rng: random.Random, *, longest: int) -> str:
    """Random text; a third of it long enough to fold several times."""
    count = rng.randint(0, longest if rng.random() < 0.34 else 6)
    return "".join(rng.choice(PIECES) for _ in range(count))


def _name(rng: random.Random) -> str:
    """A person's name as a CN: plain, or with what makes icalendar quote or escape it."""
    plain = rng.choice(["Rae Nunez", "Zoë", "O'Brien", "Nuñez, Rae", "Dr. Rae: PD", "李雷"])
    return plain + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))


def _email(rng: random.Random) -> str:
    return f"{''.join(rng.choices('abcxyz.-_0123456789', k=rng.randint(1, 40)))}@example.org"


def _moment(rng: random.Random, zone: ZoneInfo) -> dt.datetime:
    """A wall time in 2026 (a VTIMEZONE per zone and years is slow to build), in `zone`."""
    start = dt.datetime(2026, 1, 1, tzinfo=zone)
    return start + dt.timedelta(
        seconds=rng.randint(0, 364 * 86400), microseconds=rng.randint(0, 999_999)
    )


def _event(
    rng: random.Random, number: int, *, invitation: bool, zones: list[ZoneInfo] = ZONES
) -> rfc5545.EventData:
    zone = rng.choice(zones)
    starts_at = _moment(rng, zone)
    ends_zone = zone if rng.random() < 0.9 else rng.choice(zones)
    ends_at = (starts_at + dt.timedelta(minutes=rng.randint(1, 3000))).astimezone(ends_zone)
    attendees = ()
    if invitation:
        attendees = tuple((_email(rng), _name(rng)) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.2:
            attendees += ((_email(rng), ""),)
    return rfc5545.EventData(
        uid=f"{number}-{rng.choice(['@example.org', _text(rng, longest=40)])}",
        sequence=rng.randint(0, 2000),
        modified_at=_moment(rng, rng.choice(ZONES)),
        starts_at=starts_at,
        ends_at=ends_at,
        summary=_text(rng, longest=60),
        status=rng.choice([rfc5545.CONFIRMED, rfc5545.TENTATIVE, rfc5545.CANCELLED]),
        location=_text(rng, longest=40),
        description=_text(rng, longest=200),
        url=rng.choice(["", "https://pd.example.org/catalog/sessions/42/"]),
        categories=tuple(_text(rng, longest=20) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))),
        sent_at=_moment(rng, rng.choice(ZONES)) if invitation else None,
        organizer=(_email(rng), rng.choice(["", _name(rng)])) if invitation else None,
        attendees=attendees,
    )


@pytest.mark.parametrize("seed", range(6))
def test_generated_calendars_are_the_bytes_icalendar_writes(seed):
    rng = random.Random(seed)
    for _ in range(100):
        method = rng.choice([None, None, "REQUEST", "CANCEL"])
        count = rng.randint(0, 8)
        events = [_event(rng, number, invitation=method is not None) for number in range(count)]
        name = _text(rng, longest=80)

        expected = icalendar_calendar_bytes(name=name, events=events, method=method)
        assert rfc5545.calendar_bytes(name=name, events=events, method=method) == expected


def _plain_event(**fields) -> rfc5545.EventData:
    start = dt.datetime(2026, 10, 6, 16, tzinfo=ZONES[0])
    return rfc5545.EventData(
        **{
            "uid": "m-1@example.org",
            "sequence": 0,
            "modified_at": start,
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2),
            "summary": "Restorative Circles",
            **fields,
        }
    )


@pytest.mark.parametrize("tail", ["é", "漢", "🎉", "\\", ",", ";", "^", "\n", "ab"])
def test_folding_matches_at_every_position_of_the_75th_octet(tail):
    """Every offset of a multibyte character or an escape around the fold, on the first line and
    on continuation lines."""
    for length in range(0, 160):
        text = "x" * length + tail * 3 + "y" * 10
        event = _plain_event(summary=text, description=text, location=text)
        organizer = ("pd@example.org", text)
        invitation = rfc5545.EventData(
            **{**event.__dict__, "sent_at": event.starts_at, "organizer": organizer}
        )
        for events, method in (([event], None), ([invitation], "REQUEST")):
            expected = icalendar_calendar_bytes(name=text, events=events, method=method)
            assert rfc5545.calendar_bytes(name=text, events=events, method=method) == expected


def test_a_written_calendar_passes_the_three_parsers():
    rng = random.Random(7)
    # The checks want DTSTART and DTEND with the same TZID, as the feeds write them.
    zoned = [[zone] for zone in ZONES if zone.key != "UTC"]
    events = [
        _event(rng, number, invitation=False, zones=zoned[number % len(zoned)])
        for number in range(20)
    ]
    check_calendar(rfc5545.calendar_bytes(name="Feed, with; everything", events=events))


def test_each_vtimezone_is_built_once_for_its_zone_and_years(monkeypatch):
    rfc5545._vtimezone_bytes.cache_clear()
    built = []
    real = rfc5545.vtimezone

    def counting(tzid, **years):
        built.append(tzid)
        return real(tzid, **years)

    monkeypatch.setattr(rfc5545, "vtimezone", counting)
    events = [_plain_event(), _plain_event(uid="m-2@example.org")]
    first = rfc5545.calendar_bytes(name="x", events=events)
    again = rfc5545.calendar_bytes(name="y", events=events)

    assert built == ["America/Detroit"]
    assert first.replace(b":x\r\n", b":y\r\n") == again

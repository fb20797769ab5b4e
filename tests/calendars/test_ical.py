"""catalog.ical: what a calendar shows of a meeting, whole calendars that three parsers accept,
VTIMEZONEs that match zoneinfo, and invitations with the feeds' UIDs and SEQUENCE."""

import datetime as dt
import random
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.conf import settings
from django.urls import reverse

from catalog import ical, services
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from catalog.selectors import shape_meetings_for_calendars
from core import rfc5545
from learning.models import Building, StaffMember
from tests import factories as f

from .ics import check_calendar, events_by_uid, unfolded_lines

pytestmark = pytest.mark.django_db

DETROIT = ZoneInfo("America/Detroit")


def shaped(meeting: Meeting) -> Meeting:
    return shape_meetings_for_calendars(Meeting.objects.filter(pk=meeting.pk)).get()


def a_meeting(**session_fields) -> Meeting:
    session = f.SessionFactory(
        course=f.CourseFactory(
            title="Restorative Circles",
            summary="Circles for community building.",
            clock_hours=Decimal("1.50"),
            strand=f.StrandFactory(code="rp", name="Restorative Practices"),
        ),
        building=f.BuildingFactory(
            code="maple", name="Maple Elementary", address="1 Elm St, Birmingham, MI"
        ),
        room="Library",
        **session_fields,
    )
    session.facilitators.add(f.StaffMemberFactory(first_name="Rae", last_name="Nunez"))
    return f.MeetingFactory(
        session=session, starts_at=f.local(2026, 10, 6, 16), ends_at=f.local(2026, 10, 6, 18)
    )


# One event


def test_an_event_shows_the_meeting_its_session_and_course():
    meeting = a_meeting(notes="Snacks provided.")
    event = ical.event_for_meeting(shaped(meeting), include_link=True)
    url = settings.SITE_URL + reverse("catalog:session", args=[meeting.session_id])

    assert event.uid == meeting.uid
    assert event.sequence == 0
    assert event.summary == "Restorative Circles"
    assert event.status == rfc5545.CONFIRMED
    assert event.starts_at == f.local(2026, 10, 6, 16)
    assert event.starts_at.tzinfo.key == "America/Detroit"
    assert event.location == "Library, Maple Elementary, 1 Elm St, Birmingham, MI"
    assert event.categories == ("Restorative Practices",)
    assert event.url == url
    assert event.description == (
        "Circles for community building.\n\n"
        "Facilitator: Rae Nunez\nClock hours: 1.5\n\n"
        "Snacks provided.\n\n"
        f"Session page: {url}"
    )


def test_the_stamp_is_the_latest_change_of_the_data_not_now():
    meeting = a_meeting()
    session = meeting.session
    latest = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    # updated_at is auto_now: set it with update() as a migration or an import would.
    Meeting.objects.filter(pk=meeting.pk).update(updated_at=latest - dt.timedelta(days=3))
    type(session).objects.filter(pk=session.pk).update(updated_at=latest - dt.timedelta(days=2))
    type(session.course).objects.filter(pk=session.course_id).update(updated_at=latest)
    for model, pk in [
        (type(session.course.strand), session.course.strand_id),
        (type(session.building), session.building_id),
        (type(session.facilitators.get()), session.facilitators.get().pk),
    ]:
        model.objects.filter(pk=pk).update(updated_at=latest - dt.timedelta(days=5))

    event = ical.event_for_meeting(shaped(meeting), include_link=False)
    assert event.modified_at == latest

    later = latest + dt.timedelta(hours=1)
    event = ical.event_for_meeting(shaped(meeting), include_link=False, changed_at=later)
    assert event.modified_at == later

    body = rfc5545.calendar_bytes(name="x", events=[event])
    assert "DTSTAMP:20260301T130000Z" in unfolded_lines(body.decode())
    assert "LAST-MODIFIED:20260301T130000Z" in unfolded_lines(body.decode())


def test_a_meeting_room_overrides_the_sessions_room():
    meeting = a_meeting()
    meeting.room = "Gym"
    meeting.save()
    event = ical.event_for_meeting(shaped(meeting), include_link=False)
    assert event.location.startswith("Gym, Maple Elementary")


def test_the_online_link_only_when_asked():
    meeting = a_meeting(virtual_url="https://meet.example.org/secret-room")
    meeting.session.building = None
    meeting.session.save()

    private = ical.event_for_meeting(shaped(meeting), include_link=True)
    public = ical.event_for_meeting(shaped(meeting), include_link=False)

    assert private.location == "https://meet.example.org/secret-room"
    assert "Join online: https://meet.example.org/secret-room" in private.description
    assert public.location == "Online"
    assert "meet.example.org" not in public.description + public.location


def test_the_sessions_notes_only_with_the_link():
    meeting = a_meeting(notes="Passcode 4471; bring your laptop.")

    private = ical.event_for_meeting(shaped(meeting), include_link=True)
    public = ical.event_for_meeting(shaped(meeting), include_link=False)

    assert "Passcode 4471; bring your laptop." in private.description
    assert "4471" not in public.description
    assert "Clock hours: 1.5" in public.description


def test_the_calendar_name_is_escaped_as_text():
    title = 'Math, Science; and "Art" \\ more'
    body = rfc5545.calendar_bytes(name=title, events=[])

    lines = unfolded_lines(body.decode())
    escaped = 'Math\\, Science\\; and "Art" \\\\ more'
    assert f"NAME:{escaped}" in lines
    assert f"X-WR-CALNAME:{escaped}" in lines
    check_calendar(body)


def test_prefix_and_tentative_for_a_waitlist_place():
    event = ical.event_for_meeting(
        shaped(a_meeting()), title_prefix="[Waitlist #3] ", tentative=True, include_link=True
    )
    assert event.summary == "[Waitlist #3] Restorative Circles"
    assert event.status == rfc5545.TENTATIVE


@pytest.mark.parametrize("what", ["meeting", "session"])
def test_a_cancelled_meeting_or_session_is_cancelled_whatever_the_place(what):
    meeting = a_meeting()
    if what == "meeting":
        meeting.status = MeetingStatus.CANCELLED
        meeting.save()
    else:
        meeting.session.status = SessionStatus.CANCELLED
        meeting.session.save()

    event = ical.event_for_meeting(
        shaped(meeting), title_prefix="[Waitlist #1] ", tentative=True, include_link=True
    )
    assert event.status == rfc5545.CANCELLED
    assert event.summary == "[Cancelled] Restorative Circles"
    assert event.description.startswith("Cancelled: this meeting will not take place.")


def test_event_data_refuses_floating_times_and_backwards_events():
    aware = f.local(2026, 10, 6, 16)
    with pytest.raises(ValueError, match="timezone-aware"):
        rfc5545.EventData(
            uid="u",
            sequence=0,
            modified_at=aware,
            starts_at=aware.replace(tzinfo=None),
            ends_at=aware + dt.timedelta(hours=1),
            summary="s",
        )
    with pytest.raises(ValueError, match="end after"):
        rfc5545.EventData(
            uid="u", sequence=0, modified_at=aware, starts_at=aware, ends_at=aware, summary="s"
        )


# What events show is exactly what raises SEQUENCE (catalog.services *_FIELDS_IN_CALENDARS)


def _change(meeting: Meeting, model: str, field: str) -> None:
    session = meeting.session
    targets = {
        "meeting": meeting,
        "session": session,
        "course": session.course,
        "strand": session.course.strand,
        "building": session.building,
        "facilitator": session.facilitators.get(),
    }
    target = targets[model]
    if field == "facilitators":
        session.facilitators.add(f.StaffMemberFactory(first_name="Second", last_name="Person"))
        return
    new = {
        "session": f.SessionFactory(title="Elsewhere", room="Room 9"),
        "course": f.CourseFactory(title="Another course"),
        "strand": f.StrandFactory(name="Another strand"),
        "building": f.BuildingFactory(name="Oak Middle", address="2 Oak St"),
        "starts_at": meeting.starts_at - dt.timedelta(hours=1),
        "ends_at": meeting.ends_at + dt.timedelta(hours=1),
        "status": (MeetingStatus.CANCELLED if model == "meeting" else SessionStatus.CANCELLED),
        "clock_hours": Decimal("6.00"),
        "virtual_url": "https://meet.example.org/new",
        # Changed without a visible effect on this page (format, flags, codes, colours...).
        "capacity": 99,
        "registration_opens_at": f.local(2026, 1, 1),
        "requires_approval": True,
        "restricted_to_group": f.StaffGroupFactory(),
        "format": "virtual",
        "evaluation_required": True,
        "active": False,
        "code": "changed-code",
        "colour": "#000000",
        "description": "Something else",
        "order": 7,
        "kind": "high",
        "email": "changed@example.org",
        "employee_id": "999999",
    }.get(field, f"Changed {field}")
    setattr(target, field, new)
    target.save()


WATCHED = {
    "meeting": services.MEETING_FIELDS_IN_CALENDARS,
    "session": services.SESSION_FIELDS_IN_CALENDARS,
    "course": services.COURSE_FIELDS_IN_CALENDARS,
    "strand": services.STRAND_FIELDS_IN_CALENDARS,
    "building": services.BUILDING_FIELDS_IN_CALENDARS,
    "facilitator": services.FACILITATOR_FIELDS_IN_CALENDARS,
}
UNWATCHED = {
    "session": ["capacity", "registration_opens_at", "requires_approval", "restricted_to_group"],
    "course": ["code", "format", "evaluation_required", "requires_approval", "active"],
    "strand": ["code", "colour", "description", "order"],
    "building": ["code", "kind", "active"],
    "facilitator": ["email", "employee_id"],
}


def _shown(meeting: Meeting) -> dict:
    event = ical.event_for_meeting(shaped(meeting), include_link=True)
    shown = dict(event.__dict__)
    del shown["modified_at"], shown["sequence"]
    return shown


@pytest.mark.parametrize(
    ("model", "field"), [(m, name) for m, names in WATCHED.items() for name in sorted(names)]
)
def test_every_field_that_raises_the_sequence_shows_in_the_event(model, field):
    meeting = a_meeting(virtual_url="https://meet.example.org/old", notes="Old notes")
    before = _shown(meeting)

    _change(Meeting.objects.get(pk=meeting.pk), model, field)

    assert _shown(Meeting.objects.get(pk=meeting.pk)) != before


@pytest.mark.parametrize(
    ("model", "field"), [(m, name) for m, names in UNWATCHED.items() for name in names]
)
def test_fields_that_do_not_raise_the_sequence_do_not_show(model, field):
    assert field not in WATCHED[model]
    meeting = a_meeting(virtual_url="https://meet.example.org/old", notes="Old notes")
    before = _shown(meeting)

    _change(Meeting.objects.get(pk=meeting.pk), model, field)

    assert _shown(Meeting.objects.get(pk=meeting.pk)) == before


def test_renaming_a_facilitator_raises_the_sequence_of_their_sessions_meetings():
    meeting = a_meeting()
    other = f.MeetingFactory()
    person = meeting.session.facilitators.get()

    assert services.facilitator_note_changes(staff=person, changed_fields=["email"]) == 0
    assert services.facilitator_note_changes(staff=person, changed_fields=["last_name"]) == 1

    meeting.refresh_from_db()
    other.refresh_from_db()
    assert (meeting.sequence, other.sequence) == (1, 0)


# Whole calendars


def _events(count: int) -> list[rfc5545.EventData]:
    session = a_meeting().session
    meetings = [
        f.MeetingFactory(
            session=session,
            starts_at=f.local(2026, 9, 1 + day, 9),
            ends_at=f.local(2026, 9, 1 + day, 11),
        )
        for day in range(count)
    ]
    return [
        ical.event_for_meeting(meeting, include_link=True)
        for meeting in shape_meetings_for_calendars(
            Meeting.objects.filter(pk__in=[m.pk for m in meetings])
        )
    ]


def test_a_calendar_is_valid_sorted_and_the_same_bytes_for_the_same_data():
    events = _events(4)
    body = rfc5545.calendar_bytes(name="Feed", events=events)

    cal = check_calendar(body)
    starts = [event["DTSTART"].dt for event in cal.walk("VEVENT")]
    assert starts == sorted(starts) and len(starts) == 4
    shuffled = events[:]
    random.Random(4).shuffle(shuffled)
    assert rfc5545.calendar_bytes(name="Feed", events=shuffled) == body
    assert cal["PRODID"] == "-//Birmingham Public Schools//Professional Learning//EN"
    assert cal["X-WR-CALNAME"] == "Feed"
    assert cal["CALSCALE"] == "GREGORIAN"


def test_events_at_the_same_time_are_ordered_by_uid():
    [event] = _events(1)
    twin = rfc5545.EventData(**{**event.__dict__, "uid": "0-first@example"})
    cal = check_calendar(rfc5545.calendar_bytes(name="x", events=[event, twin]))
    assert [str(e["UID"]) for e in cal.walk("VEVENT")][0] == "0-first@example"


def test_an_empty_calendar_still_holds_the_districts_vtimezone():
    body = rfc5545.calendar_bytes(name="Nothing yet", events=[])
    cal = check_calendar(body)
    assert cal.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Detroit"]


def test_an_event_in_another_zone_brings_its_own_vtimezone():
    berlin = ZoneInfo("Europe/Berlin")
    event = rfc5545.EventData(
        uid="berlin@example",
        sequence=0,
        modified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        starts_at=dt.datetime(2026, 7, 1, 10, tzinfo=berlin),
        ends_at=dt.datetime(2026, 7, 1, 11, tzinfo=berlin),
        summary="Conference",
    )
    cal = check_calendar(rfc5545.calendar_bytes(name="x", events=[event]))
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {
        "America/Detroit",
        "Europe/Berlin",
    }


# Clocks change: the second Sunday of March and the first Sunday of November in Detroit


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # 2026-03-08: clocks go forward at 2:00; the afternoon is EDT (UTC-4).
        ((2026, 3, 8, 16), dt.datetime(2026, 3, 8, 20, tzinfo=dt.UTC)),
        ((2026, 3, 8, 1), dt.datetime(2026, 3, 8, 6, tzinfo=dt.UTC)),
        # 2026-11-01: clocks go back at 2:00; the afternoon is EST (UTC-5).
        ((2026, 11, 1, 16), dt.datetime(2026, 11, 1, 21, tzinfo=dt.UTC)),
        ((2027, 3, 14, 9), dt.datetime(2027, 3, 14, 13, tzinfo=dt.UTC)),
        ((2027, 11, 7, 9), dt.datetime(2027, 11, 7, 14, tzinfo=dt.UTC)),
    ],
)
def test_a_meeting_on_the_day_clocks_change_has_the_right_instant(local, utc):
    starts_at = f.local(*local)
    meeting = f.MeetingFactory(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1))
    body = rfc5545.calendar_bytes(
        name="x", events=[ical.event_for_meeting(shaped(meeting), include_link=False)]
    )
    cal = check_calendar(body)
    event = cal.walk("VEVENT")[0]
    assert event["DTSTART"].dt.astimezone(dt.UTC) == utc

    # By the feed's own VTIMEZONE, as Outlook reads it (not by looking the TZID up).
    own_zone = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    wall = event["DTSTART"].dt.replace(tzinfo=None)
    assert wall.replace(tzinfo=own_zone).astimezone(dt.UTC) == utc

    # vobject resolves the TZID with the VTIMEZONE it read.
    parsed = vobject.readOne(body.decode())
    assert parsed.vevent.dtstart.value.astimezone(dt.UTC) == utc


# VTIMEZONE from zoneinfo


def _zone_changes(zone: ZoneInfo, first_year: int, last_year: int) -> list[dt.datetime]:
    """Every instant the zone's offset changes, found hour by hour."""
    moment = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    changes, offset = [], moment.astimezone(zone).utcoffset()
    while moment < end:
        moment += dt.timedelta(hours=1)
        if (new := moment.astimezone(zone).utcoffset()) != offset:
            changes.append(moment)
            offset = new
    return changes


@pytest.mark.parametrize(
    ("tzid", "first_year", "last_year"),
    [
        ("America/Detroit", 2022, 2028),
        ("America/Detroit", 2005, 2009),  # the US rules changed in 2007
        ("Europe/Berlin", 2025, 2027),
        ("Australia/Sydney", 2025, 2027),  # summer time over New Year
        ("America/Sao_Paulo", 2016, 2021),  # summer time abolished in 2019
        ("Asia/Tokyo", 2025, 2026),  # no summer time
    ],
)
def test_the_vtimezone_gives_zoneinfos_offsets_over_the_years_it_covers(
    tzid, first_year, last_year
):
    zone = ZoneInfo(tzid)
    component = rfc5545.vtimezone(tzid, first_year=first_year, last_year=last_year)
    text = component.to_ical().decode()
    assert "COMMENT" not in text and "RDATE" not in text
    for line in unfolded_lines(text):
        if line.startswith("RRULE"):
            # Outlook needs both; an UNTIL is UTC.
            assert "BYMONTH=" in line and "BYDAY=" in line
            assert re.search(r"UNTIL=\d{8}T\d{6}Z", line) or "UNTIL" not in line

    own = component.to_tz(lookup_tzid=False)
    probes = [
        dt.datetime(year, month, day, 12, tzinfo=dt.UTC)
        for year in range(first_year, last_year + 1)
        for month in range(1, 13)
        for day in (1, 15)
    ]
    for change in _zone_changes(zone, first_year, last_year):
        probes += [change - dt.timedelta(hours=1), change, change + dt.timedelta(hours=1)]
    for instant in probes:
        assert instant.astimezone(own).utcoffset() == instant.astimezone(zone).utcoffset(), (
            tzid,
            instant,
        )


def test_the_districts_vtimezone_follows_the_current_us_rule():
    text = rfc5545.vtimezone("America/Detroit", first_year=2025, last_year=2027).to_ical().decode()
    lines = unfolded_lines(text)
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in lines
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in lines
    # The onset in the offset before the change (RFC 5545 3.6.5): 2:00 both times.
    assert "DTSTART:20070311T020000" in lines
    assert "DTSTART:20071104T020000" in lines


# Invitations


def test_an_invitation_has_the_feeds_uids_and_sequence_with_organizer_and_attendee():
    meeting = a_meeting(virtual_url="https://meet.example.org/room")
    Meeting.objects.filter(pk=meeting.pk).update(sequence=4)
    meeting = shaped(meeting)

    sent_at = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)
    body = ical.invitation_bytes(
        meetings=[meeting],
        method="REQUEST",
        attendee_email="tess@example.org",
        attendee_name="Tess Teacher",
        organizer_email="pd@example.org",
        sent_at=sent_at,
    )
    cal = check_calendar(body, method="REQUEST")
    event = events_by_uid(cal)[meeting.uid]
    assert event["SEQUENCE"] == 4
    # DTSTAMP: when the message was made; LAST-MODIFIED: the data, as in the feed.
    assert event["DTSTAMP"].dt == sent_at
    assert event["LAST-MODIFIED"].dt == meeting.updated_at.replace(microsecond=0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:pd@example.org"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:tess@example.org"
    assert attendee.params["CN"] == "Tess Teacher"
    assert attendee.params["RSVP"] == "FALSE"
    # The mail asks the person to accept: no answer yet.
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    # Staff receive the link; an invitation is no feed, so it has no refresh interval.
    assert "https://meet.example.org/room" in str(event["DESCRIPTION"])
    assert "REFRESH-INTERVAL" not in body.decode()

    feed = rfc5545.calendar_bytes(
        name="x", events=[ical.event_for_meeting(meeting, include_link=True)]
    )
    feed_event = events_by_uid(check_calendar(feed))[meeting.uid]
    assert feed_event["SEQUENCE"] == event["SEQUENCE"]
    assert feed_event["DTSTART"].dt == event["DTSTART"].dt
    assert feed_event["LAST-MODIFIED"].dt == event["LAST-MODIFIED"].dt


def test_a_cancel_invitation_marks_the_events_cancelled_and_is_newer_than_the_request():
    meeting = a_meeting()
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for model in (Meeting, Session, Course, Strand, Building, StaffMember):
        model.objects.update(updated_at=long_ago)
    meeting = shaped(meeting)
    mail = {
        "meetings": [meeting],
        "attendee_email": "tess@example.org",
        "attendee_name": "Tess Teacher",
        "organizer_email": "pd@example.org",
    }
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    request = check_calendar(ical.invitation_bytes(method="REQUEST", **mail), method="REQUEST")
    body = ical.invitation_bytes(method="CANCEL", **mail)
    cal = check_calendar(body, method="CANCEL")
    event = events_by_uid(cal)[meeting.uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == events_by_uid(request)[meeting.uid]["SEQUENCE"]
    # Stamped when made (now), not when the data last changed (2020).
    assert event["DTSTAMP"].dt >= events_by_uid(request)[meeting.uid]["DTSTAMP"].dt >= before
    assert event["LAST-MODIFIED"].dt == long_ago
    # A withdrawal cancels the person's place, not the meeting: the title stays.
    assert str(event["SUMMARY"]) == "Restorative Circles"


def test_an_invitation_is_a_request_or_a_cancel():
    with pytest.raises(ValueError, match="REQUEST or a CANCEL"):
        ical.invitation_bytes(
            meetings=[shaped(a_meeting())],
            method="PUBLISH",
            attendee_email="a@example.org",
            attendee_name="A",
            organizer_email="b@example.org",
        )

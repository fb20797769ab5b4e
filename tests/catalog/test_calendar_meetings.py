"""catalog.selectors.calendar_meetings: the feeds' lean loading gives the events the model
instances give (catalog.ical.event_for_meeting), in two queries whatever the number of meetings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from catalog import ical
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Meeting
from catalog.selectors import calendar_meetings, shape_meetings_for_calendars
from core import rfc5545
from tests import factories as f

pytestmark = pytest.mark.django_db


def _varied_meetings(number: int = 0) -> None:
    """Sessions with and without a building, title, online link, notes, summary and
    facilitators (a preferred name, names sorted apart from creation order), cancelled ones,
    and meetings with a room of their own."""
    strand = f.StrandFactory(name=f"Equity, Access; Belonging {number}")
    course = f.CourseFactory(
        title="Restorative Circles", summary="  Circles, with care.\n", strand=strand
    )
    plain = f.CourseFactory(title="Literacy", summary="", clock_hours=Decimal("1.50"))
    zed = f.StaffMemberFactory(first_name="Zed", last_name="Young")
    amy = f.StaffMemberFactory(first_name="Amelia", preferred_name="Amy", last_name="Able")
    sessions = [
        f.SessionFactory(course=course, title="Cohort B", notes="Bring a laptop."),
        f.SessionFactory(course=plain, building=None, virtual_url="https://meet.example.org/r"),
        f.SessionFactory(course=plain, building=None, room="", notes=""),
        f.SessionFactory(course=course, status=SessionStatus.CANCELLED),
        f.SessionFactory(
            course=course,
            building=f.BuildingFactory(code="annex", name="Annex", address=""),
            room="",
        ),
    ]
    sessions[0].facilitators.add(zed, amy)
    sessions[1].facilitators.add(amy)
    sessions[3].facilitators.add(zed)
    for number, session in enumerate(sessions):
        for day in range(3):
            f.MeetingFactory(
                session=session,
                starts_at=f.local(2026, 10, 5 + day, 9 + number),
                ends_at=f.local(2026, 10, 5 + day, 10 + number),
                room="Gym" if day == 1 else "",
                status=MeetingStatus.CANCELLED if day == 2 and number == 0 else "scheduled",
            )
    # A facilitator changed last: their change is the events' LAST-MODIFIED.
    amy.last_name = "Abel"
    amy.save()


def _ordered():
    return Meeting.objects.order_by("starts_at", "uid")


@pytest.mark.parametrize("include_link", [True, False])
def test_the_lean_meetings_give_the_events_the_model_instances_give(include_link):
    _varied_meetings()
    instances = shape_meetings_for_calendars(_ordered())
    expected = [ical.event_for_meeting(meeting, include_link=include_link) for meeting in instances]

    builder = ical.EventBuilder(include_link=include_link)
    events = [builder.event(meeting) for meeting in calendar_meetings(_ordered())]

    assert events == expected
    assert rfc5545.calendar_bytes(name="x", events=events) == rfc5545.calendar_bytes(
        name="x", events=expected
    )
    # What the data covers, so the comparison means something.
    assert {event.status for event in events} == {rfc5545.CONFIRMED, rfc5545.CANCELLED}
    assert any("Facilitators: Amy Abel, Zed Young" in event.description for event in events)
    assert any(event.location == "Annex" for event in events)


def test_the_meetings_of_a_session_share_one_session():
    _varied_meetings()
    meetings = calendar_meetings(_ordered())

    by_session = {}
    for meeting in meetings:
        by_session.setdefault(meeting.session.pk, set()).add(id(meeting.session))
    assert len(by_session) == 5
    assert all(len(ids) == 1 for ids in by_session.values())


def test_annotations_come_along_in_extra():
    _varied_meetings()
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    annotated = _ordered().annotate(place=F("sequence") + 7, seen_at=Value(later))

    meetings = calendar_meetings(annotated, annotations=("place", "seen_at"))

    assert [meeting.extra for meeting in meetings] == [
        {"place": meeting.sequence + 7, "seen_at": later} for meeting in meetings
    ]


def test_two_queries_whatever_the_number_of_meetings():
    with CaptureQueriesContext(connection) as empty:
        assert calendar_meetings(_ordered()) == []
    _varied_meetings()
    with CaptureQueriesContext(connection) as few:
        assert len(calendar_meetings(_ordered())) == 15
    for number in range(1, 4):
        _varied_meetings(number)
    with CaptureQueriesContext(connection) as many:
        assert len(calendar_meetings(_ordered())) == 60

    assert (len(empty), len(few), len(many)) == (1, 2, 2)


@pytest.mark.parametrize("site_url", ["https://pd.example.org", "https://pd.example.org/{x}"])
def test_the_session_url_format_gives_session_url(settings, site_url):
    settings.SITE_URL = site_url
    url_format = ical.session_url_format()

    for session_id in (1, 42, 918273645, 10**12):
        assert url_format.format(session_id=session_id) == ical.session_url(session_id)

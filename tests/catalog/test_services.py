"""Changes that calendars show raise the meetings' sequence; others leave it alone."""

import pytest

from catalog import services
from catalog.models import Meeting
from tests.factories import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_a_meeting_change_calendars_show_raises_its_sequence():
    meeting = MeetingFactory()
    assert services.meeting_note_changes(meeting=meeting, changed_fields=["starts_at"]) is True
    meeting.save()
    meeting.refresh_from_db()
    assert meeting.sequence == 1


def test_a_meeting_change_calendars_do_not_show_keeps_its_sequence():
    meeting = MeetingFactory()
    assert services.meeting_note_changes(meeting=meeting, changed_fields=["created_at"]) is False
    assert meeting.sequence == 0


def test_a_new_meeting_starts_at_sequence_zero():
    meeting = Meeting(session=SessionFactory())
    assert services.meeting_note_changes(meeting=meeting, changed_fields=["starts_at"]) is False
    assert meeting.sequence == 0


def test_a_session_change_raises_every_meeting_and_their_updated_at():
    session = SessionFactory()
    meetings = MeetingFactory.create_batch(3, session=session)
    other = MeetingFactory()
    before = {m.pk: m.updated_at for m in meetings}

    touched = services.session_note_changes(session=session, changed_fields=["room", "capacity"])

    assert touched == 3
    for meeting in Meeting.objects.filter(session=session):
        assert meeting.sequence == 1
        assert meeting.updated_at > before[meeting.pk]
    other.refresh_from_db()
    assert other.sequence == 0


def test_a_capacity_change_is_not_a_calendar_change():
    session = SessionFactory()
    meeting = MeetingFactory(session=session)
    assert services.session_note_changes(session=session, changed_fields=["capacity"]) == 0
    meeting.refresh_from_db()
    assert meeting.sequence == 0

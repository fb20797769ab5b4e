"""Changes that calendars show raise the meetings' sequence; others leave it alone."""

import pytest

from catalog import services
from catalog.models import Meeting
from tests.factories import (
    BuildingFactory,
    CourseFactory,
    MeetingFactory,
    SessionFactory,
    StrandFactory,
)

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


def test_moving_a_meeting_to_another_session_raises_its_sequence():
    meeting = MeetingFactory()
    meeting.session = SessionFactory()
    assert services.meeting_note_changes(meeting=meeting, changed_fields=["session"]) is True
    assert meeting.sequence == 1


@pytest.mark.parametrize("field", ["title", "summary", "clock_hours", "strand"])
def test_a_course_change_raises_the_meetings_of_all_its_sessions(django_assert_num_queries, field):
    course = CourseFactory()
    meetings = [
        *MeetingFactory.create_batch(2, session=SessionFactory(course=course)),
        MeetingFactory(session__course=course),  # in a second session of the course
    ]
    other = MeetingFactory()
    before = {m.pk: m.updated_at for m in meetings}

    with django_assert_num_queries(1):
        touched = services.course_note_changes(course=course, changed_fields=[field, "active"])

    assert touched == 3
    for meeting in Meeting.objects.filter(session__course=course):
        assert meeting.sequence == 1
        assert meeting.updated_at > before[meeting.pk]
    other.refresh_from_db()
    assert other.sequence == 0


def test_a_course_change_calendars_do_not_show_keeps_the_sequences():
    meeting = MeetingFactory()
    changed = ["code", "format", "active", "requires_approval", "evaluation_required"]
    assert services.course_note_changes(course=meeting.session.course, changed_fields=changed) == 0
    meeting.refresh_from_db()
    assert meeting.sequence == 0


@pytest.mark.parametrize("field", ["name", "address"])
def test_a_building_change_raises_the_meetings_of_the_sessions_held_there(
    django_assert_num_queries, field
):
    building = BuildingFactory()
    here = MeetingFactory.create_batch(2, session__building=building)
    elsewhere = MeetingFactory()
    before = {m.pk: m.updated_at for m in here}

    with django_assert_num_queries(1):
        touched = services.building_note_changes(building=building, changed_fields=[field])

    assert touched == 2
    for meeting in Meeting.objects.filter(session__building=building):
        assert meeting.sequence == 1
        assert meeting.updated_at > before[meeting.pk]
    elsewhere.refresh_from_db()
    assert elsewhere.sequence == 0


def test_a_building_change_calendars_do_not_show_keeps_the_sequences():
    meeting = MeetingFactory()
    building = meeting.session.building
    changed = ["code", "kind", "active"]
    assert services.building_note_changes(building=building, changed_fields=changed) == 0
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_a_strand_rename_raises_the_meetings_of_its_courses():
    strand = StrandFactory()
    mine = MeetingFactory(session__course__strand=strand)
    other = MeetingFactory()
    assert services.strand_note_changes(strand=strand, changed_fields=["colour"]) == 0
    assert services.strand_note_changes(strand=strand, changed_fields=["name"]) == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.sequence, other.sequence) == (1, 0)

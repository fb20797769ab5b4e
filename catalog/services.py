"""Writes to the catalog that carry a rule.

Calendar apps keep an event until its SEQUENCE rises, so every change a subscribed calendar shows
must raise the sequence (and updated_at, which feeds send as LAST-MODIFIED) of the meetings it
touches. The admin and, later, the pages and API call these.

The functions that raise many meetings at once are one UPDATE each, atomic by itself."""

from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.utils import timezone

from learning import changes
from learning.models import Building, StaffMember

from .models import Course, Meeting, Session, Strand

# Fields a subscribed calendar shows, of a session (all its meetings) and of one meeting.
# catalog.ical writes them; a field added there is added here.
SESSION_FIELDS_IN_CALENDARS = frozenset(
    {"course", "title", "building", "room", "virtual_url", "status", "notes", "facilitators"}
)
# A meeting moved to another session takes that session's title, place and notes.
MEETING_FIELDS_IN_CALENDARS = frozenset({"session", "starts_at", "ends_at", "room", "status"})
# A course shows in every event of its sessions: SUMMARY (title), DESCRIPTION (summary, clock
# hours) and CATEGORIES (strand).
COURSE_FIELDS_IN_CALENDARS = frozenset({"title", "summary", "clock_hours", "strand"})
# A strand's name is the CATEGORIES of every event of its courses.
STRAND_FIELDS_IN_CALENDARS = frozenset({"name"})
# A building is the LOCATION of every event held there.
BUILDING_FIELDS_IN_CALENDARS = frozenset({"name", "address"})
# A facilitator's name is in the DESCRIPTION of every event of the sessions they facilitate.
FACILITATOR_FIELDS_IN_CALENDARS = frozenset({"first_name", "last_name", "preferred_name"})


def _raise_sequences(meetings: QuerySet[Meeting]) -> int:
    changes.record()
    return meetings.update(sequence=F("sequence") + 1, updated_at=timezone.now())


def meeting_note_changes(*, meeting: Meeting, changed_fields: Iterable[str]) -> bool:
    """Raise the sequence of an existing meeting about to be saved when a field calendars show
    changed. Returns whether it did."""
    if meeting.pk is None or not MEETING_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return False
    meeting.sequence += 1
    return True


def session_note_changes(*, session: Session, changed_fields: Iterable[str]) -> int:
    """After a session was saved: raise the sequence of all its meetings when a field calendars
    show changed. Returns how many meetings it touched."""
    if not SESSION_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return 0
    return _raise_sequences(Meeting.objects.filter(session=session))


def course_note_changes(*, course: Course, changed_fields: Iterable[str]) -> int:
    """After a course was saved: raise the sequence of every meeting of all its sessions when a
    field calendars show changed. Returns how many meetings it touched."""
    if not COURSE_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return 0
    return _raise_sequences(Meeting.objects.filter(session__course=course))


def strand_note_changes(*, strand: Strand, changed_fields: Iterable[str]) -> int:
    """After a strand was saved: raise the sequence of every meeting of its courses' sessions
    when a field calendars show changed. Returns how many meetings it touched."""
    if not STRAND_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return 0
    return _raise_sequences(Meeting.objects.filter(session__course__strand=strand))


def building_note_changes(*, building: Building, changed_fields: Iterable[str]) -> int:
    """After a building was saved: raise the sequence of every meeting of the sessions held there
    when a field calendars show changed. Returns how many meetings it touched."""
    if not BUILDING_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return 0
    return _raise_sequences(Meeting.objects.filter(session__building=building))


def facilitator_note_changes(*, staff: StaffMember, changed_fields: Iterable[str]) -> int:
    """After a staff member was saved: raise the sequence of every meeting of the sessions they
    facilitate when their name changed. Returns how many meetings it touched."""
    if not FACILITATOR_FIELDS_IN_CALENDARS.intersection(changed_fields):
        return 0
    return _raise_sequences(Meeting.objects.filter(session__facilitators=staff))


def facilitators_renamed(*, staff_ids: Iterable[int]) -> int:
    """After a bulk write renamed these staff (a roster import): raise the sequence of every
    meeting of the sessions they facilitate, in one UPDATE. Returns how many meetings it
    touched."""
    ids = list(staff_ids)
    if not ids:
        return 0
    return _raise_sequences(Meeting.objects.filter(session__facilitators__in=ids).distinct())

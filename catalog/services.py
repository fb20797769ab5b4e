"""Writes to the catalog that carry a rule.

Calendar apps keep an event until its SEQUENCE rises, so every change a subscribed calendar shows
must raise the sequence (and updated_at, which feeds send as LAST-MODIFIED) of the meetings it
touches. The admin and, later, the pages and API call these."""

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from .models import Meeting, Session

# Fields a subscribed calendar shows, of a session (all its meetings) and of one meeting.
SESSION_FIELDS_IN_CALENDARS = frozenset(
    {"course", "title", "building", "room", "virtual_url", "status", "notes"}
)
MEETING_FIELDS_IN_CALENDARS = frozenset({"starts_at", "ends_at", "room", "status"})


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
    return Meeting.objects.filter(session=session).update(
        sequence=F("sequence") + 1, updated_at=timezone.now()
    )

"""The catalog's meetings as calendar events: what a calendar shows of each meeting (its title,
place, facilitators, status), decided here and written by core.rfc5545.

A pure mapping: it reads meetings as loaded for calendars (CalendarMeeting, from
catalog.selectors.calendar_meetings, or model instances shaped by shape_meetings_for_calendars)
and returns EventData; HTTP, caching and who may see what are the callers' business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse

from core.rfc5545 import CANCELLED, CONFIRMED, TENTATIVE, EventData, calendar_bytes, district_zone

from .choices import MeetingStatus, SessionStatus
from .models import Meeting

CANCELLED_PREFIX = "[Cancelled] "


def session_url(session_id: int) -> str:
    return settings.SITE_URL + reverse("catalog:session", args=[session_id])


# Stands for the session's id in session_url_format (reversing once per feed, not per session).
_URL_ID = 918273645


def session_url_format() -> str:
    """session_url as a format string with a {session_id} field."""
    url = session_url(_URL_ID).replace("{", "{{").replace("}", "}}")
    return url.replace(str(_URL_ID), "{session_id}")


@dataclass(frozen=True)
class CalendarSession:
    """What calendars show of a session, shared by all its meetings."""

    pk: int
    title: str  # Session.display_title
    status: str
    room: str
    virtual_url: str
    notes: str
    course_summary: str
    clock_hours: Decimal
    strand_name: str
    # (name, address), or None when the session has no building.
    building: tuple[str, str] | None
    facilitator_names: tuple[str, ...]
    # The latest change of the session, its course, strand, building and facilitators.
    changed_at: dt.datetime


@dataclass(frozen=True)
class CalendarMeeting:
    """What calendars show of a meeting: its own columns and its session's shared part.
    `extra` holds the caller's annotations (catalog.selectors.calendar_meetings)."""

    uid: str
    sequence: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str
    status: str
    updated_at: dt.datetime
    session: CalendarSession
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def calendar_meeting(meeting: Meeting) -> CalendarMeeting:
    """A model instance as the event builder reads it. Its session, course, strand, building and
    facilitators should be loaded (shape_meetings_for_calendars), or each is a query."""
    session = meeting.session
    course = session.course
    building = session.building
    facilitators = list(session.facilitators.all())
    stamps = [session.updated_at, course.updated_at, course.strand.updated_at]
    stamps += [person.updated_at for person in facilitators]
    if building is not None:
        stamps.append(building.updated_at)
    return CalendarMeeting(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        room=meeting.room,
        status=meeting.status,
        updated_at=meeting.updated_at,
        session=CalendarSession(
            pk=session.pk,
            title=session.display_title,
            status=session.status,
            room=session.room,
            virtual_url=session.virtual_url,
            notes=session.notes,
            course_summary=course.summary,
            clock_hours=course.clock_hours,
            strand_name=course.strand.name,
            building=None if building is None else (building.name, building.address),
            facilitator_names=tuple(person.display_name for person in facilitators),
            changed_at=max(stamps),
        ),
    )


def event_for_meeting(
    meeting: Meeting,
    *,
    title_prefix: str = "",
    tentative: bool = False,
    include_link: bool,
    changed_at: dt.datetime | None = None,
    sequence_offset: int = 0,
) -> EventData:
    """What a calendar shows of one meeting (a model instance, see calendar_meeting); a feed of
    many builds them with one EventBuilder instead."""
    return EventBuilder(include_link=include_link).event(
        calendar_meeting(meeting),
        title_prefix=title_prefix,
        tentative=tentative,
        changed_at=changed_at,
        sequence_offset=sequence_offset,
    )


CANCELLED_PARAGRAPH = "Cancelled: this meeting will not take place."


class EventBuilder:
    """Builds the events of one calendar. What the meetings of a session share (its URL and the
    description past the cancellation line) is made once per session. The virtual link is only
    written when `include_link`: a public feed would invite anyone into the meeting; the
    session's notes likewise.

    Everything shown here must be watched by catalog.services (*_FIELDS_IN_CALENDARS), so that
    a change of it raises the meeting's SEQUENCE."""

    def __init__(self, *, include_link: bool):
        self.include_link = include_link
        self._zone = district_zone()
        self._shared: dict[int, tuple[str, str]] = {}
        self._url_format = session_url_format()

    def event(
        self,
        meeting: CalendarMeeting,
        *,
        title_prefix: str = "",
        tentative: bool = False,
        changed_at: dt.datetime | None = None,
        sequence_offset: int = 0,
    ) -> EventData:
        """One meeting's event. `changed_at` is a later change the event also shows (the
        person's enrollment, for the waitlist prefix), so LAST-MODIFIED moves with it, and
        `sequence_offset` raises SEQUENCE for such a change."""
        session = meeting.session
        cancelled = (
            meeting.status == MeetingStatus.CANCELLED or session.status == SessionStatus.CANCELLED
        )
        if cancelled:
            status = CANCELLED
        elif tentative:
            status = TENTATIVE
        else:
            status = CONFIRMED
        modified_at = max(meeting.updated_at, session.changed_at)
        if changed_at is not None:
            modified_at = max(modified_at, changed_at)

        shared = self._shared.get(session.pk)
        if shared is None:
            shared = self._shared[session.pk] = self._session_parts(session)
        url, description = shared
        if cancelled:
            description = f"{CANCELLED_PARAGRAPH}\n\n{description}"
        return EventData(
            uid=meeting.uid,
            sequence=meeting.sequence + sequence_offset,
            modified_at=modified_at,
            starts_at=meeting.starts_at.astimezone(self._zone),
            ends_at=meeting.ends_at.astimezone(self._zone),
            summary=(CANCELLED_PREFIX if cancelled else title_prefix) + session.title,
            status=status,
            location=self._location(meeting),
            description=description,
            url=url,
            categories=(session.strand_name,),
        )

    def _location(self, meeting: CalendarMeeting) -> str:
        session = meeting.session
        room = meeting.room or session.room
        if session.building is not None:
            parts = [room, *session.building]
            return ", ".join(part for part in parts if part)
        if session.virtual_url:
            return session.virtual_url if self.include_link else "Online"
        return room

    def _session_parts(self, session: CalendarSession) -> tuple[str, str]:
        """The session's URL and its description as every meeting shows it (a cancelled one
        after a line of its own)."""
        url = self._url_format.format(session_id=session.pk)
        paragraphs = []
        if session.course_summary:
            paragraphs.append(session.course_summary.strip())
        facts = []
        names = session.facilitator_names
        if names:
            label = "Facilitator" if len(names) == 1 else "Facilitators"
            facts.append(f"{label}: {', '.join(names)}")
        facts.append(f"Clock hours: {_hours(session.clock_hours)}")
        paragraphs.append("\n".join(facts))
        # Notes are for the people taking part (directions, what to bring, sometimes a
        # passcode): like the online link, never in a public feed or an anonymous download.
        if self.include_link and session.notes:
            paragraphs.append(session.notes.strip())
        if self.include_link and session.virtual_url:
            paragraphs.append(f"Join online: {session.virtual_url}")
        paragraphs.append(f"Session page: {url}")
        return url, "\n\n".join(paragraphs)


def _hours(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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

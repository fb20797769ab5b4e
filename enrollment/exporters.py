"""Enrollment spreadsheets built on core.exporters: the printable sign-in sheet and a
person's transcript."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet
from django.utils import formats, timezone

from catalog.choices import MeetingStatus
from catalog.models import Meeting, Session
from core.exporters import Exporter, Sheet

from .models import Enrollment
from .selectors import Transcript

SIGNIN_HEADER = (
    "#",
    "Name",
    "Building",
    "Position",
    "Sign in",
    "Sign out",
    "Signature",
)
# Wide blank columns leave room to write by hand on the printed sheet. No employee ids: the
# sheet is passed round the room.
SIGNIN_WIDTHS = (5, 28, 24, 20, 12, 12, 32)


def _meeting_line(meeting: Meeting) -> str:
    start, end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    day = formats.date_format(start, "l, F j, Y")
    if start.date() == end.date():
        when = f"{day}, {formats.time_format(start, 'g:i A')} – {formats.time_format(end, 'g:i A')}"
    else:
        when = f"{day}, {formats.time_format(start, 'g:i A')} – " + formats.date_format(
            end, "l, F j, Y, g:i A"
        )
    if meeting.room:
        when += f" ({meeting.room})"
    if meeting.status == MeetingStatus.CANCELLED:
        when += " — CANCELLED"
    return when


def place_of(session: Session) -> str:
    if session.building is not None:
        place = session.building.name
        if session.room:
            place += f", {session.room}"
        if session.virtual_url:
            place += " (also online)"
        return place
    if session.virtual_url:
        return "Online"
    return "To be announced"


class SigninSheetExporter(Exporter):
    """One sheet to print and pass round at a session: who is expected, with blank cells for
    signing in and out. The people come from enrollment.selectors.signin_rows."""

    def __init__(
        self, *, session: Session, meetings: Sequence[Meeting], rows: QuerySet[Enrollment]
    ):
        self.session = session
        self.meetings = meetings
        self.rows = rows
        self.filename = f"sign-in-{session.course.code}-{session.pk}"

    def preamble(self) -> list[str]:
        course = self.session.course
        lines = [
            f"Sign-in sheet: {self.session.display_title}",
            f"Course: {course.code.upper()} {course.title}",
        ]
        if self.meetings:
            label = "Meeting" if len(self.meetings) == 1 else "Meetings"
            lines.append(f"{label}:")
            lines.extend(f"  {_meeting_line(meeting)}" for meeting in self.meetings)
        else:
            lines.append("Meetings: dates to be announced")
        lines.append(f"Place: {place_of(self.session)}")
        return lines

    def people(self) -> Iterator[tuple]:
        for number, enrollment in enumerate(self.rows, start=1):
            staff = enrollment.staff
            yield (
                number,
                staff.display_name,
                staff.building.name if staff.building else "",
                staff.position.name if staff.position else "",
                None,
                None,
                None,
            )

    def sheets(self) -> Iterator[Sheet]:
        yield Sheet(
            title="Sign-in",
            header=SIGNIN_HEADER,
            rows=self.people(),
            widths=SIGNIN_WIDTHS,
            preamble=self.preamble(),
        )


TRANSCRIPT_HEADER = (
    "School year",
    "Completed on",
    "Course code",
    "Course",
    "Strand",
    "Clock hours",
    "Source",
    "Status",
    "Verification code",
)
TRANSCRIPT_WIDTHS = (12, 14, 14, 44, 30, 12, 20, 10, 20)


IN_PROGRESS_HEADER = (
    "Course code",
    "Session",
    "First meeting",
    "Status",
    "Waitlist position",
    "Clock hours on completion",
)
IN_PROGRESS_WIDTHS = (12, 48, 20, 18, 10, 12)


class TranscriptExporter(Exporter):
    """A person's transcript: every completion by school year, newest first, voided ones kept and
    marked (the preamble's total leaves them out), then a sheet of the places still in progress.
    Built from enrollment.selectors.transcript."""

    def __init__(self, *, transcript: Transcript, as_of: dt.date):
        self.transcript = transcript
        self.as_of = as_of
        # The employee id comes from HR's file; keep the file name to safe characters.
        employee = re.sub(r"[^A-Za-z0-9_-]+", "-", transcript.staff.employee_id).strip("-")
        self.filename = f"transcript-{employee or 'staff'}-{as_of.isoformat()}"

    def preamble(self) -> list[str]:
        staff = self.transcript.staff
        total = self.transcript.clock_hours.normalize()
        return [
            f"Transcript of {staff.display_name}",
            f"Employee ID: {staff.employee_id}",
            f"As of {formats.date_format(self.as_of, 'F j, Y')}",
            f"Clock hours in total: {total:f} (voided completions not counted)",
        ]

    def completions(self) -> Iterator[tuple]:
        for year in self.transcript.years:
            for completion in year.completions:
                course = completion.course
                yield (
                    year.school_year.name,
                    completion.completed_on,
                    course.code.upper(),
                    course.title,
                    course.strand.name,
                    completion.clock_hours,
                    completion.get_source_display(),
                    "Voided" if completion.is_voided else "Valid",
                    completion.verification_code,
                )

    def in_progress(self) -> Iterator[tuple]:
        for enrollment in self.transcript.in_progress:
            session, course = enrollment.session, enrollment.session.course
            yield (
                course.code.upper(),
                session.display_title,
                enrollment.first_starts_at,
                enrollment.get_status_display(),
                enrollment.waitlist_position,
                course.clock_hours,
            )

    def sheets(self) -> Iterator[Sheet]:
        yield Sheet(
            title="Transcript",
            header=TRANSCRIPT_HEADER,
            rows=self.completions(),
            widths=TRANSCRIPT_WIDTHS,
            preamble=self.preamble(),
        )
        yield Sheet(
            title="In progress",
            header=IN_PROGRESS_HEADER,
            rows=self.in_progress(),
            widths=IN_PROGRESS_WIDTHS,
        )

"""The main tables of an export_all as workbooks people can open: staff, buildings, positions,
courses, sessions with their meetings, enrollments, completions and requirements, with names
beside the ids. Rows stream from the database a chunk at a time into write-only workbooks
saved straight to disk; a table longer than a sheet holds goes on over further sheets."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.db.models import Count, Max, Min, Prefetch
from openpyxl import Workbook

from catalog.models import Course, Meeting, Session
from core.exporters import Exporter, Sheet
from enrollment.models import Completion, Enrollment
from learning.models import Building, Position, Requirement, StaffMember

CHUNK_SIZE = 2000
# Excel's rows per sheet, less the header row.
MAX_ROWS = 1_048_575
DATE_TIME = "yyyy-mm-dd hh:mm"


def _names(items: Iterable, attribute: str = "name") -> str:
    return "; ".join(str(getattr(item, attribute)) for item in items)


def _person(staff: StaffMember) -> str:
    return f"{staff.last_name}, {staff.preferred_name or staff.first_name}"


def _username(user) -> str:
    return user.get_username() if user is not None else ""


class _CountedRows:
    """Rows of a sheet, counted as they are written."""

    def __init__(self, rows: Iterable[Sequence]):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


class TableWorkbook(Exporter):
    """One table (or a table and its children, as sessions and meetings) in one workbook."""

    def tables(self) -> Iterator[tuple[str, Sequence[str], Iterable[Sequence], dict]]:
        """(sheet title, header, rows, Sheet options) for each table of the workbook."""
        raise NotImplementedError

    def sheets(self) -> Iterator[Sheet]:
        self.counts: dict[str, int] = {}
        for title, header, rows, options in self.tables():
            yield from self._split(title, header, iter(rows), options)

    def _split(self, title, header, rows: Iterator, options) -> Iterator[Sheet]:
        end = object()
        for part in itertools.count(1):
            first = next(rows, end)
            if first is end and part > 1:
                return
            head = [] if first is end else [first]
            counted = _CountedRows(itertools.chain(head, itertools.islice(rows, MAX_ROWS - 1)))
            name = title if part == 1 else f"{title} ({part})"
            yield Sheet(
                title=name,
                header=header,
                rows=counted,
                freeze_header=True,
                autofilter=True,
                **options,
            )

    def save(self, directory: Path) -> tuple[str, dict[str, int]]:
        """Write the workbook to `directory`; its file name and rows per sheet."""
        workbook = Workbook(write_only=True)
        for sheet in self.sheets():
            self._write_sheet(workbook, sheet)
            self.counts[sheet.title] = sheet.rows.count
        name = f"{self.filename}.xlsx"
        path = directory / name
        workbook.save(path)
        path.chmod(0o600)
        return name, dict(self.counts)


class StaffWorkbook(TableWorkbook):
    filename = "staff"

    def tables(self):
        staff = (
            StaffMember.objects.select_related("building", "position", "user")
            .prefetch_related(
                Prefetch("leads_buildings", queryset=Building.objects.order_by("name")),
                "staff_groups",
            )
            .order_by("last_name", "first_name", "employee_id")
        )
        header = (
            "Employee ID",
            "Last name",
            "First name",
            "Preferred name",
            "Email",
            "Building code",
            "Building",
            "Position",
            "Status",
            "Hired on",
            "Separated on",
            "Managed manually",
            "Leads buildings",
            "Groups",
            "Login",
            "Calendar delivery",
            "Staff ID",
        )
        rows = (
            (
                person.employee_id,
                person.last_name,
                person.first_name,
                person.preferred_name,
                person.email,
                person.building.code if person.building else "",
                person.building.name if person.building else "",
                person.position.name if person.position else "",
                person.get_status_display(),
                person.hired_on,
                person.separated_on,
                "yes" if person.managed_manually else "no",
                _names(person.leads_buildings.all()),
                _names(sorted(person.staff_groups.all(), key=lambda group: group.name)),
                _username(person.user),
                person.get_calendar_delivery_display(),
                person.pk,
            )
            for person in staff.iterator(chunk_size=CHUNK_SIZE)
        )
        yield "Staff", header, rows, {"widths": (12, 18, 16, 14, 30, 12, 28, 20, 10)}


class BuildingsWorkbook(TableWorkbook):
    filename = "buildings"

    def tables(self):
        buildings = Building.objects.annotate(staff_count=Count("staff")).order_by("name")
        header = ("Code", "Name", "Kind", "Address", "Active", "Staff", "Building ID")
        rows = (
            (
                building.code,
                building.name,
                building.get_kind_display(),
                building.address,
                "yes" if building.active else "no",
                building.staff_count,
                building.pk,
            )
            for building in buildings.iterator(chunk_size=CHUNK_SIZE)
        )
        yield "Buildings", header, rows, {"widths": (14, 32, 20, 40)}


class PositionsWorkbook(TableWorkbook):
    filename = "positions"

    def tables(self):
        positions = Position.objects.annotate(staff_count=Count("staff")).order_by("name")
        header = ("Code", "Name", "Category", "Staff", "Position ID")
        rows = (
            (
                position.code,
                position.name,
                position.get_category_display(),
                position.staff_count,
                position.pk,
            )
            for position in positions.iterator(chunk_size=CHUNK_SIZE)
        )
        yield "Positions", header, rows, {"widths": (18, 28, 18)}


class CoursesWorkbook(TableWorkbook):
    filename = "courses"

    def tables(self):
        courses = (
            Course.objects.select_related("strand")
            .prefetch_related(Prefetch("prerequisites", queryset=Course.objects.order_by("code")))
            .order_by("code")
        )
        header = (
            "Code",
            "Title",
            "Strand",
            "Clock hours",
            "Format",
            "Prerequisites",
            "Evaluation required",
            "Requires approval",
            "Active",
            "Summary",
            "Course ID",
        )
        rows = (
            (
                course.code,
                course.title,
                course.strand.name,
                course.clock_hours,
                course.get_format_display(),
                _names(course.prerequisites.all(), "code"),
                "yes" if course.evaluation_required else "no",
                "yes" if course.requires_approval else "no",
                "yes" if course.active else "no",
                course.summary,
                course.pk,
            )
            for course in courses.iterator(chunk_size=CHUNK_SIZE)
        )
        yield "Courses", header, rows, {"widths": (14, 40, 28, 10, 14, 20)}


class SessionsWorkbook(TableWorkbook):
    filename = "sessions"

    def tables(self):
        sessions = (
            Session.objects.select_related("course", "building", "restricted_to_group")
            .prefetch_related(
                Prefetch(
                    "facilitators",
                    queryset=StaffMember.objects.order_by("last_name", "first_name"),
                )
            )
            .annotate(
                first_starts_at=Min("meetings__starts_at"),
                last_ends_at_shown=Max("meetings__ends_at"),
                meeting_count=Count("meetings"),
            )
            .order_by("course__code", "pk")
        )
        header = (
            "Session ID",
            "Course code",
            "Course",
            "Session title",
            "Status",
            "Building",
            "Room",
            "Virtual link",
            "Capacity",
            "Facilitators",
            "Only for group",
            "Requires approval",
            "Registration opens",
            "Registration closes",
            "First meeting",
            "Last meeting ends",
            "Meetings",
        )
        rows = (
            (
                session.pk,
                session.course.code,
                session.course.title,
                session.title,
                session.get_status_display(),
                session.building.name if session.building else "",
                session.room,
                session.virtual_url,
                session.capacity,
                "; ".join(_person(person) for person in session.facilitators.all()),
                session.restricted_to_group.name if session.restricted_to_group else "",
                "yes" if session.requires_approval else "no",
                session.registration_opens_at,
                session.registration_closes_at,
                session.first_starts_at,
                session.last_ends_at_shown,
                session.meeting_count,
            )
            for session in sessions.iterator(chunk_size=CHUNK_SIZE)
        )
        formats = {12: DATE_TIME, 13: DATE_TIME, 14: DATE_TIME, 15: DATE_TIME}
        yield "Sessions", header, rows, {"number_formats": formats, "widths": (10, 14, 36, 20)}

        meetings = Meeting.objects.select_related("session__course", "session__building").order_by(
            "starts_at", "pk"
        )
        header = (
            "Meeting ID",
            "Session ID",
            "Course code",
            "Course",
            "Session title",
            "Starts",
            "Ends",
            "Building",
            "Room",
            "Status",
            "Sequence",
            "Calendar UID",
        )
        rows = (
            (
                meeting.pk,
                meeting.session_id,
                meeting.session.course.code,
                meeting.session.course.title,
                meeting.session.title,
                meeting.starts_at,
                meeting.ends_at,
                meeting.session.building.name if meeting.session.building else "",
                meeting.room or meeting.session.room,
                meeting.get_status_display(),
                meeting.sequence,
                meeting.uid,
            )
            for meeting in meetings.iterator(chunk_size=CHUNK_SIZE)
        )
        formats = {5: DATE_TIME, 6: DATE_TIME}
        yield "Meetings", header, rows, {"number_formats": formats, "widths": (10, 10, 14, 36)}


class EnrollmentsWorkbook(TableWorkbook):
    filename = "enrollments"

    def tables(self):
        enrollments = Enrollment.objects.select_related(
            "staff__building", "session__course", "acted_by", "approved_by"
        ).order_by("pk")
        header = (
            "Enrollment ID",
            "Employee ID",
            "Name",
            "Building",
            "Course code",
            "Course",
            "Session ID",
            "Session title",
            "Status",
            "Source",
            "Requested at",
            "Status changed at",
            "Approved at",
            "Approved by",
            "Last changed by",
            "Reason",
        )
        rows = (
            (
                enrollment.pk,
                enrollment.staff.employee_id,
                _person(enrollment.staff),
                enrollment.staff.building.name if enrollment.staff.building else "",
                enrollment.session.course.code,
                enrollment.session.course.title,
                enrollment.session_id,
                enrollment.session.title,
                enrollment.get_status_display(),
                enrollment.get_source_display(),
                enrollment.requested_at,
                enrollment.status_changed_at,
                enrollment.approved_at,
                _username(enrollment.approved_by),
                _username(enrollment.acted_by),
                enrollment.decision_reason,
            )
            for enrollment in enrollments.iterator(chunk_size=CHUNK_SIZE)
        )
        formats = {10: DATE_TIME, 11: DATE_TIME, 12: DATE_TIME}
        yield "Enrollments", header, rows, {"number_formats": formats, "widths": (12, 12, 26)}


class CompletionsWorkbook(TableWorkbook):
    filename = "completions"

    def tables(self):
        completions = Completion.objects.select_related(
            "staff__building", "course", "enrollment", "recorded_by", "voided_by"
        ).order_by("pk")
        header = (
            "Completion ID",
            "Employee ID",
            "Name",
            "Building",
            "Course code",
            "Course",
            "Completed on",
            "Clock hours",
            "Source",
            "Session ID",
            "Evidence",
            "Verification code",
            "Recorded by",
            "Voided at",
            "Voided by",
            "Void reason",
        )
        rows = (
            (
                completion.pk,
                completion.staff.employee_id,
                _person(completion.staff),
                completion.staff.building.name if completion.staff.building else "",
                completion.course.code,
                completion.course.title,
                completion.completed_on,
                completion.clock_hours,
                completion.get_source_display(),
                completion.enrollment.session_id if completion.enrollment else None,
                completion.evidence,
                completion.verification_code,
                _username(completion.recorded_by),
                completion.voided_at,
                _username(completion.voided_by),
                completion.void_reason,
            )
            for completion in completions.iterator(chunk_size=CHUNK_SIZE)
        )
        formats = {13: DATE_TIME}
        yield "Completions", header, rows, {"number_formats": formats, "widths": (12, 12, 26)}


class RequirementsWorkbook(TableWorkbook):
    filename = "requirements"

    def tables(self):
        requirements = (
            Requirement.objects.select_related("goal__plan_year__plan", "course", "strand")
            .prefetch_related(
                Prefetch("audience_positions", queryset=Position.objects.order_by("name")),
                Prefetch("audience_buildings", queryset=Building.objects.order_by("name")),
                "audience_groups",
            )
            .order_by("goal__plan_year__starts_on", "goal__order", "due_on", "pk")
        )
        header = (
            "Requirement ID",
            "Plan",
            "Plan year",
            "Goal",
            "Requirement",
            "Kind",
            "Course code",
            "Course",
            "Strand",
            "Clock hours",
            "Target %",
            "Due on",
            "Audience positions",
            "Audience buildings",
            "Audience groups",
            "Counts earlier completions",
        )
        rows = (
            (
                requirement.pk,
                requirement.goal.plan_year.plan.name,
                requirement.goal.plan_year.name,
                requirement.goal.title,
                str(requirement),
                requirement.get_kind_display(),
                requirement.course.code if requirement.course else "",
                requirement.course.title if requirement.course else "",
                requirement.strand.name if requirement.strand else "",
                requirement.clock_hours,
                requirement.target_percent,
                requirement.due_on,
                _names(requirement.audience_positions.all()) or "all",
                _names(requirement.audience_buildings.all()) or "all",
                _names(sorted(requirement.audience_groups.all(), key=lambda g: g.name)),
                "yes" if requirement.count_completions_before_plan_year else "no",
            )
            for requirement in requirements.iterator(chunk_size=CHUNK_SIZE)
        )
        yield "Requirements", header, rows, {"widths": (12, 24, 10, 30, 44)}


WORKBOOKS = (
    StaffWorkbook,
    BuildingsWorkbook,
    PositionsWorkbook,
    CoursesWorkbook,
    SessionsWorkbook,
    EnrollmentsWorkbook,
    CompletionsWorkbook,
    RequirementsWorkbook,
)


def write_workbooks(directory: Path) -> dict[str, dict[str, int]]:
    """Every workbook into `directory`: file name -> rows per sheet."""
    return dict(workbook().save(directory) for workbook in WORKBOOKS)

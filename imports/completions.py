"""The completion import: credit earned outside the service's sessions (external PD, legacy
records), one row per person, course and date. Nothing here writes; imports.services previews
(stores the result in an ImportRun) and commits it.

Rules:

- A row names a person by employee ID (matched like the roster: "1234" finds "001234") and a
  course by its code (case-insensitively) or its exact title. Separated staff and inactive
  courses are accepted: old records are still true.
- Completed on is required, read like every import date, and cannot be in the future. Clock
  hours are optional (blank: the course's), from 0 to 999.99. The evidence note is optional
  (blank: "Imported from FILE").
- The same person, course and date twice in the file is an error on both rows. A non-voided
  completion already recorded for that person, course and date leaves the row unchanged: an
  import run twice never duplicates credit.

The change set (ImportRun.change_set) is what a commit applies, exactly:

    {"version": 1, "fingerprint": "...", "today": "2026-10-05",
     "scope": {"course_ids": [...], "from": "2019-08-20", "to": "2026-10-01"},
     "create": [{"row", "staff_id", "employee_id", "name", "course_id", "course", "course_title",
                 "completed_on", "clock_hours", "evidence"}],
     "unchanged": [{"row", "employee_id", "name", "course", "completed_on", "completion_id"}],
     "columns", "unused_columns", "file", "report"}       # as in the roster change set

The fingerprint covers staff IDs, the courses and the non-voided completions in the scope, so a
commit refuses when any of them changed since the preview."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from catalog.models import Course
from enrollment.models import Completion
from learning.models import StaffMember

from .previews import StoredPreview
from .readers import Column, Row, RowError, Table
from .roster import PROGRESS_EVERY, ROSTER_COLUMNS, id_key
from .values import ValueProblem, clean_text, parse_date

CHANGE_SET_VERSION = 1
MAX_HOURS = Decimal("1000")
EVIDENCE_LIMIT = 2000

COMPLETION_COLUMNS = (
    next(column for column in ROSTER_COLUMNS if column.field == "employee_id"),
    Column(
        "course",
        "Course Code",
        ("Course Code", "Course", "Course ID", "Course Number", "Code", "Course Title"),
        required=True,
    ),
    Column(
        "completed_on",
        "Completed On",
        (
            "Completed On",
            "Completion Date",
            "Date Completed",
            "Completed",
            "Date",
            "Credit Date",
        ),
        required=True,
    ),
    Column(
        "clock_hours",
        "Clock Hours",
        ("Clock Hours", "Hours", "Credit Hours", "PD Hours", "Contact Hours"),
    ),
    Column(
        "evidence",
        "Evidence",
        ("Evidence", "Evidence Note", "Note", "Notes", "Comment", "Comments", "Description"),
    ),
)
FIELD_LABELS = {column.field: column.label for column in COMPLETION_COLUMNS}
REQUIRED_FIELDS = tuple(column.field for column in COMPLETION_COLUMNS if column.required)

# Row messages: constants the tests assert on.
MSG_REQUIRED = "This value is required."
MSG_UNKNOWN_EMPLOYEE = "No staff member has this employee ID."
MSG_UNKNOWN_COURSE = "No course has this code or title."
MSG_AMBIGUOUS_COURSE = "More than one course has this title; use the course's code."
MSG_FUTURE = "A completion cannot be dated in the future."
MSG_HOURS = "Clock hours must be a number from 0 to 999.99."
MSG_DUPLICATE = "The same person, course and date appear more than once in the file: rows {rows}."
MSG_DEFAULT_EVIDENCE = "Imported from {file}"


class StaffKey(NamedTuple):
    id: int
    employee_id: str
    first_name: str
    last_name: str
    preferred_name: str

    @property
    def name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class CourseKey(NamedTuple):
    id: int
    code: str
    title: str
    clock_hours: Decimal


@dataclass
class Snapshot:
    """Staff IDs, courses and the completions one import compares with. `fingerprint` changes
    whenever anything a commit relies on changes."""

    staff: list[StaffKey]
    courses: list[CourseKey]
    completions: list[tuple[int, int, int, dt.date]]

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        parts = (
            [(person.id, person.employee_id) for person in self.staff],
            self.courses,
            self.completions,
        )
        for part in parts:
            digest.update(str(len(part)).encode())
            for item in part:
                digest.update(repr(tuple(item)).encode())
                digest.update(b"\n")
        return digest.hexdigest()


def load_staff_and_courses() -> tuple[list[StaffKey], list[CourseKey]]:
    staff = [
        StaffKey(*values)
        for values in StaffMember.objects.order_by("pk").values_list(*StaffKey._fields)
    ]
    courses = [
        CourseKey(*values)
        for values in Course.objects.order_by("pk").values_list(*CourseKey._fields)
    ]
    return staff, courses


def load_completions(scope: dict) -> list[tuple[int, int, int, dt.date]]:
    """Non-voided completions of the scope's courses between its dates: one query."""
    if not scope.get("course_ids"):
        return []
    return list(
        Completion.objects.filter(
            voided_at__isnull=True,
            course_id__in=scope["course_ids"],
            completed_on__range=(scope["from"], scope["to"]),
        )
        .order_by("pk")
        .values_list("pk", "staff_id", "course_id", "completed_on")
    )


def load_snapshot(scope: dict) -> Snapshot:
    staff, courses = load_staff_and_courses()
    return Snapshot(staff, courses, load_completions(scope))


def parse_hours(value: str) -> Decimal | None:
    """Clock hours from a cell; None when blank."""
    text = value.strip()
    if not text:
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(MSG_HOURS) from None
    if not hours.is_finite() or not Decimal(0) <= hours < MAX_HOURS:
        raise ValueProblem(MSG_HOURS)
    return hours.quantize(Decimal("0.01"))


@dataclass
class _Line:
    row: Row
    staff: StaffKey | None = None
    course: CourseKey | None = None
    completed_on: dt.date | None = None
    hours: Decimal | None = None
    evidence: str = ""
    errors: list[RowError] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int, dt.date] | None:
        if self.staff and self.course and self.completed_on:
            return (self.staff.id, self.course.id, self.completed_on)
        return None


@dataclass
class Comparison:
    change_set: dict
    errors: list[RowError]
    counts: dict


class _CompletionCheck:
    def __init__(
        self,
        table: Table,
        staff: list[StaffKey],
        courses: list[CourseKey],
        *,
        today: dt.date,
        progress: Callable[[int, int], None] | None,
    ):
        self.table = table
        self.staff = staff
        self.courses = courses
        self.today = today
        self.progress = progress
        self.by_id = {person.employee_id: person for person in staff}
        self.by_key: dict[str, list[StaffKey]] = defaultdict(list)
        for person in staff:
            if person.employee_id.isdigit():
                self.by_key[id_key(person.employee_id)].append(person)
        self.by_code = {course.code.lower(): course for course in courses}
        self.by_title: dict[str, list[CourseKey]] = defaultdict(list)
        for course in courses:
            self.by_title[course.title.strip().lower()].append(course)

    def _error(self, line: _Line, field_name: str, message: str) -> None:
        line.errors.append(
            RowError(
                row=line.row.number,
                column=self.table.column_name(field_name),
                value=self.table.value(line.row, field_name),
                message=message,
                field=field_name,
            )
        )

    def _person(self, employee_id: str) -> StaffKey | None:
        person = self.by_id.get(employee_id)
        if person is None and employee_id.isdigit():
            candidates = self.by_key.get(id_key(employee_id), [])
            if len(candidates) == 1:
                person = candidates[0]
        return person

    def _course(self, text: str) -> CourseKey:
        lowered = text.strip().lower()
        if lowered in self.by_code:
            return self.by_code[lowered]
        titled = self.by_title.get(lowered, [])
        if len(titled) > 1:
            raise ValueProblem(MSG_AMBIGUOUS_COURSE)
        if titled:
            return titled[0]
        raise ValueProblem(MSG_UNKNOWN_COURSE)

    def _parse(self, row: Row) -> _Line:
        line = _Line(row=row)
        value = self.table.value
        for name in REQUIRED_FIELDS:
            if not value(row, name):
                self._error(line, name, MSG_REQUIRED)
        if employee_id := value(row, "employee_id"):
            line.staff = self._person(employee_id)
            if line.staff is None:
                self._error(line, "employee_id", MSG_UNKNOWN_EMPLOYEE)
        if course := value(row, "course"):
            try:
                line.course = self._course(course)
            except ValueProblem as problem:
                self._error(line, "course", str(problem))
        try:
            line.completed_on = parse_date(value(row, "completed_on"), today=self.today)
        except ValueProblem as problem:
            self._error(line, "completed_on", str(problem))
        if line.completed_on and line.completed_on > self.today:
            self._error(line, "completed_on", MSG_FUTURE)
            line.completed_on = None
        try:
            line.hours = parse_hours(value(row, "clock_hours"))
        except ValueProblem as problem:
            self._error(line, "clock_hours", str(problem))
        try:
            line.evidence = clean_text(value(row, "evidence"), max_length=EVIDENCE_LIMIT)
        except ValueProblem as problem:
            self._error(line, "evidence", str(problem))
        return line

    def lines(self) -> list[_Line]:
        total = len(self.table.rows)
        lines = []
        for index, row in enumerate(self.table.rows, start=1):
            lines.append(self._parse(row))
            if self.progress and (index % PROGRESS_EVERY == 0 or index == total):
                self.progress(index, total)
        rows_by_key: dict[tuple, list[_Line]] = defaultdict(list)
        for line in lines:
            if line.key:
                rows_by_key[line.key].append(line)
        for same in rows_by_key.values():
            if len(same) > 1:
                numbers = ", ".join(str(line.row.number) for line in same)
                for line in same:
                    for name in ("employee_id", "course", "completed_on"):
                        self._error(line, name, MSG_DUPLICATE.format(rows=numbers))
        return lines


def scope_of(lines: list[_Line]) -> dict:
    """The courses and dates a file's valid rows touch: what the commit compares again."""
    keyed = [line for line in lines if line.key]
    if not keyed:
        return {"course_ids": [], "from": None, "to": None}
    dates = [line.completed_on for line in keyed]
    return {
        "course_ids": sorted({line.course.id for line in keyed}),
        "from": min(dates).isoformat(),
        "to": max(dates).isoformat(),
    }


def compare_completions(
    table: Table,
    *,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Check every row of a completions table and compare it with the recorded completions:
    three queries (staff, courses, completions in scope), however many rows."""
    staff, courses = load_staff_and_courses()
    lines = _CompletionCheck(table, staff, courses, today=today, progress=progress).lines()
    scope = scope_of(lines)
    snapshot = Snapshot(staff, courses, load_completions(scope))
    recorded = {
        (staff_id, course_id, day): pk for pk, staff_id, course_id, day in snapshot.completions
    }
    evidence = MSG_DEFAULT_EVIDENCE.format(file=table.file.name)
    creates, unchanged = [], []
    for line in lines:
        if line.errors:
            continue
        common = {
            "row": line.row.number,
            "employee_id": line.staff.employee_id,
            "name": line.staff.name,
            "course": line.course.code,
            "completed_on": line.completed_on.isoformat(),
        }
        if existing := recorded.get(line.key):
            unchanged.append({**common, "completion_id": existing})
            continue
        hours = line.hours if line.hours is not None else line.course.clock_hours
        creates.append(
            {
                **common,
                "staff_id": line.staff.id,
                "course_id": line.course.id,
                "course_title": line.course.title,
                "clock_hours": str(Decimal(hours).quantize(Decimal("0.01"))),
                "evidence": line.evidence or evidence,
            }
        )
    errors = sorted(
        (error for line in lines for error in line.errors),
        key=lambda error: (error.row, table.columns.get(error.field, len(table.header))),
    )
    invalid = [line for line in lines if line.errors]
    counts = {
        "rows": len(lines),
        "invalid_rows": len(invalid),
        "errors": len(errors),
        "created": len(creates),
        "unchanged": len(unchanged),
    }
    change_set = {
        "version": CHANGE_SET_VERSION,
        "fingerprint": snapshot.fingerprint,
        "today": today.isoformat(),
        "scope": scope,
        "create": creates,
        "unchanged": unchanged,
        "columns": table.used_columns,
        "unused_columns": table.unused_columns,
        "file": {"format": table.format, "sheet": table.sheet, "header_row": table.header_row},
        "report": {
            "header": list(table.header),
            "rows": [[line.row.number, list(line.row.cells)] for line in invalid],
        },
    }
    return Comparison(change_set=change_set, errors=errors, counts=counts)


@dataclass(frozen=True)
class CompletionsPreview(StoredPreview):
    """A completions preview read back from its ImportRun: what the command, the HR page and the
    API show before a commit. Nothing here queries the database."""

    @property
    def unchanged(self) -> list[dict]:
        return self.change_set.get("unchanged", [])

    @property
    def needs_confirmation(self) -> bool:
        """A completion import deactivates nobody, so it never needs a confirmation."""
        return False

    @staticmethod
    def describe(entry: dict) -> str:
        """One row in words: "CRT-101 on 2024-03-02, 3.00 h (Certificate #88)"."""
        text = f"{entry['course'].upper()} on {entry['completed_on']}"
        if "clock_hours" in entry:
            text += f", {entry['clock_hours']} h ({entry['evidence']})"
        return text

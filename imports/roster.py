"""The staff roster import: the columns of a roster, how each row is checked, and how a file
compares with the staff list. Nothing here writes; imports.services previews (stores the result
in an ImportRun) and commits it.

Rules, as HR would expect them:

- A row names a person by employee ID, HR's key. IDs made only of digits also match a stored
  ID that differs by leading zeros ("1234" finds "001234"), because Excel drops them when a
  column is stored as numbers; an exact match always wins.
- Required in every row: employee ID, first name, last name, email, building, position.
  Building and position are found by code or name, case-insensitively (or by the code a name
  would make: "Maple Elementary" finds the code "maple-elementary"). Unknown ones are errors,
  unless `create_missing`, when they are listed to be created.
- Emails are unique to a person, case-insensitively, in the file and in the staff list. An
  address may move from one person to another in the same file.
- Status: Active / A, Leave / On Leave / LOA / L, Terminated / Separated / Inactive / T (and a
  few more HR words, STATUS_WORDS). A blank status means: active for a new person, unchanged for
  a current one, and active again for someone separated (a person on the roster works here).
  With no status but a separation date that has passed, the person is separated.
- A column the file does not have leaves that field as stored. A blank hire or separation date
  keeps the stored date; a blank preferred name clears it. A separation date before the hire
  date is an error. A person newly separated without a date is separated today.
- Sync mode: staff not in the file and not yet separated are deactivated (status separated,
  separated today unless they already have a date), never deleted; staff `managed_manually`
  are kept. Rows with errors still count as present, so a typo never deactivates anyone.
- A separated person who is in the file again is reactivated: status active (or the status
  given) and the separation date cleared (unless one is given).

The change set (stored as JSON in ImportRun.change_set) is what a commit applies, exactly:

    {"version": 1, "fingerprint": "...", "today": "2026-10-05",
     "create_buildings": [{"code", "name"}], "create_positions": [{"code", "name", "category"}],
     "create": [{"row", "employee_id", "name", "values": {field: value}}],
     "update": [{"row", "id", "employee_id", "name", "changes": {field: [before, after]}}],
     "reactivate": [... same shape as update ...],
     "deactivate": [{"id", "employee_id", "name", "building", "status", "separated_on"}],
     "buildings": {code: name}, "positions": {code: name},
     "columns": {field: column as found}, "unused_columns": [...],
     "report": {"header": [...], "rows": [[row number, [cells]], ...]}}   # rows with errors

Values are JSON: dates as ISO strings, building and position as codes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.utils.text import slugify

from learning.choices import PositionCategory, StaffStatus
from learning.models import Building, Position, StaffMember

from .previews import StoredPreview
from .readers import Column, Row, RowError, Table, normalize_header
from .values import ValueProblem, clean_email, clean_text, parse_date

CHANGE_SET_VERSION = 1
PROGRESS_EVERY = 1000

ROSTER_COLUMNS = (
    Column(
        "employee_id",
        "Employee ID",
        (
            "Employee ID",
            "EmpID",
            "Emp ID",
            "Employee Number",
            "Employee No",
            "Emp No",
            "Staff ID",
            "Staff Number",
        ),
        required=True,
    ),
    Column("first_name", "First Name", ("First Name", "Given Name", "First"), required=True),
    Column(
        "last_name", "Last Name", ("Last Name", "Surname", "Family Name", "Last"), required=True
    ),
    Column("preferred_name", "Preferred Name", ("Preferred Name", "Nickname", "Goes By")),
    Column(
        "email",
        "Email",
        ("Work Email", "Email", "E-mail", "Email Address", "Work Email Address"),
        required=True,
    ),
    Column(
        "building",
        "Building",
        (
            "Building",
            "Building Code",
            "Location",
            "Location Code",
            "School",
            "School Code",
            "Site",
            "Site Code",
            "Building Name",
            "Location Name",
            "School Name",
        ),
        required=True,
    ),
    Column(
        "position",
        "Position",
        ("Position", "Position Code", "Job Title", "Title", "Role", "Job", "Position Title"),
        required=True,
    ),
    Column("status", "Status", ("Status", "Employment Status", "Employee Status")),
    Column("hired_on", "Hire Date", ("Hire Date", "Date Hired", "Start Date", "Hired On")),
    Column(
        "separated_on",
        "Separation Date",
        ("Separation Date", "Termination Date", "Term Date", "End Date", "Separated On"),
    ),
)
FIELD_LABELS = {column.field: column.label for column in ROSTER_COLUMNS}
REQUIRED_FIELDS = tuple(column.field for column in ROSTER_COLUMNS if column.required)
# Compared with the stored record, in this order.
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "building",
    "position",
    "status",
    "hired_on",
    "separated_on",
)
DATE_FIELDS = ("hired_on", "separated_on")

STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(("active", "a", "current", "employed"), StaffStatus.ACTIVE),
    **dict.fromkeys(
        ("leave", "onleave", "loa", "l", "leaveofabsence", "onleaveofabsence"),
        StaffStatus.ON_LEAVE,
    ),
    **dict.fromkeys(
        (
            "terminated",
            "separated",
            "inactive",
            "t",
            "term",
            "s",
            "retired",
            "resigned",
            "former",
        ),
        StaffStatus.SEPARATED,
    ),
}
# The category a position created by the import gets, from words in its name; anything else is
# support staff. HR or district PD can change it afterwards (admin).
CATEGORY_WORDS = (
    (("principal", "dean", "headofschool", "headmaster"), PositionCategory.LEADER),
    (("teacher", "instructor", "coach", "interventionist"), PositionCategory.TEACHER),
    (
        ("superintendent", "director", "coordinator", "supervisor", "chief", "officer"),
        PositionCategory.CENTRAL_OFFICE,
    ),
)

# Row messages: constants the tests assert on.
MSG_AMBIGUOUS_ID = (
    "This id matches more than one person once leading zeros are ignored ({ids}): use the exact id."
)
MSG_REQUIRED = "This value is required."
MSG_DUPLICATE_ID = "Employee ID {employee_id} appears more than once in the file: rows {rows}."
MSG_EMAIL_IN_FILE = "Another person in this file has the same email address: row {rows}."
MSG_EMAIL_TAKEN = "This email address belongs to {name} (employee ID {employee_id})."
MSG_UNKNOWN_BUILDING = "No building has this code or name."
MSG_UNKNOWN_POSITION = "No position has this code or name."
MSG_AMBIGUOUS_BUILDING = "More than one building has this name; use the building's code."
MSG_AMBIGUOUS_POSITION = "More than one position has this name; use the position's code."
MSG_NO_CODE = "A code cannot be made from this name; use letters or digits."
MSG_UNKNOWN_STATUS = "Unknown status; use Active, Leave or Terminated."
MSG_SEPARATED_BEFORE_HIRED = "The separation date ({separated}) is before the hire date ({hired})."


class StaffSnapshot(NamedTuple):
    id: int
    employee_id: str
    first_name: str
    last_name: str
    preferred_name: str
    email: str
    building_id: int | None
    position_id: int | None
    status: str
    hired_on: dt.date | None
    separated_on: dt.date | None
    managed_manually: bool

    @property
    def name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


@dataclass
class Snapshot:
    """The staff list, buildings and positions as one import sees them: three queries, however
    many rows. `fingerprint` changes whenever anything a roster import compares changes."""

    staff: list[StaffSnapshot]
    buildings: list[tuple[int, str, str]]
    positions: list[tuple[int, str, str]]

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.staff, self.buildings, self.positions):
            digest.update(str(len(part)).encode())
            for item in part:
                digest.update(repr(tuple(item)).encode())
                digest.update(b"\n")
        return digest.hexdigest()

    @property
    def active_count(self) -> int:
        return sum(1 for person in self.staff if person.status != StaffStatus.SEPARATED)


def load_snapshot() -> Snapshot:
    staff = [
        StaffSnapshot(*values)
        for values in StaffMember.objects.order_by("pk").values_list(*StaffSnapshot._fields)
    ]
    buildings = list(Building.objects.order_by("pk").values_list("pk", "code", "name"))
    positions = list(Position.objects.order_by("pk").values_list("pk", "code", "name"))
    return Snapshot(staff, buildings, positions)


def id_key(employee_id: str) -> str:
    """How two employee IDs are compared: digits without leading zeros, anything else as is."""
    if employee_id.isdigit():
        return employee_id.lstrip("0") or "0"
    return employee_id


def guess_category(name: str) -> str:
    key = normalize_header(name)
    for words, category in CATEGORY_WORDS:
        if any(word in key for word in words):
            return category
    return PositionCategory.SUPPORT


def parse_status(value: str) -> str | None:
    """A StaffStatus from an HR word; None when blank."""
    if not value.strip():
        return None
    status = STATUS_WORDS.get(normalize_header(value))
    if status is None:
        raise ValueProblem(MSG_UNKNOWN_STATUS)
    return str(status)


class _Places:
    """Buildings or positions, found by code, by name, or by the code a name would make."""

    def __init__(self, rows: Iterable[tuple[int, str, str]], *, unknown: str, ambiguous: str):
        self.unknown = unknown
        self.ambiguous = ambiguous
        self.by_code: dict[str, tuple[int, str, str]] = {}
        self.by_name: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self.code_of_id: dict[int, str] = {}
        self.names: dict[str, str] = {}
        for row in rows:
            pk, code, name = row
            self.by_code[code.lower()] = row
            self.by_name[name.strip().lower()].append(row)
            self.code_of_id[pk] = code
            self.names[code] = name
        self.to_create: dict[str, str] = {}

    def resolve(self, value: str, *, create_missing: bool) -> str:
        """The code of the building or position a cell names."""
        text = value.strip()
        lowered = text.lower()
        if lowered in self.by_code:
            return self.by_code[lowered][1]
        named = self.by_name.get(lowered, [])
        if len(named) > 1:
            raise ValueProblem(self.ambiguous)
        if named:
            return named[0][1]
        code = slugify(text)[:40].strip("-")
        if code and code in self.by_code:
            return self.by_code[code][1]
        if not create_missing:
            raise ValueProblem(self.unknown)
        if not code:
            raise ValueProblem(MSG_NO_CODE)
        self.to_create.setdefault(code, text[:200])
        return code

    def name_of(self, code: str | None) -> str:
        if code is None:
            return ""
        return self.names.get(code) or self.to_create.get(code, code)


@dataclass
class _Line:
    """One row while it is checked."""

    row: Row
    employee_id: str = ""
    key: str = ""
    values: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    match: StaffSnapshot | None = None
    # Everyone the row's id could mean: a sync never deactivates any of them.
    candidates: list[StaffSnapshot] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class Comparison:
    """What a roster file would change: the change set, every row error, and the counts."""

    change_set: dict
    errors: list[RowError]
    counts: dict


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _before(person: StaffSnapshot, buildings: _Places, positions: _Places) -> dict:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "preferred_name": person.preferred_name,
        "email": person.email,
        "building": buildings.code_of_id.get(person.building_id),
        "position": positions.code_of_id.get(person.position_id),
        "status": person.status,
        "hired_on": _iso(person.hired_on),
        "separated_on": _iso(person.separated_on),
    }


class _RosterCheck:
    def __init__(
        self,
        table: Table,
        snapshot: Snapshot,
        *,
        sync: bool,
        create_missing: bool,
        today: dt.date,
        progress: Callable[[int, int], None] | None,
    ):
        self.table = table
        self.snapshot = snapshot
        self.sync = sync
        self.create_missing = create_missing
        self.today = today
        self.progress = progress
        self.buildings = _Places(
            snapshot.buildings, unknown=MSG_UNKNOWN_BUILDING, ambiguous=MSG_AMBIGUOUS_BUILDING
        )
        self.positions = _Places(
            snapshot.positions, unknown=MSG_UNKNOWN_POSITION, ambiguous=MSG_AMBIGUOUS_POSITION
        )
        self.by_id = {person.employee_id: person for person in snapshot.staff}
        self.by_key: dict[str, list[StaffSnapshot]] = defaultdict(list)
        for person in snapshot.staff:
            if person.employee_id.isdigit():
                self.by_key[id_key(person.employee_id)].append(person)
        self.by_email = {person.email.lower(): person for person in snapshot.staff}

    # Helpers

    def _error(self, line: _Line, field_name: str, message: str, value: str | None = None):
        if value is None:
            value = self.table.value(line.row, field_name)
        line.errors.append(
            RowError(
                row=line.row.number,
                column=self.table.column_name(field_name),
                value=value,
                message=message,
                field=field_name,
            )
        )

    def _candidates(self, employee_id: str) -> list[StaffSnapshot]:
        """The stored person with this id; or, for an all-digit id (Excel drops leading zeros),
        everyone whose id differs from it only by leading zeros."""
        person = self.by_id.get(employee_id)
        if person is not None:
            return [person]
        if employee_id.isdigit():
            return list(self.by_key.get(id_key(employee_id), []))
        return []

    # Pass 1: each row on its own

    def _parse(self, row: Row) -> _Line:
        line = _Line(row=row)
        value = self.table.value
        for name in REQUIRED_FIELDS:
            if not value(row, name):
                self._error(line, name, MSG_REQUIRED)
        limits = {"employee_id": 40, "first_name": 100, "last_name": 100}
        for name, limit in limits.items():
            text = value(row, name)
            if text:
                try:
                    line.values[name] = clean_text(text, max_length=limit)
                except ValueProblem as problem:
                    self._error(line, name, str(problem))
        line.employee_id = line.values.pop("employee_id", "")
        line.key = id_key(line.employee_id) if line.employee_id else ""
        if self.table.has("preferred_name"):
            try:
                line.values["preferred_name"] = clean_text(
                    value(row, "preferred_name"), max_length=100
                )
            except ValueProblem as problem:
                self._error(line, "preferred_name", str(problem))
        if email := value(row, "email"):
            try:
                line.values["email"] = clean_email(email)
            except ValueProblem as problem:
                self._error(line, "email", str(problem))
        for name, places in (("building", self.buildings), ("position", self.positions)):
            if text := value(row, name):
                try:
                    line.values[name] = places.resolve(text, create_missing=self.create_missing)
                except ValueProblem as problem:
                    self._error(line, name, str(problem))
        try:
            line.values["status"] = parse_status(value(row, "status"))
        except ValueProblem as problem:
            self._error(line, "status", str(problem))
        for name in DATE_FIELDS:
            try:
                line.values[name] = parse_date(value(row, name), today=self.today)
            except ValueProblem as problem:
                self._error(line, name, str(problem))
        if line.employee_id:
            line.candidates = self._candidates(line.employee_id)
            if len(line.candidates) == 1:
                line.match = line.candidates[0]
            elif len(line.candidates) > 1:
                ids = ", ".join(sorted(person.employee_id for person in line.candidates))
                self._error(line, "employee_id", MSG_AMBIGUOUS_ID.format(ids=ids))
        return line

    # The values a row leaves on the record

    def _target(self, line: _Line) -> dict:
        """The record after the import, for the compared fields (JSON values)."""
        person = line.match
        values = line.values
        before = _before(person, self.buildings, self.positions) if person else {}
        after = {
            "first_name": values["first_name"],
            "last_name": values["last_name"],
            "preferred_name": values.get("preferred_name", before.get("preferred_name", "")),
            "email": values["email"],
            "building": values["building"],
            "position": values["position"],
        }
        given_status, given_hired, given_separated = (
            values["status"],
            values["hired_on"],
            values["separated_on"],
        )
        stored_status = person.status if person else None
        if given_status is not None:
            status = given_status
        elif given_separated is not None and given_separated <= self.today:
            status = StaffStatus.SEPARATED
        elif stored_status is None or stored_status == StaffStatus.SEPARATED:
            status = StaffStatus.ACTIVE
        else:
            status = stored_status
        hired = given_hired if given_hired is not None else (person.hired_on if person else None)
        if given_separated is not None:
            separated = given_separated
        elif status == StaffStatus.SEPARATED:
            if person is None:
                separated = None
            elif person.separated_on is not None:
                separated = person.separated_on
            elif stored_status != StaffStatus.SEPARATED:
                separated = max(self.today, hired) if hired else self.today
            else:
                separated = None
        elif stored_status == StaffStatus.SEPARATED:
            separated = None
        else:
            separated = person.separated_on if person else None
        after.update(status=str(status), hired_on=_iso(hired), separated_on=_iso(separated))
        if hired and separated and separated < hired:
            field_name = "separated_on" if given_separated is not None else "hired_on"
            self._error(
                line,
                field_name,
                MSG_SEPARATED_BEFORE_HIRED.format(
                    separated=separated.isoformat(), hired=hired.isoformat()
                ),
            )
        return after

    # Pass 2: rows against each other and against the staff list

    def _check_duplicates(self, lines: list[_Line]) -> None:
        by_key: dict[str, list[_Line]] = defaultdict(list)
        for line in lines:
            if line.key:
                identity = f"id:{line.match.id}" if line.match else f"key:{line.key}"
                by_key[identity].append(line)
        for group in by_key.values():
            if len(group) > 1:
                rows = ", ".join(str(line.row.number) for line in group)
                for line in group:
                    self._error(
                        line,
                        "employee_id",
                        MSG_DUPLICATE_ID.format(employee_id=line.employee_id, rows=rows),
                    )

    def _check_emails(self, lines: list[_Line]) -> None:
        by_email: dict[str, list[_Line]] = defaultdict(list)
        for line in lines:
            if "email" in line.values:
                by_email[line.values["email"].lower()].append(line)
        for group in by_email.values():
            people = {line.key for line in group}
            if len(group) > 1 and len(people) > 1:
                for line in group:
                    others = ", ".join(
                        str(other.row.number) for other in group if other is not line
                    )
                    self._error(line, "email", MSG_EMAIL_IN_FILE.format(rows=others))
        # An address stored for someone else is free only if that person is in the file, in a
        # valid row, with another address. A row found invalid here can hold an address another
        # row counted on, so this repeats until nothing changes.
        in_file: dict[int, _Line] = {line.match.id: line for line in lines if line.match}
        flagged: set[int] = set()
        changed = True
        while changed:
            changed = False
            for line in lines:
                if id(line) in flagged or "email" not in line.values:
                    continue
                owner = self.by_email.get(line.values["email"].lower())
                if owner is None or (line.match and owner.id == line.match.id):
                    continue
                owner_line = in_file.get(owner.id)
                if (
                    owner_line is not None
                    and owner_line.valid
                    and owner_line.values.get("email", "").lower() != line.values["email"].lower()
                ):
                    continue
                flagged.add(id(line))
                self._error(
                    line,
                    "email",
                    MSG_EMAIL_TAKEN.format(name=owner.name, employee_id=owner.employee_id),
                )
                changed = True

    # The whole file

    def run(self) -> Comparison:
        rows = self.table.rows
        lines: list[_Line] = []
        for index, row in enumerate(rows, start=1):
            lines.append(self._parse(row))
            if self.progress and index % PROGRESS_EVERY == 0:
                self.progress(index, len(rows))
        targets: dict[int, dict] = {}
        for line in lines:
            if line.valid:
                targets[id(line)] = self._target(line)
        self._check_duplicates(lines)
        self._check_emails(lines)
        if self.progress:
            self.progress(len(rows), len(rows))

        creates, updates, reactivations = [], [], []
        unchanged = 0
        used_buildings: set[str] = set()
        used_positions: set[str] = set()
        for line in lines:
            if not line.valid:
                continue
            after = targets[id(line)]
            used_buildings.add(after["building"])
            used_positions.add(after["position"])
            name = f"{after['preferred_name'] or after['first_name']} {after['last_name']}"
            if line.match is None:
                creates.append(
                    {
                        "row": line.row.number,
                        "employee_id": line.employee_id,
                        "name": name,
                        "values": after,
                    }
                )
                continue
            before = _before(line.match, self.buildings, self.positions)
            changes = {
                key: [before[key], after[key]]
                for key in COMPARED_FIELDS
                if before[key] != after[key]
                and not (key == "email" and before[key].lower() == after[key].lower())
            }
            if not changes:
                unchanged += 1
                continue
            entry = {
                "row": line.row.number,
                "id": line.match.id,
                "employee_id": line.match.employee_id,
                "name": name,
                "changes": changes,
            }
            if (
                line.match.status == StaffStatus.SEPARATED
                and after["status"] != StaffStatus.SEPARATED
            ):
                reactivations.append(entry)
            else:
                updates.append(entry)
            for key, used in (("building", used_buildings), ("position", used_positions)):
                if before[key]:
                    used.add(before[key])

        deactivations = []
        kept_manual = 0
        if self.sync:
            present = {person.id for line in lines for person in line.candidates}
            for person in self.snapshot.staff:
                if person.id in present or person.status == StaffStatus.SEPARATED:
                    continue
                if person.managed_manually:
                    kept_manual += 1
                    continue
                if person.separated_on is not None:
                    separated = person.separated_on
                else:
                    separated = max(self.today, person.hired_on or self.today)
                building = self.buildings.code_of_id.get(person.building_id)
                if building:
                    used_buildings.add(building)
                deactivations.append(
                    {
                        "id": person.id,
                        "employee_id": person.employee_id,
                        "name": person.name,
                        "building": building,
                        "status": person.status,
                        "separated_on": separated.isoformat(),
                    }
                )

        errors = sorted(
            (error for line in lines for error in line.errors),
            key=lambda error: (
                error.row,
                self.table.columns.get(error.field, len(self.table.header)),
            ),
        )
        invalid = [line for line in lines if not line.valid]
        new_buildings = [
            {"code": code, "name": name}
            for code, name in self.buildings.to_create.items()
            if code in used_buildings
        ]
        new_positions = [
            {"code": code, "name": name, "category": guess_category(name)}
            for code, name in self.positions.to_create.items()
            if code in used_positions
        ]
        active = self.snapshot.active_count
        counts = {
            "rows": len(lines),
            "invalid_rows": len(invalid),
            "errors": len(errors),
            "created": len(creates),
            "updated": len(updates),
            "reactivated": len(reactivations),
            "unchanged": unchanged,
            "deactivated": len(deactivations),
            "kept_managed_manually": kept_manual,
            "buildings_created": len(new_buildings),
            "positions_created": len(new_positions),
            "active_staff": active,
            "rows_without_employee_id": sum(1 for line in invalid if not line.employee_id),
        }
        change_set = {
            "version": CHANGE_SET_VERSION,
            "fingerprint": self.snapshot.fingerprint,
            "today": self.today.isoformat(),
            "sync": self.sync,
            "create_buildings": new_buildings,
            "create_positions": new_positions,
            "create": creates,
            "update": updates,
            "reactivate": reactivations,
            "deactivate": deactivations,
            "buildings": {code: self.buildings.name_of(code) for code in sorted(used_buildings)},
            "positions": {code: self.positions.name_of(code) for code in sorted(used_positions)},
            "columns": self.table.used_columns,
            "unused_columns": self.table.unused_columns,
            "file": {
                "format": self.table.format,
                "sheet": self.table.sheet,
                "header_row": self.table.header_row,
            },
            "report": {
                "header": list(self.table.header),
                "rows": [[line.row.number, list(line.row.cells)] for line in invalid],
            },
        }
        return Comparison(change_set=change_set, errors=errors, counts=counts)


def compare_roster(
    table: Table,
    snapshot: Snapshot,
    *,
    sync: bool,
    create_missing: bool,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Check every row of a roster table and compare the file with the snapshot. `progress`,
    when given, is called with (rows checked, rows) as the rows are checked."""
    return _RosterCheck(
        table,
        snapshot,
        sync=sync,
        create_missing=create_missing,
        today=today,
        progress=progress,
    ).run()


def deactivation_needs_confirmation(counts: dict, *, cap_percent: int | None = None) -> bool:
    """True when a sync would deactivate more than IMPORT_SYNC_DEACTIVATE_CAP_PERCENT of the
    staff who were active (or on leave) at preview."""
    cap = settings.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT if cap_percent is None else cap_percent
    deactivated = counts.get("deactivated", 0)
    return deactivated > 0 and deactivated * 100 > cap * counts.get("active_staff", 0)


def _shown(field_name: str, value, preview: RosterPreview) -> str:
    if value in (None, ""):
        return "(blank)"
    if field_name == "building":
        return preview.building_name(value)
    if field_name == "position":
        return preview.position_name(value)
    if field_name == "status":
        return StaffStatus(value).label
    return str(value)


@dataclass(frozen=True)
class RosterPreview(StoredPreview):
    """A roster preview read back from its ImportRun: what the command, the HR page and the API
    show before a commit. Nothing here queries the database."""

    @property
    def updates(self) -> list[dict]:
        return self.change_set.get("update", [])

    @property
    def reactivations(self) -> list[dict]:
        return self.change_set.get("reactivate", [])

    @property
    def deactivations(self) -> list[dict]:
        return self.change_set.get("deactivate", [])

    @property
    def new_buildings(self) -> list[dict]:
        return self.change_set.get("create_buildings", [])

    @property
    def new_positions(self) -> list[dict]:
        return self.change_set.get("create_positions", [])

    @property
    def needs_confirmation(self) -> bool:
        """The sync would deactivate more staff than the cap allows without confirmation."""
        return deactivation_needs_confirmation(self.counts)

    def building_name(self, code: str) -> str:
        return self.change_set.get("buildings", {}).get(code, code)

    def position_name(self, code: str) -> str:
        return self.change_set.get("positions", {}).get(code, code)

    def field_changes(self, entry: dict) -> list[tuple[str, str, str]]:
        """An update's changes as (field label, before, after), in words."""
        return [
            (FIELD_LABELS[key], _shown(key, before, self), _shown(key, after, self))
            for key, (before, after) in entry["changes"].items()
        ]

    def describe(self, entry: dict) -> str:
        """One change in words: "email a@x.org -> b@x.org; building Maple -> Oak"."""
        if "changes" in entry:
            return "; ".join(
                f"{FIELD_LABELS[key].lower()} {_shown(key, before, self)} -> "
                f"{_shown(key, after, self)}"
                for key, (before, after) in entry["changes"].items()
            )
        if "values" in entry:
            values = entry["values"]
            return (
                f"{values['email']}, {self.position_name(values['position'])} at "
                f"{self.building_name(values['building'])}"
            )
        where = self.building_name(entry["building"]) if entry.get("building") else "no building"
        return f"{where}; separated on {entry['separated_on']}"

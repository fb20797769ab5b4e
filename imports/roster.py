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

    {"version": 2, "fingerprint": "...", "today": "2026-10-05",
     "create_buildings": [{"code", "name"}], "create_positions": [{"code", "name", "category"}],
     "create": {"fields": ["row", "employee_id", *COMPARED_FIELDS], "columns": [[...], ...]},
     "update": [{"row", "id", "employee_id", "name", "changes": {field: [before, after]}}],
     "reactivate": [... same shape as update ...],
     "deactivate": [{"id", "employee_id", "name", "building", "status", "separated_on"}],
     "buildings": {code: name}, "positions": {code: name},
     "columns": {field: column as found}, "unused_columns": [...],
     "report": {"header": [...], "rows": [[row number, [cells]], ...]}}   # rows with errors

Values are JSON: dates as ISO strings, building and position as codes. Version 1 stored each
create as {"row", "employee_id", "name", "values": {field: value}}, the shape
`RosterPreview.creates` still gives (`create_entries`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import compress, count
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils.text import slugify

from learning.choices import PositionCategory, StaffStatus
from learning.models import Building, Position, StaffMember

from .previews import StoredPreview
from .readers import UNREADABLE, Column, Row, RowError, Table, normalize_header
from .values import (
    ValueProblem,
    check_readable,
    clean_email,
    clean_text,
    email_problem_rows,
    parse_date,
)

CHANGE_SET_VERSION = 2
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
FIELD_INDEX = {column.field: index for index, column in enumerate(ROSTER_COLUMNS)}
# Text kept as found, and its longest (the model's max_length).
TEXT_LIMITS = {"employee_id": 40, "first_name": 100, "last_name": 100, "preferred_name": 100}
# The people to create are stored column by column (one list per field, one value per person):
# 100,000 new people are eleven lists in the JSON, which is written and read back in a fraction
# of the time of 100,000 objects.
CREATE_FIELDS = ("row", "employee_id", *COMPARED_FIELDS)

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
    # PostgreSQL's own digest of the same rows, when it made one.
    digest: str | None = None

    @cached_property
    def fingerprint(self) -> str:
        if self.digest is not None:
            return self.digest
        digest = hashlib.sha256()
        for part in (self.staff, self.buildings, self.positions):
            digest.update(str(len(part)).encode())
            for item in part:
                digest.update(repr(tuple(item)).encode())
                digest.update(b"\n")
        return digest.hexdigest()

    @cached_property
    def active_count(self) -> int:
        return sum(1 for person in self.staff if person.status != StaffStatus.SEPARATED)

    @cached_property
    def by_employee_id(self) -> dict[str, StaffSnapshot]:
        return {person.employee_id: person for person in self.staff}

    @cached_property
    def by_email(self) -> dict[str, StaffSnapshot]:
        """People by their address in lower case."""
        return {person.email.lower(): person for person in self.staff}

    @cached_property
    def stored_fields(self) -> dict[int, tuple]:
        """Each person's compared fields as stored (COMPARED_FIELDS order, JSON values), by id."""
        building_codes = {pk: code for pk, code, _name in self.buildings}
        position_codes = {pk: code for pk, code, _name in self.positions}
        return {
            person.id: (
                person.first_name,
                person.last_name,
                person.preferred_name,
                person.email,
                building_codes.get(person.building_id),
                position_codes.get(person.position_id),
                person.status,
                person.hired_on.isoformat() if person.hired_on else None,
                person.separated_on.isoformat() if person.separated_on else None,
            )
            for person in self.staff
        }

    def indexed(self) -> Snapshot:
        """The snapshot with its lookups built: a preview builds them while the file is still
        being read (imports.services), rather than after."""
        for name in ("active_count", "by_employee_id", "by_email", "stored_fields"):
            getattr(self, name)
        return self


def _fetch(queryset) -> list[tuple]:
    """A values_list queryset's rows as the database driver gives them: the driver already
    returns dates and booleans for these columns, so Django's per-value converters are skipped
    (a third of the time on 100,000 people)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


PLACE_FIELDS = ("id", "code", "name")


def _digest_sql() -> str:
    """One query digesting every compared column of the staff, buildings and positions, row by
    row in id order, with their counts: what Snapshot.fingerprint digests in Python."""
    quote = connection.ops.quote_name

    def rows_text(model, names) -> str:
        meta = model._meta
        columns = ", ".join(quote(meta.get_field(name).column) for name in names)
        key = quote(meta.pk.column)
        return (
            f"(SELECT count(*) || E'\\n' || coalesce(string_agg(ROW({columns})::text, "
            f"E'\\n' ORDER BY {key}), '') FROM {quote(meta.db_table)})"
        )

    parts = (
        rows_text(StaffMember, StaffSnapshot._fields),
        rows_text(Building, PLACE_FIELDS),
        rows_text(Position, PLACE_FIELDS),
    )
    separator = " || E'\\n\\n' || "
    return f"SELECT md5({separator.join(parts)})"


def load_snapshot(*, staff: bool = True) -> Snapshot:
    """The snapshot; without the staff list when `staff` is false and the database can digest
    it itself (PostgreSQL): a commit only compares the fingerprint, and reading 100,000 people
    into Python to digest them took a third of a second."""
    digest = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_digest_sql())
            (digest,) = cursor.fetchone()
    people = []
    if staff or digest is None:
        people = list(
            map(
                StaffSnapshot._make,
                _fetch(StaffMember.objects.order_by("pk").values_list(*StaffSnapshot._fields)),
            )
        )
    buildings = list(Building.objects.order_by("pk").values_list(*PLACE_FIELDS))
    positions = list(Position.objects.order_by("pk").values_list(*PLACE_FIELDS))
    return Snapshot(people, buildings, positions, digest)


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
        text = check_readable(value.strip())
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


@dataclass(slots=True)
class _Line:
    """One row while it is checked."""

    row: Row
    employee_id: str = ""
    key: str = ""
    values: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    match: StaffSnapshot | None = None
    # Everyone the row's id could mean: a sync never deactivates any of them.
    candidates: tuple[StaffSnapshot, ...] = ()
    # The email in lower case, when the row has a valid one.
    email_key: str = ""
    # The compared fields after the import (COMPARED_FIELDS order), once the row is checked.
    after: tuple | None = None

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


def _remembered(cache: dict, parse: Callable[[str], object], text: str) -> object:
    """parse(text), or the ValueProblem it raised, computed once per distinct text: a roster
    repeats a few dozen buildings, positions, statuses and a few thousand dates."""
    try:
        return cache[text]
    except KeyError:
        try:
            result = parse(text)
        except ValueProblem as problem:
            result = problem
        cache[text] = result
        return result


def _columns(table: Table) -> list[Sequence[str]]:
    """Every roster field's cells (ROSTER_COLUMNS order), one text per row: "" for a blank cell
    or a column the file does not have."""
    rows = table.rows
    indexes = [table.columns.get(column.field) for column in ROSTER_COLUMNS]
    width = max((index for index in indexes if index is not None), default=-1) + 1
    blank = ("",) * len(rows)
    if all(len(row.cells) >= width for row in rows):
        # Transposed in C; zip stops at the shortest row, which holds every column used.
        transposed = list(zip(*(row.cells for row in rows), strict=False)) if rows else []
        return [blank if index is None else transposed[index] for index in indexes]
    return [
        tuple(table.value(row, column.field) for row in rows) if table.has(column.field) else blank
        for column in ROSTER_COLUMNS
    ]


def _rows_where(selectors: Iterable[object]) -> Iterator[int]:
    """The indexes of the true selectors (C loops, not Python ones)."""
    return compress(count(), selectors)


def _unclean(column: Sequence[str], *, limit: int | None = None) -> Iterator[int]:
    """The rows (indexes) whose cell has spaces around it, is longer than `limit` or holds a
    character the reader could not keep: cells kept as found, which need the row-by-row check
    to say what is wrong with them."""
    if any(map(str.__ne__, column, map(str.strip, column))):
        yield from _rows_where(map(str.__ne__, column, map(str.strip, column)))
    if UNREADABLE in "".join(column):
        yield from _rows_where(UNREADABLE in text for text in column)
    if limit is not None and max(map(len, column), default=0) > limit:
        yield from _rows_where(map(limit.__lt__, map(len, column)))


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
        self.by_id = snapshot.by_employee_id
        self.by_email = snapshot.by_email
        self._has_preferred_name = table.has("preferred_name")
        # Cell text -> value (or the ValueProblem), per kind of cell.
        self._places = {
            "building": (
                {},
                partial(self.buildings.resolve, create_missing=create_missing),
            ),
            "position": (
                {},
                partial(self.positions.resolve, create_missing=create_missing),
            ),
        }
        self._statuses: dict[str, object] = {}
        self._dates: dict[str, object] = {}
        self._parse_date = partial(parse_date, today=today)

    @cached_property
    def by_key(self) -> dict[str, list[StaffSnapshot]]:
        """Stored all-digit ids by id_key: needed only for a file id that is not stored as is."""
        by_key: dict[str, list[StaffSnapshot]] = defaultdict(list)
        for person in self.snapshot.staff:
            if person.employee_id.isdigit():
                by_key[id_key(person.employee_id)].append(person)
        return by_key

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

    def _candidates(self, employee_id: str) -> tuple[StaffSnapshot, ...]:
        """The stored person with this id; or, for an all-digit id (Excel drops leading zeros),
        everyone whose id differs from it only by leading zeros."""
        person = self.by_id.get(employee_id)
        if person is not None:
            return (person,)
        if employee_id.isdigit():
            return tuple(self.by_key.get(id_key(employee_id), ()))
        return ()

    def _set(self, line: _Line, field_name: str, result: object) -> None:
        if isinstance(result, ValueProblem):
            self._error(line, field_name, str(result))
        else:
            line.values[field_name] = result

    # Pass 1: each row on its own

    def _parse(self, row: Row) -> _Line:
        line = _Line(row)
        values = line.values
        texts = [self.table.value(row, column.field) for column in ROSTER_COLUMNS]
        (
            employee_id,
            first_name,
            last_name,
            preferred_name,
            email,
            building,
            position,
            status,
            hired_on,
            separated_on,
        ) = texts
        if not (employee_id and first_name and last_name and email and building and position):
            for name in REQUIRED_FIELDS:
                if not texts[FIELD_INDEX[name]]:
                    self._error(line, name, MSG_REQUIRED)
        for name, text in (
            ("employee_id", employee_id),
            ("first_name", first_name),
            ("last_name", last_name),
        ):
            limit = TEXT_LIMITS[name]
            if text:
                try:
                    values[name] = clean_text(text, max_length=limit)
                except ValueProblem as problem:
                    self._error(line, name, str(problem))
        line.employee_id = values.pop("employee_id", "")
        line.key = id_key(line.employee_id) if line.employee_id else ""
        if self._has_preferred_name:
            try:
                values["preferred_name"] = clean_text(
                    preferred_name, max_length=TEXT_LIMITS["preferred_name"]
                )
            except ValueProblem as problem:
                self._error(line, "preferred_name", str(problem))
        if email:
            try:
                values["email"] = clean_email(email)
                line.email_key = values["email"].lower()
            except ValueProblem as problem:
                self._error(line, "email", str(problem))
        for name, text in (("building", building), ("position", position)):
            if text:
                cache, resolve = self._places[name]
                self._set(line, name, _remembered(cache, resolve, text))
        self._set(line, "status", _remembered(self._statuses, parse_status, status))
        self._set(line, "hired_on", _remembered(self._dates, self._parse_date, hired_on))
        self._set(line, "separated_on", _remembered(self._dates, self._parse_date, separated_on))
        if line.employee_id:
            line.candidates = self._candidates(line.employee_id)
            if len(line.candidates) == 1:
                line.match = line.candidates[0]
            elif len(line.candidates) > 1:
                ids = ", ".join(sorted(person.employee_id for person in line.candidates))
                self._error(line, "employee_id", MSG_AMBIGUOUS_ID.format(ids=ids))
        return line

    def _parse_rows(self) -> list[_Line]:
        """Pass 1 for every row, column by column: each column's distinct texts are read once
        (in file order, so the first spelling of a new building names it), and a row whose every
        cell reads cleanly becomes a line directly. Any other row goes through _parse, which
        says what is wrong with it."""
        rows = self.table.rows
        columns = _columns(self.table)
        for name, cache, parse, skip_blank in (
            ("building", *self._places["building"], True),
            ("position", *self._places["position"], True),
            ("status", self._statuses, parse_status, False),
            ("hired_on", self._dates, self._parse_date, False),
            ("separated_on", self._dates, self._parse_date, False),
        ):
            for text in dict.fromkeys(columns[FIELD_INDEX[name]]):
                if text or not skip_blank:
                    _remembered(cache, parse, text)

        def unreadable(cache: dict) -> set[str]:
            return {text for text, result in cache.items() if isinstance(result, ValueProblem)}

        bad_dates = unreadable(self._dates)
        slow: set[int] = set()
        for name in REQUIRED_FIELDS:
            column = columns[FIELD_INDEX[name]]
            if not all(column):
                slow.update(_rows_where(map(operator.not_, column)))
        # Cells kept as found; the other cells are read by the same functions on either path.
        for name, limit in TEXT_LIMITS.items():
            slow.update(_unclean(columns[FIELD_INDEX[name]], limit=limit))
        emails = columns[FIELD_INDEX["email"]]
        slow.update(_unclean(emails))
        slow.update(email_problem_rows(emails))
        for name, bad in (
            ("building", unreadable(self._places["building"][0])),
            ("position", unreadable(self._places["position"][0])),
            ("status", unreadable(self._statuses)),
            ("hired_on", bad_dates),
            ("separated_on", bad_dates),
        ):
            if bad:
                slow.update(_rows_where(map(bad.__contains__, columns[FIELD_INDEX[name]])))

        buildings, positions = self._places["building"][0], self._places["position"][0]
        statuses, dates = self._statuses, self._dates
        has_preferred_name = self._has_preferred_name
        by_id = self.by_id
        progress, total = self.progress, len(rows)
        lines: list[_Line] = []
        append = lines.append
        for index, (
            row,
            employee_id,
            first_name,
            last_name,
            preferred_name,
            email,
            building,
            position,
            status,
            hired_on,
            separated_on,
        ) in enumerate(zip(rows, *columns, strict=True)):
            if progress and index and index % PROGRESS_EVERY == 0:
                progress(index, total)
            person = by_id.get(employee_id)
            if person is not None:
                candidates = (person,)
            elif employee_id.isdigit():
                candidates = tuple(self.by_key.get(employee_id.lstrip("0") or "0", ()))
                person = candidates[0] if len(candidates) == 1 else None
            else:
                candidates = ()
            if index in slow or len(candidates) > 1:
                append(self._parse(row))
                continue
            values = {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "building": buildings[building],
                "position": positions[position],
                "status": statuses[status],
                "hired_on": dates[hired_on],
                "separated_on": dates[separated_on],
            }
            if has_preferred_name:
                values["preferred_name"] = preferred_name
            key = (
                (employee_id.lstrip("0") or "0") if employee_id.isdigit() else employee_id
            )  # id_key
            append(_Line(row, employee_id, key, values, [], person, candidates, email.lower()))
        return lines

    # The values a row leaves on the record

    def _target(self, line: _Line) -> tuple:
        """The record after the import: the compared fields in COMPARED_FIELDS order (JSON
        values)."""
        person = line.match
        values = line.values
        preferred_name = values.get("preferred_name", person.preferred_name if person else "")
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
        if hired and separated and separated < hired:
            field_name = "separated_on" if given_separated is not None else "hired_on"
            self._error(
                line,
                field_name,
                MSG_SEPARATED_BEFORE_HIRED.format(
                    separated=separated.isoformat(), hired=hired.isoformat()
                ),
            )
        return (
            values["first_name"],
            values["last_name"],
            preferred_name,
            values["email"],
            values["building"],
            values["position"],
            str(status),
            _iso(hired),
            _iso(separated),
        )

    # Pass 2: rows against each other and against the staff list

    def _check_duplicates(self, lines: list[_Line]) -> None:
        # Who a row means: the stored person it matches, else its id's key (an int and a str
        # never mix up).
        identities = [
            (line.match.id if line.match else line.key) if line.key else None for line in lines
        ]
        repeated = {
            identity
            for identity, times in Counter(identities).items()
            if times > 1 and identity is not None
        }
        if not repeated:
            return
        groups: dict[object, list[_Line]] = defaultdict(list)
        for line, identity in zip(lines, identities, strict=True):
            if identity in repeated:
                groups[identity].append(line)
        for group in groups.values():
            rows = ", ".join(str(line.row.number) for line in group)
            for line in group:
                self._error(
                    line,
                    "employee_id",
                    MSG_DUPLICATE_ID.format(employee_id=line.employee_id, rows=rows),
                )

    def _check_emails(self, lines: list[_Line]) -> None:
        keys = [line.email_key for line in lines]
        repeated = {key for key, times in Counter(keys).items() if times > 1 and key}
        if repeated:
            by_email: dict[str, list[_Line]] = defaultdict(list)
            for line, key in zip(lines, keys, strict=True):
                if key in repeated:
                    by_email[key].append(line)
            for group in by_email.values():
                if len({line.key for line in group}) > 1:
                    for line in group:
                        others = ", ".join(
                            str(other.row.number) for other in group if other is not line
                        )
                        self._error(line, "email", MSG_EMAIL_IN_FILE.format(rows=others))
        # An address stored for someone else is free only if that person is in the file, in a
        # valid row, with another address. A row found invalid here can hold an address another
        # row counted on, so this repeats until nothing changes. Only rows whose address is
        # stored for someone else take part.
        owners = list(map(self.by_email.get, keys))
        contested = [
            (line, owner)
            for line, owner in zip(lines, owners, strict=True)
            if owner is not None and owner is not line.match and line.email_key
        ]
        if not contested:
            return
        in_file: dict[int, _Line] = {line.match.id: line for line in lines if line.match}
        flagged: set[int] = set()
        changed = True
        while changed:
            changed = False
            for line, owner in contested:
                if id(line) in flagged:
                    continue
                owner_line = in_file.get(owner.id)
                if (
                    owner_line is not None
                    and owner_line.valid
                    and owner_line.email_key != line.email_key
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
        progress = self.progress
        lines = self._parse_rows()
        for line in lines:
            if not line.errors:
                line.after = self._target(line)
        self._check_duplicates(lines)
        self._check_emails(lines)
        if progress:
            progress(len(rows), len(rows))

        creates: list[tuple] = []
        updates, reactivations = [], []
        unchanged = 0
        used_buildings: set[str] = set()
        used_positions: set[str] = set()
        building_at = COMPARED_FIELDS.index("building")
        position_at = COMPARED_FIELDS.index("position")
        status_at = COMPARED_FIELDS.index("status")
        stored_fields = self.snapshot.stored_fields
        for line in lines:
            if line.errors:
                continue
            after = line.after
            used_buildings.add(after[building_at])
            used_positions.add(after[position_at])
            person = line.match
            if person is None:
                creates.append((line.row.number, line.employee_id, *after))
                continue
            before = stored_fields[person.id]
            if before == after:
                unchanged += 1
                continue
            changes = {
                key: [old, new]
                for key, old, new in zip(COMPARED_FIELDS, before, after, strict=True)
                if old != new and not (key == "email" and old.lower() == new.lower())
            }
            if not changes:
                unchanged += 1
                continue
            first_name, last_name, preferred_name = after[:3]
            entry = {
                "row": line.row.number,
                "id": person.id,
                "employee_id": person.employee_id,
                "name": f"{preferred_name or first_name} {last_name}",
                "changes": changes,
            }
            if person.status == StaffStatus.SEPARATED and after[status_at] != StaffStatus.SEPARATED:
                reactivations.append(entry)
            else:
                updates.append(entry)
            for code, used in (
                (before[building_at], used_buildings),
                (before[position_at], used_positions),
            ):
                if code:
                    used.add(code)

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

        invalid = [line for line in lines if line.errors]
        errors = sorted(
            (error for line in invalid for error in line.errors),
            key=lambda error: (
                error.row,
                self.table.columns.get(error.field, len(self.table.header)),
            ),
        )
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
            "create": {
                "fields": list(CREATE_FIELDS),
                "columns": [list(column) for column in zip(*creates, strict=True)]
                if creates
                else [[] for _field in CREATE_FIELDS],
            },
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


def create_rows(change_set: dict) -> list[tuple]:
    """The people to create, one tuple per person in CREATE_FIELDS order, from a change set of
    either version."""
    create = change_set.get("create") or []
    if isinstance(create, list):
        return [
            (entry["row"], entry["employee_id"], *(entry["values"][key] for key in COMPARED_FIELDS))
            for entry in create
        ]
    return list(zip(*create["columns"], strict=True))


def create_entries(change_set: dict) -> list[dict]:
    """The people to create as {"row", "employee_id", "name", "values": {field: value}}."""
    entries = []
    for row_number, employee_id, *after in create_rows(change_set):
        values = dict(zip(COMPARED_FIELDS, after, strict=True))
        name = f"{values['preferred_name'] or values['first_name']} {values['last_name']}"
        entries.append(
            {"row": row_number, "employee_id": employee_id, "name": name, "values": values}
        )
    return entries


def separating_ids(change_set: dict) -> list[int]:
    """The people a change set separates: those a sync deactivates and those whose row says
    they are separated now."""
    ids = [entry["id"] for entry in change_set.get("deactivate", [])]
    ids += [
        entry["id"]
        for entry in change_set.get("update", [])
        if entry["changes"].get("status", [None, None])[1] == StaffStatus.SEPARATED
    ]
    return ids


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

    @cached_property
    def creates(self) -> list[dict]:
        return create_entries(self.change_set)

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

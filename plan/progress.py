"""Progress against the plan: for each requirement, who is in its audience, who has completed it,
the rate against the target and its status, by building, position, goal and strand, and month by
month. Pages, the API, the workbook and the command all read it from `progress_report` (or
`progress_totals`, the same counting without the people behind the numbers, for the JSON
rates), so a number means the same wherever it is shown.

The rules (also in docs/reports.md and the workbook's Definitions sheet, from DEFINITIONS below):

- A requirement counts people on its *count date*: its due date, or today for one not yet due.
- A person is in the denominator when, on the count date, they were employed (hired on or before
  it, not separated before it), not on leave, and in the audience: their position on that date
  is one of the requirement's positions (if any), their building on that date is one of its
  buildings (if any), and they are a member of one of its groups (if any). No positions,
  buildings or groups: all staff.
- Building, position and leave on a date come from the staff assignment history; a person with
  no recorded change is where their staff record says, and, if separated, was active until
  their separation date. A separation date is the last day counted, with history or without.
- A person has completed a course requirement with a completion of that course (not voided)
  dated from the plan year's first day (or any earlier day, if the requirement says so) to the
  due date; a clock-hours requirement when the clock hours of their completions in the strand in
  that window reach the number asked. A completion after the due date is shown as late and does
  not count.
- Status: met when the rate reaches the target. Otherwise, past the due date: behind. Until it
  (the due date included), the expected rate today lies on a straight line from 0% on the plan
  year's first day to the target on the due date: on track at or above it, at risk within
  AT_RISK_POINTS points below, behind further below.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from operator import itemgetter
from typing import Literal, NamedTuple

from django.db import connections
from django.db.models import CharField, F, IntegerField, Min, Q, QuerySet
from django.db.models.functions import Cast, Round
from django.utils import timezone

from learning.choices import RequirementKind, StaffStatus
from learning.models import (
    Building,
    Goal,
    PlanYear,
    Position,
    Requirement,
    StaffAssignment,
    StaffMember,
)

AT_RISK_POINTS = 10

DEFINITIONS = (
    (
        "Count date",
        "A requirement counts people on its due date, or on the as-of date for a requirement "
        "not yet due.",
    ),
    (
        "Audience (the denominator)",
        "Staff who on the count date were employed (hired on or before it and not separated "
        "before it), not on leave, and in the requirement's audience: a position it names (if "
        "it names any), a building it names (if any), a member of a group it names (if any). "
        "A requirement that names none counts all staff.",
    ),
    (
        "Moves, leave and separations",
        "Building, position and leave on a date come from the staff assignment history kept "
        "with every roster import and staff record change: a person who moved buildings counts "
        "where they were on the count date. Someone hired after the count date, separated "
        "before it, or on leave on it is not counted. Group membership is as it is today.",
    ),
    (
        "Completed",
        "A course requirement is completed by a completion of that course (voided completions "
        "never count) dated from the plan year's first day to the due date, or from any earlier "
        "day when the requirement counts earlier completions. A clock-hours requirement is "
        "completed when the clock hours of the person's completions in the strand in that "
        "window reach the hours asked. A completion after the due date is shown as late and "
        "does not count.",
    ),
    ("Rate", "Completed divided by the audience, shown as a percentage."),
    (
        "Status",
        "Met: the rate has reached the target. Behind, past the due date: the target was not "
        "reached. Until the due date (the day included) the expected rate lies on a straight "
        "line from 0% on the plan year's first day to the target on the due date: on track at "
        f"or above it, at risk up to {AT_RISK_POINTS} percentage points below it, behind "
        "further below. No audience: nobody is counted.",
    ),
    (
        "Goals and strands",
        "A goal's and a strand's rate add up their requirements: completed person-requirements "
        "divided by audience person-requirements. A goal's status is its worst requirement's.",
    ),
    (
        "Building and position",
        "A person is shown under the building and position they held on the count date.",
    ),
    (
        "Enrolled",
        "Not yet completed, but holding a place (enrolled, requested or waitlisted) in a "
        "session of the course, or of a course of the strand for clock hours, that is not "
        "cancelled.",
    ),
    (
        "Trend",
        "Month by month, the share of today's audience that had completed by the end of each "
        "month.",
    ),
)


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    NO_AUDIENCE = "no_audience"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.MET: "Met",
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.BEHIND: "Behind",
    Status.NO_AUDIENCE: "No audience",
}
# Worst first: a goal takes the worst status among its requirements.
STATUS_SEVERITY = (Status.BEHIND, Status.AT_RISK, Status.ON_TRACK, Status.MET, Status.NO_AUDIENCE)


class PersonState(StrEnum):
    COMPLETED = "completed"
    LATE = "late"
    ENROLLED = "enrolled"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return PERSON_STATE_LABELS[self]

    @property
    def outstanding(self) -> bool:
        """Still needs it: not completed at all (a late completion is done, only late)."""
        return self in (PersonState.ENROLLED, PersonState.MISSING)


PERSON_STATE_LABELS = {
    PersonState.COMPLETED: "Completed",
    PersonState.LATE: "Completed late",
    PersonState.ENROLLED: "Enrolled",
    PersonState.MISSING: "Missing",
}


@dataclass
class Tally:
    audience: int = 0
    completed: int = 0

    def add(self, other: Tally) -> None:
        self.audience += other.audience
        self.completed += other.completed

    def reaches(self, target_percent: int) -> bool:
        """Whether the rate has reached a target, compared exactly (17 of 21 is 80.95%: not 81%,
        though it is shown rounded as 81%)."""
        return bool(self.audience) and self.completed * 100 >= target_percent * self.audience

    @property
    def rate(self) -> float | None:
        """The completed share, 0..1; None with nobody counted."""
        return self.completed / self.audience if self.audience else None

    @property
    def percent(self) -> float | None:
        rate = self.rate
        return None if rate is None else round(rate * 100, 1)


class Entry(NamedTuple):
    """One person of a requirement's audience (a tuple: a district report holds a quarter of a
    million of them)."""

    staff_id: int
    building_id: int | None
    position_id: int | None
    state: PersonState
    completed_on: dt.date | None


@dataclass(frozen=True)
class TrendPoint:
    month_end: dt.date
    completed: int
    audience: int

    @property
    def percent(self) -> float | None:
        return round(self.completed * 100 / self.audience, 1) if self.audience else None


@dataclass
class RequirementProgress:
    requirement: Requirement
    count_date: dt.date
    window_start: dt.date | None
    tally: Tally
    expected_percent: float | None
    status: Status
    by_building: dict[int | None, Tally]
    by_position: dict[int | None, Tally]
    entries: list[Entry]
    trend: list[TrendPoint]

    @property
    def due(self) -> bool:
        return self.count_date == self.requirement.due_on

    @property
    def strand_id(self) -> int | None:
        requirement = self.requirement
        if requirement.kind == RequirementKind.CLOCK_HOURS:
            return requirement.strand_id
        return requirement.course.strand_id if requirement.course else None


@dataclass
class GoalProgress:
    goal: Goal
    requirements: list[RequirementProgress]
    tally: Tally
    status: Status

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.status == Status.MET)


class StaffPlace(NamedTuple):
    """What placing a person on a date takes (see _History), and no more: the totals-only
    report loads these rather than StaffRow."""

    pk: int
    building_id: int | None
    position_id: int | None
    status: str
    hired_on: dt.date | None
    separated_on: dt.date | None


class StaffRow(NamedTuple):
    pk: int
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

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def sort_name(self) -> tuple[str, str, str]:
        return (self.last_name.casefold(), self.first_name.casefold(), self.employee_id)


@dataclass(frozen=True)
class Scope:
    """Whose numbers a report holds: the whole district (building_ids None) or the people who,
    on each count date, were in these buildings."""

    building_ids: frozenset[int] | None = None

    @property
    def district(self) -> bool:
        return self.building_ids is None

    def covers(self, building_id: int | None) -> bool:
        return self.building_ids is None or building_id in self.building_ids


DISTRICT = Scope()


@dataclass(frozen=True)
class Filters:
    """What a report is narrowed to; empty means everything in scope."""

    plan_year: PlanYear | None = None
    strand_id: int | None = None
    building_ids: frozenset[int] = frozenset()
    position_ids: frozenset[int] = frozenset()
    requirement_id: int | None = None


@dataclass
class ProgressReport:
    as_of: dt.date
    scope: Scope
    filters: Filters
    plan_year: PlanYear | None
    requirements: list[RequirementProgress]
    goals: list[GoalProgress]
    by_strand: dict[int | None, Tally]
    staff: dict[int, StaffRow]
    buildings: dict[int, Building]
    positions: dict[int, Position]
    strands: dict[int, object]
    total: Tally = field(default_factory=Tally)
    # False for a totals-only report (progress_totals): no entries, no staff.
    people: bool = True

    def breakdown_places(self, dimension: Literal["building", "position"]) -> list:
        """The rows of a breakdown by building or by position, as every view of the report shows
        them (page, charts, workbook): the places with anyone counted, by name, then None ("No
        building", "No position") when anyone is counted under none."""
        if dimension == "building":
            places, tallies = self.buildings, "by_building"
        else:
            places, tallies = self.positions, "by_position"
        ids = {
            key
            for item in self.requirements
            for key, tally in getattr(item, tallies).items()
            if tally.audience
        }
        named = sorted(
            (places[key] for key in ids if key is not None), key=lambda place: place.name.casefold()
        )
        return [*named, None] if None in ids else named

    def shown_buildings(self) -> list[Building]:
        """The buildings with anyone counted, in name order (the report's columns and rows)."""
        return [place for place in self.breakdown_places("building") if place is not None]

    def people_ids(self) -> list[int]:
        """Everyone counted by any requirement, by name."""
        ids = {e.staff_id for r in self.requirements for e in r.entries}
        return sorted(ids, key=lambda pk: self.staff[pk].sort_name)


def default_plan_year(today: dt.date | None = None) -> PlanYear | None:
    """The plan year holding today, else the latest that has begun, else the first."""
    today = today or timezone.localdate()
    years = list(PlanYear.objects.select_related("plan").order_by("starts_on"))
    for year in years:
        if year.starts_on <= today <= year.ends_on:
            return year
    begun = [year for year in years if year.starts_on <= today]
    if begun:
        return begun[-1]
    return years[0] if years else None


def requirements_of(filters: Filters) -> QuerySet[Requirement]:
    requirements = Requirement.objects.select_related(
        "goal", "goal__plan_year", "goal__plan_year__plan", "course", "course__strand", "strand"
    ).prefetch_related("audience_positions", "audience_buildings", "audience_groups")
    if filters.plan_year is not None:
        requirements = requirements.filter(goal__plan_year=filters.plan_year)
    if filters.strand_id is not None:
        requirements = requirements.filter(
            Q(kind=RequirementKind.COURSE, course__strand_id=filters.strand_id)
            | Q(kind=RequirementKind.CLOCK_HOURS, strand_id=filters.strand_id)
        )
    if filters.requirement_id is not None:
        requirements = requirements.filter(pk=filters.requirement_id)
    return requirements.order_by(
        "goal__plan_year__starts_on", "goal__order", "goal_id", "due_on", "pk"
    )


class _History:
    """Building, position and status of each person on any date, from the assignment history
    and, for people with none, their staff record."""

    def __init__(self, staff: dict[int, StaffPlace] | dict[int, StaffRow]) -> None:
        self.staff = staff
        self.stretches: dict[int, list[tuple]] = defaultdict(list)
        self.by_day: dict[dt.date, list[tuple[int, int | None, int | None]]] = {}
        for row in (
            # A stretch with no start is a person's first: first on every database (PostgreSQL
            # would sort NULL last).
            StaffAssignment.objects.order_by("staff_id", F("starts_on").asc(nulls_first=True))
            .values_list("staff_id", "starts_on", "ends_on", "building_id", "position_id", "status")
            .iterator(chunk_size=5000)
        ):
            self.stretches[row[0]].append(row[1:])

    def placed_on(self, day: dt.date) -> list[tuple[int, int | None, int | None]]:
        """(staff_id, building_id, position_id) of everyone counted on a day, worked out once per
        day: requirements mostly share their count dates (today, or a few due dates)."""
        found = self.by_day.get(day)
        if found is None:
            found = []
            stretches, active = self.stretches, StaffStatus.ACTIVE
            for pk, person in self.staff.items():
                if pk not in stretches and person.status == active:
                    # Most people: no history, active; placement() in short.
                    if person.hired_on is None or person.hired_on <= day:
                        found.append((pk, person.building_id, person.position_id))
                    continue
                placement = self.placement(person, day)
                if placement is not None:
                    found.append((pk, *placement))
            self.by_day[day] = found
        return found

    def placement(
        self, person: StaffPlace | StaffRow, day: dt.date
    ) -> tuple[int | None, int | None] | None:
        """(building_id, position_id) on the day, or None when not counted that day: not yet
        hired, separated before it, or on leave."""
        if person.hired_on is not None and person.hired_on > day:
            return None
        if (
            person.status == StaffStatus.SEPARATED
            and person.separated_on is not None
            and person.separated_on < day
        ):
            return None
        stretches = self.stretches.get(person.pk)
        if stretches:
            index = self._stretch_on(stretches, day)
            if person.separated_on is not None and day <= person.separated_on:
                # A separation entered on or before the last day starts its stretch on the day
                # it was entered, yet the person worked until separated_on: place those days
                # by the stretch before it.
                while index > 0 and stretches[index][4] == StaffStatus.SEPARATED:
                    index -= 1
                if stretches[index][4] == StaffStatus.SEPARATED:
                    return stretches[index][2], stretches[index][3]
            _starts, _ends, building_id, position_id, status = stretches[index]
            return None if status != StaffStatus.ACTIVE else (building_id, position_id)
        if person.status == StaffStatus.SEPARATED:
            # Active until their last day, when it is known; never counted otherwise.
            if person.separated_on is None:
                return None
            return (person.building_id, person.position_id)
        if person.status != StaffStatus.ACTIVE:
            return None
        return (person.building_id, person.position_id)

    @staticmethod
    def _stretch_on(stretches: list[tuple], day: dt.date) -> int:
        """The index of the stretch holding the day; outside every stretch, the latest one
        begun by then, else the first."""
        latest_begun = None
        for index, (starts_on, ends_on, *_rest) in enumerate(stretches):
            if starts_on is None or starts_on <= day:
                if ends_on is None or day < ends_on:
                    return index
                latest_begun = index
        return latest_begun if latest_begun is not None else 0


def _window_start(requirement: Requirement) -> dt.date | None:
    if requirement.count_completions_before_plan_year:
        return None
    return requirement.goal.plan_year.starts_on


def _status(tally: Tally, requirement: Requirement, as_of: dt.date) -> tuple[Status, float | None]:
    target = requirement.target_percent
    start = requirement.goal.plan_year.starts_on
    due = requirement.due_on
    # Exact fractions: a rate exactly on the line (1 of 6 against 50 * 10 / 30) is on track,
    # though both round to a tenth differently.
    if as_of >= due:
        line = Fraction(target)
    elif as_of <= start or due <= start:
        line = Fraction(0)
    else:
        line = Fraction(target * (as_of - start).days, (due - start).days)
    expected = round(float(line), 1)
    if not tally.audience:
        return Status.NO_AUDIENCE, expected
    percent = Fraction(tally.completed * 100, tally.audience)
    if percent >= target:
        return Status.MET, expected
    if as_of > due:
        # Past the due date: missed. On the day itself completions still count.
        return Status.BEHIND, expected
    if percent >= line:
        return Status.ON_TRACK, expected
    if percent >= line - AT_RISK_POINTS:
        return Status.AT_RISK, expected
    return Status.BEHIND, expected


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of every month from start's to end's; end itself closes the last one."""
    points = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        if (year, month) == (dt.MAXYEAR, 12):
            points.append(end)  # no month after December 9999 to count back from
            break
        next_first = dt.date(year + month // 12, month % 12 + 1, 1)
        points.append(min(next_first - dt.timedelta(days=1), end))
        year, month = next_first.year, next_first.month
    return points


def _window(requirements: list[Requirement], until: dict[int, dt.date]) -> Q:
    """Completions dated inside some requirement's window, up to its last day that matters: a
    narrower scan, the same answers."""
    window = Q(completed_on__lte=max(until[r.pk] for r in requirements))
    starts = [_window_start(r) for r in requirements]
    if None not in starts:
        window &= Q(completed_on__gte=min(starts))
    return window


ROWS_PER_FETCH = 5000


def _day(name: str) -> Cast:
    """A date column read as its ISO text, which _rows makes a date: the drivers' and Django's
    conversions of a date column make a call per value (on SQLite, parsing text), which for a
    district's staff and completions cost more than all the counting."""
    return Cast(name, output_field=CharField())


def _rows(queryset: QuerySet, *, days: tuple[int, ...] = ()) -> Iterator[tuple]:
    """The rows of a values_list() query as the database driver returns them, the columns at
    `days` (read with _day) made dates. The SQL is the ORM's, its values passed apart."""
    query = queryset.query
    plain = [name for name in queryset._fields if name not in query.annotation_select]
    if list(queryset._fields) != [*plain, *query.annotation_select]:
        raise ValueError("Name the plain fields first: the database returns annotations last.")
    sql, params = query.sql_with_params()
    parse = dt.date.fromisoformat
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(ROWS_PER_FETCH):
            if not days:
                yield from rows
                continue
            for row in rows:
                row = list(row)
                for index in days:
                    if row[index] is not None:
                        row[index] = parse(row[index])
                yield tuple(row)


def _course_completions(
    requirements: list[Requirement], until: dict[int, dt.date]
) -> dict[int, dict[int, dt.date]]:
    """For each course requirement: person -> their first completion of the course in its
    window, up to until[requirement.pk] (the as-of day, so that late ones show; or the count
    date, when only the on-time ones are wanted). One query for all of them: the completions
    themselves, which come back faster than one grouped row per person."""
    from enrollment.models import Completion

    course_requirements = [r for r in requirements if r.kind == RequirementKind.COURSE]
    if not course_requirements:
        return {}
    result: dict[int, dict[int, dt.date]] = {r.pk: {} for r in course_requirements}
    windows: dict[int, list[tuple[dt.date | None, dt.date, dict[int, dt.date]]]] = defaultdict(list)
    for requirement in course_requirements:
        windows[requirement.course_id].append(
            (_window_start(requirement), until[requirement.pk], result[requirement.pk])
        )
    completions = (
        Completion.objects.filter(
            _window(course_requirements, until),
            voided_at__isnull=True,
            course_id__in=windows.keys(),
        )
        .order_by()
        .values_list("staff_id", "course_id", _day("completed_on"))
    )
    for staff_id, course_id, completed_on in _rows(completions, days=(2,)):
        for start, last, first in windows[course_id]:
            if (start is None or start <= completed_on) and completed_on <= last:
                known = first.get(staff_id)
                if known is None or completed_on < known:
                    first[staff_id] = completed_on
    return result


def _clock_hours_completions(
    requirements: list[Requirement], until: dict[int, dt.date]
) -> dict[int, dict[int, dt.date]]:
    """For each clock-hours requirement: person -> the day their hours in the strand (counted
    from the window's start) reached the hours asked, up to until[requirement.pk] (see
    _course_completions). One query for all of them."""
    from catalog.models import Course
    from enrollment.models import Completion

    hour_requirements = [r for r in requirements if r.kind == RequirementKind.CLOCK_HOURS]
    if not hour_requirements:
        return {}
    # Hours in hundredths (every clock-hours field has two decimal places): whole numbers add
    # up exactly, and come back from the database without a Decimal made for each.
    hundredths = Cast(Round(F("clock_hours") * 100), IntegerField())
    # The strands' courses by id, and no ORDER BY: joining the courses and sorting a district's
    # completions in the database took PostgreSQL a sequential scan and a sort on disk, five
    # times as long as reading them through the course index and sorting them here.
    strand_of = dict(
        Course.objects.filter(strand_id__in={r.strand_id for r in hour_requirements})
        .order_by()
        .values_list("pk", "strand_id")
    )
    by_strand: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
    completions = (
        Completion.objects.filter(
            _window(hour_requirements, until), voided_at__isnull=True, course_id__in=strand_of
        )
        .order_by()
        .values_list("course_id", "staff_id", _day("completed_on"), hundredths)
    )
    rows = _rows(completions, days=(2,)) if strand_of else ()
    for course_id, staff_id, completed_on, hours in rows:
        by_strand[strand_of[course_id]].append((staff_id, completed_on, hours))
    # In date order (the order within a day does not change the day a total is reached).
    for strand_rows in by_strand.values():
        strand_rows.sort(key=itemgetter(1))
    result: dict[int, dict[int, dt.date]] = {}
    for requirement in hour_requirements:
        start, last = _window_start(requirement), until[requirement.pk]
        asked = int(requirement.clock_hours * 100)
        reached: dict[int, dt.date] = {}
        totals: dict[int, int] = defaultdict(int)
        for staff_id, completed_on, hours in by_strand.get(requirement.strand_id, ()):
            if completed_on > last:
                break  # in date order: nothing later counts
            if staff_id in reached or (start is not None and completed_on < start):
                continue
            totals[staff_id] += hours
            if totals[staff_id] >= asked:
                reached[staff_id] = completed_on
        result[requirement.pk] = reached
    return result


def _enrolled(requirements: list[Requirement]) -> dict[int, set[int]]:
    """For each requirement: the people holding a live place in a session that would satisfy it
    (its course, or a course of its strand), not cancelled. One query."""
    from catalog.choices import SessionStatus
    from enrollment.choices import EnrollmentStatus
    from enrollment.models import Enrollment

    places = (
        Enrollment.objects.filter(
            status__in=(
                EnrollmentStatus.ENROLLED,
                EnrollmentStatus.PENDING_APPROVAL,
                EnrollmentStatus.WAITLISTED,
            ),
            session__status__in=(SessionStatus.PUBLISHED, SessionStatus.DRAFT),
        )
        .filter(
            Q(session__course_id__in={r.course_id for r in requirements if r.course_id})
            | Q(session__course__strand_id__in={r.strand_id for r in requirements if r.strand_id})
        )
        .order_by()
        .values_list("staff_id", "session__course_id", "session__course__strand_id")
        .distinct()
    )
    by_course: dict[int, set[int]] = defaultdict(set)
    by_strand: dict[int, set[int]] = defaultdict(set)
    for staff_id, course_id, strand_id in places.iterator(chunk_size=5000):
        by_course[course_id].add(staff_id)
        by_strand[strand_id].add(staff_id)
    return {
        r.pk: by_course[r.course_id] if r.kind == RequirementKind.COURSE else by_strand[r.strand_id]
        for r in requirements
    }


def _load_staff() -> dict[int, StaffRow]:
    *plain, hired, separated = StaffRow._fields
    staff = StaffMember.objects.order_by().values_list(*plain, _day(hired), _day(separated))
    return {row[0]: StaffRow._make(row) for row in _rows(staff, days=(len(plain), len(plain) + 1))}


def _load_places() -> dict[int, StaffPlace]:
    places = StaffMember.objects.order_by().values_list(
        "pk", "building_id", "position_id", "status", _day("hired_on"), _day("separated_on")
    )
    return {row[0]: StaffPlace._make(row) for row in _rows(places, days=(4, 5))}


def _group_members(requirements: list[Requirement]) -> dict[int, set[int]]:
    group_ids = {g.pk for r in requirements for g in r.audience_groups.all()}
    members: dict[int, set[int]] = defaultdict(set)
    if group_ids:
        through = StaffMember.staff_groups.through
        for group_id, staff_id in through.objects.filter(staffgroup_id__in=group_ids).values_list(
            "staffgroup_id", "staffmember_id"
        ):
            members[group_id].add(staff_id)
    return members


def progress_report(
    *,
    scope: Scope = DISTRICT,
    filters: Filters | None = None,
    as_of: dt.date | None = None,
    people: bool = True,
) -> ProgressReport:
    """Progress of every requirement the filters select, counted inside the scope, as of a day
    (default today). A fixed number of queries whatever the number of staff, completions and
    requirements.

    people=False (see progress_totals) counts the same numbers without who is behind them: no
    entries, no staff, no enrollments loaded, only the completions that count."""
    filters = filters or Filters()
    as_of = as_of or timezone.localdate()
    requirements = list(requirements_of(filters))
    staff = _load_staff() if people else _load_places()
    history = _History(staff)
    members = _group_members(requirements)
    # The full report shows late completions (up to today); totals need only the on-time ones.
    until = {r.pk: as_of if people else min(r.due_on, as_of) for r in requirements}
    reached = {
        **_course_completions(requirements, until),
        **_clock_hours_completions(requirements, until),
    }
    enrolled = _enrolled(requirements) if people and requirements else {}

    progress: list[RequirementProgress] = []
    for requirement in requirements:
        progress.append(
            _requirement_progress(
                requirement,
                as_of=as_of,
                counted=_audience(
                    requirement,
                    history.placed_on(min(requirement.due_on, as_of)),
                    members=members,
                    scope=scope,
                    filters=filters,
                ),
                reached=reached.get(requirement.pk, {}),
                enrolled=enrolled.get(requirement.pk, set()) if people else None,
            )
        )

    goals: list[GoalProgress] = []
    by_goal: dict[int, list[RequirementProgress]] = defaultdict(list)
    for item in progress:
        by_goal[item.requirement.goal_id].append(item)
    for items in by_goal.values():
        tally = Tally()
        for item in items:
            tally.add(item.tally)
        status = min((item.status for item in items), key=STATUS_SEVERITY.index)
        goals.append(GoalProgress(items[0].requirement.goal, items, tally, status))

    by_strand: dict[int | None, Tally] = defaultdict(Tally)
    total = Tally()
    for item in progress:
        by_strand[item.strand_id].add(item.tally)
        total.add(item.tally)

    strands = {}
    for requirement in requirements:
        strand = (
            requirement.strand
            if requirement.kind == RequirementKind.CLOCK_HOURS
            else (requirement.course.strand if requirement.course else None)
        )
        if strand is not None:
            strands[strand.pk] = strand
    return ProgressReport(
        as_of=as_of,
        scope=scope,
        filters=filters,
        plan_year=filters.plan_year,
        requirements=progress,
        goals=goals,
        by_strand=dict(by_strand),
        staff=staff if people else {},
        buildings=Building.objects.in_bulk(),
        positions=Position.objects.in_bulk(),
        strands=strands,
        total=total,
        people=people,
    )


def progress_totals(
    *,
    scope: Scope = DISTRICT,
    filters: Filters | None = None,
    as_of: dt.date | None = None,
) -> ProgressReport:
    """The report's numbers alone (totals, goals, strands, by building, by position, trends),
    equal to progress_report's, for what shows no one by name (the JSON rates): the same rules,
    without a quarter of a million entries to build."""
    return progress_report(scope=scope, filters=filters, as_of=as_of, people=False)


Placed = tuple[int, int | None, int | None]  # (staff_id, building_id, position_id)


def _audience(
    requirement: Requirement,
    placed: list[Placed],
    *,
    members: dict[int, set[int]],
    scope: Scope,
    filters: Filters,
) -> list[Placed]:
    """The requirement's audience among the people placed on its count date: its positions,
    buildings and groups (if it names any), inside the scope and the filters."""
    # Each condition narrows the buildings (positions) a person may be counted in; None: any.
    buildings = _narrowed(
        {b.pk for b in requirement.audience_buildings.all()} or None,
        scope.building_ids,
        filters.building_ids or None,
    )
    positions = _narrowed(
        {p.pk for p in requirement.audience_positions.all()} or None,
        filters.position_ids or None,
    )
    groups = [g.pk for g in requirement.audience_groups.all()]
    counted = placed
    if groups:
        in_groups = set().union(*(members.get(g, set()) for g in groups))
        counted = [row for row in counted if row[0] in in_groups]
    if buildings is not None:
        counted = [row for row in counted if row[1] in buildings]
    if positions is not None:
        counted = [row for row in counted if row[2] in positions]
    return counted


def _narrowed(*allowed: Iterable[int] | None) -> set[int] | None:
    """The ids every one of the sets allows (None among them: no condition); None when there
    is no condition at all."""
    result: set[int] | None = None
    for ids in allowed:
        if ids is not None:
            result = set(ids) if result is None else result & set(ids)
    return result


def _requirement_progress(
    requirement: Requirement,
    *,
    as_of: dt.date,
    counted: list[Placed],
    reached: dict[int, dt.date],
    enrolled: set[int] | None,
) -> RequirementProgress:
    """One requirement's numbers from its audience and the day each person reached it; with
    `enrolled` (the full report), an entry per person too."""
    count_date = min(requirement.due_on, as_of)
    # Completed: reached by the count date (the due date, or today before it).
    done = [
        row for row in counted if (day := reached.get(row[0])) is not None and day <= count_date
    ]
    on_time_dates = sorted(reached[row[0]] for row in done)
    tally = Tally(len(counted), len(done))
    by_building = _tallies(counted, done, itemgetter(1))
    by_position = _tallies(counted, done, itemgetter(2))
    entries: list[Entry] = []
    if enrolled is not None:
        for staff_id, building_id, position_id in counted:
            day = reached.get(staff_id)
            if day is not None and day <= count_date:
                state = PersonState.COMPLETED
            elif day is not None and day <= as_of:
                state = PersonState.LATE
            elif staff_id in enrolled:
                state = PersonState.ENROLLED
            else:
                state = PersonState.MISSING
            entries.append(
                Entry(
                    staff_id,
                    building_id,
                    position_id,
                    state,
                    day if day is not None and day <= as_of else None,
                )
            )
    status, expected = _status(tally, requirement, as_of)
    start = requirement.goal.plan_year.starts_on
    trend = (
        [
            TrendPoint(month_end, bisect.bisect_right(on_time_dates, month_end), tally.audience)
            for month_end in _month_ends(start, count_date)
        ]
        if count_date >= start
        else []
    )
    return RequirementProgress(
        requirement=requirement,
        count_date=count_date,
        window_start=_window_start(requirement),
        tally=tally,
        expected_percent=expected,
        status=status,
        by_building=by_building,
        by_position=by_position,
        entries=entries,
        trend=trend,
    )


def _tallies(counted: list[Placed], done: list[Placed], key) -> dict[int | None, Tally]:
    """Audience and completed by building or position, in the order first met."""
    audience = Counter(map(key, counted))
    completed = Counter(map(key, done))
    return {value: Tally(number, completed[value]) for value, number in audience.items()}


def people_of(
    report: ProgressReport,
    *,
    requirement_ids: Iterable[int] | None = None,
    states: Iterable[PersonState] | None = None,
    building_id: int | None | type[Ellipsis] = ...,
    position_id: int | None | type[Ellipsis] = ...,
) -> list[tuple[RequirementProgress, Entry]]:
    """The people behind a number: entries of the chosen requirements, states, building and
    position (Ellipsis: any), by requirement then name."""
    if not report.people:
        raise ValueError("A totals-only report holds no people: use progress_report.")
    wanted_requirements = set(requirement_ids) if requirement_ids is not None else None
    wanted_states = set(states) if states is not None else None
    rows = []
    for item in report.requirements:
        if wanted_requirements is not None and item.requirement.pk not in wanted_requirements:
            continue
        chosen = [
            entry
            for entry in item.entries
            if (wanted_states is None or entry.state in wanted_states)
            and (building_id is ... or entry.building_id == building_id)
            and (position_id is ... or entry.position_id == position_id)
        ]
        chosen.sort(key=lambda e: report.staff[e.staff_id].sort_name)
        rows.extend((item, entry) for entry in chosen)
    return rows


def next_sessions(
    requirements: Iterable[Requirement], *, now: dt.datetime | None = None, limit: int = 3
) -> dict[int, list]:
    """For each requirement, the next sessions that would satisfy it (its course, or a course of
    its strand): published, not yet started, registration not closed, open to the requirement's
    audience; soonest first, with seats_left annotated. A fixed number of queries (requirements
    come from `requirements_of`, their audiences prefetched): the candidates are chosen from a
    few columns of each, and only the chosen sessions are loaded whole."""
    from catalog.choices import SessionStatus
    from catalog.models import Session
    from catalog.selectors import per_session_meetings, shape_sessions

    now = now or timezone.now()
    requirements = list(requirements)
    course_ids = {r.course_id for r in requirements if r.kind == RequirementKind.COURSE}
    strand_ids = {r.strand_id for r in requirements if r.kind == RequirementKind.CLOCK_HOURS}
    chosen: dict[int, list[int]] = {r.pk: [] for r in requirements}
    if not requirements:
        return {}
    candidates = (
        Session.objects.filter(status=SessionStatus.PUBLISHED)
        .filter(Q(course_id__in=course_ids) | Q(course__strand_id__in=strand_ids))
        .exclude(registration_closes_at__lte=now)
        .annotate(first_starts_at=per_session_meetings(Min("starts_at")))
        .filter(first_starts_at__gt=now)
        # As shape_sessions orders them.
        .order_by(F("first_starts_at").asc(nulls_last=True), "id")
        .values_list("pk", "course_id", "course__strand_id", "restricted_to_group_id")
    )
    groups = {r.pk: {g.pk for g in r.audience_groups.all()} for r in requirements}
    for pk, course_id, strand_id, group_id in candidates:
        for requirement in requirements:
            fits = (
                course_id == requirement.course_id
                if requirement.kind == RequirementKind.COURSE
                else strand_id == requirement.strand_id
            )
            # A session kept for one group is offered only where the requirement is that group's:
            # anyone else would be refused at enrollment.
            open_to_audience = group_id is None or group_id in groups[requirement.pk]
            if fits and open_to_audience and len(chosen[requirement.pk]) < limit:
                chosen[requirement.pk].append(pk)
    wanted = {pk for pks in chosen.values() for pk in pks}
    sessions = {
        session.pk: session for session in shape_sessions(Session.objects.filter(pk__in=wanted))
    }
    return {pk: [sessions[session_pk] for session_pk in pks] for pk, pks in chosen.items()}

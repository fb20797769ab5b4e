"""A synthetic district of any size, for benchmarks and load tests.

`generate_district` writes into an empty database a district that looks like a real one at the
scale asked for: positions, buildings (schools and the central office) with their principals,
staff, a few committees and a new-teacher cohort, a three-year plan with requirements, a catalog
of about forty courses (the demo's own and those a larger district adds, all from the one table
in `demo.content`), sessions with meetings spread around today, about twenty enrollments and
ten completions per person, and everyone's calendar feed token. `write_roster` writes the staff
roster HR would send for the same district, without a database.

Every choice comes from one `random.Random(seed)`, drawn in a fixed order, and every date from
the day it runs (the moment is noon that day, district time): the same arguments on the same day
give the same district. The staff come first from that stream, so the roster file and the
database agree person by person. What the models draw themselves to stay unguessable (meeting
calendar UIDs, completion verification codes, feed token keys) is random on every run.

Everything is written in one transaction, without signals or per-row queries: bulk_create for
most tables, and the hundreds of thousands of enrollments and completions as plain rows
(executemany; COPY on PostgreSQL), a slice of sessions at a time, so memory stays flat however
large the district. 25,000 staff take well under a minute on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import math
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from calendars.models import FeedToken, feed_key_digest, new_feed_key
from catalog.choices import CourseFormat, SessionStatus
from catalog.models import Meeting, Session, new_meeting_uid
from core.db import bulk
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import VERIFICATION_ALPHABET, Completion, Enrollment
from learning import changes
from learning.choices import BuildingKind, GroupKind, PositionCategory, RequirementKind, StaffStatus
from learning.models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffGroup,
    StaffMember,
)

from . import content
from .content import FIRST_NAMES, LAST_NAMES, NEW_TEACHER_COHORT, POSITIONS, PREFERRED_NAMES
from .seed import email_local_part, in_break, plan_years_around, write_catalog

PLAN_SLUG = "synthetic-plan"
PLAN_NAME = "Learning Together: Professional Learning Plan"
PLAN_DESCRIPTION = (
    "The district's three-year professional learning plan: culturally responsive teaching, "
    "restorative practices, social-emotional learning, character education, equity, literacy, "
    "mathematics and technology, for every teacher, leader and member of staff."
)
EMAIL_DOMAIN = "district.example"
VIRTUAL_URL = "https://meet.district.example/pl/{course}-{number}"
ROSTER_HEADER = (
    "Employee ID",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Email",
    "Building",
    "Position",
    "Status",
    "Hire Date",
    "Separation Date",
)

MSG_HAS_STAFF = (
    "Refusing to generate a district: this database already holds {count} staff members. "
    "Generate into an empty database (migrate a new one)."
)
MSG_TOO_FEW_STAFF = (
    "{buildings} buildings need at least {minimum} staff (each school its principal and a few "
    "staff, the central office its superintendent and director)."
)
MSG_TOO_FEW_BUILDINGS = "A district needs at least 2 buildings: the central office and a school."
MSG_NO_SESSIONS = "A district needs at least 1 session."

# Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table; Django caps
# it further on SQLite (999 parameters per statement).
BATCH_SIZE = 2000
# SQLite's page cache while the district is written: 128 MB (negative: KiB).
SQLITE_CACHE_KIB = -131072
# Rows per executemany of the large tables.
ROWS_PER_STATEMENT = 5000
# Enrollments and completions are built and written this many sessions at a time.
SESSIONS_PER_SLICE = 200

# Sessions fall on school days from this many days before today to this many after.
DAYS_BACK = 200
DAYS_AHEAD = 150
ENROLLMENTS_PER_PERSON = (16, 24)
# The chance that someone in a requirement's audience takes its course this year.
REQUIRED_COURSE_TAKEN = 0.7

CATEGORY_OF = {code: category for code, _, category in POSITIONS}
FACILITATING = ("instructional-coach", "pl-coordinator")

# Who works in a school besides its principals, and in the central office besides its
# superintendent and director: (position, weight). About 70% of the district teaches.
SCHOOL_STAFFING = (
    ("teacher", 52),
    ("special-education-teacher", 8),
    ("instructional-coach", 1.5),
    ("counselor", 3),
    ("social-worker", 1.5),
    ("school-psychologist", 1),
    ("paraprofessional", 16),
    ("secretary", 4),
)
OFFICE_STAFFING = (
    ("instructional-coach", 20),
    ("special-education-teacher", 15),
    ("school-psychologist", 8),
    ("social-worker", 5),
    ("pl-coordinator", 20),
    ("hr-specialist", 15),
    ("secretary", 17),
)
# The principals who lead each kind of building.
LEADERS = {
    BuildingKind.ELEMENTARY: ("principal",),
    BuildingKind.MIDDLE: ("principal", "assistant-principal"),
    BuildingKind.HIGH: ("principal", "assistant-principal"),
    BuildingKind.ADMINISTRATION: ("superintendent", "director-professional-learning"),
}
# Staff per building, relative to an elementary school; the central office holds about 4%.
SIZE = {BuildingKind.ELEMENTARY: 1.0, BuildingKind.MIDDLE: 1.7, BuildingKind.HIGH: 2.8}
OFFICE_SHARE = 0.04
OFFICE = ("central-office", "Central Office")

SCHOOL_NAMES = (
    "Adams", "Aspen", "Banneker", "Bethune", "Birch", "Brookside", "Carver", "Cedar", "Chavez",
    "Clearwater", "Douglass", "Earhart", "Edison", "Elm", "Fairview", "Franklin", "Garfield",
    "Glenwood", "Grant", "Hamilton", "Hawthorn", "Highland", "Hillcrest", "Hughes", "Jefferson",
    "Keller", "King", "Lakeside", "Lincoln", "Linden", "Madison", "Mann", "Maple", "Marshall",
    "Meadowbrook", "Mill Creek", "Monroe", "Northview", "Oak Park", "Parks", "Pine Ridge",
    "Prairie", "Riverside", "Roosevelt", "Sequoyah", "Southgate", "Stevenson", "Sunnyside",
    "Sycamore", "Tubman", "Truth", "Valley View", "Washington", "Westwood", "Whitman", "Willow",
    "Woodland", "Wright",
)  # fmt: skip
KIND_SUFFIX = {
    BuildingKind.ELEMENTARY: "Elementary",
    BuildingKind.MIDDLE: "Middle School",
    BuildingKind.HIGH: "High School",
}
STREETS = (
    "Oak Street", "Main Street", "Park Avenue", "Lincoln Road", "River Drive", "Hill Street",
    "Lake Avenue", "Church Street", "School Street", "Elm Avenue", "Highland Drive",
    "Washington Boulevard", "Mill Road", "Forest Avenue", "Spring Street", "Union Avenue",
)  # fmt: skip
CITY = "Springfield, MI 49000"
ROOMS = ("Library", "Media Center", "Room 104", "Room 210", "Auditorium", "Cafeteria",
         "Professional Learning Center", "Board Room", "Gymnasium", "Room 12")  # fmt: skip

# The demo's professional learning (not the task force's committee work, which earns no clock
# hours) and what a larger district offers besides: one table, in demo.content.
COURSES = (
    *(course for course in content.COURSES if Decimal(course.clock_hours)),
    *content.LARGER_DISTRICT_COURSES,
)
STRANDS = tuple(
    strand
    for strand in (*content.STRANDS, *content.LARGER_DISTRICT_STRANDS)
    if any(course.strand == strand.code for course in COURSES)
)
INDUCTION = "nti-101"

# How a course of so many clock hours meets: (meetings, slot). The meetings' hours add up to
# the course's clock hours; virtual single meetings of an hour and a half may be evenings.
MEETINGS = {
    "1.5": (1, content.AFTER_SCHOOL),
    "2": (1, content.AFTER_SCHOOL_LONG),
    "3": (2, content.AFTER_SCHOOL),
    "4": (2, content.AFTER_SCHOOL_LONG),
    "6": (1, content.PD_DAY),
    "8": (4, content.AFTER_SCHOOL_LONG),
    "12": (2, content.PD_DAY),
    "18": (3, content.PD_DAY),
}


@dataclass(frozen=True)
class GroupSpec:
    slug: str
    name: str
    kind: str
    description: str
    categories: tuple[str, ...]
    size: int


GROUPS = (
    GroupSpec(
        "steering-committee", "Professional Learning Steering Committee", GroupKind.COMMITTEE,
        "Leaders and central office staff who steer the plan and review its progress.",
        (PositionCategory.LEADER, PositionCategory.CENTRAL_OFFICE), 15,
    ),
    GroupSpec(
        "advisory-committee", "Teacher Advisory Committee", GroupKind.COMMITTEE,
        "Teachers and support staff from every level who advise on the catalog.",
        (PositionCategory.TEACHER, PositionCategory.SUPPORT), 30,
    ),
    GroupSpec(
        "equity-team", "District Equity Team", GroupKind.TEAM,
        "Staff from across the district who lead the equity work in their buildings.",
        (PositionCategory.TEACHER, PositionCategory.SUPPORT, PositionCategory.LEADER), 40,
    ),
    GroupSpec(
        NEW_TEACHER_COHORT, "New Teacher Cohort", GroupKind.COHORT,
        "Teachers in their first year in the district: the induction seminar and mentoring.",
        (PositionCategory.TEACHER,), 0,
    ),
)  # fmt: skip

TEACHERS = (PositionCategory.TEACHER,)
LEADERSHIP = (PositionCategory.LEADER, PositionCategory.CENTRAL_OFFICE)
SUPPORT = (PositionCategory.SUPPORT,)
EVERYONE: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementSpec:
    year: int  # 0, 1 or 2: the plan's previous, current and next school year
    goal: int
    due: tuple[int, int]  # month, day
    target_percent: int
    course: str = ""
    strand: str = ""
    clock_hours: str = ""
    categories: tuple[str, ...] = EVERYONE
    group: str = ""


GOALS = (
    (0, "Lay the foundations of culturally responsive, restorative schools"),
    (1, "Every classroom culturally responsive"),
    (1, "Relationships first: restorative practices and social-emotional learning"),
    (1, "Leaders and teams who lead for equity, and strong starts for new teachers"),
    (2, "From foundations to practice"),
)
REQUIREMENTS = (
    RequirementSpec(0, 0, (5, 31), 60, course="crt-101", categories=TEACHERS),
    RequirementSpec(0, 0, (6, 15), 50, course="rp-101"),
    RequirementSpec(0, 0, (6, 15), 50, strand="sel", clock_hours="3", categories=SUPPORT),
    RequirementSpec(1, 1, (1, 31), 80, course="crt-101", categories=TEACHERS),
    RequirementSpec(1, 1, (6, 15), 50, strand="crt", clock_hours="12", categories=TEACHERS),
    RequirementSpec(1, 1, (4, 30), 40, course="lit-101", categories=TEACHERS),
    RequirementSpec(1, 2, (12, 15), 75, course="rp-101"),
    RequirementSpec(1, 2, (3, 31), 70, course="sel-101"),
    RequirementSpec(1, 2, (5, 31), 60, strand="sel", clock_hours="6", categories=SUPPORT),
    RequirementSpec(1, 2, (6, 15), 60, course="tech-101"),
    RequirementSpec(1, 3, (10, 31), 90, course="crl-101", categories=LEADERSHIP),
    RequirementSpec(1, 3, (2, 28), 80, course="dei-201", group="equity-team"),
    RequirementSpec(1, 3, (11, 30), 100, course=INDUCTION, group=NEW_TEACHER_COHORT),
    RequirementSpec(2, 4, (5, 31), 50, course="crt-201", categories=TEACHERS),
    RequirementSpec(2, 4, (6, 15), 60, course="dei-210"),
)  # fmt: skip

OUTSIDE_EVIDENCE = {
    CompletionSource.IMPORT: "Imported from the previous professional learning system.",
    CompletionSource.MANUAL: "Certificate of completion from the regional education agency.",
}
DECLINED_REASON = "Not approved this year: please choose a session next term."


# -- the staff: the same for the database and the roster file --------------------------------


@dataclass(frozen=True, slots=True)
class BuildingPlan:
    code: str
    name: str
    kind: str
    address: str
    staff: int


@dataclass(slots=True)
class PersonPlan:
    employee_id: str
    first_name: str
    last_name: str
    preferred_name: str
    email: str
    building: str
    position: str
    category: str
    status: str
    hired_on: date
    separated_on: date | None
    leads: bool


@dataclass
class _Roster:
    rng: random.Random
    today: date
    buildings: list[BuildingPlan]
    people: list[PersonPlan]


def _school_kinds(schools: int) -> list[str]:
    """About 60% elementary, 20% middle and 20% high schools, each level there once from 3."""
    high = max(1 if schools >= 3 else 0, round(schools * 0.2))
    middle = max(1 if schools >= 2 else 0, round(schools * 0.2))
    elementary = schools - high - middle
    return (
        [BuildingKind.ELEMENTARY] * elementary
        + [BuildingKind.MIDDLE] * middle
        + [BuildingKind.HIGH] * high
    )


def _headcounts(kinds: list[str], staff: int) -> list[int]:
    """Staff per building: each its leaders and two more, the rest by size (largest remainder,
    so the total is exact and nothing depends on chance). The central office is the last."""
    minimums = [len(LEADERS[kind]) + 2 for kind in kinds] + [
        len(LEADERS[BuildingKind.ADMINISTRATION]) + 2
    ]
    if staff < sum(minimums):
        raise ValueError(MSG_TOO_FEW_STAFF.format(buildings=len(minimums), minimum=sum(minimums)))
    weights = [SIZE[kind] for kind in kinds]
    weights.append(sum(weights) * OFFICE_SHARE / (1 - OFFICE_SHARE))
    extra = staff - sum(minimums)
    shares = [extra * weight / sum(weights) for weight in weights]
    counts = [math.floor(share) for share in shares]
    by_remainder = sorted(
        range(len(shares)), key=lambda i: (counts[i] - shares[i], i)
    )  # largest remainder first
    for i in by_remainder[: extra - sum(counts)]:
        counts[i] += 1
    return [minimum + count for minimum, count in zip(minimums, counts, strict=True)]


def _plan_buildings(rng: random.Random, count: int, staff: int) -> list[BuildingPlan]:
    if count < 2:
        raise ValueError(MSG_TOO_FEW_BUILDINGS)
    kinds = _school_kinds(count - 1)
    headcounts = _headcounts(kinds, staff)
    names = list(SCHOOL_NAMES)
    rng.shuffle(names)
    used: Counter[str] = Counter()
    buildings = []
    for number, (kind, headcount) in enumerate(zip(kinds, headcounts, strict=False)):
        word = names[number % len(names)]
        name = f"{word} {KIND_SUFFIX[kind]}"
        used[name] += 1
        if used[name] > 1:
            name = f"{name} {used[name]}"
        address = f"{rng.randint(100, 9899)} {rng.choice(STREETS)}, {CITY}"
        buildings.append(BuildingPlan(slugify(name)[:40], name, kind, address, headcount))
    address = f"{rng.randint(100, 9899)} {rng.choice(STREETS)}, {CITY}"
    buildings.append(
        BuildingPlan(OFFICE[0], OFFICE[1], BuildingKind.ADMINISTRATION, address, headcounts[-1])
    )
    return buildings


def _hire_date(rng: random.Random, category: str, today: date) -> date:
    """Leaders have years of service; of everyone else about 6% are new this year, the rest
    were hired over the last 30 years, more of them recently (a August start)."""
    if category not in LEADERSHIP and rng.random() < 0.06:
        return today - timedelta(days=rng.randint(45, 330))
    low = 5 if category in LEADERSHIP else 1
    years = min(29, low + int(rng.expovariate(1 / 9)))
    return date(today.year - years, 8, rng.randint(10, 28))


def _plan_roster(*, staff: int, buildings: int, seed: int, today: date) -> _Roster:
    """Buildings and people, drawn first from the seeded stream (the rest of the district
    continues from the returned stream)."""
    rng = random.Random(seed)
    building_plans = _plan_buildings(rng, buildings, staff)
    school_codes = [code for code, _ in SCHOOL_STAFFING]
    school_weights = [weight for _, weight in SCHOOL_STAFFING]
    office_codes = [code for code, _ in OFFICE_STAFFING]
    office_weights = [weight for _, weight in OFFICE_STAFFING]
    people: list[PersonPlan] = []
    for building in building_plans:
        leaders = LEADERS[building.kind]
        others = building.staff - len(leaders)
        if building.kind == BuildingKind.ADMINISTRATION:
            drawn = rng.choices(office_codes, office_weights, k=others)
        else:
            drawn = rng.choices(school_codes, school_weights, k=others)
        for number, position in enumerate([*leaders, *drawn]):
            leads = number < len(leaders)
            category = CATEGORY_OF[position]
            first_name = rng.choice(FIRST_NAMES)
            last_name = rng.choice(LAST_NAMES)
            nickname = rng.random() < 0.4
            preferred = PREFERRED_NAMES.get(first_name, "") if nickname else ""
            hired_on = _hire_date(rng, category, today)
            status, separated_on = StaffStatus.ACTIVE, None
            chance = rng.random()
            if not leads and chance < 0.02:
                status = StaffStatus.ON_LEAVE
            elif not leads and chance < 0.05 and (today - hired_on).days > 60:
                status = StaffStatus.SEPARATED
                separated_on = today - timedelta(
                    days=rng.randint(1, min(700, (today - hired_on).days - 30))
                )
            people.append(
                PersonPlan(
                    employee_id="",
                    first_name=first_name,
                    last_name=last_name,
                    preferred_name=preferred,
                    email="",
                    building=building.code,
                    position=position,
                    category=category,
                    status=str(status),
                    hired_on=hired_on,
                    separated_on=separated_on,
                    leads=leads,
                )
            )
    width = max(7, len(str(len(people) * 10)))
    employee_ids = rng.sample(range(1, 10**width), len(people))
    taken: Counter[str] = Counter()
    local_parts: dict[tuple[str, str], str] = {}
    for person, employee_id in zip(people, employee_ids, strict=True):
        person.employee_id = f"{employee_id:0{width}d}"
        names = (person.first_name, person.last_name)
        local = local_parts.get(names)
        if local is None:
            local = local_parts[names] = email_local_part(*names)
        taken[local] += 1
        suffix = str(taken[local]) if taken[local] > 1 else ""
        person.email = f"{local}{suffix}@{EMAIL_DOMAIN}"
    return _Roster(rng, today, building_plans, people)


def roster_rows(*, staff: int, buildings: int, seed: int, today: date | None = None) -> Iterator:
    """The roster's rows (after ROSTER_HEADER): exactly the staff generate_district writes."""
    roster = _plan_roster(
        staff=staff, buildings=buildings, seed=seed, today=today or timezone.localdate()
    )
    labels = dict(StaffStatus.choices)
    for person in roster.people:
        yield (
            person.employee_id,
            person.first_name,
            person.last_name,
            person.preferred_name,
            person.email,
            person.building,
            person.position,
            labels[person.status],
            person.hired_on,
            person.separated_on,
        )


def write_roster(path: Path, *, staff: int, buildings: int, seed: int) -> int:
    """Write the roster HR would send for the district generate_district builds with the same
    arguments today (.xlsx, in openpyxl's write-only mode, or .csv); the number of rows."""
    path = Path(path)
    rows = roster_rows(staff=staff, buildings=buildings, seed=seed)
    count = 0
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(ROSTER_HEADER)
            for row in rows:
                writer.writerow(
                    [value.isoformat() if isinstance(value, date) else value for value in row]
                )
                count += 1
        return count
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"Write the roster as .xlsx or .csv, not {path.suffix or 'no suffix'}.")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    sheet.append(ROSTER_HEADER)
    for row in rows:
        # The id stays text: as a number Excel would drop its leading zeros.
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


# -- the rest of the district -----------------------------------------------------------------


@dataclass(slots=True)
class _SessionPlan:
    number: int
    course: int
    meetings: list[tuple[datetime, datetime]]
    first_day: date
    last_day: date
    phase: str  # "past", "running" or "upcoming"
    approval: bool
    full: bool
    facilitators: tuple[int, ...]
    takers: list[tuple[int, str]] = field(default_factory=list)

    @property
    def first_start(self) -> datetime:
        return self.meetings[0][0]

    @property
    def last_end(self) -> datetime:
        return self.meetings[-1][1]


PAST, RUNNING, UPCOMING = "past", "running", "upcoming"
SEAT_HOLDING = {
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.INCOMPLETE,
}


def district_now(today: date | None = None) -> datetime:
    """The moment a district generated today is placed around: noon, district time."""
    today = today or timezone.localdate()
    return datetime.combine(today, time(12, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def generate_district(
    *,
    staff: int,
    buildings: int,
    sessions: int,
    seed: int,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write a whole synthetic district into this (empty) database, placed around `now`
    (default: noon today); the counts written. ValueError when the database holds staff."""
    if sessions < 1:
        raise ValueError(MSG_NO_SESSIONS)
    count = StaffMember.objects.count()
    if count:
        raise ValueError(MSG_HAS_STAFF.format(count=count))
    zone = ZoneInfo(settings.TIME_ZONE)
    now = now or district_now()
    today = timezone.localdate(now, zone)
    roster = _plan_roster(staff=staff, buildings=buildings, seed=seed, today=today)
    builder = _DistrictBuilder(roster, now=now, zone=zone, sessions=sessions, progress=progress)
    with _bulk_load_cache(), transaction.atomic():
        builder.build()
        changes.record()
    return builder.counts


@contextmanager
def _bulk_load_cache() -> Iterator[None]:
    """On SQLite, a page cache large enough for the indexes of the large tables while they
    fill (the default 2 MB makes every insert a cache miss: about a third slower); restored
    after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _foreign_keys_checked_once(*models) -> Iterator[None]:
    """On PostgreSQL, the tables' foreign keys are dropped while they fill and added back as
    they were (same names and definitions) at the end of the block: PostgreSQL then checks
    each key with one query over the whole table, instead of one query per row and key at
    commit (about 15 s for 25,000 staff; its manual's advice in "Populating a Database").
    Inside the transaction: if anything fails, the rollback restores them too."""
    if connection.vendor != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "The foreign keys must come back in the same transaction."
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), "
            "confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        keys = cursor.fetchall()
        referenced = sorted({row[3] for row in keys} | set(tables))
        _check_pending_keys(cursor, referenced)
        for table in tables:
            drops = ", ".join(
                f"DROP CONSTRAINT {quote(name)}" for t, name, _, _ in keys if t == table
            )
            if drops:
                cursor.execute(f"ALTER TABLE {quote(table)} {drops}")
    yield
    with connection.cursor() as cursor:
        _check_pending_keys(cursor, referenced)
        for table in tables:
            adds = ", ".join(
                f"ADD CONSTRAINT {quote(name)} {definition}"
                for t, name, definition, _ in keys
                if t == table
            )
            if adds:
                cursor.execute(f"ALTER TABLE {quote(table)} {adds}")


def _check_pending_keys(cursor, tables: list[str]) -> None:
    """Check now the deferred foreign keys of these tables on the rows written so far:
    PostgreSQL alters no table with checks pending on it (or on a table its keys point at).
    The keys are deferred again afterwards, as they were."""
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable "
        "AND condeferred AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    names = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
    if names:
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")


class _DistrictBuilder:
    """Writes the district in a fixed order; every random choice comes from the roster's
    stream, continued."""

    def __init__(self, roster: _Roster, *, now, zone, sessions: int, progress) -> None:
        self.roster = roster
        self.rng = roster.rng
        self.now = now
        self.zone = zone
        self.today = roster.today
        self.session_count = sessions
        self.report = progress or (lambda message: None)
        self.counts: dict[str, int] = {}
        self.started = timezone.now()

    def _done(self, message: str) -> None:
        seconds = (timezone.now() - self.started).total_seconds()
        self.report(f"{message} ({seconds:.1f} s)")

    def build(self) -> None:
        self._write_people()
        self._done(
            f"{len(self.roster.buildings)} buildings, {self.counts['staff']:,} staff, "
            f"{self.counts['staff groups']} groups"
        )
        self._write_catalog()
        self._write_plan()
        self._done(f"{len(self.courses)} courses, {self.counts['requirements']} requirements")
        self._plan_sessions()
        self._write_sessions()
        self._done(f"{self.counts['sessions']:,} sessions, {self.counts['meetings']:,} meetings")
        self._choose_courses()
        with _foreign_keys_checked_once(Enrollment, Completion):
            self._write_enrollments()
        self._done(
            f"{self.counts['enrollments']:,} enrollments, "
            f"{self.counts['completions']:,} completions"
        )
        self._write_feed_tokens()
        self._done(f"{self.counts['feed tokens']:,} calendar feed tokens")

    # -- people ------------------------------------------------------------------------------

    def _write_people(self) -> None:
        existing = {p.code: p for p in Position.objects.filter(code__in=CATEGORY_OF)}
        new_positions = [
            Position(code=code, name=name, category=category)
            for code, name, category in POSITIONS
            if code not in existing
        ]
        Position.objects.bulk_create(new_positions)
        positions = {**existing, **{p.code: p for p in new_positions}}
        plans = self.roster.buildings
        existing_buildings = {
            b.code: b for b in Building.objects.filter(code__in=[b.code for b in plans])
        }
        new_buildings = [
            Building(code=b.code, name=b.name, kind=b.kind, address=b.address)
            for b in plans
            if b.code not in existing_buildings
        ]
        Building.objects.bulk_create(new_buildings)
        self.buildings = {**existing_buildings, **{b.code: b for b in new_buildings}}
        self.schools = [self.buildings[b.code] for b in plans]
        self.members = [
            StaffMember(
                employee_id=p.employee_id,
                first_name=p.first_name,
                last_name=p.last_name,
                preferred_name=p.preferred_name,
                email=p.email,
                building=self.buildings[p.building],
                position=positions[p.position],
                status=p.status,
                hired_on=p.hired_on,
                separated_on=p.separated_on,
            )
            for p in self.roster.people
        ]
        StaffMember.objects.bulk_create(self.members, batch_size=BATCH_SIZE)
        Leads = StaffMember.leads_buildings.through
        Leads.objects.bulk_create(
            (
                Leads(staffmember=member, building=member.building)
                for member, p in zip(self.members, self.roster.people, strict=True)
                if p.leads
            ),
            batch_size=BATCH_SIZE,
        )
        self.positions = positions
        self.counts.update(
            positions=len(positions), buildings=len(self.buildings), staff=len(self.members)
        )
        self._write_groups()

    def _write_groups(self) -> None:
        people = self.roster.people
        active = [i for i, p in enumerate(people) if p.status == StaffStatus.ACTIVE and not p.leads]
        year_ago = self.today - timedelta(days=365)
        self.groups: dict[str, StaffGroup] = {}
        self.group_members: dict[str, set[int]] = {}
        for spec in GROUPS:
            if spec.slug == NEW_TEACHER_COHORT:
                members = [
                    i
                    for i in active
                    if people[i].category == PositionCategory.TEACHER
                    and people[i].hired_on > year_ago
                ]
            else:
                candidates = [i for i in active if people[i].category in spec.categories]
                members = sorted(self.rng.sample(candidates, min(spec.size, len(candidates))))
            self.groups[spec.slug] = StaffGroup(
                slug=spec.slug, name=spec.name, kind=spec.kind, description=spec.description
            )
            self.group_members[spec.slug] = set(members)
        StaffGroup.objects.bulk_create(self.groups.values())
        Members = StaffGroup.members.through
        rows = [
            Members(staffgroup=self.groups[slug], staffmember=self.members[i])
            for slug, members in self.group_members.items()
            for i in sorted(members)
        ]
        Members.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts.update({"staff groups": len(self.groups), "group members": len(rows)})

    # -- catalog and plan --------------------------------------------------------------------

    def _write_catalog(self) -> None:
        strands, courses = write_catalog(STRANDS, COURSES)
        self.strands = strands
        self.courses = list(courses.values())
        self.course_index = {spec.code: i for i, spec in enumerate(COURSES)}
        self.counts.update(strands=len(strands), courses=len(self.courses))

    def _write_plan(self) -> None:
        years = plan_years_around(self.today)
        plan = Plan.objects.create(
            slug=PLAN_SLUG,
            name=PLAN_NAME,
            description=PLAN_DESCRIPTION,
            starts_on=years[0][1],
            ends_on=years[-1][2],
        )
        plan_years = PlanYear.objects.bulk_create(
            PlanYear(plan=plan, name=name, starts_on=starts_on, ends_on=ends_on)
            for name, starts_on, ends_on in years
        )
        order: Counter[int] = Counter()
        goals = []
        for year, title in GOALS:
            order[year] += 1
            goals.append(Goal(plan_year=plan_years[year], title=title, order=order[year]))
        Goal.objects.bulk_create(goals)
        requirements = []
        for spec in REQUIREMENTS:
            month, day = spec.due
            starts_on = years[spec.year][1]
            due_on = date(starts_on.year if month >= 7 else starts_on.year + 1, month, day)
            requirements.append(
                Requirement(
                    goal=goals[spec.goal],
                    kind=RequirementKind.COURSE if spec.course else RequirementKind.CLOCK_HOURS,
                    course=self.courses[self.course_index[spec.course]] if spec.course else None,
                    strand=self.strands[spec.strand] if spec.strand else None,
                    clock_hours=Decimal(spec.clock_hours) if spec.clock_hours else None,
                    target_percent=spec.target_percent,
                    due_on=due_on,
                )
            )
        Requirement.objects.bulk_create(requirements)
        ByPosition = Requirement.audience_positions.through
        ByPosition.objects.bulk_create(
            ByPosition(requirement=requirement, position=position)
            for requirement, spec in zip(requirements, REQUIREMENTS, strict=True)
            for position in self.positions.values()
            if position.category in spec.categories
        )
        ByGroup = Requirement.audience_groups.through
        ByGroup.objects.bulk_create(
            ByGroup(requirement=requirement, staffgroup=self.groups[spec.group])
            for requirement, spec in zip(requirements, REQUIREMENTS, strict=True)
            if spec.group
        )
        self.counts.update({"plan years": len(plan_years), "requirements": len(requirements)})
        # Who is asked for which course this year: they take it more often than others.
        current = [spec for spec in REQUIREMENTS if spec.year == 1 and spec.course]
        self.required_by_category = {
            category: [
                self.course_index[spec.course]
                for spec in current
                if not spec.group and (not spec.categories or category in spec.categories)
            ]
            for category in PositionCategory.values
        }
        self.required_by_group = {
            spec.group: self.course_index[spec.course] for spec in current if spec.group
        }

    # -- sessions ----------------------------------------------------------------------------

    def _school_days(self) -> list[date]:
        """Tuesdays to Thursdays outside the breaks, around today (today itself left out, so
        nothing is half over at the moment the district is placed around)."""
        days = []
        for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
            day = self.today + timedelta(days=offset)
            if offset and day.weekday() in (1, 2, 3) and not in_break(day):
                days.append(day)
        return days

    def _series(self, first: date, count: int) -> list[date]:
        """Weekly from the first day, each meeting moved on to the next school day."""
        days = [first]
        while len(days) < count:
            day = days[-1] + timedelta(days=7)
            while day.weekday() not in (1, 2, 3) or in_break(day) or day == self.today:
                day += timedelta(days=1)
            days.append(day)
        return days

    def _plan_sessions(self) -> None:
        rng = self.rng
        days = self._school_days()
        people = self.roster.people
        # Coaches and coordinators who were here before the first session; else the leaders.
        settled = self.today - timedelta(days=DAYS_BACK + 30)
        facilitator_pool = [
            i
            for i, p in enumerate(people)
            if p.position in FACILITATING
            and p.status == StaffStatus.ACTIVE
            and p.hired_on < settled
        ] or [i for i, p in enumerate(people) if p.leads]
        # Every course once (the required ones first), then more sessions of required courses.
        required = {self.course_index[spec.course] for spec in REQUIREMENTS if spec.course}
        order = sorted(range(len(COURSES)), key=lambda i: (i not in required, i))
        weights = [3 if i in required else 1 for i in range(len(COURSES))]
        courses = order[: self.session_count]
        courses += rng.choices(range(len(COURSES)), weights, k=self.session_count - len(courses))
        plans = []
        for number, course in enumerate(courses, start=1):
            spec = COURSES[course]
            count, slot = MEETINGS[spec.clock_hours]
            if spec.format == CourseFormat.VIRTUAL and count == 1 and slot.hours == Decimal("1.5"):
                slot = content.VIRTUAL_EVENING if rng.random() < 0.5 else slot
            starts, ends = slot.starts, slot.ends
            meeting_days = self._series(rng.choice(days), count)
            meetings = [
                (
                    datetime.combine(day, starts, tzinfo=self.zone),
                    datetime.combine(day, ends, tzinfo=self.zone),
                )
                for day in meeting_days
            ]
            if meetings[-1][1] < self.now:
                phase = PAST
            elif meetings[0][0] < self.now:
                phase = RUNNING
            else:
                phase = UPCOMING
            approval = spec.requires_approval
            full = phase == UPCOMING and not approval and rng.random() < 0.15
            facilitators = tuple(
                sorted(
                    rng.sample(facilitator_pool, min(len(facilitator_pool), rng.choice((1, 1, 2))))
                )
            )
            plans.append(
                _SessionPlan(
                    number=number,
                    course=course,
                    meetings=meetings,
                    first_day=meeting_days[0],
                    last_day=meeting_days[-1],
                    phase=phase,
                    approval=approval,
                    full=full,
                    facilitators=facilitators,
                )
            )
        self.session_plans = plans
        self.sessions_of_course: list[list[_SessionPlan]] = [[] for _ in COURSES]
        for plan in plans:
            self.sessions_of_course[plan.course].append(plan)

    def _write_sessions(self) -> None:
        """Sessions are written now and their capacity set once their enrollments are known."""
        rng = self.rng
        schools = self.schools
        self.sessions: list[Session] = []
        for plan in self.session_plans:
            spec = COURSES[plan.course]
            virtual = spec.format == CourseFormat.VIRTUAL
            first_start = plan.first_start
            opens_day = min(
                first_start.date() - timedelta(days=60), self.today - timedelta(days=45)
            )
            self.sessions.append(
                Session(
                    course=self.courses[plan.course],
                    building=None if virtual else rng.choice(schools),
                    room="" if virtual else rng.choice(ROOMS),
                    virtual_url=(
                        VIRTUAL_URL.format(course=spec.code, number=plan.number)
                        if spec.format in (CourseFormat.VIRTUAL, CourseFormat.HYBRID)
                        else ""
                    ),
                    capacity=1,
                    registration_opens_at=datetime.combine(opens_day, time(7, 0), tzinfo=self.zone),
                    registration_closes_at=first_start - timedelta(days=1),
                    status=SessionStatus.PUBLISHED,
                    restricted_to_group=(
                        self.groups[NEW_TEACHER_COHORT] if spec.code == INDUCTION else None
                    ),
                    requires_approval=plan.approval,
                )
            )
        Session.objects.bulk_create(self.sessions, batch_size=BATCH_SIZE)
        meetings = [
            Meeting(session=session, uid=new_meeting_uid(), starts_at=starts, ends_at=ends)
            for plan, session in zip(self.session_plans, self.sessions, strict=True)
            for starts, ends in plan.meetings
        ]
        Meeting.objects.bulk_create(meetings, batch_size=BATCH_SIZE)
        Facilitators = Session.facilitators.through
        facilitators = [
            Facilitators(session=session, staffmember=self.members[i])
            for plan, session in zip(self.session_plans, self.sessions, strict=True)
            for i in plan.facilitators
        ]
        Facilitators.objects.bulk_create(facilitators, batch_size=BATCH_SIZE)
        self.counts.update(
            sessions=len(self.sessions), meetings=len(meetings), facilitators=len(facilitators)
        )

    # -- who takes what ----------------------------------------------------------------------

    def _choose_courses(self) -> None:
        """Each person picks about twenty courses (those their requirements ask for more
        often), one session of each they may attend, and a status that fits its dates; a few
        courses of earlier years were completed outside the catalog's sessions."""
        rng = self.rng
        people = self.roster.people
        cohort = self.group_members[NEW_TEACHER_COHORT]
        induction = self.course_index[INDUCTION]
        general = [i for i in range(len(COURSES)) if i != induction]
        # Only courses with sessions can be taken (a small district offers fewer courses).
        offered = [i for i in general if self.sessions_of_course[i]]
        induction_offered = bool(self.sessions_of_course[induction])
        outside_before = self.today - timedelta(days=DAYS_BACK)
        self.outside: list[tuple[int, int, date, str]] = []
        for index, person in enumerate(people):
            wanted = rng.randint(*ENROLLMENTS_PER_PERSON)
            chosen: list[int] = []
            required = list(self.required_by_category[person.category])
            for group, course in self.required_by_group.items():
                if index in self.group_members[group]:
                    required.append(course)
            for course in required:
                if rng.random() < REQUIRED_COURSE_TAKEN and course not in chosen:
                    chosen.append(course)
            chosen = [course for course in chosen if self.sessions_of_course[course]]
            pool = [i for i in offered if i not in chosen]
            chosen += rng.sample(pool, max(0, min(wanted - len(chosen), len(pool))))
            if index in cohort and induction_offered and induction not in chosen:
                chosen.append(induction)
            for course in chosen:
                self._take(index, person, course)
            # Earlier learning, recorded from outside the catalog's sessions.
            outside = rng.choices((0, 1, 2), (3, 4, 3))[0]
            latest = min(outside_before, person.separated_on or outside_before)
            earliest = max(person.hired_on, self.today - timedelta(days=3 * 365))
            if latest <= earliest:
                continue
            others = [i for i in general if i not in chosen]
            for course in rng.sample(others, min(outside, len(others))):
                on = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
                source = CompletionSource.IMPORT if rng.random() < 0.7 else CompletionSource.MANUAL
                self.outside.append((index, course, on, source))

    def _take(self, index: int, person: PersonPlan, course: int) -> None:
        rng = self.rng
        sessions = self.sessions_of_course[course]
        for _ in range(4):
            plan = rng.choice(sessions)
            if self._may_attend(index, person, plan):
                break
        else:
            return
        r = rng.random()
        if plan.phase == PAST:
            if r < 0.82:
                status = EnrollmentStatus.COMPLETED
            elif r < 0.91:
                status = EnrollmentStatus.INCOMPLETE
            elif r < 0.98 or not plan.approval:
                status = EnrollmentStatus.WITHDRAWN
            else:
                status = EnrollmentStatus.DECLINED
        elif plan.phase == RUNNING:
            status = EnrollmentStatus.ENROLLED if r < 0.97 else EnrollmentStatus.WITHDRAWN
        elif plan.approval:
            if r < 0.25:
                status = EnrollmentStatus.PENDING_APPROVAL
            elif r < 0.29:
                status = EnrollmentStatus.WITHDRAWN
            else:
                status = EnrollmentStatus.ENROLLED
        elif r < 0.05:
            status = EnrollmentStatus.WITHDRAWN
        elif plan.full and r < 0.17:
            status = EnrollmentStatus.WAITLISTED
        else:
            status = EnrollmentStatus.ENROLLED
        plan.takers.append((index, status))

    @staticmethod
    def _may_attend(index: int, person: PersonPlan, plan: _SessionPlan) -> bool:
        """Hired a week before it starts; still here when it ends; on leave or gone: only what
        is over; never in a session they facilitate."""
        if person.hired_on > plan.first_day - timedelta(days=7) or index in plan.facilitators:
            return False
        if person.status == StaffStatus.ACTIVE:
            return True
        if plan.phase != PAST:
            return False
        return person.separated_on is None or plan.last_day < person.separated_on

    def _write_enrollments(self) -> None:
        """Enrollments, then the completions of the completed ones, a slice of sessions at a
        time; then the completions from outside the sessions."""
        codes = _verification_codes()
        stamp = {"created_at": self.started, "updated_at": self.started}
        enrollments = completions = 0
        plans = self.session_plans
        for start in range(0, len(plans), SESSIONS_PER_SLICE):
            chunk = plans[start : start + SESSIONS_PER_SLICE]
            rows = [row for plan in chunk for row in self._enrollments(plan)]
            enrollments += _insert_rows(Enrollment, ENROLLMENT_FIELDS, rows, constants=stamp)
            Session.objects.bulk_update(
                self.sessions[start : start + SESSIONS_PER_SLICE], ["capacity"], batch_size=500
            )
            plan_of = {self.sessions[plan.number - 1].pk: plan for plan in chunk}
            completed = Enrollment.objects.filter(
                session__in=list(plan_of), status=EnrollmentStatus.COMPLETED
            ).values_list("pk", "staff_id", "session_id")
            rows = []
            for pk, staff_id, session_id in completed.order_by("pk"):
                plan = plan_of[session_id]
                course = self.courses[plan.course]
                rows.append(
                    (staff_id, course.pk, pk, plan.last_day, course.clock_hours, next(codes))
                )
            completions += _insert_rows(
                Completion,
                SESSION_COMPLETION_FIELDS,
                rows,
                constants={**stamp, "source": CompletionSource.SESSION, "evidence": ""},
            )
        rows = []
        for index, course_index, on, source in self.outside:
            course = self.courses[course_index]
            rows.append(
                (
                    self.members[index].pk,
                    course.pk,
                    on,
                    course.clock_hours,
                    source,
                    OUTSIDE_EVIDENCE[source],
                    next(codes),
                )
            )
        completions += _insert_rows(Completion, OUTSIDE_COMPLETION_FIELDS, rows, constants=stamp)
        self.counts.update(enrollments=enrollments, completions=completions)

    def _enrollments(self, plan: _SessionPlan) -> list[tuple]:
        """The session's enrollments (ENROLLMENT_FIELDS) with times that fit together:
        requests within the registration window, seats before the waitlist, pending requests
        recent enough to hold their seat; and the session's capacity (full when anyone
        waits)."""
        rng = self.rng
        session = self.sessions[plan.number - 1]
        opens = session.registration_opens_at
        latest = min(session.registration_closes_at, self.now - timedelta(hours=1))
        span = (latest - opens).total_seconds()
        takers = plan.takers
        held = sum(1 for _, status in takers if status in SEAT_HOLDING)
        if held == 0:
            # Nobody holds a seat: nobody waits for one either.
            takers = [
                (i, EnrollmentStatus.ENROLLED if s == EnrollmentStatus.WAITLISTED else s)
                for i, s in takers
            ]
            held = sum(1 for _, status in takers if status in SEAT_HOLDING)
        waiting = sum(1 for _, status in takers if status == EnrollmentStatus.WAITLISTED)
        if waiting:
            session.capacity = held
        else:
            spare = max(2, round(held * rng.uniform(0.05, 0.3)))
            session.capacity = max(5, math.ceil((held + spare) / 5) * 5)
        times = sorted(opens + timedelta(seconds=span * rng.random()) for _ in takers)
        seat_times = times[: len(times) - waiting]
        wait_times = iter(times[len(seat_times) :])
        rng.shuffle(seat_times)
        seat_times = iter(seat_times)
        hold = timedelta(days=settings.APPROVAL_HOLD_DAYS)
        ended = min(plan.last_end + timedelta(hours=18), self.now)
        started = min(plan.first_start, self.now)
        rows = []
        for index, status in takers:
            source = EnrollmentSource.SELF
            approved_at = hold_expires_at = None
            reason = ""
            if status == EnrollmentStatus.WAITLISTED:
                requested = changed = next(wait_times)
            else:
                requested = changed = next(seat_times)
            if status == EnrollmentStatus.PENDING_APPROVAL:
                requested = changed = min(self.now - hold * rng.uniform(0.05, 0.7), latest)
                hold_expires_at = requested + hold
            elif status == EnrollmentStatus.WITHDRAWN:
                changed = requested + (started - requested) * rng.random()
            elif status == EnrollmentStatus.DECLINED:
                changed = min(requested + timedelta(days=rng.uniform(0.2, 3)), started)
                reason = DECLINED_REASON
            elif status != EnrollmentStatus.WAITLISTED:
                if plan.approval:
                    approved_at = min(requested + timedelta(days=rng.uniform(0.1, 3)), started)
                    changed = approved_at
                elif rng.random() < 0.06:
                    source = EnrollmentSource.ASSIGNED
                    approved_at = requested
                if status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.INCOMPLETE):
                    changed = ended
            rows.append(
                (
                    self.members[index].pk,
                    session.pk,
                    status,
                    source,
                    requested,
                    changed,
                    hold_expires_at,
                    reason,
                    approved_at,
                )
            )
        return rows

    def _write_feed_tokens(self) -> None:
        keys = [new_feed_key() for _member in self.members]
        tokens = [
            FeedToken(staff=member, key=key, key_digest=feed_key_digest(key))
            for member, key in zip(self.members, keys, strict=True)
        ]
        FeedToken.objects.bulk_create(tokens, batch_size=BATCH_SIZE)
        self.counts["feed tokens"] = len(tokens)


def _verification_codes() -> Iterator[str]:
    """Completion verification codes as the model draws them (12 characters of its alphabet,
    from the system's secure source) but many at a time, never the same twice."""
    alphabet = VERIFICATION_ALPHABET
    # Bytes below the largest multiple of the alphabet's size map onto it evenly.
    usable = 256 - 256 % len(alphabet)
    table = bytes(ord(alphabet[b % len(alphabet)]) if b < usable else 0 for b in range(256))
    seen: set[str] = set()
    while True:
        chunk = secrets.token_bytes(12 * 4096).translate(table).replace(b"\0", b"").decode()
        for start in range(0, len(chunk) - 11, 12):
            code = chunk[start : start + 12]
            if code not in seen:
                seen.add(code)
                yield code


# Columns of the two large tables, written as plain rows (see _insert_rows).
ENROLLMENT_FIELDS = (
    "staff",
    "session",
    "status",
    "source",
    "requested_at",
    "status_changed_at",
    "hold_expires_at",
    "decision_reason",
    "approved_at",
)
SESSION_COMPLETION_FIELDS = (
    "staff",
    "course",
    "enrollment",
    "completed_on",
    "clock_hours",
    "verification_code",
)
OUTSIDE_COMPLETION_FIELDS = (
    "staff",
    "course",
    "completed_on",
    "clock_hours",
    "source",
    "evidence",
    "verification_code",
)


def _insert_rows(model, fields: tuple[str, ...], rows: list[tuple], *, constants: dict) -> int:
    """Insert rows of plain values (`fields` in order, then `constants`, the same in every
    row): executemany, or COPY on PostgreSQL. bulk_create prepares every value of every model
    instance one by one: for the hundreds of thousands of enrollments and completions that is
    most of a minute, where this takes seconds. Values go through the backend's adapters as
    the ORM's would; nullable columns left out are NULL, others take their model default."""
    ops = connection.ops
    meta = model._meta
    constants = dict(constants)
    for column in meta.concrete_fields:
        name = column.name
        if column.primary_key or column.null or name in fields or name in constants:
            continue
        # Its default, as the ORM would store it; one drawn per row must be given here.
        if column.has_default() and callable(column.default):
            raise ValueError(f"{meta.label}.{name} needs a value in every row.")
        constants[name] = column.get_default()
    names = (*fields, *constants)
    columns = [meta.get_field(name) for name in names]
    adapters = []
    for column in columns[: len(fields)]:
        if isinstance(column, models.DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(column, models.DateField):
            adapters.append(ops.adapt_datefield_value)
        elif isinstance(column, models.DecimalField):
            adapters.append(partial(column.get_db_prep_save, connection=connection))
        else:
            adapters.append(None)
    fixed = tuple(
        column.get_db_prep_save(value, connection)
        for column, value in zip(columns[len(fields) :], constants.values(), strict=True)
    )
    table = ops.quote_name(meta.db_table)
    quoted = [ops.quote_name(column.column) for column in columns]
    sql = f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({', '.join(['%s'] * len(columns))})"
    adapted = [i for i, adapter in enumerate(adapters) if adapter is not None]

    def prepared(batch: list[tuple]) -> Iterator[list]:
        for row in batch:
            values = list(row)
            for i in adapted:
                if values[i] is not None:
                    values[i] = adapters[i](values[i])
            yield values

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: executemany sends one statement per row, about five times slower.
            return bulk.copy_rows(cursor, table, quoted, prepared(rows), constants=fixed)
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            cursor.executemany(
                sql,
                [
                    (*values, *fixed)
                    for values in prepared(rows[start : start + ROWS_PER_STATEMENT])
                ],
            )
    return len(rows)

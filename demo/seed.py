"""Builds the demo district for `seed_demo`; what it holds is in `demo.content`.

The demo is placed around the day it is built: the plan's middle year is the school year
containing today, and most sessions sit in the weeks before and after today, so every page has
history and upcoming sessions. A series never meets in a break: it moves as a whole, so its
meetings keep their rhythm and their school year. Every choice comes from one seeded
`random.Random`, so two builds at the same moment write the same district (all but the meetings'
calendar UIDs and the completions' verification codes, which the models draw themselves and must
stay unguessable).

The demo's logins are marked by an email in the demo domain (and, behind the staff ones, a demo
staff record): --reset deletes only marked logins, and a real login holding a demo username (a
district's own "admin") stops both building and resetting.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, ProtectedError, Q, QuerySet, RestrictedError
from django.utils import timezone

from calendars.models import FeedToken
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from catalog.search import course_document
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation, OutsideActivity
from learning import changes
from learning.choices import BuildingKind, PositionCategory, RequirementKind, StaffStatus
from learning.models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffAssignment,
    StaffGroup,
    StaffMember,
)
from plan.models import Frequency, ReportSubscription
from plan.report_mail import period_of

from .content import (
    ADMINISTRATORS,
    BUILDINGS,
    CANCELLED_REASON,
    CLASSROOM,
    COURSE_CODES,
    COURSES,
    DEMO_EVIDENCE_PDF,
    DEMO_PEOPLE,
    EMAIL_DOMAIN,
    EVALUATION_COMMENTS,
    FIRST_NAMES,
    GOALS,
    GROUP_SLUGS,
    GROUPS,
    LAST_NAMES,
    NEW_TEACHER_COHORT,
    OUTSIDE_ACTIVITIES,
    OUTSIDE_COMPLETIONS,
    PASSWORD,
    PLAN_DESCRIPTION,
    PLAN_NAME,
    PLAN_SLUG,
    POSITIONS,
    PREFERRED_NAMES,
    RANDOM_SEED,
    REQUEST_NOTES,
    ROLE_LABELS,
    SESSIONS,
    STAFFING,
    STRANDS,
    THU,
    TUE,
    VIRTUAL_URL,
    WED,
    Cadence,
    CourseSpec,
    DemoRole,
    InPlanYear,
    OnInventedDate,
    OnRealDate,
    SessionSpec,
    StrandSpec,
    Today,
)


class DemoRefusedError(Exception):
    """The demo cannot be built or reset in this database; nothing was changed."""


# Teachers who moved schools during the current school year (recorded in their history).
DEMO_TRANSFERS = 8

REFUSED_REAL_STAFF = (
    "Refusing to reset the demo: {count} staff members are not demo data, so this is a real "
    "district's database. Nothing was deleted."
)
REFUSED_STILL_REFERENCED = (
    "Refusing to reset the demo: other records still point at demo data ({detail}). "
    "Nothing was deleted."
)
REFUSED_NOT_DEMO_USERS = (
    "Refusing to load the demo: it needs the username(s) {names}, which belong to logins that "
    f"are not the demo's (their email is not in {EMAIL_DOMAIN}). seed_demo never deletes a login "
    "it did not create: rename or delete those logins first. Nothing was changed."
)
REFUSED_DEMO_USERS_LEFT = (
    "Cannot load the demo: the demo logins {names} are left from an earlier demo. Run "
    "seed_demo --reset to replace them."
)


class SeedOutcome(StrEnum):
    BUILT = "built"
    ALREADY_LOADED = "already_loaded"
    REAL_DATA = "real_data"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    who: str


def is_loaded() -> bool:
    return Plan.objects.filter(slug=PLAN_SLUG).exists()


def real_staff_count() -> int:
    """Staff members that seed_demo did not create: the district's own roster."""
    return StaffMember.objects.filter(is_demo=False).count()


def demo_users() -> QuerySet:
    """The demo's logins: a demo username, an email in the demo domain, and no staff record or a
    demo one. A login named like a demo role without these marks is someone's real account."""
    return get_user_model().objects.filter(
        Q(staff_member__isnull=True) | Q(staff_member__is_demo=True),
        username__in=list(DemoRole),
        email__iendswith=f"@{EMAIL_DOMAIN}",
    )


def not_demo_usernames() -> list[str]:
    """Demo usernames held by logins that are not the demo's, such as a real superuser "admin"."""
    return sorted(
        get_user_model()
        .objects.filter(username__in=list(DemoRole))
        .exclude(pk__in=demo_users().values("pk"))
        .values_list("username", flat=True)
    )


def refuse_not_demo_users() -> None:
    if names := not_demo_usernames():
        quoted = ", ".join(f'"{name}"' for name in names)
        raise DemoRefusedError(REFUSED_NOT_DEMO_USERS.format(names=quoted))


def stale_middle_year(today: date | None = None) -> str | None:
    """The name of the loaded plan's middle year when it no longer contains today (the demo was
    built in an earlier school year), else None."""
    today = today or timezone.localdate()
    middle = PlanYear.objects.filter(plan__slug=PLAN_SLUG).order_by("starts_on")[1:2].first()
    if middle is None or middle.starts_on <= today <= middle.ends_on:
        return None
    return middle.name


def seed(*, reset: bool = False, now: datetime | None = None) -> SeedOutcome:
    """Load the demo unless it is there already. Without --reset, a database that holds the
    district's own staff is left alone; with it, it is refused (DemoRefusedError). Building, with
    or without --reset, is refused while a real login holds a demo username."""
    if reset:
        reset_demo(now=now)
        return SeedOutcome.BUILT
    if is_loaded():
        return SeedOutcome.ALREADY_LOADED
    if real_staff_count():
        return SeedOutcome.REAL_DATA
    build_demo(now=now)
    return SeedOutcome.BUILT


@transaction.atomic
def reset_demo(*, now: datetime | None = None) -> None:
    """Delete the demo and build it again, in one transaction."""
    delete_demo()
    build_demo(now=now)


@transaction.atomic
def build_demo(*, now: datetime | None = None) -> None:
    """Write the whole demo, placed around `now` (default: the current time)."""
    _DemoBuilder(now or timezone.now()).build()
    # Most of it is written in bulk, without signals.
    changes.record()


@transaction.atomic
def delete_demo() -> None:
    """Delete everything the demo wrote, children before what they protect. Refused when the
    database holds staff that are not demo data, or real logins with demo usernames."""
    real = real_staff_count()
    if real:
        raise DemoRefusedError(REFUSED_REAL_STAFF.format(count=real))
    refuse_not_demo_users()
    staff = StaffMember.objects.filter(is_demo=True)
    # The demo's courses, and those approved outside learning is credited under in its strands.
    courses = Course.objects.filter(
        Q(code__in=COURSE_CODES)
        | Q(code__startswith="outside-", strand__code__in=[strand.code for strand in STRANDS])
    )
    sessions = Session.objects.filter(course__in=courses)
    enrollments = Enrollment.objects.filter(Q(staff__in=staff) | Q(session__in=sessions))
    outside = OutsideActivity.objects.filter(staff__in=staff)
    try:
        for activity in outside:
            activity.evidence.delete(save=False)
        outside.delete()
        Completion.objects.filter(
            Q(staff__in=staff) | Q(course__in=courses) | Q(enrollment__in=enrollments)
        ).delete()
        Evaluation.objects.filter(enrollment__in=enrollments).delete()
        Attendance.objects.filter(
            Q(enrollment__in=enrollments) | Q(meeting__session__in=sessions)
        ).delete()
        enrollments.delete()
        FeedToken.objects.filter(staff__in=staff).delete()
        Meeting.objects.filter(session__in=sessions).delete()
        sessions.delete()
        plans = Plan.objects.filter(slug=PLAN_SLUG)
        Requirement.objects.filter(goal__plan_year__plan__in=plans).delete()
        Goal.objects.filter(plan_year__plan__in=plans).delete()
        PlanYear.objects.filter(plan__in=plans).delete()
        plans.delete()
        courses.delete()
        Strand.objects.filter(code__in=[strand.code for strand in STRANDS]).delete()
        StaffGroup.objects.filter(slug__in=GROUP_SLUGS).delete()
        demo_users().delete()
        staff.delete()
        Building.objects.filter(Q(is_demo=True) | Q(code__in=[b.code for b in BUILDINGS])).delete()
        Position.objects.filter(code__in=[code for code, _, _ in POSITIONS]).delete()
    except (ProtectedError, RestrictedError) as error:
        raise DemoRefusedError(
            REFUSED_STILL_REFERENCED.format(detail=_blocking_models(error))
        ) from error


def _blocking_models(error: ProtectedError | RestrictedError) -> str:
    blocking = getattr(error, "protected_objects", None) or error.restricted_objects
    return ", ".join(sorted({str(obj._meta.verbose_name_plural) for obj in blocking}))


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, one per role, with the staff member behind each."""
    users = {
        user.username: user
        for user in demo_users().select_related("staff_member__building", "staff_member__position")
    }
    logins = []
    for role in DemoRole:
        user = users.get(role.value)
        if user is None:
            continue
        staff = getattr(user, "staff_member", None)
        if staff is None:
            who = "superuser, no staff record"
        else:
            who = f"{staff.display_name}, {staff.position}, {staff.building}"
        logins.append(DemoLogin(ROLE_LABELS[role], user.username, PASSWORD, who))
    return logins


def demo_counts() -> dict[str, int]:
    """What the database holds, for the command's summary."""
    counts = {
        "buildings": Building.objects.count(),
        "staff": StaffMember.objects.count(),
        "staff groups": StaffGroup.objects.count(),
        "courses": Course.objects.count(),
        "sessions": Session.objects.count(),
        "meetings": Meeting.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "attendance": Attendance.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "completions": Completion.objects.count(),
        "requirements": Requirement.objects.count(),
    }
    by_status = Enrollment.objects.values_list("status").annotate(n=Count("pk")).order_by()
    for status, n in sorted(by_status):
        counts[f"enrollments {status}"] = n
    return counts


def school_year_start(day: date) -> date:
    """July 1 of the school year (July 1 - June 30) that contains day."""
    return date(day.year if day.month >= 7 else day.year - 1, 7, 1)


def school_year_name(starts_on: date) -> str:
    return f"{starts_on.year}-{(starts_on.year + 1) % 100:02d}"


def plan_years_around(today: date) -> list[tuple[str, date, date]]:
    """The plan's three school years, the middle one containing today."""
    middle = school_year_start(today)
    years = []
    for offset in (-1, 0, 1):
        starts_on = middle.replace(year=middle.year + offset)
        ends_on = date(starts_on.year + 1, 6, 30)
        years.append((school_year_name(starts_on), starts_on, ends_on))
    return years


def write_catalog(
    strand_specs: Iterable[StrandSpec], course_specs: Iterable[CourseSpec]
) -> tuple[dict[str, Strand], dict[str, Course]]:
    """Write strands and courses, with the courses' prerequisites, from the demo's table; each
    by its code, in the table's order. Both generators write their catalog with it."""
    strands = {
        s.code: Strand(
            code=s.code, name=s.name, colour=s.colour, description=s.description, order=i
        )
        for i, s in enumerate(strand_specs, start=1)
    }
    Strand.objects.bulk_create(strands.values())
    course_specs = list(course_specs)
    courses = {
        c.code: Course(
            code=c.code,
            title=c.title,
            strand=strands[c.strand],
            summary=c.summary,
            clock_hours=Decimal(c.clock_hours),
            format=c.format,
            evaluation_required=c.evaluation_required,
            requires_approval=c.requires_approval,
            # bulk_create does not call save(), which keeps the search document.
            search_document=course_document(
                code=c.code,
                title=c.title,
                summary=c.summary,
                strand_code=c.strand,
                strand_name=strands[c.strand].name,
            ),
        )
        for c in course_specs
    }
    Course.objects.bulk_create(courses.values())
    Prerequisites = Course.prerequisites.through
    Prerequisites.objects.bulk_create(
        Prerequisites(from_course=courses[c.code], to_course=courses[required])
        for c in course_specs
        for required in c.prerequisites
    )
    positions = {p.code: p for p in Position.objects.all()}
    Audience = Course.audience_positions.through
    Audience.objects.bulk_create(
        Audience(course=courses[c.code], position=positions[code])
        for c in course_specs
        for code in c.audience_positions
        if code in positions
    )
    return strands, courses


def email_local_part(first_name: str, last_name: str) -> str:
    """firstname.lastname in plain ASCII: "Zoë O'Brien" -> "zoe.obrien"."""

    def fold(name: str) -> str:
        name = name.translate(_UNDECOMPOSABLE)
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(c for c in ascii_name.lower().replace(" ", "-") if c.isalnum() or c == "-")

    return f"{fold(first_name)}.{fold(last_name)}"


# Letters that NFKD does not split into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})
_MIDWEEK = (TUE, WED, THU)


@dataclass(eq=False)
class _Person:
    """A staff member while the demo is built, with what the builder needs to know of them."""

    member: StaffMember
    category: str
    role: DemoRole | None = None
    completed: dict[str, date] = field(default_factory=dict)
    busy: set[date] = field(default_factory=set)
    booked_courses: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _PlannedSession:
    spec: SessionSpec
    session: Session
    meetings: list[Meeting]
    facilitators: list[_Person]

    @property
    def first_start(self) -> datetime:
        return self.meetings[0].starts_at

    @property
    def last_end(self) -> datetime:
        return self.meetings[-1].ends_at


class _DemoBuilder:
    """Writes the demo in a fixed order; every random choice comes from self.rng."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.today = timezone.localdate(now, self.zone)
        self.rng = random.Random(RANDOM_SEED)
        self.requests_made = 0
        self.cancelled_at = now - timedelta(days=2)  # when the cancelled session was called off
        self.years = plan_years_around(self.today)
        self.middle_start = self.years[1][1]
        self.people: list[_Person] = []
        self.by_role: dict[DemoRole, _Person] = {}
        self.users: dict[DemoRole, object] = {}
        self.enrollments: list[Enrollment] = []
        self.attendance: list[Attendance] = []
        self.completions: list[Completion] = []
        self.evaluations: list[Evaluation] = []

    def build(self) -> None:
        self._refuse_taken_usernames()
        self.positions = self._write_positions()
        self.buildings = self._write_buildings()
        self.users = self._write_users()
        self._write_staff()
        self._write_history()
        self.groups = self._write_groups()
        self.strands, self.courses = self._write_catalog()
        self._write_plan()
        self._write_report_subscription()
        planned = self._write_sessions()
        for plan in sorted(planned, key=lambda p: (p.first_start, p.session.pk)):
            self._take_part(plan)
        self._outside_completions()
        self._outside_activities()
        Enrollment.objects.bulk_create(self.enrollments)
        Attendance.objects.bulk_create(self.attendance)
        Evaluation.objects.bulk_create(self.evaluations)
        Completion.objects.bulk_create(self.completions)

    def _write_report_subscription(self) -> None:
        """The demo leader gets the weekly completion report (the first next Monday), so their
        report-by-mail page has one to show and stop."""
        ReportSubscription.objects.create(
            user=self.users[DemoRole.LEADER],
            frequency=Frequency.WEEKLY,
            last_period=period_of(Frequency.WEEKLY, timezone.localdate(self.now)),
            created_at=self.now,
        )

    # -- people ----------------------------------------------------------------------------

    def _refuse_taken_usernames(self) -> None:
        refuse_not_demo_users()
        left = sorted(demo_users().values_list("username", flat=True))
        if left:
            raise DemoRefusedError(REFUSED_DEMO_USERS_LEFT.format(names=", ".join(left)))

    def _write_positions(self) -> dict[str, Position]:
        positions = [Position(code=c, name=n, category=cat) for c, n, cat in POSITIONS]
        Position.objects.bulk_create(positions)
        return {position.code: position for position in positions}

    def _write_buildings(self) -> dict[str, Building]:
        buildings = [
            Building(code=b.code, name=b.name, kind=b.kind, address=b.address, is_demo=b.is_demo)
            for b in BUILDINGS
        ]
        Building.objects.bulk_create(buildings)
        return {building.code: building for building in buildings}

    def _write_users(self) -> dict[DemoRole, object]:
        User = get_user_model()
        # One hash for the one published demo password: hashing costs ~0.5 s each.
        password_hash = make_password(PASSWORD)
        people = {person.role: person for person in DEMO_PEOPLE}
        users = {}
        for role in DemoRole:
            person = people.get(role)
            user = User(
                username=role.value,
                password=password_hash,
                first_name=person.first_name if person else "Demo",
                last_name=person.last_name if person else "Administrator",
                email=(
                    f"{email_local_part(person.first_name, person.last_name)}@{EMAIL_DOMAIN}"
                    if person
                    else f"admin@{EMAIL_DOMAIN}"
                ),
                is_staff=role == DemoRole.ADMIN or (person is not None and person.is_staff),
                is_superuser=role == DemoRole.ADMIN,
            )
            user.save()
            if person and person.auth_groups:
                # The role groups come from a data migration; get_or_create keeps the demo whole
                # on a database emptied since (a test database flushed between tests).
                user.groups.set(
                    [Group.objects.get_or_create(name=name)[0] for name in person.auth_groups]
                )
            users[role] = user
        return users

    def _write_staff(self) -> None:
        categories = {code: category for code, _, category in POSITIONS}
        pending_demo = list(DEMO_PEOPLE)
        for spec in BUILDINGS:
            slots = list(STAFFING[spec.kind])
            teachers = spec.staff - sum(count for _, count in slots)
            for position_code, count in [*slots, ("teacher", teachers)]:
                for _ in range(count):
                    login = next(
                        (
                            p
                            for p in pending_demo
                            if p.building == spec.code and p.position == position_code
                        ),
                        None,
                    )
                    if login:
                        pending_demo.remove(login)
                        first, last = login.first_name, login.last_name
                    else:
                        first = self.rng.choice(FIRST_NAMES)
                        last = self.rng.choice(LAST_NAMES)
                    member = StaffMember(
                        first_name=first,
                        last_name=last,
                        preferred_name=(
                            PREFERRED_NAMES.get(first, "") if self.rng.random() < 0.4 else ""
                        ),
                        building=self.buildings[spec.code],
                        position=self.positions[position_code],
                        is_demo=True,
                        # A roster sync must not deactivate the people behind the demo logins.
                        managed_manually=login is not None,
                    )
                    person = _Person(member, categories[position_code], login and login.role)
                    if login:
                        member.user = self.users[login.role]
                        member.preferred_name = ""
                        self.by_role[login.role] = person
                    self.people.append(person)
        self._assign_ids_and_emails()
        self._assign_hire_dates_and_status()
        StaffMember.objects.bulk_create([person.member for person in self.people])
        Leads = StaffMember.leads_buildings.through
        Leads.objects.bulk_create(
            Leads(staffmember=p.member, building=p.member.building)
            for p in self.people
            if p.member.position.code in ADMINISTRATORS
        )

    def _write_history(self) -> None:
        """Some teachers moved schools during this school year, and the people on leave went on
        leave during it: the reports count them where they were on each due date. A separate
        random stream, so the rest of the demo stays as it was."""
        rng = random.Random(RANDOM_SEED + 1)
        start, latest = self.middle_start, self.today - timedelta(days=1)
        if latest <= start:
            return
        schools = [b for b in self.buildings.values() if b.kind != BuildingKind.ADMINISTRATION]
        settled = [
            p
            for p in self.people
            if p.role is None
            and p.member.status == StaffStatus.ACTIVE
            and p.member.position.code in CLASSROOM
            and p.member.hired_on < start
        ]
        on_leave = [p for p in self.people if p.member.status == StaffStatus.ON_LEAVE]
        stretches = []
        for person in rng.sample(settled, min(DEMO_TRANSFERS, len(settled))):
            member = person.member
            moved_on = start + timedelta(days=rng.randint(1, (latest - start).days))
            before = rng.choice([b for b in schools if b != member.building])
            stretches += [
                StaffAssignment(
                    staff=member,
                    building=before,
                    position=member.position,
                    status=StaffStatus.ACTIVE,
                    starts_on=member.hired_on,
                    ends_on=moved_on,
                ),
                StaffAssignment(
                    staff=member,
                    building=member.building,
                    position=member.position,
                    status=StaffStatus.ACTIVE,
                    starts_on=moved_on,
                ),
            ]
        for person in on_leave:
            member = person.member
            left_on = max(start, member.hired_on + timedelta(days=1)) + timedelta(
                days=rng.randint(0, max(0, (latest - start).days - 1))
            )
            left_on = min(left_on, latest)
            if left_on <= member.hired_on:
                continue
            stretches += [
                StaffAssignment(
                    staff=member,
                    building=member.building,
                    position=member.position,
                    status=StaffStatus.ACTIVE,
                    starts_on=member.hired_on,
                    ends_on=left_on,
                ),
                StaffAssignment(
                    staff=member,
                    building=member.building,
                    position=member.position,
                    status=StaffStatus.ON_LEAVE,
                    starts_on=left_on,
                ),
            ]
        StaffAssignment.objects.bulk_create(stretches)

    def _assign_ids_and_emails(self) -> None:
        employee_ids = self.rng.sample(range(1000, 100000), len(self.people))
        taken: Counter[str] = Counter()
        # The demo logins get the plain addresses; namesakes get a number.
        ordered = sorted(self.people, key=lambda p: p.role is None)
        for person, employee_id in zip(ordered, employee_ids, strict=True):
            member = person.member
            member.employee_id = f"{employee_id:06d}"
            local = email_local_part(member.first_name, member.last_name)
            taken[local] += 1
            suffix = str(taken[local]) if taken[local] > 1 else ""
            member.email = f"{local}{suffix}@{EMAIL_DOMAIN}"

    def _assign_hire_dates_and_status(self) -> None:
        rng = self.rng
        first_year_start = self.years[0][1]
        for person in self.people:
            if person.role:
                years = next(p.years_of_service for p in DEMO_PEOPLE if p.role == person.role)
            elif person.category in (PositionCategory.LEADER, PositionCategory.CENTRAL_OFFICE):
                years = rng.randint(6, 26)
            else:
                years = rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22, 26, 30))
            person.member.hired_on = date(self.middle_start.year - years, 8, rng.randint(10, 28))
        # Leaders and directors stay put: every building keeps an active principal.
        ordinary = [
            p
            for p in self.people
            if p.role is None
            and p.member.position.code
            not in (*ADMINISTRATORS, "superintendent", "director-professional-learning")
        ]
        rng.shuffle(ordinary)
        new_teachers = [p for p in ordinary if p.member.position.code in CLASSROOM][:18]
        others = [p for p in ordinary if p not in set(new_teachers)]
        first_year_hires, on_leave, separated = others[:24], others[24:32], others[32:42]
        for person in new_teachers:
            # Hired for this school year, never after today.
            hired = self.middle_start + timedelta(days=rng.randint(45, 52))
            person.member.hired_on = min(hired, self.today)
        for person in first_year_hires:
            person.member.hired_on = first_year_start + timedelta(days=rng.randint(40, 200))
        for person in on_leave:
            person.member.status = StaffStatus.ON_LEAVE
        for person in separated:
            member = person.member
            earliest = max(member.hired_on + timedelta(days=90), first_year_start)
            latest = self.today - timedelta(days=14)
            if earliest < latest:
                member.status = StaffStatus.SEPARATED
                member.separated_on = earliest + timedelta(
                    days=rng.randint(0, (latest - earliest).days)
                )

    def _write_groups(self) -> dict[str, StaffGroup]:
        groups = {
            spec.slug: StaffGroup(
                slug=spec.slug, name=spec.name, kind=spec.kind, description=spec.description
            )
            for spec in GROUPS
        }
        StaffGroup.objects.bulk_create(groups.values())
        in_task_force: set[_Person] = set()
        self.members: dict[str, list[_Person]] = {}
        for spec in GROUPS:
            members = [self.by_role[role] for role in spec.demo_members]
            if spec.slug == NEW_TEACHER_COHORT:
                members += [
                    p
                    for p in self.people
                    if p.member.position.code in CLASSROOM
                    and p.member.hired_on >= self.middle_start
                    and p.member.status == StaffStatus.ACTIVE
                ]
            for positions, count in spec.draws:
                candidates = [
                    p
                    for p in self.people
                    if p.role is None
                    and p.member.position.code in positions
                    and p.member.status == StaffStatus.ACTIVE
                    and not (spec.hired_before and p.member.hired_on >= spec.hired_before)
                    and not (spec.exclusive and p in in_task_force)
                    and p not in members
                ]
                members += self.rng.sample(candidates, count)
            if spec.exclusive:
                in_task_force.update(members)
            self.members[spec.slug] = members
        Members = StaffGroup.members.through
        Members.objects.bulk_create(
            Members(staffgroup=groups[slug], staffmember=p.member)
            for slug, members in self.members.items()
            for p in members
        )
        return groups

    # -- catalog and plan -------------------------------------------------------------------

    def _write_catalog(self) -> tuple[dict[str, Strand], dict[str, Course]]:
        strands, courses = write_catalog(STRANDS, COURSES)
        self.prerequisites = {c.code: c.prerequisites for c in COURSES}
        return strands, courses

    def _write_plan(self) -> None:
        plan = Plan.objects.create(
            slug=PLAN_SLUG,
            name=PLAN_NAME,
            description=PLAN_DESCRIPTION,
            starts_on=self.years[0][1],
            ends_on=self.years[-1][2],
        )
        plan_years = PlanYear.objects.bulk_create(
            PlanYear(plan=plan, name=name, starts_on=starts_on, ends_on=ends_on)
            for name, starts_on, ends_on in self.years
        )
        order_in_year: Counter[int] = Counter()
        goals, requirements, audiences = [], [], []
        for spec in GOALS:
            order_in_year[spec.year] += 1
            goal = Goal(
                plan_year=plan_years[spec.year],
                title=spec.title,
                description=spec.description,
                order=order_in_year[spec.year],
            )
            goals.append(goal)
            for r in spec.requirements:
                requirement = Requirement(
                    goal=goal,
                    title=r.title,
                    kind=RequirementKind.COURSE if r.course else RequirementKind.CLOCK_HOURS,
                    course=self.courses.get(r.course),
                    strand=self.strands.get(r.strand),
                    clock_hours=Decimal(r.clock_hours) if r.clock_hours else None,
                    target_percent=r.target_percent,
                    due_on=self._in_plan_year(spec.year, *r.due),
                    count_completions_before_plan_year=r.count_earlier,
                )
                requirements.append(requirement)
                audiences.append((requirement, r))
        Goal.objects.bulk_create(goals)
        Requirement.objects.bulk_create(requirements)
        by_position = Requirement.audience_positions.through
        by_group = Requirement.audience_groups.through
        by_position.objects.bulk_create(
            by_position(requirement=requirement, position=position)
            for requirement, r in audiences
            for position in self.positions.values()
            if position.category in r.categories or position.code in r.positions
        )
        by_group.objects.bulk_create(
            by_group(requirement=requirement, staffgroup=self.groups[slug])
            for requirement, r in audiences
            for slug in r.groups
        )

    def _in_plan_year(self, year: int, month: int, day: int) -> date:
        return date(self._calendar_year(year, month), month, day)

    def _calendar_year(self, year: int, month: int) -> int:
        """The calendar year of a month of the plan's year 0, 1 or 2 (July to June)."""
        starts_on = self.years[year][1]
        return starts_on.year if month >= 7 else starts_on.year + 1

    # -- sessions --------------------------------------------------------------------------

    def _write_sessions(self) -> list[_PlannedSession]:
        planned = []
        for number, spec in enumerate(SESSIONS, start=1):
            course = self.courses[spec.course]
            days = self._meeting_days(spec)
            cancelled = spec.status == SessionStatus.CANCELLED
            meetings = [
                Meeting(
                    starts_at=self._at(day, spec.slot.starts),
                    ends_at=self._at(day, spec.slot.ends),
                    status=MeetingStatus.CANCELLED if cancelled else MeetingStatus.SCHEDULED,
                )
                for day in days
            ]
            first_start = meetings[0].starts_at
            is_draft = spec.status == SessionStatus.DRAFT
            session = Session(
                course=course,
                title=spec.title,
                building=self.buildings[spec.building] if spec.building else None,
                room=spec.room,
                virtual_url=(
                    VIRTUAL_URL.format(code=spec.course, number=number) if spec.virtual else ""
                ),
                capacity=spec.capacity,
                registration_opens_at=(
                    None
                    if is_draft
                    else self._at(
                        first_start.astimezone(self.zone).date()
                        - timedelta(days=spec.registration_days),
                        time(7, 0),
                    )
                ),
                registration_closes_at=None if is_draft else first_start - timedelta(days=1),
                status=spec.status,
                restricted_to_group=self.groups[spec.group] if spec.group else None,
                requires_approval=course.requires_approval,
                notes=spec.notes,
            )
            facilitators = self._facilitators(spec, days[0])
            planned.append(_PlannedSession(spec, session, meetings, facilitators))
        Session.objects.bulk_create(p.session for p in planned)
        for plan in planned:
            for meeting in plan.meetings:
                meeting.session = plan.session
        Meeting.objects.bulk_create(m for p in planned for m in p.meetings)
        Facilitators = Session.facilitators.through
        Facilitators.objects.bulk_create(
            Facilitators(session=p.session, staffmember=f.member)
            for p in planned
            for f in p.facilitators
        )
        return planned

    def _meeting_days(self, spec: SessionSpec) -> list[date]:
        when = spec.when
        if isinstance(when, OnRealDate | OnInventedDate):
            return self._series(when.day, spec)
        if isinstance(when, Today):
            return self._series(self.today, spec)
        if isinstance(when, InPlanYear):
            year = self._calendar_year(when.year, when.month)
            first = _nth_weekday(year, when.month, when.weekday, when.nth)
            return self._clear_of_breaks(first, spec, toward_past=False)
        toward_past = when.days < 0
        first = self._midweek(self.today + timedelta(days=when.days), toward_past)
        days = self._clear_of_breaks(first, spec, toward_past=toward_past)
        if when.after_group_hired:
            # The whole group is hired before it meets; early in a school year, that is ahead.
            hired_by = max(p.member.hired_on for p in self.members[spec.group])
            if days[0] <= hired_by:
                first = self._midweek(hired_by + timedelta(days=1), toward_past=False)
                days = self._clear_of_breaks(first, spec, toward_past=False)
        return days

    def _clear_of_breaks(self, first: date, spec: SessionSpec, *, toward_past: bool) -> list[date]:
        """The series from first, moved as a whole, a week at a time away from today, until no
        meeting falls in a break: its meetings keep their rhythm and stay in one school year."""
        week = timedelta(days=-7 if toward_past else 7)
        days = self._series(first, spec)
        while any(in_break(day) for day in days):
            first += week
            days = self._series(first, spec)
        return days

    @staticmethod
    def _series(first: date, spec: SessionSpec) -> list[date]:
        """The meeting days from first at the spec's cadence, breaks aside."""
        if spec.cadence == Cadence.MONTHLY:
            nth = (first.day - 1) // 7 + 1
            days = []
            for k in range(spec.meetings):
                month_index = first.month - 1 + k
                year, month = first.year + month_index // 12, month_index % 12 + 1
                days.append(_nth_weekday(year, month, first.weekday(), nth))
            return days
        step = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.FOUR_WEEKLY: 28}[spec.cadence]
        return [first + timedelta(days=step * k) for k in range(spec.meetings)]

    @staticmethod
    def _midweek(day: date, toward_past: bool) -> date:
        """The nearest Tuesday-Thursday outside the breaks, moving away from today: a past
        session stays in the past and a coming one stays ahead."""
        step = timedelta(days=-1 if toward_past else 1)
        while day.weekday() not in _MIDWEEK or in_break(day):
            day += step
        return day

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def _facilitators(self, spec: SessionSpec, first_day: date) -> list[_Person]:
        chosen: list[_Person] = []
        for key in spec.facilitators:
            if key in DemoRole._value2member_map_:
                chosen.append(self.by_role[DemoRole(key)])
                continue
            candidates = [
                p
                for p in self.people
                if p.role is None
                and p.member.position.code == key
                and p.member.status == StaffStatus.ACTIVE
                and p.member.hired_on < first_day
                and p not in chosen
            ]
            chosen.append(self.rng.choice(candidates))
        return chosen

    # -- who takes part --------------------------------------------------------------------

    def _take_part(self, plan: _PlannedSession) -> None:
        spec = plan.spec
        if spec.status == SessionStatus.DRAFT:
            return
        session = plan.session
        opens = session.registration_opens_at
        latest_request = min(session.registration_closes_at, self.now - timedelta(minutes=5))
        if spec.status == SessionStatus.CANCELLED:
            # Everyone asked, and some withdrew, before the session was cancelled.
            latest_request = min(latest_request, self.cancelled_at)
        if opens >= latest_request:
            return  # registration has not opened yet
        # Today's meeting is over or not, its attendance is still to take: nothing is credited.
        past = plan.last_end < self.now and not isinstance(spec.when, Today)
        started = plan.first_start < self.now
        audience = self._audience(plan, upcoming=not started)
        forced = [self.by_role[role] for role in (*spec.demo_enrolled, *spec.demo_evaluation_due)]
        if spec.whole_group:
            seated = list(audience)
        else:
            if spec.seats_left is not None:
                wanted = spec.capacity - spec.seats_left
            else:
                wanted = round(spec.fill * min(spec.capacity, len(audience) + len(forced)))
            drawn = self._draw(audience, wanted - len(forced))
            seated = forced + drawn
            if spec.seats_left is not None and len(seated) != wanted:
                raise RuntimeError(f"Too few people for {spec.course} ({spec.title}).")
        rest = [p for p in audience if p not in set(seated)]
        waitlisted = [self.by_role[role] for role in spec.demo_waitlisted]
        waitlisted += self._draw(rest, spec.waitlist - len(waitlisted))
        self.rng.shuffle(waitlisted)
        rest = [p for p in rest if p not in set(waitlisted)]
        withdrawn = [] if spec.whole_group else self._draw(rest, self.rng.randint(0, 2))

        # Requests in order: seats first, then the waitlist behind them.
        times = sorted(self._request_time(opens, latest_request) for _ in seated + waitlisted)
        seat_times = times[: len(seated)]
        self.rng.shuffle(seat_times)
        pending = set()
        if spec.pending and not started:
            local = [
                p
                for p in seated
                if spec.pending_building
                and p.role is None
                and p.member.building is not None
                and p.member.building.code == spec.pending_building
            ]
            others = [p for p in reversed(seated) if p not in set(local)]
            pending = set((local + others)[: spec.pending])
        for person, requested_at in zip(seated, seat_times, strict=True):
            if person in pending:
                requested_at = max(opens, self.now - timedelta(days=self.rng.randint(1, 4)))
            self._seat(plan, person, requested_at, past, started, person in pending)
        for person, requested_at in zip(waitlisted, times[len(seated) :], strict=True):
            self._enroll(plan, person, EnrollmentStatus.WAITLISTED, requested_at, requested_at)
            person.booked_courses.add(spec.course)
        for person in withdrawn:
            requested_at = self._request_time(opens, latest_request)
            changed = requested_at + (latest_request - requested_at) * self.rng.random()
            self._enroll(plan, person, EnrollmentStatus.WITHDRAWN, requested_at, changed)

    def _audience(self, plan: _PlannedSession, *, upcoming: bool) -> list[_Person]:
        spec = plan.spec
        first_day = plan.first_start.astimezone(self.zone).date()
        last_day = plan.last_end.astimezone(self.zone).date()
        days = {m.starts_at.astimezone(self.zone).date() for m in plan.meetings}
        pool = self.members[spec.group] if spec.group else self.people
        prerequisites = self.prerequisites[spec.course]
        audience = []
        for person in pool:
            member = person.member
            if (
                person in plan.facilitators
                or (person.role is not None and not spec.whole_group)
                or member.hired_on > first_day
                or (member.separated_on is not None and member.separated_on <= last_day)
                or (upcoming and member.status != StaffStatus.ACTIVE)
            ):
                continue
            if not spec.group and not self._in_audience(person, spec):
                continue
            if not spec.whole_group and (
                spec.course in person.completed
                or spec.course in person.booked_courses
                or person.busy & days
                or any(person.completed.get(code, first_day) >= first_day for code in prerequisites)
            ):
                continue
            audience.append(person)
        return audience

    @staticmethod
    def _in_audience(person: _Person, spec: SessionSpec) -> bool:
        if not spec.categories and not spec.positions:
            return True
        return person.category in spec.categories or person.member.position.code in spec.positions

    def _draw(self, people: list[_Person], count: int) -> list[_Person]:
        return self.rng.sample(people, max(0, min(count, len(people))))

    def _request_time(self, earliest: datetime, latest: datetime) -> datetime:
        return earliest + (latest - earliest) * self.rng.random()

    def _seat(
        self,
        plan: _PlannedSession,
        person: _Person,
        requested_at: datetime,
        past: bool,
        started: bool,
        pending: bool,
    ) -> None:
        spec, course = plan.spec, plan.session.course
        if spec.status == SessionStatus.CANCELLED:
            self._enroll(
                plan, person, EnrollmentStatus.CANCELLED, requested_at, self.cancelled_at,
                acted_by=self.users[DemoRole.DISTRICT_PD], reason=CANCELLED_REASON,
            )  # fmt: skip
            return
        person.busy |= {m.starts_at.astimezone(self.zone).date() for m in plan.meetings}
        if pending:
            enrollment = self._enroll(
                plan, person, EnrollmentStatus.PENDING_APPROVAL, requested_at, requested_at
            )
            enrollment.hold_expires_at = requested_at + timedelta(days=settings.APPROVAL_HOLD_DAYS)
            # Most requests say why; by turns, without drawing on the seeded random numbers.
            self.requests_made += 1
            enrollment.request_note = REQUEST_NOTES[self.requests_made % len(REQUEST_NOTES)]
            person.booked_courses.add(spec.course)
            return
        if not started:
            self._enroll(plan, person, EnrollmentStatus.ENROLLED, requested_at, requested_at)
            person.booked_courses.add(spec.course)
            return
        recorder = plan.facilitators[0].member.user if plan.facilitators else None
        evaluation_due = person.role is not None and person.role in spec.demo_evaluation_due
        missed = None
        if past and not evaluation_due and self.rng.random() < spec.absent_rate:
            missed = self.rng.choice(plan.meetings)
        status = EnrollmentStatus.ENROLLED
        changed_at = requested_at
        if past and not evaluation_due:
            status = EnrollmentStatus.INCOMPLETE if missed else EnrollmentStatus.COMPLETED
            changed_at = min(plan.last_end + timedelta(hours=18), self.now)
        else:
            person.booked_courses.add(spec.course)
        enrollment = self._enroll(plan, person, status, requested_at, changed_at)
        for meeting in plan.meetings:
            # Today's attendance is the demo facilitator's to take.
            if (
                meeting.ends_at >= self.now
                or meeting.starts_at.astimezone(self.zone).date() == self.today
            ):
                continue
            present = meeting is not missed if past or evaluation_due else self.rng.random() < 0.92
            self.attendance.append(
                Attendance(
                    enrollment=enrollment,
                    meeting=meeting,
                    present=present,
                    recorded_by=recorder,
                    recorded_at=min(meeting.ends_at + timedelta(minutes=30), self.now),
                )
            )
        if status != EnrollmentStatus.COMPLETED:
            return
        completed_on = plan.last_end.astimezone(self.zone).date()
        person.completed[spec.course] = completed_on
        self.completions.append(
            Completion(
                staff=person.member,
                course=course,
                enrollment=enrollment,
                completed_on=completed_on,
                clock_hours=course.clock_hours,
                source=CompletionSource.SESSION,
                recorded_by=recorder,
            )
        )
        if course.evaluation_required or self.rng.random() < 0.35:
            self.evaluations.append(self._evaluation(enrollment, plan.last_end))

    def _enroll(
        self,
        plan: _PlannedSession,
        person: _Person,
        status: str,
        requested_at: datetime,
        changed_at: datetime,
        *,
        acted_by=None,
        reason: str = "",
    ) -> Enrollment:
        source = EnrollmentSource.SELF
        if acted_by is None:
            source, acted_by = self._requested_by(plan, person, status)
        # An approver acting for someone else approves them (an assignment needs no request).
        approved = (
            status
            in (EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED, EnrollmentStatus.INCOMPLETE)
            and acted_by is not None
            and acted_by != person.member.user
        )
        enrollment = Enrollment(
            staff=person.member,
            session=plan.session,
            status=status,
            source=source,
            requested_at=requested_at,
            status_changed_at=changed_at,
            acted_by=acted_by,
            decision_reason=reason,
            approved_at=changed_at if approved else None,
            approved_by=acted_by if approved else None,
        )
        self.enrollments.append(enrollment)
        return enrollment

    def _requested_by(
        self, plan: _PlannedSession, person: _Person, status: str
    ) -> tuple[str, object]:
        """The enrollment's source and who acted: the group's organiser assigns a whole group;
        otherwise the person asks, their approver approves, or now and then assigns them."""
        if plan.spec.whole_group:
            return EnrollmentSource.ASSIGNED, self.users[DemoRole.DISTRICT_PD]
        if status in (EnrollmentStatus.PENDING_APPROVAL, EnrollmentStatus.WAITLISTED):
            return EnrollmentSource.SELF, person.member.user
        if plan.session.requires_approval:
            return EnrollmentSource.SELF, self.users[self._approver(person)]
        if self.rng.random() < 0.08:
            return EnrollmentSource.ASSIGNED, self.users[self._approver(person)]
        return EnrollmentSource.SELF, person.member.user

    def _approver(self, person: _Person) -> DemoRole:
        """The demo leader acts for their own building; district PD for everyone else."""
        leader = self.by_role[DemoRole.LEADER].member
        return (
            DemoRole.LEADER if person.member.building == leader.building else DemoRole.DISTRICT_PD
        )

    def _evaluation(self, enrollment: Enrollment, ended_at: datetime) -> Evaluation:
        def rating() -> int:
            return self.rng.choices((2, 3, 4, 5), weights=(1, 3, 8, 9))[0]

        submitted_at = min(ended_at + timedelta(hours=self.rng.randint(1, 96)), self.now)
        return Evaluation(
            enrollment=enrollment,
            content_rating=rating(),
            facilitator_rating=rating(),
            relevance_rating=rating(),
            comment=self.rng.choice(EVALUATION_COMMENTS),
            submitted_at=submitted_at,
        )

    def _outside_completions(self) -> None:
        recorder = self.users[DemoRole.DISTRICT_PD]
        for spec in OUTSIDE_COMPLETIONS:
            year = self._calendar_year(spec.on.year, spec.on.month)
            on = _nth_weekday(year, spec.on.month, spec.on.weekday, spec.on.nth)
            if spec.demo_person:
                people = [self.by_role[spec.demo_person]]
            else:
                candidates = [
                    p
                    for p in self.people
                    if p.role is None
                    and p.member.hired_on < on
                    and p.member.separated_on is None
                    and spec.course not in p.completed
                ]
                people = self._draw(candidates, spec.people)
            course = self.courses[spec.course]
            for person in people:
                person.completed[spec.course] = on
                self.completions.append(
                    Completion(
                        staff=person.member,
                        course=course,
                        completed_on=on,
                        clock_hours=course.clock_hours,
                        source=spec.source,
                        evidence=spec.evidence,
                        recorded_by=recorder,
                    )
                )

    def _outside_activities(self) -> None:
        """Outside learning waiting for district PD, with its evidence (written to the evidence
        storage; delete_demo removes it again)."""
        for spec in OUTSIDE_ACTIVITIES:
            if isinstance(spec.person, DemoRole):
                member = self.by_role[spec.person].member
            else:
                member = next(
                    p.member
                    for p in self.people
                    if p.role is None
                    and p.member.position.code == spec.person
                    and p.member.status == StaffStatus.ACTIVE
                )
            ends_on = self.today - timedelta(days=spec.days_ago)
            activity = OutsideActivity(
                staff=member,
                title=spec.title,
                provider=spec.provider,
                starts_on=ends_on - timedelta(days=spec.days - 1),
                ends_on=ends_on,
                hours=Decimal(spec.hours),
                strand=self.strands[spec.strand],
                description=spec.description,
                evidence_name="certificate.pdf",
                evidence_type="application/pdf",
                evidence_size=len(DEMO_EVIDENCE_PDF),
                submitted_at=self.now - timedelta(days=min(spec.days_ago, 12)),
            )
            activity.evidence.save("certificate.pdf", ContentFile(DEMO_EVIDENCE_PDF), save=False)
            activity.save()


def in_break(day: date) -> bool:
    """Summer, Thanksgiving week and winter break: no after-school sessions then."""
    if date(day.year, 7, 1) <= day <= date(day.year, 8, 10):
        return True
    if (day.month, day.day) >= (12, 21) or (day.month, day.day) <= (1, 2):
        return True
    thanksgiving = _nth_weekday(day.year, 11, THU, 4)
    return thanksgiving - timedelta(days=3) <= day <= thanksgiving + timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based; -1 = last) given weekday of a month."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)

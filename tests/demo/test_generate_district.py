"""generate_district: a synthetic district, consistent with the rules the services enforce,
the same for the same arguments, refused on a database with staff; its roster file matches it
and goes through the roster import cleanly; the progress report runs on it."""

import csv
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Lower
from openpyxl import load_workbook

from calendars.models import FeedToken, feed_key_digest
from catalog.choices import SessionStatus
from catalog.models import Course, Meeting, Session
from demo import content, synthetic
from demo.seed import school_year_start
from enrollment.choices import (
    LIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    CompletionSource,
    EnrollmentStatus,
)
from enrollment.models import Completion, Enrollment
from imports import services
from learning.choices import PositionCategory, StaffStatus
from learning.models import (
    Building,
    DataChange,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffMember,
)
from plan.progress import Filters, progress_report
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

SMALL = {"staff": 60, "buildings": 4, "sessions": 20, "seed": 7}
ROSTER = {key: SMALL[key] for key in ("staff", "buildings", "seed")}
ZONE = ZoneInfo(settings.TIME_ZONE)
# Fields drawn at random on every run (unguessable codes and keys) or stamped with the clock.
RANDOM_FIELDS = {"created_at", "updated_at", "uid", "verification_code", "key", "key_digest"}
SNAPSHOT_APPS = ("learning", "catalog", "enrollment", "calendars")


@pytest.fixture
def now():
    return synthetic.district_now()


@pytest.fixture
def district(now):
    return synthetic.generate_district(**SMALL, now=now)


class RolledBack(Exception):
    pass


def snapshot() -> dict[str, list[tuple]]:
    """Every row the generator may write, in insertion order, with foreign keys as the position
    of the row they point at (primary keys differ between databases and runs)."""
    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        # DataChange rows only mark that something was written, and when.
        if model._meta.app_label in SNAPSHOT_APPS and model is not DataChange
    ]
    ranks = {
        model: {
            pk: rank
            for rank, pk in enumerate(
                model._base_manager.order_by("pk").values_list("pk", flat=True)
            )
        }
        for model in models
    }
    tables = {}
    for model in models:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in RANDOM_FIELDS
        ]
        rows = []
        for values in model._base_manager.order_by("pk").values_list(*(f.attname for f in fields)):
            rows.append(
                tuple(
                    ranks[f.related_model][value]
                    if f.is_relation and value is not None and f.related_model in ranks
                    else value
                    for f, value in zip(fields, values, strict=True)
                )
            )
        tables[model._meta.label] = rows
    return tables


def roster_of_database() -> list[tuple]:
    labels = dict(StaffStatus.choices)
    return [
        (*row[:7], labels[row[7]], *row[8:])
        for row in StaffMember.objects.order_by("pk").values_list(
            "employee_id",
            "first_name",
            "last_name",
            "preferred_name",
            "email",
            "building__code",
            "position__code",
            "status",
            "hired_on",
            "separated_on",
        )
    ]


def read_roster(path) -> list[tuple]:
    """The file's rows after the header, as written by write_roster."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
        assert tuple(rows[0]) == synthetic.ROSTER_HEADER
        return [tuple(row) for row in rows[1:]]
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == synthetic.ROSTER_HEADER
    # Read-only rows stop at their last value: pad them to the header's width.
    width = len(synthetic.ROSTER_HEADER)
    return [row + (None,) * (width - len(row)) for row in rows[1:]]


def as_csv_cells(row: tuple) -> tuple:
    return tuple(
        "" if value is None else value.isoformat() if isinstance(value, dt.date) else value
        for value in row
    )


def as_xlsx_cells(row: tuple) -> tuple:
    """openpyxl reads a date cell back as a datetime at midnight, and an empty one as None."""
    return tuple(
        dt.datetime.combine(value, dt.time()) if isinstance(value, dt.date) else (value or None)
        for value in row
    )


# What it writes


def test_the_counts_it_returns_are_what_the_database_holds(district):
    assert district["staff"] == StaffMember.objects.count() == 60
    assert district["buildings"] == Building.objects.count() == 4
    assert district["sessions"] == Session.objects.count() == 20
    assert district["meetings"] == Meeting.objects.count()
    assert district["enrollments"] == Enrollment.objects.count()
    assert district["completions"] == Completion.objects.count()
    assert district["feed tokens"] == FeedToken.objects.count() == 60
    assert district["requirements"] == Requirement.objects.count()
    assert district["courses"] == Course.objects.count() >= 40


def test_its_catalog_is_the_demo_catalog_and_the_larger_district_courses(district):
    demo_courses = {spec.code: spec for spec in content.COURSES}
    courses = Course.objects.select_related("strand").prefetch_related("prerequisites")
    for course in courses:
        spec = demo_courses.get(course.code)
        if spec is None:
            continue
        # A course the Birmingham demo also offers is the same course here.
        assert (course.title, course.strand.code, course.clock_hours) == (
            spec.title,
            spec.strand,
            Decimal(spec.clock_hours),
        )
        assert course.evaluation_required == spec.evaluation_required
        assert {p.code for p in course.prerequisites.all()} == set(spec.prerequisites)
    codes = set(courses.values_list("code", flat=True))
    # Committee work earns no clock hours: not in a district's professional learning.
    assert {"crt-101", "crl-101", "bt-institute", "nti-101", "lit-101"} <= codes
    assert not codes & {"tf-advisory", "tf-review", "tf-design", "tf-steering"}


def test_every_course_meets_for_exactly_its_clock_hours():
    for spec in synthetic.COURSES:
        count, slot = synthetic.MEETINGS[spec.clock_hours]
        assert count * slot.hours == Decimal(spec.clock_hours), spec.code


def test_each_session_has_the_meetings_of_its_courses_hours(district):
    for session in Session.objects.select_related("course").annotate(n=Count("meetings")):
        count, _ = synthetic.MEETINGS[str(session.course.clock_hours.normalize())]
        assert session.n == count, session


def test_about_twenty_enrollments_and_ten_completions_per_person(district):
    assert 15 <= district["enrollments"] / district["staff"] <= 24
    assert 5 <= district["completions"] / district["staff"] <= 14


def test_every_staff_member_has_a_feed_token(district):
    assert not StaffMember.objects.filter(feed_token__isnull=True).exists()
    assert FeedToken.objects.values("key").distinct().count() == 60
    # Written in bulk, each with the digest its feed URL is looked up by.
    for key, digest in FeedToken.objects.values_list("key", "key_digest"):
        assert digest == feed_key_digest(key)


def test_emails_and_employee_ids_are_unique(district):
    assert StaffMember.objects.annotate(e=Lower("email")).values("e").distinct().count() == 60
    assert StaffMember.objects.values("employee_id").distinct().count() == 60
    assert all(len(i) == 7 for i in StaffMember.objects.values_list("employee_id", flat=True))


def test_staff_status_and_dates_are_consistent(district, now):
    today = now.date()
    for member in StaffMember.objects.all():
        assert member.hired_on <= today
        assert member.hired_on >= today - dt.timedelta(days=31 * 366)
        if member.status == StaffStatus.SEPARATED:
            assert member.hired_on < member.separated_on < today
        else:
            assert member.separated_on is None
    categories = Counter(StaffMember.objects.values_list("position__category", flat=True))
    assert categories[PositionCategory.TEACHER] > 60 * 0.5


def test_each_building_has_an_active_leader_working_there(district):
    for building in Building.objects.prefetch_related("leaders__position"):
        leaders = list(building.leaders.all())
        assert 1 <= len(leaders) <= 2, building
        for leader in leaders:
            assert leader.building_id == building.pk
            assert leader.status == StaffStatus.ACTIVE
            assert leader.position.category in (
                PositionCategory.LEADER,
                PositionCategory.CENTRAL_OFFICE,
            )
    kinds = set(Building.objects.values_list("kind", flat=True))
    assert {"elementary", "middle", "high", "administration"} <= kinds


def test_the_plan_has_requirements_in_the_current_year(district, now):
    plan = Plan.objects.get(slug=synthetic.PLAN_SLUG)
    years = list(plan.years.order_by("starts_on"))
    assert len(years) == 3
    assert years[1].starts_on <= now.date() <= years[1].ends_on
    current = Requirement.objects.filter(goal__plan_year=years[1])
    assert current.count() == 10
    assert current.filter(kind="clock_hours").exists()
    assert current.filter(audience_positions__isnull=False).exists()
    assert current.filter(audience_groups__isnull=False).exists()
    for requirement in current:
        assert years[1].starts_on <= requirement.due_on <= years[1].ends_on


def test_no_one_has_two_live_enrollments_in_a_session(district):
    doubled = (
        Enrollment.objects.filter(status__in=LIVE_STATUSES)
        .values("staff", "session")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()


def test_no_session_is_overbooked_and_only_full_ones_have_a_waitlist(district):
    sessions = Session.objects.annotate(
        held=Count("enrollments", filter=Q(enrollments__status__in=SEAT_HOLDING_STATUSES)),
        waiting=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)),
    )
    assert not sessions.filter(held__gt=F("capacity")).exists()
    assert not sessions.filter(waiting__gt=0).exclude(held=F("capacity")).exists()
    assert sessions.filter(held__gt=0).count() == 20
    assert set(sessions.values_list("status", flat=True)) == {SessionStatus.PUBLISHED}


def test_statuses_fit_the_session_dates(district, now):
    sessions = Session.objects.annotate(
        first=Min("meetings__starts_at"), last=Max("meetings__ends_at")
    )
    for session in sessions:
        meetings = session.meetings.count()
        assert 1 <= meetings <= 4
        assert session.registration_opens_at < session.registration_closes_at < session.first
        statuses = set(session.enrollments.values_list("status", flat=True))
        if session.last < now:
            allowed = {"completed", "incomplete", "withdrawn", "declined"}
        elif session.first < now:
            allowed = {"enrolled", "withdrawn"}
        else:
            allowed = {"enrolled", "waitlisted", "pending_approval", "withdrawn"}
        assert statuses <= allowed, session
    for enrollment in Enrollment.objects.select_related("session"):
        assert enrollment.session.registration_opens_at <= enrollment.requested_at < now
        assert enrollment.requested_at <= enrollment.status_changed_at <= now
        if enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
            assert enrollment.hold_expires_at > now
        else:
            assert enrollment.hold_expires_at is None
    pending = Enrollment.objects.filter(status=EnrollmentStatus.PENDING_APPROVAL)
    assert not pending.exclude(session__requires_approval=True).exists()


def test_completions_match_the_completed_enrollments(district):
    completed = Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED)
    from_sessions = Completion.objects.filter(source=CompletionSource.SESSION)
    assert set(from_sessions.values_list("enrollment", flat=True)) == set(
        completed.values_list("pk", flat=True)
    )
    for completion in from_sessions.select_related("course", "enrollment__session"):
        session = completion.enrollment.session
        assert completion.staff_id == completion.enrollment.staff_id
        assert completion.course_id == session.course_id
        assert completion.clock_hours == completion.course.clock_hours
        last = session.meetings.aggregate(last=Max("ends_at"))["last"]
        assert completion.completed_on == last.astimezone(ZONE).date()
    outside = Completion.objects.exclude(source=CompletionSource.SESSION)
    assert outside.exists()
    assert not outside.filter(enrollment__isnull=False).exists()
    assert not outside.filter(evidence="").exists()
    codes = Completion.objects.values_list("verification_code", flat=True)
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 12 for code in codes)


def test_only_group_members_take_sessions_restricted_to_the_group(district):
    restricted = Enrollment.objects.filter(session__restricted_to_group__isnull=False)
    assert not restricted.exclude(staff__staff_groups=F("session__restricted_to_group")).exists()


def test_nobody_attends_a_session_they_facilitate_or_before_they_were_hired(district):
    assert not Session.objects.filter(facilitators__isnull=True).exists()
    assert not Enrollment.objects.filter(session__facilitators=F("staff")).exists()
    for enrollment in Enrollment.objects.select_related("staff", "session"):
        first = enrollment.session.meetings.aggregate(first=Min("starts_at"))["first"]
        assert enrollment.staff.hired_on < first.astimezone(ZONE).date()


def test_the_progress_report_runs_on_it():
    today = synthetic.district_now().date()
    spring = synthetic.district_now(dt.date(school_year_start(today).year + 1, 3, 15))
    synthetic.generate_district(**SMALL, now=spring)
    year = PlanYear.objects.get(
        plan__slug=synthetic.PLAN_SLUG, starts_on__lte=spring.date(), ends_on__gte=spring.date()
    )

    report = progress_report(filters=Filters(plan_year=year), as_of=spring.date())

    assert len(report.requirements) == 10
    assert report.total.audience > 0
    assert report.total.completed > 0
    # rp-101 is for all staff: everyone employed and not on leave on its due date.
    (everyone,) = [
        r
        for r in report.requirements
        if r.requirement.course_id and r.requirement.course.code == "rp-101"
    ]
    due = everyone.requirement.due_on
    employed = StaffMember.objects.filter(hired_on__lte=due).exclude(status=StaffStatus.ON_LEAVE)
    expected = employed.filter(Q(separated_on__isnull=True) | Q(separated_on__gte=due)).count()
    assert everyone.tally.audience == expected > 40


# Refusal


def test_it_refuses_a_database_that_holds_staff(now):
    StaffMemberFactory()

    with pytest.raises(ValueError, match="already holds 1 staff members"):
        synthetic.generate_district(**SMALL, now=now)

    assert StaffMember.objects.count() == 1
    assert not Plan.objects.exists()
    assert not Position.objects.filter(code="pl-coordinator").exists()


def test_it_refuses_too_few_staff_for_the_buildings(now):
    with pytest.raises(ValueError, match="4 buildings need at least"):
        synthetic.generate_district(staff=5, buildings=4, sessions=3, seed=1, now=now)
    assert not Building.objects.exists()


# Determinism


def test_the_same_arguments_build_the_same_district(now):
    with pytest.raises(RolledBack), transaction.atomic():
        synthetic.generate_district(**SMALL, now=now)
        first = snapshot()
        raise RolledBack
    assert not StaffMember.objects.exists()

    synthetic.generate_district(**SMALL, now=now)

    assert snapshot() == first
    assert len(first["enrollment.Enrollment"]) > 600


def test_another_seed_gives_other_staff():
    first = {(row[0], row[4]) for row in synthetic.roster_rows(**ROSTER)}
    other = {(row[0], row[4]) for row in synthetic.roster_rows(**{**ROSTER, "seed": 8})}
    assert len(first) == len(other) == 60
    assert first != other


def test_the_roster_file_is_the_same_every_time(tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"

    assert synthetic.write_roster(first, **ROSTER) == 60
    assert synthetic.write_roster(second, **ROSTER) == 60

    assert first.read_bytes() == second.read_bytes()
    first_xlsx, second_xlsx = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    synthetic.write_roster(first_xlsx, **ROSTER)
    synthetic.write_roster(second_xlsx, **ROSTER)
    assert read_roster(first_xlsx) == read_roster(second_xlsx)
    assert len(read_roster(first_xlsx)) == 60


def test_a_roster_needs_a_known_format(tmp_path):
    with pytest.raises(ValueError, match=".xlsx or .csv"):
        synthetic.write_roster(tmp_path / "roster.ods", **ROSTER)


# The roster file


def test_the_roster_file_holds_the_staff_the_district_has(tmp_path, now):
    synthetic.generate_district(**SMALL, now=now)
    expected = roster_of_database()
    csv_path, xlsx_path = tmp_path / "roster.csv", tmp_path / "roster.xlsx"
    synthetic.write_roster(csv_path, **ROSTER)
    synthetic.write_roster(xlsx_path, **ROSTER)

    assert read_roster(csv_path) == [as_csv_cells(row) for row in expected]
    assert read_roster(xlsx_path) == [as_xlsx_cells(row) for row in expected]
    # Leading zeros kept: the id is text in the workbook.
    assert all(isinstance(row[0], str) for row in read_roster(xlsx_path))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_roster_file_imports_into_an_empty_district_without_errors(tmp_path, suffix):
    path = tmp_path / f"roster{suffix}"
    synthetic.write_roster(path, **ROSTER)
    expected = list(synthetic.roster_rows(**ROSTER))

    preview = services.roster_preview(
        source=path.read_bytes(), file_name=path.name, create_missing=True, actor=None
    )

    assert preview.errors == []
    assert preview.counts["created"] == 60
    assert preview.counts["invalid_rows"] == 0
    services.roster_commit(run=preview.run, actor=None)
    assert sorted(roster_of_database()) == sorted(expected)
    assert set(Building.objects.values_list("code", flat=True)) == {row[5] for row in expected}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_roster_file_previews_unchanged_after_generating(tmp_path, now, suffix):
    synthetic.generate_district(**SMALL, now=now)
    path = tmp_path / f"roster{suffix}"
    synthetic.write_roster(path, **ROSTER)

    preview = services.roster_preview(source=path.read_bytes(), file_name=path.name, actor=None)

    assert preview.errors == []
    assert preview.counts["unchanged"] == 60
    changed = ("created", "updated", "reactivated", "deactivated")
    assert [preview.counts[key] for key in changed] == [0, 0, 0, 0]


# The command


def run(*args) -> str:
    out = StringIO()
    call_command("generate_district", *map(str, args), stdout=out)
    return out.getvalue()


COMMAND_ARGS = ("--staff", 60, "--buildings", 4, "--sessions", 20, "--seed", 7)


def test_the_command_builds_the_district_and_says_what_it_wrote():
    output = run(*COMMAND_ARGS)

    assert "Generated a synthetic district (seed 7) in" in output
    assert "4 buildings, 60 staff, 4 groups (" in output
    counts = {
        match["name"]: int(match["count"].replace(",", ""))
        for match in re.finditer(r"^  (?P<name>\S.*?) +(?P<count>[\d,]+)$", output, re.M)
    }
    assert counts["staff"] == StaffMember.objects.count() == 60
    assert counts["enrollments"] == Enrollment.objects.count()
    assert counts["feed tokens"] == 60


def test_the_command_refuses_a_database_with_staff():
    StaffMemberFactory()

    with pytest.raises(CommandError, match="already holds 1 staff members"):
        run(*COMMAND_ARGS)

    assert StaffMember.objects.count() == 1


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_command_writes_the_roster_too(tmp_path, suffix):
    path = tmp_path / f"roster{suffix}"

    output = run(*COMMAND_ARGS, "--roster-out", path)

    assert f"Wrote the roster of 60 staff to {path}" in output
    assert StaffMember.objects.count() == 60
    assert len(read_roster(path)) == 60
    assert {row[0] for row in read_roster(path)} == set(
        StaffMember.objects.values_list("employee_id", flat=True)
    )


def test_the_command_writes_only_the_roster_when_asked(tmp_path):
    path = tmp_path / "roster.csv"

    output = run(*COMMAND_ARGS, "--roster-out", path, "--roster-only")

    assert "Generated" not in output
    assert "Wrote the roster of 60 staff" in output
    assert not StaffMember.objects.exists()
    assert not Building.objects.exists()
    assert len(read_roster(path)) == 60


def test_the_command_needs_a_roster_file_for_roster_only_and_a_known_suffix(tmp_path):
    with pytest.raises(CommandError, match="give it --roster-out"):
        run(*COMMAND_ARGS, "--roster-only")
    with pytest.raises(CommandError, match=r"\.xlsx or \.csv"):
        run(*COMMAND_ARGS, "--roster-out", tmp_path / "roster.txt")
    assert not StaffMember.objects.exists()
    assert not list(tmp_path.iterdir())

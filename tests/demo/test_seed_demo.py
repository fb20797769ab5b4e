"""seed_demo: the demo district is built once, placed around today, consistent with every rule
the services enforce, and safe to run again or to reset."""

import datetime as dt
import itertools
import re
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min
from django.db.models.functions import Lower
from django.test import RequestFactory
from django.utils import timezone

from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from catalog.selectors import shape_sessions
from demo import content as demo_content
from demo import seed as demo
from enrollment.choices import LIVE_STATUSES, SEAT_HOLDING_STATUSES, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment
from learning import access
from learning.access import Role
from learning.models import Building, DataChange, Plan, StaffGroup, StaffMember
from tests.factories import StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

DISTRICT_ZONE = ZoneInfo(settings.TIME_ZONE)
SNAPSHOT_APPS = ("learning", "catalog", "enrollment", "calendars", "imports")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, built once for this module inside a transaction that is rolled back after the
    last test; each test's changes roll back with its own savepoint. (Deleting the demo instead
    would leave its audit history behind for the modules that run next.)"""
    with django_db_blocker.unblock(), transaction.atomic():
        demo.build_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def debug_on(settings):
    """seed_demo runs where DEBUG is on (`make run`); pytest-django turns it off, and the tests
    of a server without DEBUG turn it off again."""
    settings.DEBUG = True


def run_seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def real_admin():
    """A district's own superuser that happens to share the demo admin's username."""
    return UserFactory(
        username="admin", email="admin@district.example", is_superuser=True, is_staff=True
    )


REFUSED_REAL_ADMIN = re.escape('Refusing to load the demo: it needs the username(s) "admin"')


def snapshot() -> dict:
    """Counts of every model, and the fields that change when a row is rewritten."""
    User = get_user_model()
    counts = {
        model._meta.label: model.objects.count()
        for label in SNAPSHOT_APPS
        for model in apps.get_app_config(label).get_models()
        # DataChange rows only mark that something was written.
        if model is not DataChange
    }
    counts["auth.User"] = User.objects.count()
    return {
        "counts": counts,
        "meetings": sorted(Meeting.objects.values_list("uid", "starts_at", "status", "sequence")),
        "enrollments": sorted(
            Enrollment.objects.values_list("staff_id", "session_id", "status", "updated_at")
        ),
        "staff": sorted(
            StaffMember.objects.values_list("employee_id", "email", "status", "updated_at")
        ),
        "sessions": sorted(Session.objects.values_list("pk", "capacity", "status", "updated_at")),
        "completions": sorted(
            Completion.objects.values_list("staff_id", "course_id", "completed_on", "updated_at")
        ),
        "users": sorted(User.objects.values_list("username", "password", "is_superuser")),
        "plans": sorted(Plan.objects.values_list("slug", "starts_on", "ends_on", "updated_at")),
    }


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(DISTRICT_ZONE).date()


def shaped_sessions():
    """Sessions with seats_taken, seats_left, waitlist_length, first_starts_at, last_ends_at."""
    return shape_sessions(Session.objects.all())


def one_seat_left_sessions(now: dt.datetime):
    """Published, upcoming, open for registration, exactly one seat left."""
    return [
        session
        for session in shaped_sessions().filter(
            status=SessionStatus.PUBLISHED,
            first_starts_at__gt=now,
            registration_opens_at__lt=now,
            registration_closes_at__gt=now,
            restricted_to_group__isnull=True,
            requires_approval=False,
        )
        if session.seats_left == 1
    ]


def assert_placed_around(now: dt.datetime) -> None:
    """What every build must hold, whatever the day it runs."""
    today = timezone.localdate(now, DISTRICT_ZONE)
    plan = Plan.objects.get(slug=demo_content.PLAN_SLUG)
    years = list(plan.years.order_by("starts_on"))
    assert len(years) == 3
    assert years[1].starts_on <= today <= years[1].ends_on
    assert (plan.starts_on, plan.ends_on) == (years[0].starts_on, years[2].ends_on)
    for year in years:
        assert (year.starts_on.month, year.starts_on.day, year.ends_on.month) == (7, 1, 6)
        assert year.name == f"{year.starts_on.year}-{(year.starts_on.year + 1) % 100:02d}"

    sessions = list(shaped_sessions())
    assert all(s.seats_taken <= s.capacity for s in sessions)
    assert [s.status for s in sessions].count(SessionStatus.CANCELLED) == 1
    assert any(s.seats_left == 0 and s.waitlist_length > 0 for s in sessions)
    assert any(s.first_starts_at > now for s in sessions)
    assert any(s.last_ends_at < now and s.seats_taken for s in sessions)

    teacher = StaffMember.objects.get(user__username=demo_content.DemoRole.TEACHER)
    left_one = one_seat_left_sessions(now)
    assert len(left_one) == 1
    assert not left_one[0].enrollments.filter(staff=teacher, status__in=LIVE_STATUSES).exists()

    # The facilitator's meeting today is held whatever day today is, its attendance still to take.
    today_session = next(s for s in sessions if s.title == "Drop-in circle lab")
    assert [local_day(m.starts_at) for m in today_session.meetings.all()] == [today]
    assert not Attendance.objects.filter(meeting__session=today_session).exists()
    assert today_session.facilitators.filter(user__username="facilitator").exists()
    assert today_session.enrollments.filter(status=EnrollmentStatus.ENROLLED).exists()

    for meeting in Meeting.objects.exclude(session=today_session):
        assert meeting.ends_at > meeting.starts_at
        assert local_day(meeting.starts_at).weekday() < 5

    for session in sessions:
        if session == today_session:
            continue
        days = [local_day(meeting.starts_at) for meeting in session.meetings.all()]
        label = f"{session.course.code} {session.title}: {days}"
        # A series keeps its rhythm and its school year: no meeting in a break, none skipped.
        assert not any(demo.in_break(day) for day in days), label
        assert len({demo.school_year_start(day) for day in days}) == 1, label
        gaps = {(later - earlier).days for earlier, later in itertools.pairwise(days)}
        assert len(gaps) <= 1 or gaps <= {28, 35}, label  # monthly: 4 or 5 weeks apart
        # Nobody takes part before they were hired.
        assert not session.enrollments.filter(staff__hired_on__gt=days[0]).exists(), label

    # This year's new teachers meet in this school year, once hired, and take part.
    cohort = Session.objects.get(restricted_to_group__slug=demo_content.NEW_TEACHER_COHORT)
    cohort_days = [local_day(meeting.starts_at) for meeting in cohort.meetings.all()]
    assert years[1].starts_on <= cohort_days[0] and cohort_days[-1] <= years[1].ends_on
    members = set(cohort.restricted_to_group.members.values_list("pk", flat=True))
    enrolled = set(cohort.enrollments.values_list("staff_id", flat=True))
    assert enrolled and enrolled <= members

    # Every session that has begun has people in it, whether open to all or to one group.
    begun = shaped_sessions().filter(status=SessionStatus.PUBLISHED, first_starts_at__lt=now)
    assert begun.filter(restricted_to_group__isnull=True).exists()
    assert begun.filter(restricted_to_group__isnull=False).exists()
    empty = [f"{s.course.code} {s.title}" for s in begun if not s.enrollments.exists()]
    assert not empty, empty


# -- running it again ------------------------------------------------------------------------


def test_a_second_run_changes_nothing(seeded):
    before = snapshot()

    output = run_seed_demo()

    assert "already loaded" in output
    assert "was built for" not in output
    assert snapshot() == before


def test_every_run_prints_the_demo_logins(seeded):
    output = run_seed_demo()

    for role in demo_content.DemoRole:
        assert f" {role.value} " in output
    assert demo_content.PASSWORD in output
    assert "Grace Okafor, Principal, Maple Elementary" in output


def test_reset_builds_the_demo_again(seeded):
    before = snapshot()
    old_uids = {uid for uid, *_ in before["meetings"]}

    output = run_seed_demo("--reset")

    after = snapshot()
    assert "Loaded the demo" in output
    assert after["counts"] == before["counts"]
    assert old_uids.isdisjoint(uid for uid, *_ in after["meetings"])


def test_reset_is_refused_in_a_real_districts_database(seeded):
    StaffMemberFactory(first_name="Real", last_name="Person", is_demo=False)
    before = snapshot()

    with pytest.raises(CommandError, match="not demo data"):
        run_seed_demo("--reset")

    assert snapshot() == before


def test_without_reset_a_real_districts_database_is_left_alone(seeded):
    demo.delete_demo()
    StaffMemberFactory(is_demo=False)
    real_admin()
    before = snapshot()

    output = run_seed_demo()

    assert "Not loading the demo" in output
    # The real "admin" is not listed as a demo login with the published password.
    assert demo_content.PASSWORD not in output
    assert snapshot() == before


def test_seed_refuses_a_real_login_with_a_demo_username(seeded):
    demo.delete_demo()
    admin = real_admin()
    before = snapshot()

    with pytest.raises(CommandError, match=REFUSED_REAL_ADMIN):
        run_seed_demo()

    assert snapshot() == before
    assert get_user_model().objects.get(username="admin").email == admin.email


@pytest.mark.parametrize("demo_loaded", [True, False], ids=["demo-loaded", "no-demo"])
def test_reset_never_replaces_a_real_login_with_a_demo_username(seeded, demo_loaded):
    if demo_loaded:
        get_user_model().objects.filter(username="admin").delete()
    else:
        demo.delete_demo()
    admin = real_admin()
    before = snapshot()

    with pytest.raises(CommandError, match=REFUSED_REAL_ADMIN) as refused:
        run_seed_demo("--reset")

    assert "Nothing was changed" in str(refused.value)
    assert snapshot() == before
    survivor = get_user_model().objects.get(username="admin")
    assert (survivor.pk, survivor.email, survivor.is_superuser) == (admin.pk, admin.email, True)


def test_logins_left_from_an_earlier_demo_are_replaced_by_reset(seeded):
    demo.delete_demo()
    UserFactory(username="hr", email="priya.shah@demo.bps.example")

    with pytest.raises(CommandError, match="left from an earlier demo"):
        run_seed_demo()
    output = run_seed_demo("--reset")

    assert "Loaded the demo" in output
    assert get_user_model().objects.get(username="hr").staff_member.is_demo


@pytest.mark.parametrize("args", [(), ("--reset",)], ids=["seed", "reset"])
def test_without_debug_the_published_password_is_refused(seeded, settings, args):
    demo.delete_demo()
    settings.DEBUG = False
    before = snapshot()

    with pytest.raises(CommandError, match="published") as refused:
        run_seed_demo(*args)

    assert "--allow-without-debug" in str(refused.value)
    assert snapshot() == before


def test_allow_without_debug_loads_the_demo_anyway(seeded, settings):
    demo.delete_demo()
    settings.DEBUG = False

    output = run_seed_demo("--allow-without-debug")

    assert "Loaded the demo" in output
    assert demo.is_loaded()


def test_a_demo_built_in_an_earlier_school_year_says_how_to_move_it(seeded):
    demo.delete_demo()
    demo.build_demo(now=dt.datetime(2024, 11, 22, 12, 0, tzinfo=DISTRICT_ZONE))
    before = snapshot()

    output = run_seed_demo()

    assert (
        "The demo was built for 2024-25; run `python manage.py seed_demo --reset` to place it "
        "around today." in output
    )
    assert snapshot() == before


# -- where it sits in time ---------------------------------------------------------------------


def test_today_falls_in_the_plans_middle_year(seeded):
    assert_placed_around(timezone.now())


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 7, 1, 7, 0, tzinfo=DISTRICT_ZONE),  # the first day of a school year
        dt.datetime(2026, 7, 20, 9, 0, tzinfo=DISTRICT_ZONE),  # the new teachers meet in August
        dt.datetime(2026, 9, 2, 12, 0, tzinfo=DISTRICT_ZONE),  # the new teachers' series under way
        dt.datetime(2026, 10, 1, 12, 0, tzinfo=DISTRICT_ZONE),  # 62 days back is summer break
        dt.datetime(2027, 1, 4, 12, 0, tzinfo=DISTRICT_ZONE),  # just after winter break
        dt.datetime(2027, 6, 30, 22, 0, tzinfo=DISTRICT_ZONE),  # the last day of a school year
    ],
    ids=["first-day", "july-20", "september-2", "october-1", "after-winter-break", "last-day"],
)
def test_the_demo_can_be_built_on_any_day(seeded, now):
    demo.delete_demo()

    demo.build_demo(now=now)

    assert_placed_around(now)


def test_plan_years_are_named_and_placed_from_today():
    assert demo.plan_years_around(dt.date(2026, 11, 22)) == [
        ("2025-26", dt.date(2025, 7, 1), dt.date(2026, 6, 30)),
        ("2026-27", dt.date(2026, 7, 1), dt.date(2027, 6, 30)),
        ("2027-28", dt.date(2027, 7, 1), dt.date(2028, 6, 30)),
    ]
    assert demo.plan_years_around(dt.date(2027, 6, 30))[1][0] == "2026-27"
    assert demo.plan_years_around(dt.date(2027, 7, 1))[1][0] == "2027-28"


# -- the catalog -------------------------------------------------------------------------------


def contrast_with_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def test_six_strands_with_distinct_colours_dark_enough_for_white_text(seeded):
    strands = list(Strand.objects.all())

    assert [s.name for s in strands] == [
        "Culturally Responsive Teaching",
        "Restorative Practices",
        "Social Emotional Learning",
        "Character Education",
        "Diversity, Equity and Inclusion",
        "Strategic Plan Task Force",
    ]
    assert len({s.colour.lower() for s in strands}) == 6
    assert all(contrast_with_white(s.colour) >= 4.5 for s in strands)


def test_courses_have_prerequisite_chains(seeded):
    courses = {course.code: course for course in Course.objects.prefetch_related("prerequisites")}

    def requires(code: str) -> set[str]:
        return {c.code for c in courses[code].prerequisites.all()}

    assert len(courses) >= 12
    assert requires("crt-201") == {"crt-101"}
    assert requires("rp-201") == {"rp-101"}
    assert requires("rp-301") == {"rp-201"}
    assert courses["dei-110"].strand.code == "dei"
    assert courses["bt-institute"].requires_approval
    assert sum(c.evaluation_required for c in courses.values()) >= 3


def test_committee_meetings_earn_no_clock_hours(seeded):
    committee = Course.objects.filter(strand__code="task-force")
    completions = Completion.objects.filter(course__in=committee)

    assert committee.count() == 4
    assert set(committee.values_list("clock_hours", flat=True)) == {Decimal(0)}
    assert completions.count() >= 29  # Workshop 1, at least
    assert set(completions.values_list("clock_hours", flat=True)) == {Decimal(0)}
    assert not Completion.objects.exclude(course__in=committee).filter(clock_hours=0).exists()


def test_each_sessions_meetings_add_up_to_its_courses_clock_hours():
    hours = {course.code: Decimal(course.clock_hours) for course in demo_content.COURSES}

    for spec in demo_content.SESSIONS:
        assert spec.slot.hours * spec.meetings == hours[spec.course], spec


# -- the task force and the committees ----------------------------------------------------------


def test_advisory_committee_workshop_1_keeps_its_real_date_and_place(seeded):
    advisory = StaffGroup.objects.get(name="Advisory Committee")
    session = Session.objects.get(course__code="tf-advisory", title="Workshop 1")
    meeting = session.meetings.get()

    assert advisory.members.count() == 29
    assert StaffGroup.objects.get(name="Review Committee").members.count() == 29
    assert meeting.starts_at == dt.datetime(2022, 1, 5, 17, 0, tzinfo=DISTRICT_ZONE)
    assert meeting.ends_at == dt.datetime(2022, 1, 5, 20, 0, tzinfo=DISTRICT_ZONE)
    assert session.building.name == "Education Administration Building"
    assert session.building.address == "31301 Evergreen Road, Beverly Hills, MI 48025"
    assert session.restricted_to_group == advisory
    enrolled = set(session.enrollments.values_list("staff_id", flat=True))
    assert enrolled == set(advisory.members.values_list("pk", flat=True))
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == 29


def test_only_workshop_1_is_presented_as_a_real_date():
    task_force = [s for s in demo_content.SESSIONS if s.course.startswith("tf-")]
    real = [s for s in task_force if isinstance(s.when, demo_content.OnRealDate)]
    invented = [s for s in task_force if isinstance(s.when, demo_content.OnInventedDate)]

    assert [(s.title, s.when.day) for s in real] == [("Workshop 1", dt.date(2022, 1, 5))]
    assert len(invented) == 5
    assert all(dt.date(2021, 12, 1) <= s.when.day <= dt.date(2022, 3, 31) for s in invented)


def test_the_steering_committee_meets_monthly_this_school_year(seeded):
    today = timezone.localdate()
    steering = StaffGroup.objects.get(name="Better Together Steering Committee")
    this_year = Session.objects.filter(restricted_to_group=steering).latest("pk")
    days = [local_day(m.starts_at) for m in this_year.meetings.all()]

    assert len(days) == 10
    assert len({(d.year, d.month) for d in days}) == 10
    assert demo.school_year_start(days[0]) == demo.school_year_start(today)
    assert this_year.enrollments.count() == steering.members.count()


# -- sessions and enrollments ----------------------------------------------------------------------


def test_the_cancelled_session_cancelled_its_meetings_and_enrollments(seeded):
    session = Session.objects.get(status=SessionStatus.CANCELLED)

    enrollments = session.enrollments.all()
    cancelled = enrollments.filter(status=EnrollmentStatus.CANCELLED)
    withdrawn = enrollments.filter(status=EnrollmentStatus.WITHDRAWN)

    assert set(session.meetings.values_list("status", flat=True)) == {MeetingStatus.CANCELLED}
    assert cancelled.exists()
    assert enrollments.count() == cancelled.count() + withdrawn.count()
    # Whoever withdrew did so before the session was cancelled.
    last_withdrawal = withdrawn.aggregate(last=Max("status_changed_at"))["last"]
    first_cancellation = cancelled.aggregate(first=Min("status_changed_at"))["first"]
    assert last_withdrawal is None or last_withdrawal <= first_cancellation
    assert all(e.requested_at <= first_cancellation for e in enrollments)


def test_a_full_sessions_waitlist_asked_after_everyone_enrolled(seeded):
    full = [s for s in shaped_sessions() if s.seats_left == 0 and s.waitlist_length]

    assert full
    for session in full:
        enrollments = session.enrollments
        last_seat = enrollments.filter(status__in=SEAT_HOLDING_STATUSES).aggregate(
            last=Max("requested_at")
        )["last"]
        first_waiting = enrollments.filter(status=EnrollmentStatus.WAITLISTED).aggregate(
            first=Min("requested_at")
        )["first"]
        assert first_waiting > last_seat


def test_a_series_meets_weekly_at_least_three_times(seeded):
    series = [s for s in Session.objects.all() if s.meetings.count() >= 3]

    assert any(
        all(
            (b.starts_at - a.starts_at) >= dt.timedelta(days=7)
            for a, b in zip(list(s.meetings.all()), list(s.meetings.all())[1:], strict=False)
        )
        for s in series
    )


def test_past_sessions_have_attendance_completions_and_evaluations(seeded):
    now = timezone.now()
    finished = shaped_sessions().filter(last_ends_at__lt=now, status=SessionStatus.PUBLISHED)
    checked = 0
    for session in finished.select_related("course"):
        meetings = list(session.meetings.all())
        completed_on = local_day(meetings[-1].ends_at)
        enrollments = session.enrollments.select_related("evaluation").prefetch_related(
            "attendance", "completions"
        )
        for enrollment in enrollments.filter(status=EnrollmentStatus.COMPLETED):
            attendance = list(enrollment.attendance.all())
            assert len(attendance) == len(meetings) and all(a.present for a in attendance)
            (completion,) = enrollment.completions.all()
            assert completion.completed_on == completed_on
            assert completion.clock_hours == session.course.clock_hours
            if session.course.evaluation_required:
                assert hasattr(enrollment, "evaluation")
            checked += 1
        for enrollment in enrollments.filter(status=EnrollmentStatus.INCOMPLETE):
            assert not all(a.present for a in enrollment.attendance.all())
            assert not enrollment.completions.all()
    assert checked > 1000
    assert Completion.objects.filter(source="manual").exclude(evidence="").exists()
    assert Completion.objects.filter(source="import").exclude(evidence="").exists()


def test_no_upcoming_session_has_attendance_or_completions(seeded):
    upcoming = shaped_sessions().filter(first_starts_at__gt=timezone.now())

    assert not Attendance.objects.filter(meeting__session__in=upcoming).exists()
    assert not Completion.objects.filter(enrollment__session__in=upcoming).exists()


# -- people and logins ---------------------------------------------------------------------------


def test_staff_are_demo_people_with_unique_demo_emails(seeded):
    staff = StaffMember.objects.all()
    emails = list(staff.annotate(lower=Lower("email")).values_list("lower", flat=True))

    assert 550 <= staff.count() <= 650
    assert not staff.filter(is_demo=False).exists()
    assert len(emails) == len(set(emails))
    assert all(email.endswith("@demo.bps.example") for email in emails)
    assert all(len(e) == 6 and e.isdigit() for e in staff.values_list("employee_id", flat=True))
    assert staff.filter(status="on_leave").exists()
    assert staff.filter(status="separated", separated_on__isnull=False).exists()
    assert Building.objects.filter(kind="elementary").count() >= 8


def test_each_role_has_a_login_with_the_shared_password(seeded):
    User = get_user_model()
    expected_roles = {
        "teacher": {Role.STAFF},
        "facilitator": {Role.STAFF, Role.FACILITATOR},
        "leader": {Role.STAFF, Role.BUILDING_LEADER},
        "districtpd": {Role.STAFF, Role.DISTRICT_PD},
        "hr": {Role.STAFF, Role.HR},
    }

    # As the login form signs in: the login throttle counts attempts per request.
    login = RequestFactory().post("/accounts/login/")
    for username, roles in expected_roles.items():
        user = authenticate(login, username=username, password=demo_content.PASSWORD)
        assert user is not None, username
        assert roles <= access.roles_of(user), username
        assert user.staff_member.is_demo
    # District PD and HR work in the Django admin; the others only use the site.
    staff_flags = dict(User.objects.values_list("username", "is_staff"))
    assert {name: staff_flags[name] for name in expected_roles} == {
        "teacher": False,
        "facilitator": False,
        "leader": False,
        "districtpd": True,
        "hr": True,
    }
    admin = authenticate(login, username="admin", password=demo_content.PASSWORD)
    assert admin.is_superuser and admin.is_staff
    assert access.staff_of(admin) is None
    assert list(User.objects.get(username="districtpd").groups.values_list("name", flat=True)) == [
        access.DISTRICT_PD_GROUP
    ]
    assert list(User.objects.get(username="hr").groups.values_list("name", flat=True)) == [
        access.HR_GROUP
    ]


def test_the_leader_is_the_principal_of_the_teachers_building(seeded):
    leader = StaffMember.objects.get(user__username="leader")
    teacher = StaffMember.objects.get(user__username="teacher")

    assert leader.position.code == "principal"
    assert list(leader.leads_buildings.all()) == [leader.building]
    assert teacher.building == leader.building
    assert teacher.position.code == "teacher"


def test_the_leader_starts_with_requests_from_their_building_with_notes(seeded):
    from enrollment.selectors import pending_approvals
    from plan.selectors import start_page

    leader = StaffMember.objects.get(user__username="leader")

    page = start_page(user=leader.user)
    waiting = list(pending_approvals(user=leader.user))

    assert page.approvals_waiting == len(waiting) >= 2
    assert {e.staff.building_id for e in waiting} == {leader.building_id}
    assert any(e.request_note for e in waiting)


# The place of a day in the school year decides what is behind: the demo is built on fixed days.
@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 12, 7, 12, 0, tzinfo=DISTRICT_ZONE),
        dt.datetime(2027, 1, 4, 12, 0, tzinfo=DISTRICT_ZONE),
    ],
    ids=["december-7", "after-winter-break"],
)
def test_the_leader_has_a_requirement_behind_and_the_district_a_shortfall(seeded, now):
    from plan.progress import Status
    from plan.selectors import start_page

    demo.delete_demo()
    demo.build_demo(now=now)
    leader = StaffMember.objects.get(user__username="leader")
    districtpd = StaffMember.objects.get(user__username="districtpd")

    page = start_page(user=leader.user, now=now)
    district = start_page(user=districtpd.user, now=now)

    behind = {
        item.requirement.course.code: item.status
        for item in page.behind
        if item.requirement.course is not None
    }
    assert behind.get("sel-201") == Status.BEHIND, behind
    short = {seats.short_label for seats in district.seats if not seats.reachable}
    assert "SEL-201" in short, short


def test_the_facilitator_leads_past_and_upcoming_sessions(seeded):
    now = timezone.now()
    facilitator = StaffMember.objects.get(user__username="facilitator")
    theirs = shaped_sessions().filter(facilitators=facilitator)

    assert theirs.filter(last_ends_at__lt=now).count() >= 2
    assert theirs.filter(first_starts_at__gt=now).count() >= 2


def test_the_demo_teachers_history_and_plans(seeded):
    now = timezone.now()
    teacher = StaffMember.objects.get(user__username="teacher")
    upcoming = shaped_sessions().filter(last_ends_at__gt=now)

    assert teacher.completions.filter(enrollment__isnull=False).count() >= 3
    assert teacher.completions.filter(source="manual").exists()
    enrolled = upcoming.filter(enrollments__staff=teacher, enrollments__status="enrolled")
    assert 2 <= enrolled.count() <= 3
    waitlisted = [
        s for s in upcoming.filter(enrollments__staff=teacher, enrollments__status="waitlisted")
    ]
    assert len(waitlisted) == 1 and waitlisted[0].seats_left == 0
    assert teacher.staff_groups.filter(name="Better Together Steering Committee").exists()


def test_some_teachers_moved_schools_this_year_and_count_where_they_were(seeded):
    from learning.choices import StaffStatus
    from learning.models import StaffAssignment
    from plan.progress import Filters, progress_report

    today = timezone.localdate()
    middle = Plan.objects.get(slug=demo_content.PLAN_SLUG).years.order_by("starts_on")[1]
    moves = StaffAssignment.objects.filter(
        ends_on__isnull=False, status=StaffStatus.ACTIVE, staff__status=StaffStatus.ACTIVE
    ).select_related("staff")
    movers = {row.staff for row in moves if row.building_id != row.staff.building_id}
    assert len(movers) == demo.DEMO_TRANSFERS
    for row in moves.filter(staff__in=movers):
        assert middle.starts_on < row.ends_on < today
        assert StaffAssignment.objects.get(staff=row.staff, ends_on__isnull=True).building_id == (
            row.staff.building_id
        )
    # Counted at their old school for a requirement due before they moved: the first year's
    # hate-and-bias training (due in October of the first year) counts all staff.
    report = progress_report(filters=Filters(plan_year=middle.plan.years.order_by("starts_on")[0]))
    hate_and_bias = next(r for r in report.requirements if r.requirement.course.code == "dei-110")
    placed = {e.staff_id: e.building_id for e in hate_and_bias.entries}
    counted = [m for m in movers if not m.hired_on or m.hired_on <= hate_and_bias.count_date]
    assert counted
    for mover in counted:
        old = moves.get(staff=mover).building_id
        assert placed[mover.pk] == old != mover.building_id


def test_people_on_leave_went_on_leave_this_year(seeded):
    from learning.choices import StaffStatus
    from learning.models import StaffAssignment

    on_leave = StaffMember.objects.filter(status=StaffStatus.ON_LEAVE)
    assert on_leave.exists()
    for person in on_leave:
        current = StaffAssignment.objects.get(staff=person, ends_on__isnull=True)
        assert current.status == StaffStatus.ON_LEAVE
        assert current.starts_on <= timezone.localdate()

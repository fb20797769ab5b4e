"""The one set of people and records the permission tests share: two buildings, a login per role,
and for each page and endpoint an object of the teacher's (and of others) to try it on.

Building X ("maple") is led by the leader; building Y ("oak") is not. The teacher, a peer and the
facilitator work in X; the outsider works in Y. Names are distinctive so a page, feed or workbook
can be searched for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from calendars.models import FeedToken
from catalog.choices import SessionStatus
from enrollment.choices import EnrollmentStatus
from imports import services as import_services
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import CalendarDelivery
from plan.models import Frequency, ReportSubscription
from tests import factories as f
from worker.models import Job, JobStatus

# The roles of DESIGN.md's Roles section, in the order of the matrix's columns. "admin" is a
# superuser without a staff record.
ROLES = ("anon", "teacher", "facilitator", "leader", "district_pd", "hr", "admin")

ROSTER_HEADER = "Employee ID,First Name,Last Name,Email,Building,Position\n"
NEW_PERSON_ROW = "N00001,Nora,Newhire,nora.newhire@bps.example.org,maple,teacher\n"
BAD_ROW = "N00002,Ned,Broken,not-an-email,maple,teacher\n"

# The tables a write may touch; sessions and django-axes' logs change with every login, not with
# what a request asks for.
FINGERPRINTED_APPS = (
    "auth",
    "authtoken",
    "learning",
    "catalog",
    "enrollment",
    "calendars",
    "imports",
    "audit",
    "plan",
    "core",
    "worker",
)


@dataclass
class World:
    users: dict[str, User | None] = field(default_factory=dict)
    staff: dict[str, object] = field(default_factory=dict)
    o: SimpleNamespace = field(default_factory=SimpleNamespace)


def _person(building, first, last, *, username=None, groups=(), leads=None, position=None):
    extra = {"leads": leads} if leads else {}
    if position is not None:
        extra["position"] = position
    staff = f.StaffMemberFactory(building=building, first_name=first, last_name=last, **extra)
    if username:
        f.login_for(staff, username=username, groups=groups)
    # A feed address for everyone with a login, so rotating and revoking have something to act on.
    f.FeedTokenFactory(staff=staff)
    staff.calendar_delivery = CalendarDelivery.FEED
    staff.save(update_fields=["calendar_delivery"])
    return staff


def build_world() -> World:
    now = timezone.now()
    today = timezone.localdate(now)
    w = World()
    o = w.o
    o.x = f.BuildingFactory(code="maple", name="Maple Elementary")
    o.y = f.BuildingFactory(code="oak", name="Oak Middle")
    principal = f.PositionFactory(code="principal", category="leader")

    w.staff["teacher"] = o.teacher = _person(o.x, "Tess", "Teacher", username="teacher")
    o.peer = _person(o.x, "Petra", "Peerson", username="peer")
    o.outsider = _person(o.y, "Yara", "Yonderby", username="outsider")
    # In Y, with nothing done: outstanding on every requirement.
    o.outsider_idle = _person(o.y, "Oona", "Oakley")
    w.staff["facilitator"] = o.facilitator = _person(
        o.x, "Fran", "Facilitator", username="facilitator"
    )
    w.staff["leader"] = o.leader = _person(
        o.x, "Lee", "Leader", username="leader", leads=[o.x], position=principal
    )
    w.staff["district_pd"] = o.district_pd = _person(
        o.y, "Pat", "Planner", username="districtpd", groups=[DISTRICT_PD_GROUP]
    )
    w.staff["hr"] = o.hr = _person(o.y, "Harper", "Records", username="hr", groups=[HR_GROUP])
    admin = f.login_for(None, username="admin", superuser=True)
    w.users = {"anon": None, "admin": admin}
    w.users.update({role: staff.user for role, staff in w.staff.items()})
    # What the admin's access fields could hand out: a login that is nobody's yet, and an API
    # token, which signs its holder in as its login.
    o.spare_login = f.login_for(None, username="spare")
    o.peer_token = Token.objects.create(user=o.peer.user)

    o.strand = f.StrandFactory(code="crt", name="Culturally responsive teaching")
    o.course = f.CourseFactory(code="crt-101", title="Culturally Responsive Teaching 101")
    o.other_course = f.CourseFactory(code="rp-101", title="Restorative Practices 101")
    o.open_course = f.CourseFactory(code="sel-101", title="Social-Emotional Learning 101")
    soon = now + dt.timedelta(days=7)
    before = now - dt.timedelta(days=3)

    def session(course, *, starts_at, **kwargs):
        made = f.SessionFactory(course=course, building=o.x, **kwargs)
        f.MeetingFactory(
            session=made, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
        )
        return made

    # Open, nobody enrolled: every role may try to enroll or assign here.
    o.s_enroll = session(
        o.open_course,
        starts_at=soon + dt.timedelta(days=3),
        virtual_url="https://meet.example.org/staff-only-room",
    )
    # Over, facilitated: the roster, attendance, evaluations and completions.
    o.s_past = session(o.course, starts_at=before)
    o.s_past.facilitators.add(o.facilitator)
    o.past_meeting = o.s_past.meetings.get()
    # Waiting for approval: the teacher's request and the outsider's.
    o.s_approval = session(o.other_course, starts_at=soon, requires_approval=True)
    # A seat the teacher may give up.
    o.s_withdraw = session(o.other_course, starts_at=soon + dt.timedelta(days=1))
    o.s_draft = session(o.other_course, starts_at=soon, status=SessionStatus.DRAFT)
    # Only the peer's: it must reach nobody else's calendar feed.
    o.s_peer_only = session(
        o.other_course, starts_at=soon + dt.timedelta(days=2), title="Peer-only coaching"
    )

    enrolled = EnrollmentStatus.ENROLLED
    o.e_teacher_past = f.EnrollmentFactory(staff=o.teacher, session=o.s_past, status=enrolled)
    o.e_peer_past = f.EnrollmentFactory(staff=o.peer, session=o.s_past, status=enrolled)
    o.e_outsider_past = f.EnrollmentFactory(staff=o.outsider, session=o.s_past, status=enrolled)
    o.eval_peer = f.EvaluationFactory(enrollment=o.e_peer_past, comment="Petra's private words")
    pending = EnrollmentStatus.PENDING_APPROVAL
    o.e_pending = f.EnrollmentFactory(staff=o.teacher, session=o.s_approval, status=pending)
    o.e_pending_outsider = f.EnrollmentFactory(
        staff=o.outsider, session=o.s_approval, status=pending
    )
    o.e_withdraw = f.EnrollmentFactory(staff=o.teacher, session=o.s_withdraw, status=enrolled)
    o.e_peer_withdraw = f.EnrollmentFactory(staff=o.peer, session=o.s_withdraw, status=enrolled)
    o.e_peer_only = f.EnrollmentFactory(staff=o.peer, session=o.s_peer_only, status=enrolled)

    completed_on = today - dt.timedelta(days=10)
    o.c_teacher = f.CompletionFactory(
        staff=o.teacher, course=o.course, completed_on=completed_on, evidence="sign-in sheet"
    )
    o.c_peer = f.CompletionFactory(staff=o.peer, course=o.course, completed_on=completed_on)
    o.c_outsider = f.CompletionFactory(staff=o.outsider, course=o.course, completed_on=completed_on)
    o.outside_teacher = f.OutsideActivityFactory(staff=o.teacher, strand=o.course.strand)

    # A plan year around today, so the reports count these people.
    o.plan = f.PlanFactory(
        slug="better-together",
        starts_on=today - dt.timedelta(days=400),
        ends_on=today + dt.timedelta(days=700),
    )
    o.plan_year = f.PlanYearFactory(
        plan=o.plan,
        name="This year",
        starts_on=today - dt.timedelta(days=100),
        ends_on=today + dt.timedelta(days=200),
    )
    o.goal = f.GoalFactory(plan_year=o.plan_year, title="Every adult trained")
    o.requirement = f.RequirementFactory(
        goal=o.goal, course=o.course, target_percent=90, due_on=o.plan_year.ends_on
    )

    hr_user = w.users["hr"]
    o.run_ok = import_services.import_preview(
        kind="roster",
        source=(ROSTER_HEADER + NEW_PERSON_ROW).encode(),
        file_name="roster.csv",
        actor=hr_user,
    ).run
    o.run_errors = import_services.import_preview(
        kind="roster",
        source=(ROSTER_HEADER + BAD_ROW).encode(),
        file_name="errors.csv",
        actor=hr_user,
    ).run
    o.hr_job = Job.objects.create(
        kind="import_preview",
        title="The roster preview of roster.csv",
        created_by=hr_user,
        status=JobStatus.DONE,
        result=b"made",
        result_name="made.txt",
        result_type="text/plain",
        result_url=f"/hr/imports/{o.run_ok.pk}/",
    )
    o.leader_subscription = ReportSubscription.objects.create(
        user=w.users["leader"], frequency=Frequency.WEEKLY
    )
    o.teacher_feed_key = FeedToken.objects.get(staff=o.teacher).key
    o.peer_feed_key = FeedToken.objects.get(staff=o.peer).key
    return w


def _fingerprinted_tables() -> list[str]:
    tables = []
    for app_label in FINGERPRINTED_APPS:
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            # Permissions change with migrations only.
            if model._meta.label != "auth.Permission":
                tables.append(model._meta.db_table)
    return tables


def fingerprint() -> dict[str, int]:
    """A hash of every row of every table a request could write (the many-to-many tables
    included): equal before and after a request means it wrote nothing. Plain SQL, as this runs
    twice for every write of the matrix."""
    prints = {}
    with connection.cursor() as cursor:
        for table in _fingerprinted_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            prints[table] = hash(repr(cursor.fetchall()))
    return prints


def changed_tables(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(label for label, value in after.items() if before.get(label) != value)

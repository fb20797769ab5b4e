"""A small district for the fuzzer: every kind of object the API reads or writes, in the states
that matter (open, ended, draft, cancelled and full sessions; enrolled, waitlisted, pending and
completed enrollments; live and voided completions; an import preview), so that ids in paths and
bodies can name real objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from rest_framework.authtoken.models import Token

from catalog.choices import SessionStatus
from enrollment.choices import CompletionSource, EnrollmentStatus
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from tests.factories import (
    AttendanceFactory,
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    GoalFactory,
    ImportRunFactory,
    MeetingFactory,
    PlanFactory,
    PlanYearFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    StrandFactory,
    login_for,
)
from worker.models import Job


@dataclass
class World:
    """Tokens of the two logins the fuzzer signs in as, and the ids of what exists, by the name
    the API gives each resource in paths and bodies."""

    district_pd_token: str
    teacher_token: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)


def _days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def build_world() -> World:
    maple = BuildingFactory(code="maple", name="Maple Elementary")
    oak = BuildingFactory(code="oak", name="Oak Middle")
    teacher_position = PositionFactory(code="teacher")
    principal = PositionFactory(code="principal", category="leader")

    pd = StaffMemberFactory(first_name="Pat", last_name="Planner", building=oak)
    pd_user = login_for(pd, username="fuzz-districtpd", groups=[DISTRICT_PD_GROUP])
    teacher = StaffMemberFactory(
        first_name="José", last_name="Núñez", building=maple, position=teacher_position
    )
    teacher_user = login_for(teacher, username="fuzz-teacher")
    colleague = StaffMemberFactory(first_name="Zoë", last_name="O'Brien", building=maple)
    oak_teacher = StaffMemberFactory(first_name="نور", last_name="حداد", building=oak)
    leader = StaffMemberFactory(
        first_name="Lee", last_name="Leader", building=maple, position=principal, leads=[maple]
    )
    login_for(leader, username="fuzz-leader")
    hr = StaffMemberFactory(first_name="Harper", last_name="Records", building=oak)
    hr_user = login_for(hr, username="fuzz-hr", groups=[HR_GROUP])
    cohort = StaffGroupFactory(name="New-teacher cohort", members=[teacher, colleague])

    crt = StrandFactory(code="crt", name="Culturally responsive teaching")
    sel = StrandFactory(code="sel", name="Social-emotional learning")
    crt_101 = CourseFactory(code="crt-101", title="CRT foundations 🌍", strand=crt)
    crt_201 = CourseFactory(code="crt-201", title="CRT in practice", strand=crt)
    crt_201.prerequisites.add(crt_101)
    sel_101 = CourseFactory(
        code="sel-101", title="SEL basics", strand=sel, evaluation_required=True
    )
    restorative = CourseFactory(
        code="rp-101", title="Restorative circles", strand=sel, requires_approval=True
    )

    open_session = SessionFactory(course=crt_101, building=maple, capacity=25)
    open_session.facilitators.add(pd)
    ended = SessionFactory(course=sel_101, building=oak, capacity=25)
    ended.facilitators.add(pd)
    full = SessionFactory(course=crt_101, building=oak, capacity=1, title="Cohort B")
    approval = SessionFactory(course=restorative, building=maple)
    draft = SessionFactory(course=crt_201, status=SessionStatus.DRAFT, building=None)
    draft.facilitators.add(pd)
    cancelled = SessionFactory(course=sel_101, status=SessionStatus.CANCELLED)
    restricted = SessionFactory(course=crt_201, restricted_to_group=cohort, building=oak)
    sessions = [open_session, ended, full, approval, draft, cancelled, restricted]
    for days, session in enumerate(sessions, start=3):
        if session is ended:
            MeetingFactory(session=session, starts_at=_days(-20), ends_at=_days(-20 + 0.1))
            MeetingFactory(session=session, starts_at=_days(-13), ends_at=_days(-13 + 0.1))
        else:
            MeetingFactory(session=session, starts_at=_days(days), ends_at=_days(days + 0.1))

    enrollments = [
        EnrollmentFactory(staff=teacher, session=open_session),
        EnrollmentFactory(staff=teacher, session=ended),
        EnrollmentFactory(staff=colleague, session=ended, status=EnrollmentStatus.COMPLETED),
        EnrollmentFactory(staff=colleague, session=full),
        EnrollmentFactory(staff=oak_teacher, session=full, status=EnrollmentStatus.WAITLISTED),
        EnrollmentFactory(
            staff=colleague, session=approval, status=EnrollmentStatus.PENDING_APPROVAL
        ),
        EnrollmentFactory(staff=oak_teacher, session=open_session),
        EnrollmentFactory(staff=teacher, session=full, status=EnrollmentStatus.WITHDRAWN),
    ]
    for meeting in ended.meetings.all():
        AttendanceFactory(enrollment=enrollments[1], meeting=meeting)
        AttendanceFactory(enrollment=enrollments[2], meeting=meeting)
    evaluation = EvaluationFactory(enrollment=enrollments[2], comment="Très utile, merci!")

    today = timezone.localdate()
    completions = [
        CompletionFactory(staff=teacher, course=crt_101, completed_on=today - dt.timedelta(40)),
        CompletionFactory(
            staff=colleague,
            course=sel_101,
            enrollment=enrollments[2],
            completed_on=today - dt.timedelta(13),
        ),
        CompletionFactory(
            staff=oak_teacher,
            course=restorative,
            source=CompletionSource.MANUAL,
            evidence="Certificate",
            clock_hours=Decimal("1.50"),
            completed_on=today - dt.timedelta(100),
        ),
        CompletionFactory(
            staff=colleague,
            course=crt_101,
            completed_on=today - dt.timedelta(200),
            voided_at=_days(-10),
            void_reason="Entered twice",
        ),
    ]

    plan = PlanFactory(starts_on=today - dt.timedelta(400), ends_on=today + dt.timedelta(700))
    plan_year = PlanYearFactory(
        plan=plan,
        name=f"{today.year - 1}-{today.year % 100:02d}",
        starts_on=today - dt.timedelta(100),
        ends_on=today + dt.timedelta(200),
    )
    goal = GoalFactory(plan_year=plan_year, title="Every adult practises CRT")
    requirement = RequirementFactory(
        goal=goal, course=crt_101, target_percent=80, due_on=today + dt.timedelta(150)
    )
    RequirementFactory(
        goal=goal, course=sel_101, target_percent=60, due_on=today - dt.timedelta(10)
    )

    import_run = ImportRunFactory(created_by=hr_user)
    job = Job.objects.create(
        kind="workbook", title="The completions workbook", created_by=pd_user, status="done"
    )

    return World(
        district_pd_token=Token.objects.create(user=pd_user).key,
        teacher_token=Token.objects.create(user=teacher_user).key,
        ids={
            "strands": [crt.pk, sel.pk],
            "courses": [crt_101.pk, crt_201.pk, sel_101.pk, restorative.pk],
            "buildings": [maple.pk, oak.pk],
            "sessions": [session.pk for session in sessions],
            "meetings": [m.pk for s in sessions for m in s.meetings.all()],
            "enrollments": [enrollment.pk for enrollment in enrollments],
            "completions": [completion.pk for completion in completions],
            "evaluations": [evaluation.pk],
            "imports": [import_run.pk],
            "jobs": [job.pk],
            "staff": [teacher.pk, colleague.pk, oak_teacher.pk, leader.pk, pd.pk, hr.pk],
            "plan_years": [plan_year.pk],
            "requirements": [requirement.pk],
        },
        codes={
            "building": [maple.code, oak.code],
            "course": [crt_101.code, crt_201.code, sel_101.code, restorative.code],
            "strand": [crt.code, sel.code],
            "staff": [teacher.employee_id, colleague.employee_id, oak_teacher.employee_id],
            "position": [teacher_position.code, principal.code],
        },
    )

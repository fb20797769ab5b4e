"""A small district that touches every exported table, with the names and text a backup must
carry unchanged: accents, apostrophes, right-to-left script, emoji, a formula-like name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from rest_framework.authtoken.models import Token

from catalog.choices import MeetingStatus, SessionStatus
from enrollment.choices import (
    CompletionSource,
    EnrollmentSource,
    EnrollmentStatus,
    OutsideActivityStatus,
    ReminderKind,
)
from enrollment.models import Reminder
from imports.choices import ImportOutcome
from learning.choices import GroupKind, RequirementKind, StaffStatus
from learning.models import StaffAssignment
from plan.models import Frequency, ReportSubscription
from tests.factories import (
    DISTRICT_PD_GROUP,
    AttendanceFactory,
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    FeedTokenFactory,
    GoalFactory,
    ImportRunFactory,
    MeetingFactory,
    OutsideActivityFactory,
    PositionFactory,
    RequirementFactory,
    SessionFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    StrandFactory,
    local,
    login_for,
)

JOSE = "José Núñez"
ZOE_LAST_NAME = "O'Brien"
ARABIC = "مريم الحسن"
HEBREW_ROOM = "חדר המורים"
EMOJI_COMMENT = "Loved it 🎉🙌 — très utile"
FORMULA_NAME = '=HYPERLINK("http://x.example")'
VOID_REASON = "Entered twice; the second is the real one ✔"


def seed_district() -> dict:
    """Every exported table gets rows; returns the rows the tests look up again."""
    # Microseconds on purpose: a backup must keep them (Django's JSON cuts them to ms).
    stamp = dt.datetime(2026, 9, 14, 15, 30, 12, 345678, tzinfo=dt.UTC)
    north = BuildingFactory(code="escuela-nunez", name="Escuela Núñez", address="1 Ñandú Way")
    south = BuildingFactory(code="beit-sefer", name=f"בית ספר {HEBREW_ROOM}")
    teacher = PositionFactory(code="teacher")
    counselor = PositionFactory(code="counselor", name="Counselor 🧭", category="support")
    jose = StaffMemberFactory(
        first_name="José", last_name="Núñez", building=north, position=teacher
    )
    zoe = StaffMemberFactory(
        first_name="Zoë",
        last_name=ZOE_LAST_NAME,
        preferred_name="Zo 🌈",
        building=south,
        position=counselor,
        managed_manually=True,
        leads=[south, north],
    )
    maryam = StaffMemberFactory(
        first_name="مريم", last_name="الحسن", building=south, status=StaffStatus.ON_LEAVE
    )
    formula = StaffMemberFactory(first_name=FORMULA_NAME, last_name="Quote", building=north)
    leaver = StaffMemberFactory(
        building=None,
        position=None,
        status=StaffStatus.SEPARATED,
        separated_on=dt.date(2026, 6, 30),
    )
    # A transfer: José moved from the south building to the north one.
    StaffAssignment.objects.create(
        staff=jose,
        building=south,
        position=teacher,
        status=StaffStatus.ACTIVE,
        starts_on=None,
        ends_on=dt.date(2025, 8, 25),
    )
    StaffAssignment.objects.create(
        staff=jose,
        building=north,
        position=teacher,
        status=StaffStatus.ACTIVE,
        starts_on=dt.date(2025, 8, 25),
    )
    committee = StaffGroupFactory(
        name="Comité «Better Together»",
        kind=GroupKind.COMMITTEE,
        description=f"{ARABIC} — steering",
        members=[jose, maryam],
    )

    admin = login_for(None, username="admin", superuser=True)
    planner = login_for(zoe, username="zoë.obrien", groups=[DISTRICT_PD_GROUP])
    planner.user_permissions.add(Permission.objects.get(codename="view_importrun"))
    jose_login = login_for(jose, username="jose")
    token = Token.objects.create(user=planner)
    feed = FeedTokenFactory(staff=jose, last_client="Outlook/16 ✉", fetch_count=7)

    strand = StrandFactory(code="crt", name="Culturally Responsive Teaching 🌍")
    basics = CourseFactory(code="crt-101", title="Foundations — Fundamentos", strand=strand)
    advanced = CourseFactory(
        code="crt-201", title=f"Advanced: {ARABIC}", strand=strand, clock_hours=Decimal("7.25")
    )
    advanced.prerequisites.add(basics)
    session = SessionFactory(
        course=basics,
        building=north,
        room=HEBREW_ROOM,
        title="Cohorte «A»",
        capacity=2,
        restricted_to_group=committee,
        registration_opens_at=stamp,
        notes=EMOJI_COMMENT,
    )
    session.facilitators.add(zoe)
    online = SessionFactory(
        course=advanced,
        building=None,
        room="",
        virtual_url="https://meet.example.org/crt-201",
        status=SessionStatus.CANCELLED,
    )
    first = MeetingFactory(
        session=session, starts_at=local(2026, 10, 1), ends_at=local(2026, 10, 1, 18)
    )
    MeetingFactory(
        session=online,
        starts_at=local(2026, 11, 5, 15, 45),
        ends_at=local(2026, 11, 5, 17),
        status=MeetingStatus.CANCELLED,
    )
    jose_place = EnrollmentFactory(
        staff=jose,
        session=session,
        status=EnrollmentStatus.COMPLETED,
        requested_at=stamp,
        acted_by=admin,
        approved_by=admin,
        approved_at=stamp,
    )
    EnrollmentFactory(staff=maryam, session=session, status=EnrollmentStatus.ENROLLED)
    EnrollmentFactory(
        staff=formula,
        session=session,
        status=EnrollmentStatus.WAITLISTED,
        source=EnrollmentSource.ASSIGNED,
    )
    EnrollmentFactory(
        staff=leaver,
        session=online,
        status=EnrollmentStatus.CANCELLED,
        decision_reason="Sesión cancelada",
    )
    AttendanceFactory(enrollment=jose_place, meeting=first, present=True, recorded_by=planner)
    EvaluationFactory(enrollment=jose_place, comment=EMOJI_COMMENT)
    Reminder.objects.create(
        enrollment=jose_place,
        meeting=first,
        kind=ReminderKind.ONE_DAY,
        starts_at=first.starts_at,
    )
    kept = CompletionFactory(
        staff=jose,
        course=basics,
        enrollment=jose_place,
        completed_on=dt.date(2026, 10, 1),
        recorded_by=planner,
    )
    voided = CompletionFactory(
        staff=jose,
        course=basics,
        completed_on=dt.date(2026, 9, 30),
        source=CompletionSource.MANUAL,
        evidence="Certificate nº 42",
        voided_at=stamp,
        voided_by=planner,
        void_reason=VOID_REASON,
    )
    CompletionFactory(
        staff=maryam,
        course=advanced,
        clock_hours=Decimal("7.25"),
        source=CompletionSource.IMPORT,
        evidence=ARABIC,
    )
    outside_credit = CompletionFactory(
        staff=maryam,
        course=advanced,
        completed_on=dt.date(2026, 8, 14),
        clock_hours=Decimal("11.50"),
        source=CompletionSource.OUTSIDE,
        evidence="Conférence d'été, Université — 2 days",
        recorded_by=planner,
    )
    OutsideActivityFactory(
        staff=maryam,
        title="Conférence d'été",
        provider="Université de Montréal",
        starts_on=dt.date(2026, 8, 13),
        ends_on=dt.date(2026, 8, 14),
        hours=Decimal("12.00"),
        strand=advanced.strand,
        status=OutsideActivityStatus.APPROVED,
        approved_hours=Decimal("11.50"),
        completion=outside_credit,
        decided_by=planner,
        decided_at=stamp,
    )
    OutsideActivityFactory(staff=jose, strand=basics.strand, description=ARABIC)

    goal = GoalFactory(title="Every teacher culturally responsive — «todos»")
    course_requirement = RequirementFactory(goal=goal, course=basics, target_percent=90)
    course_requirement.audience_positions.add(teacher)
    course_requirement.audience_buildings.add(north, south)
    course_requirement.audience_groups.add(committee)
    RequirementFactory(
        goal=goal,
        kind=RequirementKind.CLOCK_HOURS,
        course=None,
        strand=strand,
        clock_hours=Decimal("12.50"),
        target_percent=75,
        count_completions_before_plan_year=True,
    )

    run = ImportRunFactory(
        file_name="plantilla de personal — ñ.xlsx",
        created_by=planner,
        outcome=ImportOutcome.COMMITTED,
        options={"sync": True, "mapping": {"Nombre": "first_name"}},
        counts={"created": 1, "updated": 2},
        change_set={
            "rows": [
                {"employee_id": jose.employee_id, "changes": {"last_name": ["Nunez", "Núñez"]}},
                {"employee_id": "X1", "changes": {"first_name": [None, ARABIC + " 🙂"]}},
            ]
        },
        errors=[{"row": 3, "column": "Email", "message": "Ni una dirección ✗"}],
        message="Committed",
        committed_at=stamp,
    )
    ReportSubscription.objects.create(
        user=planner,
        frequency=Frequency.WEEKLY,
        query=f"strand={strand.code}",
        last_period="2026-W49",
        last_numbers={str(course_requirement.pk): [3, 7]},
        paused_reason="Pas envoyé — ✗",
    )
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(type(jose)),
        object_id=str(jose.pk),
        object_repr=str(jose),
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["{JOSE}"]}}}}]',
    )
    return {
        "jose": jose,
        "zoe": zoe,
        "jose_login": jose_login,
        "planner": planner,
        "token": token,
        "feed": feed,
        "kept": kept,
        "voided": voided,
        "run": run,
        "session": session,
    }

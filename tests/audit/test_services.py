"""The audit history of writes through the services and the ORM: who, from where, and each
changed field before and after, for every tracked model; bulk writes included; nothing for a
rolled-back write."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction, AuditSource
from audit.context import acting
from audit.models import AuditEntry
from catalog.choices import SessionStatus
from enrollment import services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import RequirementKind, StaffStatus
from learning.models import Requirement, StaffMember
from plan import services as plan_services
from tests import factories as f

pytestmark = pytest.mark.django_db


def entries(obj=None, **filters) -> list[AuditEntry]:
    if obj is not None:
        filters |= {"model": obj._meta.label_lower, "object_id": obj.pk}
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def last(obj) -> AuditEntry:
    return entries(obj)[-1]


@pytest.fixture
def planner():
    return f.login_for(f.StaffMemberFactory(), groups=[DISTRICT_PD_GROUP], username="planner")


@pytest.fixture
def open_session():
    session = f.SessionFactory(capacity=1)
    f.MeetingFactory(session=session)
    return session


def test_a_staff_member_created_changed_and_deleted_outside_any_request():
    staff = f.StaffMemberFactory(first_name="Ada", last_name="Byron", employee_id="E1")
    created = last(staff)
    assert (created.action, created.source, created.actor, created.actor_label) == (
        AuditAction.CREATED,
        AuditSource.SYSTEM,
        None,
        "",
    )
    assert created.staff_id == staff.pk
    assert created.changes["first_name"] == [None, "Ada"]
    assert created.changes["employee_id"] == [None, "E1"]
    assert created.changes["hired_on"] == [None, "2020-08-20"]
    assert "created_at" not in created.changes and "updated_at" not in created.changes

    staff.last_name = "Lovelace"
    staff.status = StaffStatus.ON_LEAVE
    staff.save()
    changed = last(staff)
    assert changed.action == AuditAction.CHANGED
    assert changed.changes == {
        "last_name": ["Byron", "Lovelace"],
        "status": [StaffStatus.ACTIVE, StaffStatus.ON_LEAVE],
    }

    # Saved again without a change: nothing is recorded.
    staff.save()
    assert len(entries(staff)) == 2

    pk = staff.pk
    staff.delete()
    deleted = entries(model="learning.staffmember", object_id=pk)[-1]
    assert deleted.action == AuditAction.DELETED
    assert deleted.staff_id == pk
    assert deleted.changes["last_name"] == ["Lovelace", None]


def test_enrollment_through_the_service_names_the_actor(teacher, open_session):
    placement = services.enrollment_create(staff=teacher, session=open_session, actor=teacher.user)
    entry = last(placement.enrollment)
    assert (entry.action, entry.source, entry.actor, entry.staff_id) == (
        AuditAction.CREATED,
        AuditSource.SERVICE,
        teacher.user,
        teacher.pk,
    )
    assert entry.actor_label == "teacher"
    assert entry.changes["status"] == [None, EnrollmentStatus.ENROLLED]
    assert entry.changes["session"] == [None, open_session.pk]

    services.enrollment_withdraw(enrollment=placement.enrollment, actor=teacher.user)
    entry = last(placement.enrollment)
    assert entry.action == AuditAction.CHANGED
    assert entry.actor == teacher.user
    assert entry.changes["status"] == [EnrollmentStatus.ENROLLED, EnrollmentStatus.WITHDRAWN]


def test_a_freed_seat_given_from_the_waitlist_is_recorded_in_bulk(teacher, planner, open_session):
    seated = services.enrollment_create(staff=teacher, session=open_session, actor=teacher.user)
    other = f.StaffMemberFactory()
    waiting = services.enrollment_create(staff=other, session=open_session, actor=planner)
    assert waiting.enrollment.status == EnrollmentStatus.WAITLISTED

    services.enrollment_withdraw(enrollment=seated.enrollment, actor=teacher.user)

    promoted = last(waiting.enrollment)
    assert promoted.changes["status"] == [EnrollmentStatus.WAITLISTED, EnrollmentStatus.ENROLLED]
    # The teacher's withdrawal freed the seat: the promotion is theirs.
    assert (promoted.actor, promoted.staff_id) == (teacher.user, other.pk)


def test_lapsed_approval_holds_are_the_systems(open_session):
    enrollment = f.EnrollmentFactory(
        session=open_session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert services.approval_holds_lapse() == 1
    entry = last(enrollment)
    assert (entry.source, entry.actor) == (AuditSource.SYSTEM, None)
    assert entry.changes["status"] == [
        EnrollmentStatus.PENDING_APPROVAL,
        EnrollmentStatus.DECLINED,
    ]
    assert entry.changes["decision_reason"][0] == ""


def test_attendance_and_the_completion_it_earns_are_recorded(facilitator, facilitated_session):
    meeting = f.MeetingFactory(
        session=facilitated_session, starts_at=timezone.now() - dt.timedelta(hours=3)
    )
    enrollment = f.EnrollmentFactory(session=facilitated_session)
    actor = facilitator.user

    services.attendance_record(meeting=meeting, marks={enrollment.pk: True}, actor=actor)

    attendance = Attendance.objects.get()
    entry = last(attendance)
    assert (entry.action, entry.actor, entry.staff_id) == (
        AuditAction.CREATED,
        actor,
        enrollment.staff_id,
    )
    assert entry.changes["present"] == [None, True]
    completion = Completion.objects.get()
    earned = last(completion)
    assert (earned.action, earned.actor, earned.staff_id) == (
        AuditAction.CREATED,
        actor,
        enrollment.staff_id,
    )
    assert earned.changes["clock_hours"] == [None, str(completion.clock_hours)]
    assert last(enrollment).changes["status"] == [
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.COMPLETED,
    ]

    # Corrected to absent: the mark changes and the completion is voided, both by the actor.
    services.attendance_record(meeting=meeting, marks={enrollment.pk: False}, actor=actor)
    assert last(attendance).changes["present"] == [True, False]
    voided = last(completion)
    assert voided.action == AuditAction.CHANGED
    assert voided.changes["voided_by"] == [None, actor.pk]
    assert voided.changes["void_reason"] == ["", services.AUTOMATIC_VOID_REASON]


def test_voiding_a_completion_shows_who_voided_it(planner):
    enrollment = f.EnrollmentFactory(status=EnrollmentStatus.COMPLETED)
    completion = f.CompletionFactory(staff=enrollment.staff, enrollment=enrollment)

    services.completion_void(completion=completion, reason="Entered twice", actor=planner)

    entry = last(completion)
    assert (entry.action, entry.actor, entry.actor_label, entry.staff_id) == (
        AuditAction.CHANGED,
        planner,
        "planner",
        completion.staff_id,
    )
    assert set(entry.changes) == {"voided_at", "voided_by", "void_reason"}
    assert entry.changes["voided_by"] == [None, planner.pk]
    assert entry.changes["void_reason"] == ["", "Entered twice"]
    # The enrollment it credited is incomplete again, by the same person (a bulk update).
    assert last(enrollment).changes["status"] == [
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.INCOMPLETE,
    ]
    assert last(enrollment).actor == planner


def test_a_manual_completion_records_its_values(planner):
    staff, course = f.StaffMemberFactory(), f.CourseFactory(clock_hours=Decimal("6"))
    completion = services.completion_record(
        staff=staff,
        course=course,
        completed_on=dt.date(2026, 1, 5),
        clock_hours=Decimal("4.5"),
        evidence="MDE #4471",
        actor=planner,
    )
    entry = last(completion)
    assert entry.changes["clock_hours"] == [None, "4.50"]
    assert entry.changes["completed_on"] == [None, "2026-01-05"]
    assert entry.changes["recorded_by"] == [None, planner.pk]
    assert "verification_code" not in entry.changes


def test_a_cancelled_session_and_its_enrollments_are_recorded(planner, open_session, teacher):
    placement = services.enrollment_create(staff=teacher, session=open_session, actor=teacher.user)
    services.session_cancel(session=open_session, actor=planner, reason="Facilitator ill")

    assert last(open_session).changes == {
        "status": [SessionStatus.PUBLISHED, SessionStatus.CANCELLED]
    }
    assert last(open_session).actor == planner
    entry = last(placement.enrollment)
    assert entry.changes["status"] == [EnrollmentStatus.ENROLLED, EnrollmentStatus.CANCELLED]
    assert entry.changes["decision_reason"] == ["", "Facilitator ill"]
    assert entry.actor == planner


def test_meeting_changes_leave_out_uid_and_sequence():
    meeting = f.MeetingFactory()
    assert "uid" not in last(meeting).changes
    meeting.room = "Library"
    meeting.sequence += 1
    meeting.save()
    assert last(meeting).changes == {"room": ["", "Library"]}


def test_requirements_and_their_audience_through_the_plan_services():
    goal = f.GoalFactory()
    course = f.CourseFactory()
    maple = f.BuildingFactory(code="maple")
    requirement = plan_services.requirement_save(
        goal=goal,
        kind=RequirementKind.COURSE,
        course=course,
        target_percent=80,
        due_on=goal.plan_year.ends_on,
        audience_buildings=[maple],
    )
    created, linked = entries(requirement)
    assert created.action == AuditAction.CREATED
    assert created.changes["target_percent"] == [None, 80]
    assert created.changes["course"] == [None, course.pk]
    assert linked.changes == {"audience_buildings": [[], [maple.pk]]}

    plan_services.requirement_save(
        requirement=requirement,
        goal=goal,
        kind=RequirementKind.COURSE,
        course=course,
        target_percent=90,
        due_on=goal.plan_year.ends_on,
    )
    changes = [entry.changes for entry in entries(requirement)[2:]]
    assert {"target_percent": [80, 90]} in changes
    assert {"audience_buildings": [[maple.pk], []]} in changes

    pk = requirement.pk
    plan_services.requirement_delete(requirement=requirement)
    deleted = entries(model="learning.requirement", object_id=pk)[-1]
    assert deleted.action == AuditAction.DELETED
    assert deleted.changes["target_percent"] == [90, None]
    assert Requirement.objects.count() == 0


def test_links_changed_from_either_side_are_recorded_on_the_staff_record():
    staff = f.StaffMemberFactory()
    maple, oak = f.BuildingFactory(code="maple"), f.BuildingFactory(code="oak")
    staff.leads_buildings.add(maple)
    assert last(staff).changes == {"leads_buildings": [[], [maple.pk]]}
    # From the building's side.
    oak.leaders.add(staff)
    assert last(staff).changes == {"leads_buildings": [[maple.pk], sorted([maple.pk, oak.pk])]}
    maple.leaders.clear()
    assert last(staff).changes == {"leads_buildings": [sorted([maple.pk, oak.pk]), [oak.pk]]}
    assert last(staff).staff_id == staff.pk


def test_a_logins_access_is_recorded_on_its_persons_history():
    staff = f.StaffMemberFactory()
    login = f.login_for(staff, username="ada")
    hr = Group.objects.get(name=HR_GROUP)

    login.groups.add(hr)
    assert last(login).changes == {"groups": [[], [hr.pk]]}
    # From the group's side.
    hr.user_set.remove(login)
    assert last(login).changes == {"groups": [[hr.pk], []]}
    login.is_superuser = True
    login.save()
    assert last(login).changes == {"is_superuser": [False, True]}
    assert last(login).staff_id == staff.pk


def test_a_sign_in_or_a_new_password_records_nothing(client):
    login = f.login_for(f.StaffMemberFactory(), username="ada")
    before = AuditEntry.objects.count()
    client.force_login(login)  # saves the last login
    login.set_password("another-long-passphrase-42")
    login.save()
    assert AuditEntry.objects.count() == before


def test_a_role_groups_permissions_are_recorded():
    group = Group.objects.get(name=HR_GROUP)
    before = sorted(group.permissions.values_list("pk", flat=True))
    change_logins = Permission.objects.get(codename="change_user")
    group.permissions.add(change_logins)
    assert last(group).changes == {"permissions": [before, sorted([*before, change_logins.pk])]}


def test_a_session_facilitator_change_is_recorded():
    session, person = f.SessionFactory(), f.StaffMemberFactory()
    session.facilitators.set([person])
    assert last(session).changes == {"facilitators": [[], [person.pk]]}


def test_a_rolled_back_write_leaves_no_entry(teacher, open_session):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enrollment_create(staff=teacher, session=open_session, actor=teacher.user)
        teacher.last_name = "Changed"
        teacher.save()
        assert AuditEntry.objects.count() == before + 2
        raise RuntimeError("after the writes")
    assert AuditEntry.objects.count() == before
    assert not Enrollment.objects.exists()
    assert StaffMember.objects.get(pk=teacher.pk).last_name == "Teacher"


def test_a_refused_service_call_records_nothing(teacher, open_session):
    other = f.StaffMemberFactory()
    before = AuditEntry.objects.count()
    with pytest.raises(services.Refusal):
        # A teacher may not enroll someone else.
        services.enrollment_create(staff=other, session=open_session, actor=teacher.user)
    assert AuditEntry.objects.count() == before


def test_acting_names_an_actor_and_a_reference_for_a_script(planner):
    with acting(actor=planner, reference="data fix 7"):
        staff = f.StaffMemberFactory()
    entry = last(staff)
    assert (entry.actor, entry.source, entry.reference) == (
        planner,
        AuditSource.SERVICE,
        "data fix 7",
    )

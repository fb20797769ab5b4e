"""The audit history of changes made in the admin and through the API, and the history's own
admin: read only, filtered and searched, never changed or deleted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token

from audit.choices import AuditAction, AuditSource
from audit.models import MSG_APPEND_ONLY, AppendOnlyError, AuditEntry
from catalog.models import Session
from enrollment.models import Completion
from learning.choices import StaffStatus
from learning.models import Requirement, StaffMember
from tests import factories as f

pytestmark = pytest.mark.django_db


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def latest(obj) -> AuditEntry:
    return AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).first()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def staff_form(staff: StaffMember, **changes) -> dict:
    return {
        "employee_id": staff.employee_id,
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "preferred_name": staff.preferred_name,
        "email": staff.email,
        "building": staff.building_id or "",
        "position": staff.position_id or "",
        "status": staff.status,
        "hired_on": staff.hired_on.isoformat() if staff.hired_on else "",
        "separated_on": "",
        "leads_buildings": [],
        "user": "",
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    } | changes


def test_a_staff_record_changed_in_the_admin(admin_client, admin_user):
    staff = f.StaffMemberFactory(last_name="Byron")
    url = admin_url(StaffMember, "change", staff.pk)

    response = admin_client.post(
        url, staff_form(staff, last_name="Lovelace", status=StaffStatus.ON_LEAVE)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = latest(staff)
    assert (entry.action, entry.source, entry.actor, entry.actor_label, entry.staff_id) == (
        AuditAction.CHANGED,
        AuditSource.ADMIN,
        admin_user,
        "admin",
        staff.pk,
    )
    assert entry.changes == {
        "last_name": ["Byron", "Lovelace"],
        "status": [StaffStatus.ACTIVE, StaffStatus.ON_LEAVE],
    }
    # The change page links to the person's history.
    page = admin_client.get(url).content.decode()
    assert reverse("audit:staff-history", args=[staff.pk]) in page


def test_a_completion_added_and_voided_in_the_admin(admin_client, admin_user):
    staff, course = f.StaffMemberFactory(), f.CourseFactory(clock_hours=Decimal("6.00"))
    response = admin_client.post(
        admin_url(Completion, "add"),
        {
            "staff": staff.pk,
            "course": course.pk,
            "completed_on": "2026-10-01",
            "clock_hours": "4.50",
            "evidence": "MDE #4471",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    completion = Completion.objects.get()
    created = latest(completion)
    assert (created.action, created.source, created.actor) == (
        AuditAction.CREATED,
        AuditSource.ADMIN,
        admin_user,
    )
    assert created.changes["clock_hours"] == [None, "4.50"]

    response = admin_client.post(
        admin_url(Completion, "changelist"),
        {
            "action": "void_selected",
            "_selected_action": [completion.pk],
            "post": "yes",
            "reason": "Entered twice",
        },
    )
    assert response.status_code == 302
    voided = latest(completion)
    assert (voided.action, voided.source, voided.actor, voided.staff_id) == (
        AuditAction.CHANGED,
        AuditSource.ADMIN,
        admin_user,
        staff.pk,
    )
    assert voided.changes["void_reason"] == ["", "Entered twice"]


def test_a_session_changed_in_the_admin(admin_client, admin_user):
    session = f.SessionFactory(capacity=20, room="Media Center", notes="")
    data = {
        "course": session.course_id,
        "title": "",
        "status": session.status,
        "building": session.building_id,
        "room": "Library",
        "virtual_url": "",
        "capacity": 25,
        "registration_opens_at_0": "",
        "registration_opens_at_1": "",
        "registration_closes_at_0": "",
        "registration_closes_at_1": "",
        "restricted_to_group": "",
        "notes": "",
        "meetings-TOTAL_FORMS": 0,
        "meetings-INITIAL_FORMS": 0,
        "meetings-MIN_NUM_FORMS": 0,
        "meetings-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    response = admin_client.post(admin_url(Session, "change", session.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = latest(session)
    assert (entry.source, entry.actor) == (AuditSource.ADMIN, admin_user)
    assert entry.changes == {"room": ["Media Center", "Library"], "capacity": [20, 25]}


def test_a_requirement_changed_in_the_admin(admin_client, admin_user):
    requirement = f.RequirementFactory(target_percent=90)
    data = {
        "goal": requirement.goal_id,
        "title": "",
        "kind": requirement.kind,
        "course": requirement.course_id,
        "strand": "",
        "clock_hours": "",
        "target_percent": 75,
        "due_on": requirement.due_on.isoformat(),
        "_save": "Save",
    }
    requirement.goal.plan_year.ends_on = dt.date(2027, 7, 31)
    requirement.goal.plan_year.save()
    response = admin_client.post(admin_url(Requirement, "change", requirement.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = latest(requirement)
    assert (entry.source, entry.actor, entry.staff_id) == (AuditSource.ADMIN, admin_user, None)
    assert entry.changes == {"target_percent": [90, 75]}


def test_an_enrollment_made_through_the_api_names_the_token_user(client, teacher):
    session = f.SessionFactory()
    f.MeetingFactory(session=session)
    token = Token.objects.create(user=teacher.user)

    response = client.post(
        reverse("session-enroll", args=[session.pk]),
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )

    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(model="enrollment.enrollment")
    assert (entry.source, entry.actor, entry.staff_id) == (
        AuditSource.API,
        teacher.user,
        teacher.pk,
    )


# The history's own admin


def test_the_history_admin_lists_filters_and_searches(admin_client):
    ada = f.StaffMemberFactory(first_name="Ada", last_name="Byron")
    f.StaffMemberFactory(first_name="Grace", last_name="Hopper")
    f.SessionFactory()
    url = admin_url(AuditEntry, "changelist")

    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == AuditEntry.objects.count()

    response = admin_client.get(url, {"q": "Byron"})
    assert {entry.staff_id for entry in response.context["cl"].result_list} == {ada.pk}

    for params, expected in (
        ({"model": "catalog.session"}, {"catalog.session"}),
        ({"action": "created", "source": "system"}, {"learning.staffmember", "catalog.session"}),
    ):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        assert {entry.model for entry in response.context["cl"].result_list} >= expected
        # The admin_client's own login was created by the system too.
        assert {entry.model for entry in response.context["cl"].result_list} <= (
            expected | {"learning.staffmember", "catalog.session", "auth.user"}
        )
    response = admin_client.get(url, {"model": "catalog.session"})
    assert {entry.model for entry in response.context["cl"].result_list} == {"catalog.session"}

    entry = AuditEntry.objects.filter(staff=ada).first()
    page = admin_client.get(admin_url(AuditEntry, "change", entry.pk)).content.decode()
    assert "Byron" in page and "First name" in page


def test_the_history_admin_changes_and_deletes_nothing(admin_client):
    staff = f.StaffMemberFactory(last_name="Byron")
    entry = AuditEntry.objects.get(staff=staff)

    assert admin_client.get(admin_url(AuditEntry, "add")).status_code == 403
    assert admin_client.post(admin_url(AuditEntry, "add"), {}).status_code == 403
    change = admin_url(AuditEntry, "change", entry.pk)
    assert admin_client.post(change, {"actor_label": "someone"}).status_code == 403
    delete = admin_url(AuditEntry, "delete", entry.pk)
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        admin_url(AuditEntry, "changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.actor_label == "" and AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    staff = f.StaffMemberFactory()
    entry = AuditEntry.objects.get(staff=staff)
    entry.actor_label = "someone else"
    with pytest.raises(AppendOnlyError, match=MSG_APPEND_ONLY):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["actor_label"])
    # A new entry with an existing id is refused too, not turned into an update.
    copy = AuditEntry(pk=entry.pk, action="changed", model="x", object_id=1, source="system")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor_label, stored.model) == ("", "learning.staffmember")


def test_history_outlives_the_actors_login(admin_user):
    from audit.context import acting

    with acting(actor=admin_user):
        staff = f.StaffMemberFactory()
    pk = admin_user.pk
    admin_user.delete()
    entry = AuditEntry.objects.get(staff=staff)
    assert (entry.actor_id, entry.actor_label) == (pk, "admin")


def test_the_history_of_a_deleted_person_stays_readable_in_the_admin(admin_client):
    staff = f.StaffMemberFactory(last_name="Gone")
    pk = staff.pk
    staff.delete()
    entries = AuditEntry.objects.filter(staff_id=pk)
    assert [entry.action for entry in entries] == [AuditAction.DELETED, AuditAction.CREATED]
    response = admin_client.get(admin_url(AuditEntry, "changelist"))
    assert response.status_code == 200
    page = admin_client.get(admin_url(AuditEntry, "change", entries[0].pk))
    assert page.status_code == 200
    assert f"#{pk}" in page.content.decode()

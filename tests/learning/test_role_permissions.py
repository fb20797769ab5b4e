"""The role groups' admin permissions: District PD keeps the catalog and plan, and completion
records through the enrollment rules (record, void) and withdraws enrollments with the action;
HR keeps staff records. Nobody edits enrollments, attendance or what a completion says."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment.choices import EnrollmentStatus
from enrollment.models import Completion
from tests.factories import (
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db


def admin_client(client, staff):
    staff.user.is_staff = True
    staff.user.save(update_fields=["is_staff"])
    client.force_login(staff.user)
    return client


def status(client, name, *args):
    return client.get(reverse(f"admin:{name}", args=args)).status_code


def test_district_pd_manages_the_catalog_and_plan(client, district_pd):
    client = admin_client(client, district_pd)
    course = CourseFactory()

    assert status(client, "catalog_course_add") == 200
    assert status(client, "catalog_course_change", course.pk) == 200
    assert status(client, "catalog_session_add") == 200
    assert status(client, "learning_requirement_add") == 200
    assert status(client, "learning_plan_add") == 200


def test_district_pd_views_staff_but_does_not_edit_them(client, district_pd):
    client = admin_client(client, district_pd)
    person = StaffMemberFactory()

    assert status(client, "learning_staffmember_changelist") == 200
    assert status(client, "learning_staffmember_add") == 403
    response = client.post(
        reverse("admin:learning_staffmember_change", args=[person.pk]),
        {"first_name": "Changed"},
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.first_name != "Changed"


def test_hr_keeps_staff_records_and_not_the_catalog(client, hr):
    client = admin_client(client, hr)
    person = StaffMemberFactory()

    assert status(client, "learning_staffmember_add") == 200
    assert status(client, "learning_staffmember_change", person.pk) == 200
    assert status(client, "learning_building_add") == 200
    assert status(client, "catalog_course_changelist") == 403
    assert status(client, "learning_requirement_changelist") == 403


def test_hr_views_completions_but_does_not_record_or_change_them(client, hr):
    client = admin_client(client, hr)
    completion = CompletionFactory()

    assert status(client, "enrollment_completion_changelist") == 200
    assert status(client, "enrollment_completion_add") == 403
    response = client.post(
        reverse("admin:enrollment_completion_change", args=[completion.pk]),
        {"clock_hours": "99"},
    )
    assert response.status_code == 403
    completion.refresh_from_db()
    assert completion.clock_hours != 99
    assert status(client, "enrollment_enrollment_changelist") == 403


def test_district_pd_records_and_voids_completions_through_the_rules(client, district_pd):
    client = admin_client(client, district_pd)
    person, course = StaffMemberFactory(), CourseFactory()

    assert status(client, "enrollment_completion_add") == 200
    response = client.post(
        reverse("admin:enrollment_completion_add"),
        {
            "staff": person.pk,
            "course": course.pk,
            "completed_on": "2026-10-01",
            "evidence": "MDE certificate",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    completion = Completion.objects.get(staff=person)
    assert completion.recorded_by == district_pd.user

    response = client.post(
        reverse("admin:enrollment_completion_changelist"),
        {
            "action": "void_selected",
            "_selected_action": [completion.pk],
            "post": "yes",
            "reason": "Wrong person",
        },
    )
    assert response.status_code == 302
    completion.refresh_from_db()
    assert (completion.voided_by, completion.void_reason) == (district_pd.user, "Wrong person")


def test_district_pd_cannot_edit_what_a_completion_says(client, district_pd):
    client = admin_client(client, district_pd)
    completion = CompletionFactory(clock_hours=Decimal("3.00"))
    response = client.post(
        reverse("admin:enrollment_completion_change", args=[completion.pk]),
        {"clock_hours": "99", "evidence": "Sign-in sheet", "_save": "Save"},
    )
    assert response.status_code == 302
    completion.refresh_from_db()
    assert (completion.clock_hours, completion.evidence) == (Decimal("3.00"), "Sign-in sheet")


def test_district_pd_withdraws_enrollments_only_through_the_action(client, district_pd):
    client = admin_client(client, district_pd)
    enrollment = EnrollmentFactory()

    changelist = client.get(reverse("admin:enrollment_enrollment_changelist"))
    actions = dict(changelist.context["action_form"].fields["action"].choices)
    assert "withdraw_selected" in actions
    response = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "withdraw_selected", "_selected_action": [enrollment.pk], "post": "yes"},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.acted_by) == (
        EnrollmentStatus.WITHDRAWN,
        district_pd.user,
    )

    assert status(client, "enrollment_enrollment_add") == 403
    response = client.post(
        reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]),
        {"status": EnrollmentStatus.ENROLLED},
    )
    assert response.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN


@pytest.mark.parametrize("model", ["attendance", "evaluation"])
def test_district_pd_only_views_attendance_and_evaluations(client, district_pd, model):
    client = admin_client(client, district_pd)
    assert status(client, f"enrollment_{model}_changelist") == 200
    assert status(client, f"enrollment_{model}_add") == 403


def test_a_teacher_with_admin_access_but_no_group_sees_no_models(client, teacher):
    client = admin_client(client, teacher)
    assert status(client, "catalog_course_changelist") == 403
    assert status(client, "learning_staffmember_changelist") == 403

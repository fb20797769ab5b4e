"""The role groups' admin permissions: District PD keeps the catalog and plan, HR keeps staff
records; neither edits enrollments or completions in the admin."""

import pytest
from django.urls import reverse

from tests.factories import CompletionFactory, CourseFactory, StaffMemberFactory

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


@pytest.mark.parametrize("role", ["district_pd", "hr"])
def test_no_role_group_edits_completions_in_the_admin(client, request, role):
    client = admin_client(client, request.getfixturevalue(role))
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


def test_a_teacher_with_admin_access_but_no_group_sees_no_models(client, teacher):
    client = admin_client(client, teacher)
    assert status(client, "catalog_course_changelist") == 403
    assert status(client, "learning_staffmember_changelist") == 403

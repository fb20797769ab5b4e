"""HR invites people to sign in from the staff list, in bulk: each person still employed gets a
mail saying how (their login is made when they first sign in); separated people are left out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from learning.choices import StaffStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_hr_invites_the_selected_people_from_the_staff_list(client, hr, building, mailed):
    people = [
        f.StaffMemberFactory(
            email=f"invitee{n}@bps.example", first_name=f"Ivy{n}", building=building
        )
        for n in range(3)
    ]
    gone = f.StaffMemberFactory(email="gone@bps.example", status=StaffStatus.SEPARATED)
    logins_before = User.objects.count()
    hr.user.is_staff = True  # HR keeps staff records in the admin
    hr.user.save()
    client.force_login(hr.user)

    with mailed as mail:
        response = client.post(
            reverse("admin:learning_staffmember_changelist"),
            {
                "action": "invite_to_sign_in",
                "_selected_action": [person.pk for person in [*people, gone]],
            },
            follow=True,
        )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Invited 3 people to sign in." in page
    assert "1 was left out: separated, or with no address." in page
    assert sorted(message.to[0] for message in mail) == [person.email for person in people]
    body = mail[0].body
    assert "http://127.0.0.1:8000/accounts/login/" in body
    assert "Dear Ivy" in body
    assert "There is no password to set" in body
    # No login is made by hand: each comes with the person's first sign-in.
    assert User.objects.count() == logins_before


def test_a_teacher_has_no_staff_list_to_invite_from(client, teacher, mailed):
    client.force_login(teacher.user)

    with mailed as mail:
        response = client.post(
            reverse("admin:learning_staffmember_changelist"),
            {"action": "invite_to_sign_in", "_selected_action": [teacher.pk]},
        )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(response["Location"]).status_code == 403
    assert not mail

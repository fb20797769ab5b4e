"""Password validators: a weak password is refused where passwords are set (the admin's
password form for a user, and the signed-in user's own password change), and nothing changes."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

STRONG = "violet-harbour-quietly-73"


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("password1", "This password is too common."),
        ("abc12", "This password is too short. It must contain at least 8 characters."),
        ("84736251904", "This password is entirely numeric."),
        ("teacher-tess", "The password is too similar to the username."),
    ],
)
def test_the_admin_refuses_a_weak_password_for_a_user(client, admin_user, teacher, weak, message):
    client.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[teacher.user.pk])

    response = client.post(url, {"password1": weak, "password2": weak})

    assert response.status_code == 200
    assert message in response.content.decode()
    teacher.user.refresh_from_db()
    assert teacher.user.check_password(f.PASSWORD)
    assert not teacher.user.check_password(weak)


def test_the_admin_accepts_a_strong_password(client, admin_user, teacher):
    client.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[teacher.user.pk])

    response = client.post(url, {"password1": STRONG, "password2": STRONG})

    assert response.status_code == 302
    assert get_user_model().objects.get(pk=teacher.user.pk).check_password(STRONG)


def test_a_user_changing_their_own_password_is_held_to_the_same_rules(client, teacher):
    client.force_login(teacher.user)

    response = client.post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": "password1", "new_password2": "password1"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    teacher.user.refresh_from_db()
    assert teacher.user.check_password(f.PASSWORD)

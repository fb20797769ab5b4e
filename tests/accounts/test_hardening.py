"""What a review of sign-in found, kept as tests: look-alike addresses, a login an administrator
switched off, a lost second factor, a role given during a session, the audit of a separation,
an administrator ending a session, and a password that is turned off."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts import services
from audit.models import AuditEntry
from learning.access import HR_GROUP
from learning.choices import StaffStatus
from learning.services import staff_assignments_record, staff_placements
from tests import factories as f
from tests.accounts.test_second_factor import password_sign_in, totp

pytestmark = pytest.mark.django_db

REQUEST = reverse("account_request_login_code")


@pytest.fixture
def tess(building):
    staff = f.StaffMemberFactory(email="tess@district.org", building=building)
    f.login_for(staff, username="tess")
    return staff


def test_a_look_alike_address_gets_no_code_and_the_code_goes_to_the_roster(tess, mailed):
    for look_alike in ("tess@dıstrict.org", "teſs@district.org"):
        with mailed as mail:
            before = len(mail)
            Client().post(REQUEST, {"email": look_alike})
        assert all("your sign-in code" not in m.subject for m in mail[before:])

    with mailed as mail:
        before = len(mail)
        Client().post(REQUEST, {"email": "TESS@District.org"})
    (message,) = [m for m in mail[before:] if "your sign-in code" in m.subject]
    assert message.to == ["tess@district.org"]


def test_a_login_an_administrator_switched_off_stays_off(tess, mailed):
    tess.user.is_active = False
    tess.user.save()

    with mailed as mail:
        before = len(mail)
        Client().post(REQUEST, {"email": tess.email})

    tess.user.refresh_from_db()
    assert not tess.user.is_active
    assert all("your sign-in code" not in m.subject for m in mail[before:])
    assert AuditEntry.objects.filter(action="refused").latest("pk").changes["reason"] == [
        None,
        "switched_off",
    ]


def test_rehiring_gives_the_login_back(tess):
    before = staff_placements([tess.pk])
    tess.status = StaffStatus.SEPARATED
    tess.save()
    staff_assignments_record(before=before)
    tess.user.refresh_from_db()
    assert not tess.user.is_active

    before = staff_placements([tess.pk])
    tess.status = StaffStatus.ACTIVE
    tess.separated_on = None
    tess.save()
    staff_assignments_record(before=before)

    tess.user.refresh_from_db()
    assert tess.user.is_active


def test_a_separation_is_recorded_as_a_change_of_the_login_not_a_deletion(tess):
    before = staff_placements([tess.pk])
    tess.status = StaffStatus.SEPARATED
    tess.save()
    staff_assignments_record(before=before)

    entries = AuditEntry.objects.filter(model="auth.user", object_id=tess.user_id)
    assert not entries.filter(action="deleted").exists()
    assert entries.get(action="changed").changes["is_active"] == [True, False]


def test_deleting_a_lost_authenticator_leaves_no_recovery_codes_behind(settings, hr, admin_user):
    settings.SECOND_FACTOR_REQUIRED = True
    browser = Client()
    password_sign_in(browser, hr.user)
    secret = browser.get(reverse("mfa_activate_totp")).context["form"].secret
    browser.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert hr.user.authenticator_set.filter(type=Authenticator.Type.RECOVERY_CODES).exists()
    admin = Client()
    admin.force_login(admin_user)
    app = hr.user.authenticator_set.get(type=Authenticator.Type.TOTP)

    settings.SECOND_FACTOR_REQUIRED = False  # the administrator's own factor is not the point
    admin.post(reverse("admin:mfa_authenticator_delete", args=[app.pk]), {"post": "yes"})
    settings.SECOND_FACTOR_REQUIRED = True

    assert not hr.user.authenticator_set.exists()
    again = Client()
    password_sign_in(again, hr.user)
    assert again.get(reverse("imports:index"))["Location"].startswith(reverse("mfa_activate_totp"))


def test_a_role_given_during_a_session_asks_for_a_second_factor_at_the_next_request(
    settings, teacher
):
    settings.SECOND_FACTOR_REQUIRED = True
    browser = Client()
    password_sign_in(browser, teacher.user)
    assert browser.get(reverse("enrollment:me")).status_code == 200

    teacher.user.groups.add(Group.objects.get(name=HR_GROUP))

    assert browser.get(reverse("imports:index"))["Location"].startswith(
        reverse("mfa_activate_totp")
    )


def test_a_session_that_says_nothing_of_its_sign_in_is_held_too(settings, hr, api_client):
    settings.SECOND_FACTOR_REQUIRED = True
    browser = Client()
    browser.force_login(hr.user)

    assert browser.get(reverse("imports:index")).status_code == 302
    answer = browser.get("/api/v1/enrollments/")
    assert answer.status_code == 403
    assert answer.json()["code"] == "second_factor_required"


def test_an_administrator_ends_a_session_from_the_admin(teacher, admin_user):
    browser = Client()
    browser.post(reverse("login"), {"username": teacher.user.username, "password": f.PASSWORD})
    assert browser.get(reverse("enrollment:me")).status_code == 200
    session = UserSession.objects.get(user=teacher.user)
    admin = Client()
    admin.force_login(admin_user)

    admin.post(reverse("admin:usersessions_usersession_delete", args=[session.pk]), {"post": "yes"})

    assert browser.get(reverse("enrollment:me")).status_code == 302


def test_a_turned_off_password_is_refused_the_same_whether_right_or_wrong(settings, teacher):
    settings.PASSWORD_SIGN_IN = "administrators"
    login = reverse("login")

    right = Client().post(login, {"username": teacher.user.username, "password": f.PASSWORD})
    wrong = Client().post(login, {"username": teacher.user.username, "password": "not-it"})

    assert right.status_code == wrong.status_code == 200
    for answer in (right, wrong):
        assert "Passwords are only for administrators here" in answer.content.decode()
        assert "Please enter a correct username" not in answer.content.decode()


def test_a_sign_in_racing_a_separation_is_refused(tess):
    tess.status = StaffStatus.SEPARATED
    tess.save(update_fields=["status"])

    with pytest.raises(services.SignInRefused) as refused:
        services.login_for_staff(staff=tess)

    assert refused.value.refusal == services.Refusal.SEPARATED

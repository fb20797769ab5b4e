"""Stronger sign-in for power: administrators, HR and district PD who sign in with a password set
up a second factor (an authenticator app's codes, with recovery codes) before anything else, and
are asked for it at every sign-in after; a teacher is not. Passwords can be kept to
administrators (break-glass accounts) while everyone else signs in through the district."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
ME = reverse("enrollment:me")


def totp(secret: str, *, at: float | None = None) -> str:
    """RFC 6238's code (SHA-1, 30 seconds, six digits), computed here, not by the library."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def password_sign_in(browser: Client, user) -> None:
    response = browser.post(LOGIN, {"username": user.username, "password": f.PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_hr_signing_in_with_a_password_sets_up_a_second_factor_first(required, hr):
    browser = Client()
    password_sign_in(browser, hr.user)

    sent = browser.get(ME)

    assert sent.status_code == 302
    assert sent["Location"].startswith(reverse("mfa_activate_totp"))
    assert browser.get(reverse("imports:index")).status_code == 302
    page = browser.get(sent["Location"])
    assert page.status_code == 200
    assert "needs a second factor" in page.content.decode()
    secret = page.context["form"].secret

    activated = browser.post(reverse("mfa_activate_totp"), {"code": totp(secret)})

    assert activated.status_code == 302
    assert browser.get(ME).status_code == 200
    assert browser.get(reverse("imports:index")).status_code == 200


def test_a_power_role_with_a_factor_is_asked_for_it_at_sign_in(required, admin_user):
    browser = Client()
    password_sign_in(browser, admin_user)
    page = browser.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    browser.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    codes = browser.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) >= 8
    browser.post(reverse("logout"))

    later = Client()
    asked = later.post(LOGIN, {"username": admin_user.username, "password": f.PASSWORD})

    assert asked.status_code == 302
    assert asked["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in later.session
    wrong = later.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in later.session
    # A recovery code stands for the app (and the app's current code was used above).
    signed_in = later.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert signed_in.status_code == 302
    assert later.get(reverse("admin:index")).status_code == 200


def test_district_pd_is_held_too_and_a_teacher_is_not(required, district_pd, teacher):
    pd = Client()
    password_sign_in(pd, district_pd.user)
    assert pd.get(ME)["Location"].startswith(reverse("mfa_activate_totp"))

    plain = Client()
    password_sign_in(plain, teacher.user)
    assert plain.get(ME).status_code == 200


def test_the_requirement_can_be_turned_off(settings, hr):
    settings.SECOND_FACTOR_REQUIRED = False
    browser = Client()
    password_sign_in(browser, hr.user)

    assert browser.get(ME).status_code == 200


def test_passwords_only_for_administrators(settings, teacher, admin_user):
    settings.PASSWORD_SIGN_IN = "administrators"

    refused = Client().post(LOGIN, {"username": teacher.user.username, "password": f.PASSWORD})
    allowed = Client().post(LOGIN, {"username": admin_user.username, "password": f.PASSWORD})

    assert refused.status_code == 200
    assert "Passwords are only for administrators here" in refused.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session
    assert allowed.status_code == 302

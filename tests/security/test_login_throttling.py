"""Login throttling (django-axes): LOGIN_FAILURE_LIMIT (5) failed sign-ins for one username from
one address lock that pair out for LOGIN_LOCKOUT_MINUTES (15), on the site's form and the
admin's; the lockout page is 429 in the site's look; success clears the count; others sign in
as usual."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework import authentication

from core.api import authentication as api_authentication
from core.client_ip import client_ip_address
from core.lockout import duration_in_words
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
WRONG = "not-the-password"


def sign_in(client, username, password, *, url=LOGIN, address="198.51.100.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, **kwargs):
    return [sign_in(client, username, WRONG, **kwargs).status_code for _ in range(times)]


def test_the_defaults_are_five_failures_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_fifth_failure_locks_the_username_out_with_a_clear_page(client, teacher):
    statuses = fail(client, "teacher", 4)

    locked = sign_in(client, "teacher", WRONG)

    assert statuses == [200, 200, 200, 200]
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "Sign-in locked" in page
    assert "Try again in <strong>15 minutes</strong>" in page
    assert 'class="site-header"' in page  # the site's own look
    assert "Content-Security-Policy" in locked


def test_the_right_password_is_refused_while_locked(client, teacher):
    fail(client, "teacher", 5)

    response = sign_in(client, "teacher", f.PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_lifts_after_the_cool_off(client, teacher):
    fail(client, "teacher", 5)
    assert sign_in(client, "teacher", f.PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = sign_in(client, "teacher", f.PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


@override_settings(AXES_COOLOFF_TIME=dt.timedelta(minutes=2))
def test_the_page_names_the_configured_cool_off(client, teacher):
    response = fail(client, "teacher", 5) and sign_in(client, "teacher", WRONG)

    assert "Try again in <strong>2 minutes</strong>" in response.content.decode()
    assert response["Retry-After"] == "120"


def test_a_success_clears_the_count(client, teacher):
    fail(client, "teacher", 4)
    assert sign_in(client, "teacher", f.PASSWORD).status_code == 302
    client.logout()

    statuses = fail(client, "teacher", 4)
    last = sign_in(client, "teacher", f.PASSWORD)

    assert statuses == [200, 200, 200, 200]
    assert last.status_code == 302


def test_other_users_and_the_same_user_elsewhere_are_unaffected(teacher, leader):
    attacker = Client()
    fail(attacker, "teacher", 5, address="203.0.113.66")
    colleague, owner = Client(), Client()

    colleague_response = sign_in(colleague, "leader", f.PASSWORD, address="203.0.113.66")
    owner_response = sign_in(owner, "teacher", f.PASSWORD, address="198.51.100.20")

    assert colleague_response.status_code == 302 and signed_in(colleague)
    assert owner_response.status_code == 302 and signed_in(owner)
    assert sign_in(attacker, "teacher", f.PASSWORD, address="203.0.113.66").status_code == 429


def test_the_admin_signs_in_on_the_site_form_and_its_lock(client, admin_user):
    """The admin's own sign-in form is gone: it sends to the site's, so an administrator's
    password is guessed nowhere else and the same lock (and second factor) holds."""
    redirected = sign_in(client, "admin", "password", url=ADMIN_LOGIN)
    assert redirected.status_code == 302
    assert redirected["Location"].startswith(f"{LOGIN}?next=")

    statuses = fail(client, "admin", 4)
    locked = sign_in(client, "admin", "password")

    assert statuses == [200, 200, 200, 200]
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    assert not signed_in(client)


def test_the_api_takes_no_passwords():
    """The API signs in by session or token only: no endpoint or scheme accepts a password, so
    the two login forms are the only places to guess one."""
    classes = settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]

    assert classes == [
        "core.api.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ]
    # The project's session authentication is DRF's, with its own answer to a failed CSRF
    # check: it reads the session, never a password.
    assert api_authentication.SessionAuthentication.authenticate is (
        authentication.SessionAuthentication.authenticate
    )


def test_a_password_in_basic_auth_is_not_a_way_into_the_api(client, teacher):
    import base64

    credentials = base64.b64encode(f"teacher:{f.PASSWORD}".encode()).decode()

    response = client.get(reverse("enrollment-list"), HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code in (401, 403)


# The address a failure counts against


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post(LOGIN, **extra)


@override_settings(BEHIND_TLS_PROXY=False)
def test_without_a_proxy_the_connecting_address_counts_and_x_forwarded_for_is_ignored():
    assert client_ip_address(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


@override_settings(BEHIND_TLS_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_nginx_the_address_nginx_appended_counts_not_what_the_client_sent():
    assert client_ip_address(request_from("127.0.0.1", "203.0.113.1")) == "203.0.113.1"
    assert client_ip_address(request_from("127.0.0.1", "10.9.9.9, 203.0.113.1")) == "203.0.113.1"
    assert client_ip_address(request_from("127.0.0.1")) == "127.0.0.1"


@override_settings(BEHIND_TLS_PROXY=True, TRUSTED_PROXY_COUNT=2)
def test_behind_a_load_balancer_and_nginx_the_balancers_entry_counts():
    forwarded = "10.9.9.9, 203.0.113.1, 192.0.2.10"

    assert client_ip_address(request_from("127.0.0.1", forwarded)) == "203.0.113.1"


@override_settings(BEHIND_TLS_PROXY=True)
def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_lock(client, teacher):
    for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        client.post(
            LOGIN,
            {"username": "teacher", "password": WRONG},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9",
        )

    response = client.post(
        LOGIN,
        {"username": "teacher", "password": f.PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.6, 203.0.113.9",
    )

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (90, "1 hour and 30 minutes")],
)
def test_the_cool_off_in_words(minutes, words):
    assert duration_in_words(dt.timedelta(minutes=minutes)) == words

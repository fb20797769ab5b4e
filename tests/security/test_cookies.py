"""The session and CSRF cookies as a browser receives them from a sign-in through the real
login view: Secure (with DEBUG off, as in production), HttpOnly, SameSite=Lax. The production
environment's values themselves are checked in tests/deploy/test_production_settings.py."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests import factories as f

# What the settings give with DEBUG off (tests/deploy checks that they do).
PRODUCTION_COOKIES = override_settings(
    SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_SSL_REDIRECT=True
)


def attributes(response, name: str) -> dict[str, str]:
    """The attributes of one Set-Cookie header, as the raw header line has them."""
    line = response.cookies[name].output(header="")
    parts = [part.strip() for part in line.split(";")]
    named = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        named[key.lower()] = value
    return named


@pytest.fixture
def signed_in(client, teacher):
    """The login page's answer (the CSRF cookie) and the sign-in's (the session cookie)."""
    with PRODUCTION_COOKIES:
        page = client.get(reverse("login"), secure=True)
        response = client.post(
            reverse("login"),
            {"username": "teacher", "password": f.PASSWORD},
            secure=True,
        )
    assert response.status_code == 302, response.content
    return page, response


def test_the_session_cookie_is_secure_httponly_and_samesite_lax(signed_in):
    _, response = signed_in

    cookie = attributes(response, settings.SESSION_COOKIE_NAME)

    assert "secure" in cookie
    assert "httponly" in cookie
    assert cookie["samesite"] == "Lax"


def test_the_csrf_cookie_is_secure_httponly_and_samesite_lax(signed_in):
    page, response = signed_in

    for answer in (page, response):  # set by the page, rotated by the sign-in
        cookie = attributes(answer, settings.CSRF_COOKIE_NAME)

        assert "secure" in cookie
        assert "httponly" in cookie
        assert cookie["samesite"] == "Lax"


def test_plain_http_is_sent_to_https_before_any_cookie(client, teacher):
    with PRODUCTION_COOKIES:
        response = client.get(reverse("login"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert not response.cookies


def test_no_script_reads_the_csrf_cookie():
    """CSRF_COOKIE_HTTPONLY hides the cookie from scripts: none of ours may need it."""
    scripts = sorted((settings.BASE_DIR / "static" / "js").glob("*.js"))
    templates = sorted((settings.BASE_DIR / "templates").rglob("*.html")) + sorted(
        settings.BASE_DIR.glob("*/templates/**/*.html")
    )

    assert scripts
    for path in scripts + templates:
        text = path.read_text()
        assert "document.cookie" not in text, path
        assert settings.CSRF_COOKIE_NAME not in text, path

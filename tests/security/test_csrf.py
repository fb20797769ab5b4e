"""CSRF: every POST form in the site's templates carries {% csrf_token %}, and a POST without
the token is refused (403) on the pages that take one."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse
from django.utils.crypto import get_random_string
from django.utils.html import escape
from rest_framework.authtoken.models import Token

from core import csrf_failure
from core.private_responses import PRIVATE_NO_STORE
from tests import factories as f

from .test_csp import inline_code

# The site's templates and those of every app of this checkout.
TEMPLATE_DIRS = [settings.BASE_DIR / "templates"] + [
    Path(config.path) / "templates"
    for config in apps.get_app_configs()
    if Path(config.path).resolve().parent == Path(settings.BASE_DIR).resolve()
]
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b[^>]*>(.*?)</form>", re.I | re.S)


def project_templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def post_forms(path: Path) -> list[str]:
    return POST_FORM.findall(path.read_text())


def test_the_scan_finds_the_templates_and_their_post_forms():
    """The scan below is only as good as what it reads: the login, sign-out, enroll, attendance
    and upload forms are all among the POST forms it finds."""
    names = {path.relative_to(settings.BASE_DIR).as_posix() for path in project_templates()}
    with_forms = {
        path.relative_to(settings.BASE_DIR).as_posix()
        for path in project_templates()
        if post_forms(path)
    }

    assert {
        "templates/base.html",
        "templates/account/login.html",
        "core/templates/admin/confirm_with_reason.html",
    } <= names
    assert {
        "templates/base.html",
        "templates/account/login.html",
        "enrollment/templates/enrollment/attendance.html",
        "imports/templates/imports/index.html",
        "plan/templates/plan/goal_form.html",
    } <= with_forms


@pytest.mark.parametrize(
    "path",
    [path for path in project_templates() if post_forms(path)],
    ids=lambda path: path.relative_to(settings.BASE_DIR).as_posix(),
)
def test_every_post_form_carries_the_csrf_token(path):
    for number, body in enumerate(post_forms(path), start=1):
        assert "{% csrf_token %}" in body, f"{path}: POST form {number} has no {{% csrf_token %}}"


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_signing_in_without_the_token_is_refused(strict_client, teacher):
    response = strict_client.post(reverse("login"), {"username": "teacher", "password": f.PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in strict_client.session


def test_signing_in_with_the_token_works(strict_client, teacher):
    strict_client.get(reverse("login"))
    token = strict_client.cookies[settings.CSRF_COOKIE_NAME].value

    response = strict_client.post(
        reverse("login"),
        {"username": "teacher", "password": f.PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert strict_client.session["_auth_user_id"] == str(teacher.user.pk)


def test_enrolling_without_the_token_is_refused_and_writes_nothing(strict_client, teacher):
    session = f.SessionFactory()
    strict_client.force_login(teacher.user)

    response = strict_client.post(reverse("enrollment:enroll", args=[session.pk]))

    assert response.status_code == 403
    assert not session.enrollments.exists()


def test_signing_out_without_the_token_is_refused(strict_client, teacher):
    strict_client.force_login(teacher.user)

    response = strict_client.post(reverse("logout"))

    assert response.status_code == 403
    assert "_auth_user_id" in strict_client.session


def test_an_upload_without_the_token_is_refused(strict_client, hr):
    strict_client.force_login(hr.user)

    response = strict_client.post(reverse("imports:index"), {"kind": "roster"})

    assert response.status_code == 403


def test_a_plan_change_without_the_token_is_refused(strict_client, district_pd):
    strict_client.force_login(district_pd.user)

    response = strict_client.post(reverse("leaders:year-new"), {"name": "2031-32"})

    assert response.status_code == 403


def test_an_admin_change_without_the_token_is_refused(strict_client, admin_user):
    strict_client.force_login(admin_user)

    response = strict_client.post(reverse("admin:learning_building_add"), {"code": "x"})

    assert response.status_code == 403


def test_the_api_refuses_a_session_write_without_the_token(strict_client, teacher):
    session = f.SessionFactory()
    strict_client.force_login(teacher.user)

    response = strict_client.post(
        reverse("session-enroll", args=[session.pk]), content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json() == {"code": "csrf_failed", "message": csrf_failure.API_MESSAGE}
    assert not session.enrollments.exists()
    # Answered for a signed-in person, though DRF set an anonymous user on refusing it.
    assert response["Cache-Control"] == PRIVATE_NO_STORE


def test_a_token_write_needs_no_csrf_token(strict_client, teacher):
    session = f.SessionFactory()
    token = Token.objects.create(user=teacher.user)

    response = strict_client.post(
        reverse("session-enroll", args=[session.pk]),
        content_type="application/json",
        headers={"Authorization": f"Token {token.key}"},
    )

    assert response.status_code == 201
    assert session.enrollments.filter(staff=teacher).exists()


# What a refused form shows: the site's own page saying what to do, not Django's default.


def _stale_form_post(client: Client, url: str, data: dict):
    """A form sent after its CSRF token went out of date: the page was loaded, then the cookie
    was renewed (signing in or out in another tab does this)."""
    client.get(reverse("catalog:index"))
    form_token = client.cookies[settings.CSRF_COOKIE_NAME].value
    client.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)
    return client.post(url, {**data, "csrfmiddlewaretoken": form_token})


def test_a_stale_form_shows_the_sites_page_saying_to_reload(strict_client, teacher):
    session = f.SessionFactory()
    strict_client.force_login(teacher.user)

    response = _stale_form_post(strict_client, reverse("enrollment:enroll", args=[session.pk]), {})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert [t.name for t in response.templates][:2] == ["403_csrf.html", "base.html"]
    page = response.content.decode()
    assert "Your form was not sent" in page
    assert "reload the page and try again." in page
    assert "cookies" in page
    # The site's frame, with the person still shown as signed in; not Django's page.
    assert "Skip to main content" in page and "Tess" in page
    assert "CSRF verification failed" not in page
    assert response["Cache-Control"] == PRIVATE_NO_STORE
    assert not session.enrollments.exists()


def test_the_refused_page_keeps_the_content_security_policy(strict_client, teacher):
    strict_client.force_login(teacher.user)

    response = strict_client.post(reverse("logout"))

    assert response.status_code == 403
    assert "Content-Security-Policy" in response
    found, _scripts = inline_code(response.content.decode())
    assert found == []


def test_a_sign_in_without_the_token_shows_the_page_to_an_anonymous_visitor(strict_client, teacher):
    response = strict_client.post(reverse("login"), {"username": "teacher", "password": f.PASSWORD})

    assert response.status_code == 403
    assert "reload the page and try again." in response.content.decode()
    assert "_auth_user_id" not in strict_client.session


def plain_write(request):
    return HttpResponse("written")


# The site's URLs (the page links to them) and a plain view under /api/ and elsewhere.
urlpatterns = [
    path("api/v1/plain/", plain_write),
    path("plain/", plain_write),
    path("", include("learning.urls")),
]


@pytest.mark.urls(__name__)
def test_the_failure_view_answers_json_under_the_api_and_the_page_elsewhere(db):
    """A view under /api/ that Django's own CSRF check guards (not DRF's) answers in the API's
    shape too."""
    client = Client(enforce_csrf_checks=True)

    api = client.post("/api/v1/plain/")
    page = client.post("/plain/", {})

    assert api.status_code == page.status_code == 403
    assert api.json() == {"code": "csrf_failed", "message": csrf_failure.API_MESSAGE}
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert escape(csrf_failure.MESSAGE) in page.content.decode()

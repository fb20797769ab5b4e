"""CSRF: every POST form in the site's templates carries {% csrf_token %}, and a POST without
the token is refused (403) on the pages that take one."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories as f

PROJECT_APPS = ("learning", "catalog", "enrollment", "calendars", "imports")
TEMPLATE_DIRS = [settings.BASE_DIR / "templates"] + [
    settings.BASE_DIR / app / "templates" for app in PROJECT_APPS
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
        "templates/registration/login.html",
        "learning/templates/admin/confirm_with_reason.html",
    } <= names
    assert {
        "templates/base.html",
        "templates/registration/login.html",
        "enrollment/templates/enrollment/attendance.html",
        "imports/templates/imports/index.html",
        "learning/templates/learning/plan/goal_form.html",
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
    assert "CSRF" in response.json()["message"]
    assert not session.enrollments.exists()

"""A database that goes away in the middle of a request: pages, the API, calendar feeds and the
admin answer 503 with Retry-After and nothing of the error, which is logged once with its
traceback. Other errors keep their usual answer."""

import logging
import sqlite3

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from catalog import views as catalog_views
from core import unavailable
from enrollment.models import Enrollment
from tests import factories as f

from .outages import LOST, queries_fail

pytestmark = pytest.mark.django_db

RETRY_AFTER = "60"
# What must never reach the user: the error, its text, or a debug page.
LEAKS = (
    "Traceback",
    "OperationalError",
    "server closed the connection",
    "SELECT",
    "Request Method",
)


@pytest.fixture
def web():
    """A client that answers like the production server: an error becomes a response, never an
    exception in the test."""
    return Client(raise_request_exception=False)


def assert_unavailable(response, content_type: str) -> str:
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    assert response["Retry-After"] == RETRY_AFTER
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == content_type
    for leak in LEAKS:
        assert leak not in body
    return body


def assert_page(response) -> None:
    body = assert_unavailable(response, "text/html; charset=utf-8")
    assert "<h1>Briefly unavailable</h1>" in body
    assert unavailable.MESSAGE in body
    # In the site's look: its header and style sheet.
    assert 'class="site-header"' in body
    assert "css/site.css" in body


def request_errors(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


# Pages


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_whose_query_fails_mid_view_answers_the_503_page(web, teacher, debug):
    web.force_login(teacher.user)
    f.SessionFactory()
    with override_settings(DEBUG=debug), queries_fail("catalog_session") as ran:
        response = web.get(reverse("catalog:index"))

    assert_page(response)
    # Mid-view: the person's session and login were read before the catalog's query failed.
    assert any("django_session" in sql for sql in ran)
    assert any("auth_user" in sql for sql in ran)


@override_settings(DEBUG=False)
def test_a_database_gone_from_the_first_query_answers_the_503_page(web, teacher):
    web.force_login(teacher.user)
    with queries_fail() as ran:
        response = web.get(reverse("enrollment:me"))

    assert_page(response)
    assert ran == []


@override_settings(DEBUG=False)
def test_a_selector_that_fails_answers_the_503_page(web, monkeypatch):
    def lost(**kwargs):
        raise OperationalError(LOST)

    monkeypatch.setattr(catalog_views.selectors, "catalog_page", lost)

    assert_page(web.get(reverse("catalog:index")))


@override_settings(DEBUG=False)
def test_a_write_whose_connection_drops_answers_503_and_writes_nothing(web, teacher, mailoutbox):
    web.force_login(teacher.user)
    session = f.SessionFactory()
    with queries_fail('INSERT INTO "enrollment_enrollment"'):
        response = web.post(reverse("enrollment:enroll", args=[session.pk]))

    assert_page(response)
    assert not Enrollment.objects.exists()
    assert mailoutbox == []


@override_settings(DEBUG=False)
def test_the_admin_answers_the_503_page(web, admin_user):
    web.force_login(admin_user)
    f.SessionFactory()
    with queries_fail("catalog_session"):
        response = web.get(reverse("admin:catalog_session_changelist"))

    assert_page(response)


# The API and calendar feeds


@override_settings(DEBUG=False)
def test_the_api_answers_503_json(web, teacher):
    web.force_login(teacher.user)
    f.CourseFactory()
    with queries_fail("catalog_course"):
        response = web.get("/api/v1/courses/")

    assert_unavailable(response, "application/json")
    assert response.json() == {"code": "unavailable", "message": unavailable.MESSAGE}


@override_settings(DEBUG=False)
def test_the_api_answers_503_json_when_the_token_cannot_be_checked(web, teacher):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=teacher.user).key
    with queries_fail("authtoken_token"):
        response = web.get("/api/v1/enrollments/", HTTP_AUTHORIZATION=f"Token {key}")

    assert_unavailable(response, "application/json")
    assert response.json()["code"] == "unavailable"


@override_settings(DEBUG=False)
def test_the_catalog_feed_answers_503_plain_text(web):
    f.MeetingFactory()
    with queries_fail("catalog_meeting"):
        response = web.get(reverse("calendars:catalog"))

    body = assert_unavailable(response, "text/plain; charset=utf-8")
    assert body == unavailable.MESSAGE + "\n"


@override_settings(DEBUG=False)
def test_the_personal_feed_answers_503_and_logs_the_path_without_its_key(web, teacher, caplog):
    token = f.FeedTokenFactory(staff=teacher)
    with queries_fail("calendars_feedtoken"):
        response = web.get(reverse("calendars:feed", kwargs={"key": token.key}))

    assert_unavailable(response, "text/plain; charset=utf-8")
    [record] = request_errors(caplog)
    assert token.key not in record.getMessage()
    assert record.getMessage() == "Service Unavailable (database): /calendars/feed/<key>.ics"


# The log


@override_settings(DEBUG=False)
def test_the_outage_is_logged_once_with_its_traceback(web, caplog):
    f.SessionFactory()
    with caplog.at_level(logging.INFO), queries_fail("catalog_session"):
        web.get(reverse("catalog:index"))

    [record] = request_errors(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Service Unavailable (database): /catalog/"
    assert record.status_code == 503
    assert record.exc_info[0] is OperationalError
    assert str(record.exc_info[1]) == LOST


# Everything else keeps its usual answer


@override_settings(DEBUG=False)
def test_an_error_that_is_not_an_outage_is_still_a_server_error(web, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog_views.selectors, "catalog_page", broken)
    response = web.get(reverse("catalog:index"))

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Something went wrong" in response.content.decode()


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as raised:  # noqa: BLE001
        return raised


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (OperationalError(LOST), True),
        (InterfaceError("connection already closed"), True),
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (raised_from(OperationalError("x"), sqlite3.OperationalError("database is locked")), True),
        (raised_from(OperationalError("x"), sqlite3.OperationalError("disk I/O error")), True),
        (raised_from(RuntimeError("commit failed"), OperationalError(LOST)), True),
        # Mistakes in a query, which SQLite also calls OperationalError: bugs, not outages.
        (raised_from(OperationalError("x"), sqlite3.OperationalError("no such table: x")), False),
        (
            raised_from(OperationalError("x"), sqlite3.OperationalError('near "x": syntax error')),
            False,
        ),
        (
            raised_from(InterfaceError("x"), sqlite3.InterfaceError("Error binding parameter")),
            False,
        ),
        (IntegrityError("UNIQUE constraint failed"), False),
        (DatabaseError("value too long"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_which_errors_are_outages(error, outage):
    assert unavailable.is_database_unavailable(error) is outage

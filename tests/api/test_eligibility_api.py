"""GET /api/v1/sessions/<id>/eligibility/: what enrolling would do, said by the rules the enroll
action applies; the same answer, code and message as the click."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import refusals
from tests.factories import (
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    MeetingFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


def url(session) -> str:
    return reverse("session-eligibility", args=[session.pk])


def upcoming(**fields):
    session = SessionFactory(**fields)
    MeetingFactory(session=session, starts_at=timezone.now() + dt.timedelta(days=5))
    return session


@pytest.fixture
def client(api_client, teacher):
    api_client.force_authenticate(teacher.user)
    return api_client


def test_a_refusal_is_said_as_the_enroll_action_would_answer_it(client):
    session = upcoming(course__code="crt-301")
    session.course.prerequisites.add(CourseFactory(code="crt-201", title="CRT in Practice"))

    said = client.get(url(session)).json()
    enrolled = client.post(reverse("session-enroll", args=[session.pk]), {}, format="json")

    assert said["action"] is None
    assert said["refusal"] == {
        "code": refusals.PREREQUISITES_MISSING,
        "message": "Complete the prerequisite first: CRT-201 CRT in Practice.",
    }
    assert enrolled.status_code == 409
    assert enrolled.json()["code"] == said["refusal"]["code"]
    assert enrolled.json()["message"] == said["refusal"]["message"]


def test_an_open_session_says_what_a_click_would_do_and_a_completion(client, teacher):
    session = upcoming(requires_approval=True)
    CompletionFactory(staff=teacher, course=session.course, completed_on=dt.date(2026, 1, 14))

    said = client.get(url(session)).json()

    assert said == {
        "session": session.pk,
        "place": None,
        "waitlist_position": None,
        "action": "request",
        "refusal": None,
        "completed_on": "2026-01-14",
    }


def test_a_place_is_said_with_its_waitlist_position(client, teacher):
    session = upcoming(capacity=1)
    EnrollmentFactory(session=session)
    EnrollmentFactory(session=session, status="waitlisted")
    EnrollmentFactory(staff=teacher, session=session, status="waitlisted")

    said = client.get(url(session)).json()

    assert (said["place"], said["waitlist_position"], said["action"]) == ("waitlisted", 2, None)


def test_a_draft_is_404_and_so_is_a_login_without_a_staff_record(client, api_client, admin_user):
    draft = upcoming(status="draft")
    assert client.get(url(draft)).status_code == 404
    api_client.force_authenticate(admin_user)
    assert api_client.get(url(upcoming())).status_code == 404


def test_the_answer_takes_the_same_queries_however_many_places_and_completions(client, teacher):
    session = upcoming()
    EnrollmentFactory(staff=teacher, session=upcoming())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(session)).status_code == 200
        return len(queries)

    # The login's staff record and roles are cached on it after the first request.
    count()
    few = count()
    for _ in range(20):
        EnrollmentFactory(staff=teacher, session=upcoming())
        CompletionFactory(staff=teacher, course=CourseFactory())
    assert count() == few

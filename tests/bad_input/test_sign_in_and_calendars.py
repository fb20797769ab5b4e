"""The sign-in form fed bad usernames (NUL characters, overlong, other scripts), and a session's
title in other scripts carried unchanged to every place that shows it: the API, the catalog
page and the calendar file."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils.html import escape
from icalendar import Calendar

from catalog.models import Session
from tests.factories import MeetingFactory, SessionFactory

from .conftest import assert_nothing_written, row_counts
from .corpus import NUL, UNICODE_TEXTS, overlong

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "username", [NUL, overlong(150), overlong(5000), "José Núñez", "👩🏽‍🏫"], ids=repr
)
def test_a_bad_username_re_shows_the_sign_in_form(client, world, username):
    before = row_counts()

    response = client.post(reverse("login"), {"username": username, "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.wsgi_request.user.is_authenticated
    # A refused sign-in may be counted (django-axes) but writes nothing else.
    changed = {k for k, v in row_counts().items() if v != before[k]} - {"axes.AccessAttempt"}
    assert not changed


def test_a_nul_password_is_refused_without_a_server_error(client, world):
    before = row_counts()

    response = client.post(reverse("login"), {"username": "teacher", "password": NUL})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert_nothing_written(before)


TEXTS = sorted(UNICODE_TEXTS.items())


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_a_session_title_round_trips_to_the_api_the_page_and_the_calendar(
    client, world, label, text
):
    session = SessionFactory(course=world.course, building=world.building, title=text, room=text)
    MeetingFactory(session=session)
    assert Session.objects.get(pk=session.pk).title == text

    listed = client.get(reverse("session-detail", args=[session.pk])).json()
    assert (listed["title"], listed["room"]) == (text, text)
    assert listed["display_title"].endswith(text)

    page = client.get(reverse("catalog:session", args=[session.pk])).content.decode()
    assert escape(text) in page

    ics = client.get(reverse("calendars:session", args=[session.pk]))
    assert ics["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert events and all(text in str(event["SUMMARY"]) for event in events)


def test_a_sign_in_with_an_overlong_username_says_so_and_checks_no_password(client, world):
    """No login has a name that long (at most 150 characters): the form says so by the field,
    and no password is checked, so there is nothing to count against anyone."""
    username = "ö" * 5000

    response = client.post(reverse("login"), {"username": username, "password": "wrong"})

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()

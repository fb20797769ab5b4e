"""Access ends when employment ends: a roster import or an edit that separates a person ends their
sessions (within one request), deletes their API tokens, silences their calendar feed and keeps
them from signing in; HR sees first, in the preview, how many people will lose access; someone
rehired gets access back by signing in again."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from imports import services as imports
from learning.choices import StaffStatus
from learning.services import staff_assignments_record, staff_placements
from tests import factories as f
from tests.imports.conftest import csv_bytes, person_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(district):
    """Two people on the roster file's district, each with a login, a browser signed in, an API
    token and a calendar feed."""
    made = {}
    for number in (1, 2):
        staff = f.StaffMemberFactory(
            employee_id=f"9{number:05d}",
            first_name=f"First{number}",
            last_name=f"Last{number}",
            email=f"person{number}@bps.example.org",
            building=district["maple"],
            position=district["teacher"],
        )
        user = f.login_for(staff)
        browser = Client()
        signed_in = browser.post(
            reverse("login"), {"username": user.username, "password": f.PASSWORD}
        )
        assert signed_in.status_code == 302
        made[number] = {
            "staff": staff,
            "user": user,
            "browser": browser,
            "token": Token.objects.create(user=user),
            "feed": f.FeedTokenFactory(staff=staff),
        }
    return made


def can_reach_me(browser: Client) -> bool:
    return browser.get(reverse("enrollment:me")).status_code == 200


def token_works(token: Token) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api.get(reverse("enrollment-list")).status_code == 200


def feed_answers(feed) -> bool:
    return Client().get(reverse("calendars:feed", args=[feed.key])).status_code == 200


def test_a_roster_sync_that_separates_a_person_ends_their_access(people):
    leaving, staying = people[1], people[2]
    assert can_reach_me(leaving["browser"]) and token_works(leaving["token"])
    assert feed_answers(leaving["feed"])
    assert UserSession.objects.filter(user=leaving["user"]).exists()

    preview = imports.roster_preview(
        source=csv_bytes([person_row(2)]), file_name="roster.csv", sync=True, actor=None
    )
    assert preview.counts["deactivated"] == 1
    assert preview.counts["losing_access"] == 1
    imports.roster_commit(run=preview.run, actor=None, confirm_large_deactivation=True)

    leaving["user"].refresh_from_db()
    assert not leaving["user"].is_active
    # Within one request: the next page the browser asks for finds it signed out.
    answer = leaving["browser"].get(reverse("enrollment:me"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert not Token.objects.filter(user=leaving["user"]).exists()
    assert not token_works(leaving["token"])
    assert not feed_answers(leaving["feed"])
    assert not UserSession.objects.filter(user=leaving["user"]).exists()
    assert not [
        session
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(leaving["user"].pk)
    ]
    # Nobody else lost anything.
    assert can_reach_me(staying["browser"])
    assert token_works(staying["token"]) and feed_answers(staying["feed"])


def test_the_preview_counts_only_people_who_can_sign_in_now(people, district):
    f.StaffMemberFactory(employee_id="900003", email="person3@bps.example.org")  # no login

    preview = imports.roster_preview(
        source=csv_bytes([person_row(2)]), file_name="roster.csv", sync=True, actor=None
    )

    assert preview.counts["deactivated"] == 2
    assert preview.counts["losing_access"] == 1


def test_the_preview_page_shows_who_will_lose_access(client, people, hr):
    client.force_login(hr.user)
    row = person_row(1, status="Separated")
    header = ["Employee ID", "First Name", "Last Name", "Email", "Building", "Position", "Status"]
    preview = imports.roster_preview(
        source=csv_bytes([row], header=header), file_name="roster.csv", actor=hr.user
    )
    assert preview.counts["losing_access"] == 1

    page = client.get(reverse("imports:run", args=[preview.run.pk])).content.decode()

    assert "<dt>To lose access</dt><dd>1</dd>" in page


def test_an_edit_that_separates_a_person_ends_their_access(people):
    leaving = people[1]
    staff = leaving["staff"]
    before = staff_placements([staff.pk])
    staff.status = StaffStatus.SEPARATED
    staff.separated_on = dt.date(2026, 11, 30)
    staff.save()

    staff_assignments_record(before=before)

    assert not can_reach_me(leaving["browser"])
    assert not token_works(leaving["token"])
    assert not feed_answers(leaving["feed"])
    assert can_reach_me(people[2]["browser"])


def test_a_separated_person_cannot_sign_in_with_a_password(people):
    leaving = people[1]
    staff = leaving["staff"]
    before = staff_placements([staff.pk])
    staff.status = StaffStatus.SEPARATED
    staff.save()
    staff_assignments_record(before=before)

    response = Client().post(
        reverse("login"), {"username": leaving["user"].username, "password": f.PASSWORD}
    )

    assert response.status_code == 403
    assert "no longer work for the district" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_someone_rehired_gets_access_back_by_signing_in(people, mailed):
    """Separated, then on the roster again: the rehire switches their old login back on, and
    they sign in to it as before (here with a code by mail)."""
    leaving = people[1]
    staff = leaving["staff"]
    before = staff_placements([staff.pk])
    staff.status = StaffStatus.SEPARATED
    staff.save()
    staff_assignments_record(before=before)
    before = staff_placements([staff.pk])
    staff.status = StaffStatus.ACTIVE
    staff.separated_on = None
    staff.save()
    staff_assignments_record(before=before)
    leaving["user"].refresh_from_db()
    assert leaving["user"].is_active

    browser = Client()
    with mailed as mail:
        browser.post(reverse("account_request_login_code"), {"email": staff.email})
    code = mail[-1].subject.rsplit(" ", 1)[-1]
    confirmed = browser.post(reverse("account_confirm_login_code"), {"code": code})

    assert confirmed.status_code == 302
    leaving["user"].refresh_from_db()
    assert leaving["user"].is_active
    assert can_reach_me(browser)

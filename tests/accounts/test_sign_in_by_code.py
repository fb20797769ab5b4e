"""Sign-in with a code by mail, for districts without single sign-on: only people on the roster get
a code, at the address HR keeps; their login is made on their first sign-in; a code works once,
for a short while, and a few tries; requests are throttled per address and per client address.
The page answers the same for any address, so it tells nobody who works here."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from audit.models import AuditEntry
from learning.choices import StaffStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

REQUEST = reverse("account_request_login_code")
CONFIRM = reverse("account_confirm_login_code")


@pytest.fixture
def newcomer(building):
    """On the roster, never signed in: no login yet."""
    return f.StaffMemberFactory(
        employee_id="F500005",
        first_name="Nia",
        last_name="Newcomer",
        email="nia.newcomer@bps.example",
        building=building,
    )


def request_code(browser: Client, email: str, mailed, **extra):
    """Ask for a code: the answer, and the mail this request sent."""
    with mailed as mail:
        before = len(mail)
        response = browser.post(REQUEST, {"email": email}, **extra)
    return response, list(mail[before:])


def code_in(message) -> str:
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def test_a_person_on_the_roster_signs_in_with_a_code_and_gets_their_login(newcomer, mailed):
    browser = Client()

    response, mail = request_code(browser, "Nia.Newcomer@bps.example", mailed)

    assert response.status_code == 302 and response["Location"].startswith(CONFIRM)
    (message,) = mail
    assert message.to == ["nia.newcomer@bps.example"]
    assert "your sign-in code" in message.subject
    newcomer.refresh_from_db()
    assert newcomer.user is not None and not newcomer.user.has_usable_password()
    assert "_auth_user_id" not in browser.session

    confirmed = browser.post(CONFIRM, {"code": code_in(message)})

    assert confirmed.status_code == 302
    assert browser.get(reverse("enrollment:me")).status_code == 200
    assert browser.session["account_authentication_methods"][-1]["method"] == "code"


def test_an_address_not_on_the_roster_gets_the_same_page_and_no_code(newcomer, mailed):
    browser = Client()

    response, mail = request_code(browser, "someone@elsewhere.example", mailed)

    assert response.status_code == 302 and response["Location"].startswith(CONFIRM)
    assert all(
        not re.search(r"^\s*[A-Z0-9]{4}-[A-Z0-9]{4}\s*$", m.body, re.MULTILINE) for m in mail
    )
    assert not User.objects.exists()
    entry = AuditEntry.objects.get(action="refused")
    assert entry.changes["reason"] == [None, "not_on_roster"]
    assert entry.changes["email"] == [None, "someone@elsewhere.example"]


def test_a_separated_person_gets_no_code(newcomer, mailed):
    newcomer.status = StaffStatus.SEPARATED
    newcomer.save()

    _response, mail = request_code(Client(), newcomer.email, mailed)

    assert all("your sign-in code" not in m.subject for m in mail)
    assert not User.objects.exists()
    assert AuditEntry.objects.get(action="refused").changes["reason"] == [None, "separated"]


def test_a_code_works_once(newcomer, mailed):
    browser = Client()
    _response, mail = request_code(browser, newcomer.email, mailed)
    code = code_in(mail[0])
    assert browser.post(CONFIRM, {"code": code}).status_code == 302
    browser.post(reverse("logout"))

    again = browser.post(CONFIRM, {"code": code})

    assert again.status_code == 302 and again["Location"] == REQUEST
    assert "_auth_user_id" not in browser.session


def test_a_wrong_code_is_refused_and_tries_run_out(settings, newcomer, mailed):
    browser = Client()
    _response, mail = request_code(browser, newcomer.email, mailed)
    right = code_in(mail[0])
    wrong = "AAAA-AAAA" if right != "AAAA-AAAA" else "BBBB-BBBB"

    answers = [browser.post(CONFIRM, {"code": wrong}) for _ in range(3)]
    last = browser.post(CONFIRM, {"code": right})

    assert answers[0].status_code == 200
    assert "Incorrect code" in answers[0].content.decode()
    assert "_auth_user_id" not in browser.session
    assert last.status_code == 302  # back to the start: the code no longer works
    assert browser.get(reverse("enrollment:me")).status_code == 302


def test_a_code_expires(settings, newcomer, mailed):
    browser = Client()
    _response, mail = request_code(browser, newcomer.email, mailed)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(
        seconds=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 5
    )

    with freeze_time(later, tick=True):
        browser.post(CONFIRM, {"code": code_in(mail[0])})
        assert browser.get(reverse("enrollment:me")).status_code == 302
    assert "_auth_user_id" not in browser.session


def test_codes_for_one_address_are_throttled(settings, newcomer, mailed):
    settings.SIGN_IN_CODE_EMAIL_LIMIT = 2
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "request_login_code": "300/h/ip,2/h/key",
    }
    for _ in range(2):
        response, mail = request_code(Client(), newcomer.email, mailed)
        assert response.status_code == 302 and mail

    refused, mail = request_code(Client(), newcomer.email, mailed)

    assert refused.status_code == 200
    assert "Too many tries" in refused.content.decode()
    assert not mail


def test_codes_from_one_client_address_are_throttled(settings, newcomer, building, mailed):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "request_login_code": "2/h/ip,5/h/key",
    }
    others = [
        f.StaffMemberFactory(email=f"colleague{n}@bps.example", building=building) for n in range(3)
    ]
    for person in others[:2]:
        response, _mail = request_code(Client(), person.email, mailed, REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 302

    refused, mail = request_code(Client(), others[2].email, mailed, REMOTE_ADDR="203.0.113.9")
    elsewhere, _ = request_code(Client(), others[2].email, mailed, REMOTE_ADDR="203.0.113.10")

    assert refused.status_code == 429 or "Too many" in refused.content.decode()
    assert not mail
    assert elsewhere.status_code == 302


def test_the_sign_in_page_offers_the_code(client):
    page = client.get(reverse("login")).content.decode()

    assert f'href="{REQUEST}"' in page
    assert "Get a sign-in code by email" in page


def test_with_codes_off_nobody_gets_one(settings, client):
    settings.EMAIL_CODE_SIGN_IN = False
    settings.ACCOUNT_LOGIN_BY_CODE_ENABLED = False

    page = client.get(reverse("login")).content.decode()

    assert "Get a sign-in code by email" not in page

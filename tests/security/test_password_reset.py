"""Password reset by mail: at most PASSWORD_RESET_EMAIL_LIMIT (3) mails to one address and
PASSWORD_RESET_CLIENT_LIMIT (10) requests from one client address an hour, counted in the
database so that every worker and app server shares the count; the same answer whether the
address is known, unknown or over a limit; no mail for a login that is inactive or whose person
has left; the site's own pages; PASSWORD_RESET_ENABLED=false turns it off (404)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from backups.services import exported_models, left_out_tables
from core.models import OutboxMessage, OutboxStatus
from learning import changes, services
from learning.choices import StaffStatus
from learning.models import PasswordResetRequest
from learning.settings import env_int
from tests import factories as f

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")
DONE = reverse("password_reset_done")
COMPLETE = reverse("password_reset_complete")
LOGIN = reverse("login")
CLIENT = "198.51.100.7"
NEW_PASSWORD = "violet-harbour-quietly-73"
LINK = re.compile(r"^(https?://\S+/accounts/reset/\S+/)$", re.MULTILINE)


def ask(client: Client, email: str, address: str = CLIENT, **extra):
    """Ask for a reset as a request would: its mail is recorded in the outbox and delivered
    when the request's transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(RESET, {"email": email}, REMOTE_ADDR=address, **extra)


def mailed_to() -> list[str]:
    return [recipient for message in mail.outbox for recipient in message.to]


def link_in(message) -> str:
    (link,) = LINK.findall(message.body)
    return link


def sent_to_done(response) -> bool:
    return response.status_code == 302 and response["Location"] == DONE


# -- the throttle ----------------------------------------------------------------------------------


def test_the_defaults_are_three_mails_per_address_and_ten_requests_per_client():
    assert settings.PASSWORD_RESET_ENABLED is True
    assert settings.PASSWORD_RESET_EMAIL_LIMIT == 3
    assert settings.PASSWORD_RESET_CLIENT_LIMIT == 10
    assert services.PASSWORD_RESET_WINDOW == dt.timedelta(hours=1)


def test_one_address_gets_three_mails_an_hour_whoever_asks(client, teacher, caplog):
    email = teacher.user.email
    caplog.set_level(logging.WARNING, logger="learning.services")

    responses = [ask(client, email, address=f"198.51.100.{n}") for n in range(1, 6)]

    assert all(sent_to_done(response) for response in responses)
    assert mailed_to() == [email] * 3
    assert PasswordResetRequest.objects.count() == 3
    refusals = [r for r in caplog.records if "PASSWORD_RESET_EMAIL_LIMIT" in r.getMessage()]
    assert len(refusals) == 2
    assert all(email not in record.getMessage() for record in caplog.records)


def test_the_address_is_counted_whatever_its_case(client, teacher):
    email = teacher.user.email  # teacher@example.org
    for variant in (email, email.upper(), "Teacher@Example.org", " teacher@EXAMPLE.org "):
        ask(client, variant, address=f"203.0.113.{len(mail.outbox) + 1}")

    assert len(mail.outbox) == 3
    assert PasswordResetRequest.objects.values("email_digest").distinct().count() == 1


def test_one_client_gets_ten_requests_an_hour_known_addresses_or_not(client, caplog):
    caplog.set_level(logging.WARNING, logger="learning.services")
    known = [f.UserFactory(email=f"person{n}@example.org") for n in range(8)]
    addresses = [user.email for user in known[:6]] + ["nobody1@example.org", "nobody2@example.org"]
    addresses += [known[6].email, "nobody3@example.org"]  # the tenth request: an unknown address

    for email in addresses:
        assert sent_to_done(ask(client, email))
    eleventh = ask(client, known[7].email)

    assert sent_to_done(eleventh)
    assert known[7].email not in mailed_to()
    assert len(mail.outbox) == 7
    refusal = [
        r.getMessage() for r in caplog.records if "PASSWORD_RESET_CLIENT_LIMIT" in r.getMessage()
    ]
    assert refusal == [
        f"Password reset refused: 10 requests from client {CLIENT} in the last hour, the limit "
        "(PASSWORD_RESET_CLIENT_LIMIT)"
    ]
    # Another client is not held back by this one.
    assert sent_to_done(ask(client, known[7].email, address="192.0.2.44"))
    assert mailed_to()[-1] == known[7].email


@override_settings(PASSWORD_RESET_EMAIL_LIMIT=1, PASSWORD_RESET_CLIENT_LIMIT=2)
def test_the_limits_are_settings(client, teacher, facilitator):
    ask(client, teacher.user.email)
    ask(client, teacher.user.email, address="192.0.2.1")
    ask(client, facilitator.user.email)
    ask(client, "someone.else@example.org")

    assert mailed_to() == [teacher.user.email, facilitator.user.email]


def test_after_an_hour_an_address_is_mailed_again_and_old_requests_are_pruned(client, teacher):
    email = teacher.user.email
    for n in range(4):
        ask(client, email, address=f"198.51.100.{n + 1}")
    assert len(mail.outbox) == 3

    PasswordResetRequest.objects.update(requested_at=timezone.now() - dt.timedelta(minutes=61))
    ask(client, email)

    assert len(mail.outbox) == 4
    assert PasswordResetRequest.objects.count() == 1  # the three old ones are gone


def test_requests_within_the_hour_still_count(client, teacher):
    email = teacher.user.email
    for n in range(3):
        ask(client, email, address=f"198.51.100.{n + 1}")
    PasswordResetRequest.objects.update(requested_at=timezone.now() - dt.timedelta(minutes=59))

    ask(client, email)

    assert len(mail.outbox) == 3
    assert PasswordResetRequest.objects.count() == 3


def test_the_table_keeps_a_keyed_digest_of_the_address_never_the_address(client, teacher):
    ask(client, teacher.user.email)

    row = PasswordResetRequest.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", row.email_digest)
    assert row.email_digest == services.password_reset_email_digest("TEACHER@example.org")
    with override_settings(SECRET_KEY="another-key-entirely-for-this-test"):
        assert services.password_reset_email_digest(teacher.user.email) != row.email_digest
    assert row.client_address == CLIENT


@override_settings(BEHIND_TLS_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_client_is_the_address_the_proxy_saw(client, teacher):
    """Whatever a client writes at the left of X-Forwarded-For, it is counted under the address
    nginx appended (core.client_ip, as the login throttle counts it)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        for n in range(10):
            client.post(
                RESET,
                {"email": f"nobody{n}@example.org"},
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.5",
            )
        same_client = client.post(
            RESET,
            {"email": teacher.user.email},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5",
        )
        other_client = client.post(
            RESET,
            {"email": teacher.user.email},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.6",
        )

    assert sent_to_done(same_client) and sent_to_done(other_client)
    assert mailed_to() == [teacher.user.email]
    assert set(PasswordResetRequest.objects.values_list("client_address", flat=True)) == {
        "203.0.113.5",
        "203.0.113.6",
    }


def test_a_request_is_no_change_to_the_data_nor_to_its_backups(client, teacher):
    """Throttle rows are bookkeeping: writing one must not void every cached calendar feed (the
    data's generation), and an export leaves them out."""
    before = changes.generation()

    ask(client, teacher.user.email)

    assert PasswordResetRequest.objects.count() == 1
    assert changes.generation() == before
    assert PasswordResetRequest not in exported_models()
    assert "learning.passwordresetrequest" in left_out_tables()


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", ""),
        ("unix-socket", "unix-socket"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_network(address, counted_as):
    assert services.password_reset_client_key(address) == counted_as


def test_the_addresses_of_one_ipv6_network_share_one_count(client, teacher):
    for n in range(10):
        ask(client, f"nobody{n}@example.org", address=f"2001:db8:1:2::{n + 1:x}")

    ask(client, teacher.user.email, address="2001:db8:1:2::ff")
    ask(client, teacher.user.email, address="2001:db8:1:3::1")

    assert mailed_to() == [teacher.user.email]  # from the other network only


# -- the same answer -------------------------------------------------------------------------------


def test_known_unknown_and_throttled_addresses_get_the_same_answer(client, teacher):
    known = teacher.user.email
    for n in range(3):
        ask(client, known, address=f"192.0.2.{n + 1}")
    mail.outbox.clear()

    answers = {
        "throttled": ask(client, known),
        "unknown": ask(client, "no.such.person@example.org"),
    }
    PasswordResetRequest.objects.all().delete()
    answers["known"] = ask(client, known)

    assert mailed_to() == [known]  # only the known address under its limit was mailed
    shown = {
        name: (response.status_code, response["Location"], client.get(response["Location"]))
        for name, response in answers.items()
    }
    assert {(status, location) for status, location, _ in shown.values()} == {(302, DONE)}
    pages = {page.content for _, _, page in shown.values()}
    assert len(pages) == 1
    assert "Check your mail" in pages.pop().decode()


@pytest.mark.parametrize(
    "who",
    ["inactive login", "separated staff", "unusable password"],
)
def test_no_mail_for_a_login_that_may_not_sign_in(client, teacher, who):
    user = teacher.user
    if who == "inactive login":
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif who == "separated staff":
        teacher.status = StaffStatus.SEPARATED
        teacher.separated_on = timezone.localdate()
        teacher.save(update_fields=["status", "separated_on"])
    else:
        user.set_unusable_password()
        user.save(update_fields=["password"])

    response = ask(client, user.email)

    assert sent_to_done(response)
    assert mail.outbox == []


def test_a_person_on_leave_and_a_login_without_a_staff_record_are_mailed(client, teacher):
    teacher.status = StaffStatus.ON_LEAVE
    teacher.save(update_fields=["status"])
    administrator = f.login_for(None, username="admin", superuser=True)

    ask(client, teacher.user.email)
    ask(client, administrator.email)

    assert mailed_to() == [teacher.user.email, administrator.email]


@pytest.mark.parametrize(
    "email",
    ["", "not-an-address", "a" * 250 + "@example.org", "tess\x00@example.org", "<b>@example"],
)
def test_a_malformed_address_is_named_and_nothing_is_written_or_sent(client, email):
    response = ask(client, email)

    assert response.status_code == 200
    page = response.content.decode()
    assert "No link was sent" in page
    assert '<a href="#id_email">Email:' in page
    assert PasswordResetRequest.objects.count() == 0
    assert mail.outbox == []


def test_a_mail_server_outage_still_shows_the_done_page(client, teacher, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def down(self, messages):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)

    assert sent_to_done(ask(client, teacher.user.email))
    # The link waits in the outbox for the mail server to come back.
    (waiting,) = OutboxMessage.objects.all()
    assert waiting.status == OutboxStatus.QUEUED
    assert waiting.to == [teacher.user.email]
    assert "mail server down" in waiting.last_error


# -- the mail and a reset from start to end --------------------------------------------------------


@override_settings(SITE_URL="https://pd.example.org", DISTRICT_NAME="Maple District")
def test_the_mail_links_to_the_site_url_whatever_the_host_asked(client, teacher):
    ask(client, teacher.user.email, HTTP_HOST="localhost")

    (message,) = mail.outbox
    assert message.subject == "Choose a new password for Maple District Professional Learning"
    assert message.to == [teacher.user.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert link_in(message).startswith("https://pd.example.org/accounts/reset/")
    assert 'the sign-in "teacher"' in message.body
    assert "within 72 hours" in message.body
    assert "localhost" not in message.body
    assert message.alternatives == []  # text only


def test_a_reset_from_the_mail_to_signing_in(client, teacher):
    ask(client, teacher.user.email)
    link = link_in(mail.outbox[0])

    opened = client.get(link)
    assert opened.status_code == 302  # the token moves out of the address, into the session
    form_page = client.get(opened["Location"])
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    assert form_page.context["validlink"] is True

    done = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == COMPLETE
    assert "Your password is set" in client.get(COMPLETE).content.decode()

    browser = Client()
    wrong = browser.post(LOGIN, {"username": "teacher", "password": f.PASSWORD})
    assert wrong.status_code == 200 and "_auth_user_id" not in browser.session
    signed_in = browser.post(LOGIN, {"username": "teacher", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert browser.session["_auth_user_id"] == str(teacher.user.pk)

    # The link works once.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_a_weak_new_password_is_refused_by_the_reset_form(client, teacher):
    user = teacher.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    opened = client.get(
        reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    )

    response = client.post(
        opened["Location"], {"new_password1": "password1", "new_password2": "password1"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your password was not changed" in page
    assert "This password is too common." in page
    user.refresh_from_db()
    assert user.check_password(f.PASSWORD)


# -- the site's pages, and turning it off ----------------------------------------------------------


def _reset_pages(user) -> dict[str, str]:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return {
        "form": RESET,
        "done": DONE,
        "confirm (invalid link)": reverse("password_reset_confirm", args=[uid, "not-a-token"]),
        "complete": COMPLETE,
    }


def test_the_reset_pages_are_the_sites_own(client, teacher):
    for name, url in _reset_pages(teacher.user).items():
        response = client.get(url)

        assert response.status_code == 200, name
        used = {template.name for template in response.templates}
        assert "base.html" in used, name
        assert not any(template.startswith("admin/") for template in used), name
        assert 'class="site-header"' in response.content.decode(), name


def test_the_password_change_pages_are_the_sites_and_the_admins_keeps_its_own(client, admin_user):
    client.force_login(admin_user)

    for url in (reverse("password_change"), reverse("password_change_done")):
        used = {template.name for template in client.get(url).templates}
        assert "base.html" in used and "admin/base_site.html" not in used, url
    admin_page = {
        template.name for template in client.get(reverse("admin:password_change")).templates
    }
    assert "admin/base_site.html" in admin_page and "base.html" not in admin_page


def test_the_sign_in_page_offers_the_reset_while_it_is_on(client):
    page = client.get(LOGIN).content.decode()

    assert f'<a href="{RESET}">Forgot your password?</a>' in page


@override_settings(PASSWORD_RESET_ENABLED=False)
def test_turned_off_the_reset_pages_are_404_and_nothing_is_sent(client, teacher):
    user = teacher.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    valid_link = reverse(
        "password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )

    for name, url in {**_reset_pages(user), "confirm (valid link)": valid_link}.items():
        assert client.get(url).status_code == 404, name
    posted = ask(client, user.email)

    assert posted.status_code == 404
    assert mail.outbox == []
    assert PasswordResetRequest.objects.count() == 0
    assert "Forgot your password?" not in client.get(LOGIN).content.decode()
    assert RESET not in client.get(LOGIN).content.decode()


def test_the_locked_out_page_offers_the_reset_only_while_it_is_on(client, teacher):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(
            LOGIN, {"username": "teacher", "password": "wrong"}, REMOTE_ADDR=CLIENT
        )
    assert locked.status_code == 429
    assert f'href="{RESET}"' in locked.content.decode()

    with override_settings(PASSWORD_RESET_ENABLED=False):
        locked = client.post(
            LOGIN, {"username": "teacher", "password": "wrong"}, REMOTE_ADDR=CLIENT
        )

    assert locked.status_code == 429
    assert RESET not in locked.content.decode()
    assert "help desk" in locked.content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("three", "PASSWORD_RESET_EMAIL_LIMIT must be a whole number, not 'three'."),
        ("0", "PASSWORD_RESET_EMAIL_LIMIT must be at least 1, not 0."),
    ],
)
def test_a_limit_that_is_not_a_positive_number_is_refused_by_name(monkeypatch, value, message):
    monkeypatch.setenv("PASSWORD_RESET_EMAIL_LIMIT", value)

    with pytest.raises(ImproperlyConfigured) as refused:
        env_int("PASSWORD_RESET_EMAIL_LIMIT", 3, minimum=1)

    assert str(refused.value) == message


# -- concurrent requests ---------------------------------------------------------------------------


def _in_threads(tasks) -> list:
    """Each task in its own thread and connection, released together, as web requests in
    several workers would be."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = tasks[index]()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_for_one_address_let_through_only_the_limit():
    def request_from(n: int):
        return lambda: services.password_reset_request_create(
            email="tess@example.org", client_address=f"198.51.100.{n}"
        )

    results = _in_threads([request_from(n) for n in range(8)])

    assert sum(result is not None for result in results) == 3
    assert PasswordResetRequest.objects.count() == 3


def _waiting_for_an_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
@override_settings(PASSWORD_RESET_EMAIL_LIMIT=1, PASSWORD_RESET_CLIENT_LIMIT=1)
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("tess@example.org", "192.0.2.1"), ("tess@example.org", "192.0.2.2")),
        (("tess@example.org", "192.0.2.1"), ("fran@example.org", "192.0.2.1")),
    ],
    ids=["same address", "same client"],
)
def test_a_request_waits_for_one_in_flight_for_the_same_address_or_client(first, second):
    """PostgreSQL: a request still in its transaction holds its address's and its client's
    advisory locks, so a second one (another connection) waits for it, then counts it. SQLite:
    the IMMEDIATE transaction holds the database's write lock from its first statement."""

    def request(email_and_client: tuple[str, str]):
        email, client_address = email_and_client
        return services.password_reset_request_create(email=email, client_address=client_address)

    if connection.vendor == "sqlite":
        with CaptureQueriesContext(connection) as queries:
            request(first)
        assert queries.captured_queries[0]["sql"] == "BEGIN IMMEDIATE"
        assert request(second) is None
        return

    assert connection.vendor == "postgresql"
    answers: list = []
    thread = threading.Thread(target=lambda: (answers.append(request(second)), connection.close()))
    with transaction.atomic():
        recorded = request(first)
        thread.start()
        while thread.is_alive() and not _waiting_for_an_advisory_lock():
            thread.join(timeout=0.01)
        assert thread.is_alive(), "the second request did not wait for the first"
    thread.join(timeout=30)

    assert recorded is not None
    assert answers == [None]
    assert PasswordResetRequest.objects.count() == 1

"""The mail outbox against a real SMTP server (aiosmtpd, tests/smtp.py): recorded in the change's
transaction, delivered by the worker with retries and backoff, once per Message-ID, in order per
person; failures kept with the server's answer for district PD, who can send them again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def message(to: str, subject: str) -> EmailMessage:
    return EmailMessage(subject, f"{subject}\n", to=[to])


def record(*pairs: tuple[str, str]) -> list[OutboxMessage]:
    return outbox.record([message(to, subject) for to, subject in pairs], kind="test")


def status_of(subject: str) -> OutboxMessage:
    return OutboxMessage.objects.get(subject=subject)


def admin_login(user):
    """The admin lets in staff logins only; district PD's are."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_records_and_sends_nothing(smtp_up):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        record(("ann@example.org", "Enrolled"))
        raise Refused

    assert OutboxMessage.objects.count() == 0
    assert smtp_up.received == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_delivered_over_smtp_with_its_recorded_message_id(smtp_up, settings):
    settings.SITE_URL = "https://pd.example.org"
    with transaction.atomic():
        (row,) = record(("ann@example.org", "Enrolled"))

    (received,) = smtp_up.received
    assert received.rcpt_tos == ["ann@example.org"]
    assert received.message["Subject"] == "Enrolled"
    assert received.message_id == row.message_id
    assert received.message_id.endswith("@pd.example.org>")
    sent = status_of("Enrolled")
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 1, "")
    assert sent.sent_at is not None


def test_a_refused_recipient_fails_with_the_servers_answer_and_the_rest_go_out(smtp_up):
    smtp_up.handler.refuse["nobody@example.org"] = "550 5.1.1 <nobody@example.org>: no such user"
    record(
        ("ann@example.org", "First"),
        ("nobody@example.org", "Bounced"),
        ("bo@example.org", "Last"),
    )

    delivery = outbox.deliver_due()

    assert (delivery.sent, delivery.failed, delivery.retrying) == (2, 1, 0)
    assert [r.message["Subject"] for r in smtp_up.received] == ["First", "Last"]
    failed = status_of("Bounced")
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "nobody@example.org: 550 5.1.1 <nobody@example.org>: no such user"


def test_a_mail_server_down_for_an_hour_loses_nothing_and_keeps_each_persons_order(smtp_sink):
    record(
        ("ann@example.org", "REQUEST for Monday"),
        ("bo@example.org", "Enrolled"),
        ("ann@example.org", "CANCEL for Monday"),
    )
    start = timezone.now()
    waits = []
    for minute in range(0, 61, 5):
        delivery = outbox.deliver_due(now=start + dt.timedelta(minutes=minute))
        assert delivery.sent == 0
        first = status_of("REQUEST for Monday")
        waits.append((minute, first.attempts, first.next_attempt_at))
    assert OutboxMessage.objects.filter(status=OutboxStatus.QUEUED).count() == 3
    assert "ConnectionRefusedError" in status_of("REQUEST for Monday").last_error
    # The first retry waits 30 s, then longer each time, never beyond 15 minutes.
    # Each attempt waits twice as long as the one before (from 30 s), at most 15 minutes.
    delays: dict[int, float] = {}
    for minute, attempts, retry_at in waits:
        tried_at = start + dt.timedelta(minutes=minute)
        delays.setdefault(attempts, (retry_at - tried_at).total_seconds() / 60)
    assert [round(delays[n], 1) for n in sorted(delays)] == [0.5, 1, 2, 4, 8, 15, 15, 15]

    smtp_sink.up()
    delivery = outbox.deliver_due(now=start + dt.timedelta(minutes=80))

    assert delivery.sent == 3
    assert [r.message["Subject"] for r in smtp_sink.received] == [
        "REQUEST for Monday",
        "Enrolled",
        "CANCEL for Monday",
    ]


def test_a_person_refused_for_now_gets_nothing_out_of_order(smtp_up):
    smtp_up.handler.refuse["ann@example.org"] = "450 4.2.0 try again later"
    record(
        ("ann@example.org", "REQUEST"),
        ("bo@example.org", "Enrolled"),
        ("ann@example.org", "CANCEL"),
    )

    first = outbox.deliver_due()

    assert (first.sent, first.retrying) == (1, 1)
    assert [r.message["Subject"] for r in smtp_up.received] == ["Enrolled"]
    assert status_of("REQUEST").last_error == "ann@example.org: 450 4.2.0 try again later"
    assert status_of("CANCEL").attempts == 0  # held back, never tried before its REQUEST

    # Not yet due: the CANCEL still waits behind the REQUEST.
    assert outbox.deliver_due().sent == 0
    del smtp_up.handler.refuse["ann@example.org"]
    assert outbox.deliver_due(now=later(1)).sent == 2
    assert [r.message["Subject"] for r in smtp_up.received] == ["Enrolled", "REQUEST", "CANCEL"]


class WorkerKilled(BaseException):
    """The worker process dying: nothing in it runs after this."""


def test_a_worker_that_dies_after_the_server_accepted_sends_the_same_message_again(smtp_up):
    (row,) = record(("ann@example.org", "Enrolled"))

    def die_when_marking_sent(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and OutboxStatus.SENT.value in (params or ()):
            raise WorkerKilled
        return execute(sql, params, many, context)

    with pytest.raises(WorkerKilled), connection.execute_wrapper(die_when_marking_sent):
        outbox.deliver_due()
    assert status_of("Enrolled").status == OutboxStatus.SENDING
    assert len(smtp_up.received) == 1

    # Another worker leaves it alone while the claim may still be live...
    assert outbox.deliver_due(now=later(5)).sent == 0
    # ...and sends it again once the claim has lapsed.
    assert outbox.deliver_due(now=later(16)).sent == 1

    first, again = smtp_up.received
    assert first.message_id == again.message_id == row.message_id
    assert first.message["Date"] == again.message["Date"]
    assert len({r.message_id for r in smtp_up.received}) == 1
    assert status_of("Enrolled").status == OutboxStatus.SENT


def test_a_message_the_server_cannot_take_for_days_fails_with_its_last_answer(smtp_sink, settings):
    record(("ann@example.org", "Enrolled"))
    outbox.deliver_due()

    outbox.deliver_due(now=later(60 * settings.MAIL_OUTBOX_GIVE_UP_HOURS + 1))

    failed = status_of("Enrolled")
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error.startswith("Gave up after 2 attempts: ConnectionRefusedError")


def test_a_header_the_mail_cannot_carry_fails_that_message_only(smtp_up):
    record(("ann@example.org", "Line one\nBcc: everyone@example.org"), ("bo@example.org", "Fine"))

    delivery = outbox.deliver_due()

    assert (delivery.sent, delivery.failed) == (1, 1)
    assert [r.rcpt_tos for r in smtp_up.received] == [["bo@example.org"]]
    assert status_of("Fine").status == OutboxStatus.SENT
    assert (
        "Header values can't contain newlines"
        in OutboxMessage.objects.get(recipient="ann@example.org").last_error
    )


def test_with_mail_off_nothing_is_recorded(settings):
    settings.MAIL_ENABLED = False

    assert record(("ann@example.org", "Enrolled")) == []
    assert OutboxMessage.objects.count() == 0


def test_many_messages_go_out_in_a_fixed_number_of_queries_per_message(smtp_up, monkeypatch):
    # Marks by count only: on a slow machine the quarter-second flush would add marks.
    monkeypatch.setattr(outbox, "MARK_SECONDS", 3600)

    def queries_for(count: int) -> int:
        OutboxMessage.objects.all().delete()
        record(*[(f"p{n}@example.org", f"Message {n}") for n in range(count)])
        with CaptureQueriesContext(connection) as queries:
            assert outbox.deliver_due(batch_size=100).sent == count
        return len(queries)

    # One claim per batch of 100; the sent are marked ten at a time.
    assert outbox.MARK_EVERY == 10
    assert queries_for(20) - queries_for(10) == 1
    assert queries_for(40) - queries_for(20) == 2


# -- the admin for district PD ---------------------------------------------------------------------


def test_district_pd_sees_the_outbox_and_sends_a_failed_message_again(client, district_pd, smtp_up):
    smtp_up.handler.refuse["ann@example.org"] = "550 5.2.1 mailbox disabled"
    record(("ann@example.org", "Enrolled"), ("bo@example.org", "Approved"))
    outbox.deliver_due()
    client.force_login(admin_login(district_pd.user))
    changelist = reverse("admin:core_outboxmessage_changelist")

    page = client.get(changelist, {"status": "failed"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "ann@example.org: 550 5.2.1 mailbox disabled" in text
    assert "Approved" not in text

    del smtp_up.handler.refuse["ann@example.org"]
    failed = status_of("Enrolled")
    with transaction.atomic():
        response = client.post(
            changelist,
            {"action": "retry", "_selected_action": [failed.pk, status_of("Approved").pk]},
            follow=True,
        )
    text = response.content.decode()
    assert "1 message(s) queued to be sent again." in text
    assert "only failed messages are retried" in text
    outbox.deliver_due()
    assert status_of("Enrolled").status == OutboxStatus.SENT
    assert [r.message["Subject"] for r in smtp_up.received] == ["Approved", "Enrolled"]


def test_nobody_adds_edits_or_deletes_an_outbox_message(client, district_pd, admin_user):
    (row,) = record(("ann@example.org", "Enrolled"))
    for user in (admin_login(district_pd.user), admin_user):
        client.force_login(user)
        assert client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
        assert (
            client.get(reverse("admin:core_outboxmessage_delete", args=[row.pk])).status_code == 403
        )
        page = client.get(reverse("admin:core_outboxmessage_change", args=[row.pk]))
        assert page.status_code == 200
        assert 'name="subject"' not in page.content.decode()


def test_a_teacher_has_no_outbox(client, teacher):
    client.force_login(teacher.user)

    response = client.get(reverse("admin:core_outboxmessage_changelist"))

    assert response.status_code == 302

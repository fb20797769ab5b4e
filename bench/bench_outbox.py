"""The mail outbox (core/outbox.py) against a real SMTP server (aiosmtpd, started here):

- what recording an enrollment's mail adds to the enrollment's request, against the same request
  with mail off (MAIL_ENABLED false): at most 2 ms;
- the outbox delivering 10,000 messages, against a bare smtplib loop sending the same messages
  (Django's EmailMessage made into bytes, then `sendmail`) over one connection: at least half
  its rate. The server runs in a process of its own;
- an enrollment's request with the mail server answering after 5 s, against the same request
  with it answering at once: the request does not wait for it (the worker does).

Each runs in a scratch database holding one teacher and one open session; enrollments are
undone between samples. The queue is the database's (as deployed), so recording mail also
queues a delivery task in the request."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from . import core

ENQUEUE = "Enrolling: time mail adds to the request (recorded in the outbox)"
DELIVERY = "Outbox: 10,000 messages to a local SMTP server, against a bare smtplib loop"
SLOW_SMTP = "Enrolling while the mail server takes 5 s to answer, against it answering at once"
FIGURES = (ENQUEUE, DELIVERY, SLOW_SMTP)

ENQUEUE_LIMIT_MS = 2.0
DELIVERY_MAX_RATIO = 2.0  # at least half the floor's rate
MESSAGES = 10_000


def _district():
    """One teacher with a login, and one published session open for enrollment."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from catalog.choices import SessionStatus
    from catalog.models import Course, Meeting, Session, Strand
    from learning.models import Building, Position, StaffMember

    building = Building.objects.create(code="bench", name="Bench Elementary")
    position = Position.objects.create(code="teacher", name="Teacher", category="teacher")
    user = get_user_model().objects.create(username="bench-teacher")
    staff = StaffMember.objects.create(
        employee_id="B0001",
        first_name="Bea",
        last_name="Bench",
        email="bea.bench@bench.example.org",
        building=building,
        position=position,
        user=user,
    )
    strand = Strand.objects.create(code="rp", name="Restorative Practices")
    course = Course.objects.create(
        code="RP-101", title="Restorative Circles", strand=strand, clock_hours=2
    )
    session = Session.objects.create(
        course=course, building=building, capacity=100, status=SessionStatus.PUBLISHED
    )
    starts = timezone.now() + dt.timedelta(days=10)
    Meeting.objects.create(
        session=session, starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )
    client = Client()
    client.force_login(user)
    return client, staff, session


def _undo(staff) -> None:
    from django_tasks_db.models import DBTaskResult

    from core.models import OutboxMessage
    from enrollment.models import Enrollment

    Enrollment.objects.filter(staff=staff).delete()
    OutboxMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()


def _enroll(client: Client, session) -> None:
    response = client.post(reverse("enrollment:enroll", args=[session.pk]))
    if response.status_code != 302:
        raise RuntimeError(f"Enrolling answered {response.status_code}")


def _enqueue_cost(context: core.Context) -> Iterator[core.Figure]:
    from core.models import OutboxMessage

    with context.scratch_database():
        client, staff, session = _district()

        def with_mail() -> None:
            settings.MAIL_ENABLED = True
            _enroll(client, session)

        def mail_off() -> None:
            settings.MAIL_ENABLED = False
            _enroll(client, session)

        try:
            with_mail()
            if not OutboxMessage.objects.exists():
                raise RuntimeError("Enrolling recorded no mail.")
            subject, floor = core.compare(
                with_mail, mail_off, repeat=60, warmup=3, setup=lambda: _undo(staff), stat="min"
            )
        finally:
            settings.MAIL_ENABLED = True
            _undo(staff)
    added_ms = (subject - floor) * 1000
    yield core.at_most(
        ENQUEUE,
        added_ms,
        ENQUEUE_LIMIT_MS,
        unit="ms",
        note=(
            f"best of 60: {subject * 1000:.2f} ms with the message rendered, recorded and its "
            f"delivery queued; {floor * 1000:.2f} ms with mail off"
        ),
    )


def _messages(count: int) -> list[EmailMessage]:
    return [
        EmailMessage(
            f"Reminder: Restorative Circles, message {number}",
            "Hello,\n\nA reminder of your session on Monday.\n" * 4,
            to=[f"person{number}@bench.example.org"],
        )
        for number in range(count)
    ]


def _delivery(context: core.Context) -> Iterator[core.Figure]:
    from django.db import transaction

    from core import outbox
    from core.models import OutboxMessage

    count = 1_000 if context.quick else MESSAGES
    sink = _SinkProcess()
    saved = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    try:
        with context.scratch_database():
            messages = _messages(count)

            def record() -> None:
                OutboxMessage.objects.all().delete()
                with transaction.atomic():
                    outbox.record(messages, kind="bench")

            def deliver() -> None:
                delivered = outbox.deliver_due()
                if delivered.sent != count:
                    raise RuntimeError(f"The outbox sent {delivered.sent} of {count}.")

            def bare_loop() -> None:
                # The loop one would write without an outbox: each message made into bytes
                # and sent over one connection; nothing recorded, nothing retried.
                with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
                    for message in messages:
                        smtp.sendmail(
                            message.from_email, message.recipients(), message.message().as_bytes()
                        )

            # record() queues a delivery task (the database's queue): nothing runs it here.
            subject, floor = core.compare(deliver, bare_loop, repeat=2, warmup=0, setup=record)
    finally:
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = saved
        received = sink.close()
    if received != 4 * count:
        raise RuntimeError(f"The server received {received} of {4 * count} messages.")
    yield core.against_floor(
        DELIVERY,
        subject,
        floor,
        unit="s",
        max_ratio=DELIVERY_MAX_RATIO,
        note=(
            f"{count:,} messages: {count / subject:,.0f} a second from the outbox (claimed a "
            f"hundred at a time, marked sent ten at a time), {count / floor:,.0f} from the bare "
            "loop; best of 2"
        ),
    )


class _SinkProcess:
    """tests/smtp.py's sink in a process of its own, as a real mail server would be: in this
    one it would share the interpreter lock with the sender it is measured against."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp"],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.process.stdout.readline())

    def close(self) -> int:
        self.process.terminate()
        received = int(self.process.stdout.readline() or 0)
        self.process.wait(30)
        return received


def _slow_smtp(context: core.Context) -> Iterator[core.Figure]:
    from tests.smtp import SmtpSink

    slow, fast = SmtpSink(), SmtpSink()
    slow.handler.delay_seconds = 5
    slow.up()
    fast.up()
    saved = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    try:
        with context.scratch_database():
            client, staff, session = _district()

            def against(sink) -> None:
                settings.EMAIL_PORT = sink.port
                _enroll(client, session)

            subject, floor = core.compare(
                lambda: against(slow),
                lambda: against(fast),
                repeat=15,
                warmup=2,
                setup=lambda: _undo(staff),
                stat="median",
            )
            _undo(staff)
    finally:
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = saved
        slow.close()
        fast.close()
    if slow.received or fast.received:
        raise RuntimeError("Mail reached the SMTP server from inside the request.")
    yield core.against_floor(
        SLOW_SMTP,
        subject,
        floor,
        unit="s",
        note=(
            f"median of 15: {subject * 1000:.1f} ms against {floor * 1000:.1f} ms; no message "
            "reached either server from the request (the worker delivers)"
        ),
    )


def figures(context: core.Context):
    yield from _enqueue_cost(context)
    yield from _delivery(context)
    yield from _slow_smtp(context)

"""The mail outbox: a message is recorded in the transaction of the change that caused it (a
rolled-back change sends nothing) and delivered by the worker, never inside a request.

Delivery (`deliver_due`) claims due messages in batches (`SKIP LOCKED` on PostgreSQL, so
several workers share the work), sends each over one SMTP connection, and marks them sent in
groups of up to ten as the server accepts them. A message keeps its Message-ID and Date from the
moment it was recorded, so a worker that dies between the server's "250" and marking it sent
leaves a message that is sent again, identical: at least once, and once for any receiver that
keys on the Message-ID. A temporary failure (the server unreachable, a 4xx answer) is retried
with backoff; a permanent refusal (a 5xx for the recipient or the message) fails that message
with the server's answer and the batch goes on. Messages to one person go out in the order they
were recorded: while an earlier one waits for a retry, the later ones wait behind it (an
invitation's REQUEST before its CANCEL)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus
from .queue import database_queue

logger = logging.getLogger(__name__)

CALENDAR_TYPE = "text/calendar"
UNSENT = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


class CalendarMessage(EmailMultiAlternatives):
    """An iMIP message: multipart/alternative of the text and the calendar, with the iTIP method
    in the calendar part's content type, which is how Outlook recognises a meeting request."""

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype == CALENDAR_TYPE:
            part.replace_header(
                "Content-Type", f"{CALENDAR_TYPE}; method={self.method}; charset=utf-8"
            )
        return part


# Recording


def record(messages: Iterable[EmailMessage], *, kind: str = "") -> list[OutboxMessage]:
    """Record the messages in the current transaction; the worker is asked to deliver them once
    it commits. Messages with no recipient are left out. With MAIL_ENABLED off, nothing is
    recorded."""
    if not settings.MAIL_ENABLED:
        return []
    rows = [_row(message, kind) for message in messages if message.recipients()]
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows)
    if database_queue():
        from .tasks import deliver_outbox

        # The task row commits with the messages, or not at all (a failed write fails the
        # change, as any other): one commit, and no moment between the two when a crash could
        # leave the messages without their delivery.
        deliver_outbox.enqueue()
    else:
        # Another queue (the tests' immediate one, RQ) could run it before the messages commit.
        transaction.on_commit(request_delivery)
    return rows


def _row(message: EmailMessage, kind: str) -> OutboxMessage:
    if message.attachments:
        raise ValueError("The outbox carries no attachments: link to the file instead.")
    headers = dict(message.extra_headers)
    names = {name.lower() for name in headers}
    if "message-id" not in names:
        headers["Message-ID"] = make_msgid(domain=message_id_domain())
    if "date" not in names:
        headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    now = timezone.now()
    return OutboxMessage(
        message_id=next(v for k, v in headers.items() if k.lower() == "message-id"),
        kind=kind,
        recipient=message.recipients()[0].lower(),
        from_email=message.from_email,
        to=list(message.to),
        subject=message.subject,
        body=message.body,
        headers=headers,
        alternatives=[list(a) for a in getattr(message, "alternatives", [])],
        calendar_method=getattr(message, "method", ""),
        next_attempt_at=now,
        created_at=now,
    )


def message_id_domain() -> str:
    """The site's own host name: Django's default (the machine's FQDN) can take seconds to
    look up and says nothing about who sent the message."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def request_delivery() -> None:
    """Ask the worker to deliver now. If the queue cannot take the job, the worker's sweep finds
    the mail due within WORKER_HEARTBEAT_SECONDS anyway: nothing recorded is lost."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.enqueue()
    except Exception:  # noqa: BLE001 - the messages are recorded; the sweep delivers them
        logger.warning("Could not enqueue outbox delivery; the scheduled sweep will", exc_info=True)


def as_email(row: OutboxMessage) -> EmailMultiAlternatives:
    """The recorded message, rebuilt the same on every attempt."""
    fields = {
        "subject": row.subject,
        "body": row.body,
        "from_email": row.from_email,
        "to": row.to,
        "headers": row.headers,
        "alternatives": [tuple(part) for part in row.alternatives],
    }
    if row.calendar_method:
        return CalendarMessage(method=row.calendar_method, **fields)
    return EmailMultiAlternatives(**fields)


# Delivery


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    stopped: bool = False

    def add(self, other: Delivery) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying


def deliver_due(*, now: dt.datetime | None = None, batch_size: int | None = None) -> Delivery:
    """Send every message that is due, batch after batch, until none is left or the mail server
    stops answering."""
    batch_size = batch_size or settings.MAIL_OUTBOX_BATCH
    total = Delivery()
    reclaim_abandoned(now=now)
    while True:
        at = now or timezone.now()
        batch = _claim(at, batch_size)
        if not batch:
            break
        outcome = _send(batch, at)
        total.add(outcome)
        if outcome.stopped:
            total.stopped = True
            break
    return total


def reclaim_abandoned(*, now: dt.datetime | None = None) -> int:
    """Messages a worker claimed and never finished (it died) are queued again; they keep their
    Message-ID."""
    at = now or timezone.now()
    cutoff = at - dt.timedelta(seconds=settings.MAIL_OUTBOX_CLAIM_SECONDS)
    return OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=cutoff).update(
        status=OutboxStatus.QUEUED, claimed_at=None, next_attempt_at=at
    )


def _claim(now: dt.datetime, batch_size: int) -> list[OutboxMessage]:
    # An earlier message to the same person that is not itself ready to go holds this one back.
    waiting_before = OutboxMessage.objects.filter(
        recipient=OuterRef("recipient"), id__lt=OuterRef("id"), status__in=UNSENT
    ).exclude(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
    due = (
        OutboxMessage.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
        .filter(~Exists(waiting_before))
        .order_by("id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        candidates = list(due[:batch_size])
        if not candidates:
            return []
        # Another worker may hold an earlier message to the same person (skipped as locked).
        ids = [row.pk for row in candidates]
        held_elsewhere = set(
            OutboxMessage.objects.filter(
                Q(recipient__in={row.recipient for row in candidates}), status__in=UNSENT
            )
            .exclude(pk__in=ids)
            .values_list("recipient", "id")
        )
        first_elsewhere: dict[str, int] = {}
        for recipient, pk in held_elsewhere:
            first_elsewhere[recipient] = min(pk, first_elsewhere.get(recipient, pk))
        batch = [
            row for row in candidates if row.pk < first_elsewhere.get(row.recipient, row.pk + 1)
        ]
        OutboxMessage.objects.filter(pk__in=[row.pk for row in batch]).update(
            status=OutboxStatus.SENDING, claimed_at=now
        )
    return batch


# Messages are marked sent in groups of at most MARK_EVERY, or after MARK_SECONDS: a round trip
# to the database for each one cost about as much as sending it. A worker that dies re-sends at
# most that many, each with its Message-ID.
MARK_EVERY = 10
MARK_SECONDS = 0.25


class _Sent:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.since = time.monotonic()

    def add(self, row: OutboxMessage) -> None:
        self.ids.append(row.pk)
        if len(self.ids) >= MARK_EVERY or time.monotonic() - self.since >= MARK_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            OutboxMessage.objects.filter(pk__in=self.ids).update(
                status=OutboxStatus.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                claimed_at=None,
            )
        self.ids = []
        self.since = time.monotonic()


def _send(batch: list[OutboxMessage], now: dt.datetime) -> Delivery:
    outcome = Delivery()
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception as exc:  # noqa: BLE001 - the server is unreachable: retry them all later
        _retry(batch[0], answer(exc), now)
        _release(batch[1:], batch[0])
        outcome.retrying = 1
        outcome.stopped = True
        logger.warning("Could not reach the mail server: %s", answer(exc))
        return outcome
    held: set[str] = set()
    sent = _Sent()
    try:
        for index, row in enumerate(batch):
            if row.recipient in held:
                _release([row], None)
                continue
            try:
                mail.send_messages([as_email(row)])
            except Exception as exc:  # noqa: BLE001 - sorted into permanent and temporary
                sent.flush()
                if is_permanent(exc):
                    _fail(row, answer(exc))
                    outcome.failed += 1
                    continue
                retried = _retry(row, answer(exc), now)
                outcome.retrying += int(retried)
                outcome.failed += int(not retried)
                if is_about_recipient(exc):
                    held.add(row.recipient)
                    continue
                _release(batch[index + 1 :], row)
                outcome.stopped = True
                break
            else:
                sent.add(row)
                outcome.sent += 1
        sent.flush()
    finally:
        try:
            mail.close()
        except Exception:  # noqa: BLE001 - the messages' fate is already recorded
            logger.warning("Could not close the mail connection", exc_info=True)
    return outcome


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this recipient or this message: sending it again cannot help. A 5xx
    about the sender or the log-in is the service's configuration: it is retried, so fixing
    the settings sends everything."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    # A header Django refuses to write (a newline in a subject) never gets better either.
    return isinstance(exc, ValueError)


def is_about_recipient(exc: BaseException) -> bool:
    return isinstance(exc, smtplib.SMTPRecipientsRefused)


def answer(exc: BaseException) -> str:
    """What the mail server said, as district PD reads it in the admin."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(message)}"
            for address, (code, message) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min... doubling up to MAIL_OUTBOX_RETRY_MAX_SECONDS."""
    seconds = settings.MAIL_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.MAIL_OUTBOX_RETRY_MAX_SECONDS))


def _retry(row: OutboxMessage, error: str, now: dt.datetime) -> bool:
    """Queue the message again after its backoff; past MAIL_OUTBOX_GIVE_UP_HOURS it fails.
    Returns whether it will be tried again."""
    attempts = row.attempts + 1
    if now - row.created_at > dt.timedelta(hours=settings.MAIL_OUTBOX_GIVE_UP_HOURS):
        _fail(row, f"Gave up after {attempts} attempts: {error}", attempts=attempts)
        return False
    row.next_attempt_at = now + retry_delay(attempts)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.QUEUED,
        attempts=attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=None,
        last_error=error,
    )
    return True


def _release(rows: list[OutboxMessage], after: OutboxMessage | None) -> None:
    """Put claimed messages back, untried; behind a failed one, no sooner than its retry."""
    if rows:
        fields = {"status": OutboxStatus.QUEUED, "claimed_at": None}
        if after is not None:
            fields["next_attempt_at"] = after.next_attempt_at
        OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(**fields)


def _fail(row: OutboxMessage, error: str, *, attempts: int | None = None) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.FAILED,
        attempts=attempts if attempts is not None else row.attempts + 1,
        claimed_at=None,
        last_error=error,
    )
    logger.warning("Mail %s to %s failed: %s", row.message_id, row.recipient, error)


def retry_failed(ids: Iterable[int]) -> int:
    """District PD's "retry" in the admin: failed messages go back to the queue now."""
    count = OutboxMessage.objects.filter(pk__in=list(ids), status=OutboxStatus.FAILED).update(
        status=OutboxStatus.QUEUED, next_attempt_at=timezone.now(), claimed_at=None
    )
    if count:
        transaction.on_commit(request_delivery)
    return count

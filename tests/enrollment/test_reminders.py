"""Reminders before meetings: 3 days and 1 day ahead, once per enrollment, meeting, kind and
start, to people with a seat; the daily job may run again without sending twice, and a message
that failed is sent on the next run."""

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.choices import MeetingStatus, SessionStatus
from core.models import OutboxMessage, OutboxStatus
from core.outbox import deliver_due
from enrollment import services
from enrollment.choices import EnrollmentStatus, ReminderKind
from enrollment.models import Reminder
from learning.choices import StaffStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

THREE_DAYS = ReminderKind.THREE_DAYS
ONE_DAY = ReminderKind.ONE_DAY


def morning(days: int = 0) -> dt.datetime:
    """6 AM local, `days` from today: when the daily job runs."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return f.local(day.year, day.month, day.day, 6)


def meeting(session, days: int, hour: int = 16, **fields):
    """A two-hour meeting `days` after today, at `hour` local."""
    day = timezone.localdate() + dt.timedelta(days=days)
    starts_at = f.local(day.year, day.month, day.day, hour)
    return f.MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2), **fields
    )


def sent(outbox) -> list[tuple[str, str]]:
    return sorted((message.to[0], message.subject) for message in outbox)


def recorded() -> set[tuple[int, int, str]]:
    return set(Reminder.objects.values_list("enrollment_id", "meeting_id", "kind"))


def test_three_days_before_then_one_day_before_each_once(mailed):
    session = f.SessionFactory(course__title="Restorative Circles")
    coming = meeting(session, 3)
    seat = f.EnrollmentFactory(session=session, staff__first_name="Tess")

    with mailed as outbox:
        first = services.reminders_send(now=morning())
        again = services.reminders_send(now=morning() + dt.timedelta(hours=6))

    assert (first, again) == (1, 0)
    assert recorded() == {(seat.pk, coming.pk, THREE_DAYS)}
    [message] = outbox
    assert message.to == [seat.staff.email]
    assert message.subject.startswith("Reminder: Restorative Circles, ")
    assert "A reminder: Restorative Circles meets in 3 days" in message.body
    assert "Media Center" in message.body

    outbox.clear()
    with mailed as outbox:
        assert services.reminders_send(now=morning(1)) == 0  # two days before: already reminded
        assert services.reminders_send(now=morning(2)) == 1
        assert services.reminders_send(now=morning(2)) == 0

    assert recorded() == {(seat.pk, coming.pk, THREE_DAYS), (seat.pk, coming.pk, ONE_DAY)}
    [message] = outbox
    assert "meets tomorrow" in message.body


def test_a_missed_run_is_made_up_the_next_day(mailed):
    session = f.SessionFactory()
    coming = meeting(session, 2)
    seat = f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 1
        assert services.reminders_send(now=morning(2)) == 1

    assert recorded() == {(seat.pk, coming.pk, THREE_DAYS), (seat.pk, coming.pk, ONE_DAY)}
    assert ["in 2 days" in outbox[0].body, "today" in outbox[1].body] == [True, True]


def test_nothing_further_than_three_days_ahead(mailed):
    session = f.SessionFactory()
    meeting(session, 4)
    f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 0

    assert outbox == []
    assert not Reminder.objects.exists()


def test_each_meeting_of_a_session_gets_its_own_reminders(mailed):
    session = f.SessionFactory()
    tomorrow, later = meeting(session, 1), meeting(session, 3)
    seat = f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 2

    assert recorded() == {(seat.pk, tomorrow.pk, ONE_DAY), (seat.pk, later.pk, THREE_DAYS)}
    assert len(outbox) == 2


def test_pending_approval_is_reminded_and_told_it_still_waits(mailed):
    session = f.SessionFactory(requires_approval=True)
    meeting(session, 1)
    pending = f.EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=morning(2),
    )

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 1

    assert outbox[0].to == [pending.staff.email]
    assert "still waits for your building leader's approval" in outbox[0].body


def test_incomplete_and_completed_places_still_hold_their_seat(mailed):
    session = f.SessionFactory()
    meeting(session, 1)
    missed_one = f.EnrollmentFactory(session=session, status=EnrollmentStatus.INCOMPLETE)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 1

    assert [message.to for message in outbox] == [[missed_one.staff.email]]


def test_a_meeting_moved_after_its_reminder_gets_a_new_one(mailed):
    session = f.SessionFactory()
    coming = meeting(session, 3)
    seat = f.EnrollmentFactory(session=session)
    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 1

    coming.starts_at += dt.timedelta(hours=2)
    coming.ends_at += dt.timedelta(hours=2)
    coming.save()
    with mailed as outbox:
        assert services.reminders_send(now=morning() + dt.timedelta(hours=1)) == 1
        assert services.reminders_send(now=morning() + dt.timedelta(hours=2)) == 0

    assert len(outbox) == 2
    assert "6:00 PM" in outbox[1].subject
    assert sorted(Reminder.objects.values_list("enrollment_id", "kind", "starts_at")) == sorted(
        [
            (seat.pk, THREE_DAYS, coming.starts_at - dt.timedelta(hours=2)),
            (seat.pk, THREE_DAYS, coming.starts_at),
        ]
    )


def _refused_for_now(monkeypatch, address: str) -> None:
    """The mail server answers 450 (try again later) for any message to `address`."""
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def send_messages(self, messages):
        if any(address in message.to for message in messages):
            raise smtplib.SMTPRecipientsRefused({address: (450, b"4.2.1 mailbox busy")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


def test_a_message_refused_for_now_loses_no_other_and_is_sent_on_its_retry(mailed, monkeypatch):
    session = f.SessionFactory()
    coming = meeting(session, 1)
    first, refused, last = f.EnrollmentFactory.create_batch(3, session=session)
    _refused_for_now(monkeypatch, refused.staff.email)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 3

    assert sorted(m.to[0] for m in outbox) == sorted([first.staff.email, last.staff.email])
    # Every reminder is recorded: the refused one waits in the mail outbox, not in a rerun.
    assert len(recorded()) == 3
    (waiting,) = OutboxMessage.objects.filter(status=OutboxStatus.QUEUED)
    assert waiting.to == [refused.staff.email]
    assert waiting.last_error == f"{refused.staff.email}: 450 4.2.1 mailbox busy"

    monkeypatch.undo()
    outbox.clear()
    assert services.reminders_send(now=morning() + dt.timedelta(hours=1)) == 0
    deliver_due(now=timezone.now() + dt.timedelta(hours=1))

    assert [m.to for m in outbox] == [[refused.staff.email]]
    assert {(r.enrollment_id, r.meeting_id) for r in Reminder.objects.all()} == {
        (e.pk, coming.pk) for e in (first, refused, last)
    }


@pytest.mark.django_db(transaction=True)
def test_the_command_reports_the_reminders_queued_and_a_second_run_adds_none(mailoutbox):
    session = f.SessionFactory()
    meeting(session, 1)
    f.EnrollmentFactory.create_batch(3, session=session)
    out = StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == ["3 reminder(s) queued.", "0 reminder(s) queued."]
    assert len(mailoutbox) == 3
    assert Reminder.objects.count() == 3


@pytest.mark.parametrize(
    "status",
    [
        EnrollmentStatus.WITHDRAWN,
        EnrollmentStatus.WAITLISTED,
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.CANCELLED,
    ],
)
def test_no_reminder_without_a_seat(mailed, status):
    session = f.SessionFactory()
    meeting(session, 1)
    f.EnrollmentFactory(session=session, status=status)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 0

    assert outbox == []


def test_no_reminder_for_an_expired_hold_or_someone_who_left_the_district(mailed):
    session = f.SessionFactory()
    meeting(session, 1)
    f.EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=morning() - dt.timedelta(hours=1),
    )
    f.EnrollmentFactory(session=session, staff__status=StaffStatus.SEPARATED)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 0

    assert outbox == []


def test_no_reminder_for_cancelled_meetings_or_sessions_or_drafts(mailed):
    cancelled_meeting = f.SessionFactory()
    meeting(cancelled_meeting, 1, status=MeetingStatus.CANCELLED)
    cancelled_session = f.SessionFactory(status=SessionStatus.CANCELLED)
    meeting(cancelled_session, 1)
    draft = f.SessionFactory(status=SessionStatus.DRAFT)
    meeting(draft, 1)
    for session in (cancelled_meeting, cancelled_session, draft):
        f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 0

    assert outbox == []


def test_no_reminder_for_past_or_started_meetings(mailed):
    session = f.SessionFactory()
    meeting(session, -1)
    meeting(session, 0, hour=5)  # started before the job runs at 6
    f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 0

    assert outbox == []


def test_a_meeting_later_today_gets_its_one_day_reminder_if_none_went_out(mailed):
    session = f.SessionFactory()
    today = meeting(session, 0, hour=16)
    seat = f.EnrollmentFactory(session=session)

    with mailed as outbox:
        assert services.reminders_send(now=morning()) == 1

    assert recorded() == {(seat.pk, today.pk, ONE_DAY)}
    assert "meets today" in outbox[0].body


def test_queries_stay_fixed_however_many_reminders(mailed):
    def count_for(people):
        session = f.SessionFactory(capacity=100)
        meeting(session, 1)
        meeting(session, 3)
        f.EnrollmentFactory.create_batch(people, session=session)
        with CaptureQueriesContext(connection) as queries:
            assert services.reminders_send(now=morning()) == 2 * people
        return len(queries)

    with mailed:
        few = count_for(2)
        many = count_for(25)

    assert few == many


def test_the_command_prints_how_many_were_sent(mailed):
    session = f.SessionFactory()
    meeting(session, 1)
    f.EnrollmentFactory.create_batch(3, session=session)
    out = StringIO()

    with mailed as outbox:
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == ["3 reminder(s) queued.", "0 reminder(s) queued."]
    assert len(outbox) == 3

"""The worker's schedule: each job once per slot in the district's time zone, whichever worker
gets there first; missed slots made up; the jobs do nothing twice when they run twice."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from enrollment import tasks as enrollment_tasks
from enrollment.choices import EnrollmentStatus
from enrollment.models import Reminder
from tests import factories as f
from worker import schedule
from worker.models import ScheduledRun

pytestmark = pytest.mark.django_db

DETROIT = ZoneInfo("America/Detroit")
QUEUE_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def at(hour: int, minute: int = 0, day: int = 7) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=DETROIT)


def enqueued() -> list[str]:
    return [result.task.name for result in task_backends[DEFAULT_TASK_BACKEND_ALIAS].results]


def test_slots_follow_the_districts_clock():
    hourly = schedule.Job("h", "x", schedule.HOURLY)
    daily = schedule.Job("d", "x", schedule.DAILY, at=dt.time(6, 0))
    weekly = schedule.Job("w", "x", schedule.WEEKLY, at=dt.time(6, 30), weekday=0)

    assert hourly.slot(at(5, 59)) == "2026-12-07T05"
    assert daily.slot(at(5, 59)) is None
    assert daily.slot(at(6, 0)) == daily.slot(at(23, 59)) == "2026-12-07"
    # 11:30 UTC is 06:30 in Detroit.
    assert daily.slot(dt.datetime(2026, 12, 7, 11, 30, tzinfo=dt.UTC)) == "2026-12-07"
    assert weekly.slot(at(6, 30)) == "2026-W50"  # a Monday
    assert weekly.slot(at(6, 30, day=8)) is None


@override_settings(TASKS=QUEUE_ONLY, REMINDERS_AT="06:00")
def test_each_job_is_enqueued_once_per_slot_however_often_the_schedule_ticks():
    assert set(schedule.tick(now=at(5, 0))) == {"approval-hold-lapses", "housekeeping"}
    assert schedule.tick(now=at(5, 30)) == []
    assert set(schedule.tick(now=at(6, 1))) == {"approval-hold-lapses", "reminders"}
    assert schedule.tick(now=at(6, 2)) == []
    assert enqueued().count("send_reminders") == 1
    assert enqueued().count("lapse_approval_holds") == 2
    assert ScheduledRun.objects.filter(job="reminders", slot="2026-12-07").count() == 1


@override_settings(TASKS=QUEUE_ONLY, REMINDERS_AT="06:00")
def test_a_morning_missed_while_no_worker_ran_is_made_up_when_one_starts():
    assert "reminders" in schedule.tick(now=at(11, 45))


@override_settings(REMINDERS_AT="6 in the morning")
def test_a_time_that_is_not_a_time_of_day_is_named():
    with pytest.raises(ValueError, match="REMINDERS_AT must be a time of day such as 06:00"):
        schedule.tick()


def test_reminders_run_twice_send_once(mailed):
    session = f.SessionFactory()
    from django.utils import timezone

    starts = timezone.now() + dt.timedelta(days=1)
    f.MeetingFactory(session=session, starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    f.EnrollmentFactory.create_batch(2, session=session)

    with mailed as outbox:
        assert enrollment_tasks.send_reminders.call() == 2
        assert enrollment_tasks.send_reminders.call() == 0

    assert len(outbox) == 2
    assert Reminder.objects.count() == 2


def test_lapses_run_twice_lapse_once(mailed):
    from django.utils import timezone

    session = f.SessionFactory()
    f.EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() - dt.timedelta(hours=1),
    )

    with mailed as outbox:
        assert enrollment_tasks.lapse_approval_holds.call() == 1
        assert enrollment_tasks.lapse_approval_holds.call() == 0

    assert [m.subject.split(":")[0] for m in outbox] == ["Your request lapsed"]

"""The worker's own schedule: which task runs when, in the district's time zone (TIME_ZONE).
Each job runs once per slot (its hour, its day, its week) whichever of several workers gets
there first (a ScheduledRun row per job and slot), and a slot missed while no worker ran is made
up when one starts. The jobs themselves do nothing twice when they do run twice (reminders and
lapses are recorded), so the cron file stays a working alternative (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledRun

logger = logging.getLogger(__name__)

HOURLY = "hourly"
DAILY = "daily"
WEEKLY = "weekly"


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    every: str
    # The local time of day (daily and weekly jobs), and the weekday (weekly: Monday is 0).
    at: dt.time = dt.time(0, 0)
    weekday: int = 0

    def slot(self, now: dt.datetime) -> str | None:
        """The slot `now` falls in, or None before the job's time on its day."""
        local = timezone.localtime(now)
        if self.every == HOURLY:
            return local.strftime("%Y-%m-%dT%H")
        if local.time() < self.at:
            return None
        if self.every == DAILY:
            return local.date().isoformat()
        if self.every == WEEKLY:
            if local.weekday() != self.weekday:
                return None
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        raise ValueError(f"Unknown schedule {self.every!r} for {self.name}")


def parse_time(value: str, *, setting: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{setting} must be a time of day such as 06:00, not {value!r}.") from None


def jobs() -> list[Job]:
    reminders_at = parse_time(settings.REMINDERS_AT, setting="REMINDERS_AT")
    reports_at = parse_time(settings.REPORTS_AT, setting="REPORTS_AT")
    return [
        Job("approval-hold-lapses", "enrollment.tasks.lapse_approval_holds", HOURLY),
        Job("reminders", "enrollment.tasks.send_reminders", DAILY, at=reminders_at),
        Job("report-subscriptions", "plan.tasks.send_report_subscriptions", DAILY, at=reports_at),
        Job("housekeeping", "worker.tasks.housekeeping", DAILY, at=dt.time(2, 15)),
    ]


def tick(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose slot has come and has not been run; returns their names."""
    now = now or timezone.now()
    started = []
    for job in jobs():
        slot = job.slot(now)
        if slot is None or ScheduledRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot, enqueued_at=now)
                result = import_string(job.task_path).enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another worker took this slot
        started.append(job.name)
        logger.info("Scheduled %s for %s", job.name, slot)
    return started

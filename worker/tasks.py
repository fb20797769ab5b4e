"""The worker's own upkeep, daily on its schedule."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from core.models import OutboxMessage, OutboxStatus
from core.queue import database_queue

from .models import Heartbeat, Job, ScheduledRun


@task()
def housekeeping() -> dict:
    """Forget what no one needs any more: sent mail after MAIL_OUTBOX_KEEP_DAYS (failed mail
    stays until someone retries it), finished tasks and schedule runs after TASKS_KEEP_DAYS,
    workers gone for a day, the files long jobs made after JOB_FILES_KEEP_HOURS."""
    now = timezone.now()
    mail_before = now - dt.timedelta(days=settings.MAIL_OUTBOX_KEEP_DAYS)
    tasks_before = now - dt.timedelta(days=settings.TASKS_KEEP_DAYS)
    mail, _ = OutboxMessage.objects.filter(
        status=OutboxStatus.SENT, sent_at__lt=mail_before
    ).delete()
    runs, _ = ScheduledRun.objects.filter(enqueued_at__lt=tasks_before).delete()
    workers, _ = Heartbeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()
    files = (
        Job.objects.filter(finished_at__lt=now - dt.timedelta(hours=settings.JOB_FILES_KEEP_HOURS))
        .exclude(result_name="")
        .update(result=None, result_name="", result_type="")
    )
    results = 0
    if database_queue():
        from django_tasks_db.models import DBTaskResult

        results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=tasks_before).delete()
    return {
        "mail": mail,
        "schedule_runs": runs,
        "workers": workers,
        "task_results": results,
        "job_files": files,
    }


@task()
def run_job(job_id: int) -> str:
    """A long job someone started from a page or the API (worker/jobs.py)."""
    from . import jobs

    return jobs.run(job_id)

"""Long jobs: started from a page or the API, run by the worker, followed on their page (a
progress bar that needs no reload) and announced by mail when they finish, so nobody has to wait
on the page. What a kind of job does is named in JOB_RUNNERS by dotted path (the worker imports
no app that runs a job); a runner takes the job and a `progress(done, total, stage)` callback and
returns the outcome. Run twice (a worker died and another took it over), a finished job is left
as it is."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from core import outbox
from learning.selectors import mail_address

from .models import Job, JobStatus

logger = logging.getLogger(__name__)

JOB_RUNNERS = {
    "import_preview": "imports.jobs.preview",
    "import_commit": "imports.jobs.commit",
    "workbook": "plan.jobs.workbook",
    "export_all": "backups.jobs.export",
}
JOB_FINISHED = "job_finished"
# Progress is written at most this often: a job reporting every row would spend its time on it.
PROGRESS_EVERY_SECONDS = 0.5

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Outcome:
    message: str
    result_url: str = ""
    result: bytes | None = None
    result_name: str = ""
    result_type: str = ""


class JobFailed(Exception):
    """A job that cannot do what was asked, with a message for the person who asked."""

    def __init__(self, message: str, *, result_url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.result_url = result_url


def start(
    *,
    kind: str,
    title: str,
    user,
    params: dict | None = None,
    payload: bytes | None = None,
    payload_name: str = "",
) -> Job:
    """Record the job and queue it once the caller's transaction commits."""
    if kind not in JOB_RUNNERS:
        raise ValueError(f"No runner for jobs of kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        title=title,
        created_by=user,
        params=params or {},
        payload=payload,
        payload_name=payload_name,
        stage="Waiting for the worker",
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    run_job.enqueue(job_id)


def run(job_id: int) -> str:
    """Run a job (the worker's task). Returns its status."""
    job = Job.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.finished:
        return job.status if job else "missing"
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), stage="Starting"
    )
    runner = import_string(JOB_RUNNERS[job.kind])
    try:
        outcome = runner(job, _progress_for(job))
    except JobFailed as failure:
        _finish(job, JobStatus.FAILED, Outcome(failure.message, failure.result_url))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            JobStatus.FAILED,
            Outcome("It stopped on an error. Try again; if it fails again, tell the district."),
        )
    else:
        _finish(job, JobStatus.DONE, outcome)
    return Job.objects.values_list("status", flat=True).get(pk=job.pk)


def _progress_for(job: Job) -> Progress:
    last = [0.0]

    def progress(done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_SECONDS and done < total:
            return
        last[0] = now
        Job.objects.filter(pk=job.pk).update(done=done, total=total, stage=stage[:200])

    return progress


@transaction.atomic
def _finish(job: Job, status: str, outcome: Outcome) -> None:
    fields = {
        "status": status,
        "message": outcome.message,
        "result_url": outcome.result_url,
        "finished_at": timezone.now(),
        "stage": "",
        # The uploaded file has been read: it is not kept.
        "payload": None,
    }
    if outcome.result is not None:
        fields |= {
            "result": outcome.result,
            "result_name": outcome.result_name,
            "result_type": outcome.result_type,
        }
    Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    _mail_owner(job)


def _mail_owner(job: Job) -> None:
    address = mail_address(job.created_by)
    if not address:
        return
    values = {
        "job": job,
        "job_url": settings.SITE_URL + reverse("jobs:job", args=[job.pk]),
        "result_url": settings.SITE_URL + job.result_url if job.result_url else "",
        "district_name": settings.DISTRICT_NAME,
    }
    verdict = "Ready" if job.status == JobStatus.DONE else "Failed"
    subject = f"{verdict}: {job.title}"
    body = render_to_string("worker/mail/job_finished.txt", values)
    outbox.record([EmailMessage(subject, body, to=[address])], kind=JOB_FINISHED)

"""The district workbook as a long job (worker/jobs.py): counted and written by the worker for
the person who asked, under their filters and scope as they stand when it runs; they download it
from the job's page or follow the link in the mail."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from learning import access
from worker.jobs import JobFailed, Outcome, Progress
from worker.jobs import start as start_job
from worker.models import Job

from . import report_mail, selectors
from .progress import ProgressReport, next_sessions
from .seats import seats_against_plan
from .workbooks import CompletionsWorkbook

WORKBOOK = "workbook"
MSG_READY = "The workbook is ready: download it below (the link in the mail needs a sign-in)."


def in_background(report: ProgressReport) -> bool:
    """A report of WORKBOOK_BACKGROUND_MIN_ROWS people-requirement rows or more (a large
    district) is written by the worker; smaller ones download at once."""
    rows = sum(len(item.entries) for item in report.requirements)
    return rows >= settings.WORKBOOK_BACKGROUND_MIN_ROWS


def start(*, user, query: str, as_of: str = "") -> Job:
    return start_job(
        kind=WORKBOOK,
        title="The completions workbook",
        user=user,
        params={"query": query, "as_of": as_of},
    )


def workbook(job: Job, progress: Progress) -> Outcome:
    user = job.created_by
    if not access.may_see_reports(user):
        raise JobFailed(report_mail.MSG_NO_REPORTS.replace("no report was sent", "no workbook"))
    query = job.params.get("query", "")
    if job.params.get("as_of"):
        query = f"{query}&as_of={job.params['as_of']}" if query else f"as_of={job.params['as_of']}"
    filterset = report_mail.filterset_for(user, query)
    if not filterset.is_valid():
        raise JobFailed(
            f"The filters no longer fit what you may see: {filterset.errors_in_words()}"
        )
    progress(0, 3, "Counting the plan's requirements")
    report = selectors.progress_for(
        user=user, filters=filterset.report_filters(), as_of=filterset.as_of_date()
    )
    progress(1, 3, "Finding the next sessions")
    sessions = next_sessions(item.requirement for item in report.requirements)
    progress(2, 3, "Writing the workbook")
    seats = seats_against_plan(report)
    export = CompletionsWorkbook(report, sessions=sessions, seats=seats).xlsx()
    progress(3, 3, "Done")
    return Outcome(
        MSG_READY,
        result=export.content,
        result_name=export.filename,
        result_type=export.content_type,
        result_url=reverse("leaders:dashboard")
        + (f"?{job.params['query']}" if job.params.get("query") else ""),
    )

"""Imports as long jobs (worker/jobs.py): a large file's preview and a large commit, run by the
worker while HR follows the job's page, or leaves and is mailed."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from worker.jobs import JobFailed, Outcome, Progress
from worker.jobs import start as start_job
from worker.models import Job

from . import services
from .choices import ImportOutcome
from .models import ImportRun
from .readers import UnreadableFile

PREVIEW = "import_preview"
COMMIT = "import_commit"
MSG_PREVIEWED = "The preview is ready: read it, then commit it from its page."


def in_background(size: int) -> bool:
    """Files from IMPORT_BACKGROUND_MIN_BYTES up are previewed by the worker; smaller ones in
    the request, which takes about a second."""
    return size >= settings.IMPORT_BACKGROUND_MIN_BYTES


def commit_in_background(run: ImportRun) -> bool:
    changes = sum(value for value in run.counts.values() if isinstance(value, int))
    return changes >= settings.IMPORT_BACKGROUND_MIN_CHANGES


def start_preview(*, user, upload, data: dict) -> Job:
    return _start_preview(
        user=user,
        content=upload.read(),
        file_name=upload.name,
        kind=data["kind"],
        mapping=data["mapping"],
        sync=data["sync"],
        create_missing=data["create_missing"],
        skip_invalid=data["skip_invalid"],
    )


def _start_preview(*, user, content: bytes, file_name: str, **options) -> Job:
    noun = "roster" if options["kind"] == "roster" else "completions"
    return start_job(
        kind=PREVIEW,
        title=f"The {noun} preview of {file_name}",
        user=user,
        params=options,
        payload=content,
        payload_name=file_name,
    )


def start_commit(
    *, user, run: ImportRun, confirm_large_deactivation: bool, skip_invalid: bool = False
) -> Job:
    return start_job(
        kind=COMMIT,
        title=f"The commit of {run.file_name}",
        user=user,
        params={
            "run": run.pk,
            "confirm_large_deactivation": confirm_large_deactivation,
            "skip_invalid": skip_invalid,
        },
    )


def _run_url(run_id: int) -> str:
    return reverse("imports:run", args=[run_id])


def preview(job: Job, progress: Progress) -> Outcome:
    params = job.params
    progress(0, 0, "Reading the file")
    try:
        result = services.import_preview(
            kind=params["kind"],
            source=bytes(job.payload),
            file_name=job.payload_name,
            mapping=params.get("mapping") or {},
            sync=params.get("sync", False),
            create_missing=params.get("create_missing", False),
            skip_invalid=params.get("skip_invalid", False),
            actor=job.created_by,
            progress=lambda done, total: progress(done, total, "Checking the rows"),
        )
    except UnreadableFile as error:
        run = getattr(error, "run", None)
        raise JobFailed(error.message, result_url=_run_url(run.pk) if run else "") from None
    return Outcome(MSG_PREVIEWED, result_url=_run_url(result.run.pk))


def commit(job: Job, progress: Progress) -> Outcome:
    run = ImportRun.objects.get(pk=job.params["run"])
    url = _run_url(run.pk)
    if run.outcome == ImportOutcome.COMMITTED:
        # Run again after a worker died once the commit was in: nothing to do twice.
        return Outcome(run.message, result_url=url)
    progress(0, 0, "Applying the changes")
    try:
        run = services.import_commit(
            run=run,
            actor=job.created_by,
            confirm_large_deactivation=job.params.get("confirm_large_deactivation", False),
            skip_invalid=job.params.get("skip_invalid", False),
        )
    except services.ImportRefused as refusal:
        raise JobFailed(refusal.message, result_url=url) from None
    except PermissionDenied as error:
        raise JobFailed(str(error), result_url=url) from None
    return Outcome(run.message, result_url=url)

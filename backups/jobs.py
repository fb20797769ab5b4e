"""export_all as a long job (worker/jobs.py), for administrators who cannot reach the server's
shell: the worker writes the export and zips it; its owner downloads the zip from the job's
page. The zip holds password hashes, API tokens and feed keys: it is kept for
JOB_FILES_KEEP_HOURS, then deleted by the worker's housekeeping."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.utils import timezone

from worker.jobs import JobFailed, Outcome, Progress
from worker.jobs import start as start_job
from worker.models import Job

from .services import BackupError, export_all

EXPORT = "export_all"
MSG_READY = (
    "The export is ready: {tables} tables, {rows:,} rows. Download it below; it holds password "
    "hashes, API tokens and calendar feed keys, so store it as you store the database. It is "
    "deleted from the service within a day."
)


def start(*, user) -> Job:
    return start_job(kind=EXPORT, title="A full export of the database", user=user)


def export(job: Job, progress: Progress) -> Outcome:
    if not job.created_by.is_superuser:
        raise JobFailed("Only administrators export the whole database.")
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "export"
        try:
            result = export_all(
                out=out,
                progress=lambda done, total: progress(done, total + 1, "Writing the tables"),
            )
        except BackupError as error:
            raise JobFailed(str(error)) from error
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out))
        steps = len(result.tables) + 2
        progress(steps, steps, "Zipped")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = sum(table.rows for table in result.tables)
    return Outcome(
        MSG_READY.format(tables=len(result.tables), rows=rows),
        result=buffer.getvalue(),
        result_name=f"professional-learning-export-{stamp}.zip",
        result_type="application/zip",
    )

"""/jobs/<id>/: a long job's page (a progress bar kept up to date by a small script, a refresh
without it), its state as JSON for that script, and the file it made. A job is its owner's:
to anyone else it does not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .models import Job, JobStatus


def _job_of(request: HttpRequest, pk: int) -> Job:
    job = Job.objects.defer("payload", "result").filter(pk=pk, created_by=request.user).first()
    if job is None:
        raise Http404("No such job.")
    return job


# What the link to a finished job's outcome says.
RESULT_LABELS = {
    "import_preview": "See the preview",
    "import_commit": "See the import run",
    "workbook": "Back to the report",
    "export_all": "See the result",
}
FAILED_LABEL = "See what happened"


def result_label(job: Job) -> str:
    if job.status == JobStatus.FAILED:
        return FAILED_LABEL
    return RESULT_LABELS.get(job.kind, "See the result")


def state_of(job: Job, *, file_url: str = "") -> dict:
    return {
        "id": job.pk,
        "title": job.title,
        "status": job.status,
        "status_label": job.get_status_display(),
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "result_url": job.result_url,
        "result_label": result_label(job),
        "file_url": file_url,
        "finished": job.finished,
    }


def _file_url(job: Job) -> str:
    return reverse("jobs:file", args=[job.pk]) if job.result_name else ""


@login_required
@require_safe
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_of(request, pk)
    return render(
        request,
        "worker/job.html",
        {"job": job, "file_url": _file_url(job), "result_label": result_label(job)},
    )


@login_required
@require_safe
def job_state(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job_of(request, pk)
    return JsonResponse(state_of(job, file_url=_file_url(job)))


@login_required
@require_safe
def job_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_of(request, pk)
    if not job.result_name:
        raise Http404("This job made no file.")
    data = Job.objects.values_list("result", flat=True).get(pk=job.pk)
    response = HttpResponse(bytes(data), content_type=job.result_type)
    response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
    return response

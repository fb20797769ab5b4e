"""/leaders/completions.xlsx and /leaders/outstanding.csv: the report a leader sees on the page,
to take away, under the same filters and scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from core.exporters import ExportFile
from plan import jobs, report_mail
from plan.progress import next_sessions
from plan.seats import seats_against_plan
from plan.views.common import filter_errors, filtered_report, require_reports
from plan.workbooks import CompletionsWorkbook, OutstandingExporter


def _attachment(export: ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
@require_safe
def workbook(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    filterset, report = filtered_report(request)
    if report is None:
        return HttpResponseBadRequest(filter_errors(filterset), content_type="text/plain")
    sessions = next_sessions(item.requirement for item in report.requirements)
    seats = seats_against_plan(report)
    return _attachment(CompletionsWorkbook(report, sessions=sessions, seats=seats).xlsx())


@login_required
@require_POST
def workbook_prepare(request: HttpRequest) -> HttpResponse:
    """A large district's workbook, written by the worker: to the job's page."""
    require_reports(request)
    job = jobs.start(
        user=request.user,
        query=report_mail.query_from(request.POST),
        as_of=request.POST.get("as_of", "").strip(),
    )
    return redirect("jobs:job", pk=job.pk)


@login_required
@require_safe
def outstanding_csv(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    filterset, report = filtered_report(request)
    if report is None:
        return HttpResponseBadRequest(filter_errors(filterset), content_type="text/plain")
    sessions = next_sessions(item.requirement for item in report.requirements)
    return _attachment(OutstandingExporter(report, sessions=sessions).csv())

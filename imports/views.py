"""The HR imports page: upload a roster or completions file, read the preview, confirm it; the
history of runs with their error reports. Only HR and administrators; anyone else gets a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from learning import access

from . import jobs, selectors, services
from .choices import ImportKind, ImportOutcome
from .exporters import ImportTemplateExporter, RowErrorsExporter, expected_columns
from .filters import StaffDirectoryFilterSet
from .forms import ImportUploadForm
from .readers import UnreadableFile

RUNS_PER_PAGE = 25
# Changes and errors shown on a run's page per list; the error report holds every row.
SHOWN = 200

MSG_CONFIRM_NEEDED = "Tick the box to confirm the deactivation, then confirm again."


def _require_hr(request: HttpRequest) -> None:
    if not access.is_hr(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    _require_hr(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        if jobs.in_background(upload.size):
            job = jobs.start_preview(user=request.user, upload=upload, data=data)
            return redirect("jobs:job", pk=job.pk)
        try:
            preview = services.import_preview(
                kind=data["kind"],
                source=upload,
                file_name=upload.name,
                mapping=data["mapping"],
                sync=data["sync"],
                create_missing=data["create_missing"],
                skip_invalid=data["skip_invalid"],
                actor=request.user,
            )
        except UnreadableFile as error:
            problem = error.message
        else:
            return redirect("imports:run", pk=preview.run.pk)
    page = Paginator(selectors.import_runs(request.user), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/index.html",
        {"form": form, "problem": problem, "page": page, "import_kinds": expected_columns()},
        status=status,
    )


@login_required
@require_safe
def run(request: HttpRequest, pk: int) -> HttpResponse:
    _require_hr(request)
    run = get_object_or_404(selectors.import_runs(request.user), pk=pk)
    preview = selectors.preview_of(run)
    context = {
        "run": run,
        "preview": preview,
        "shown": SHOWN,
        "deactivation_cap": settings.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT,
    }
    if run.kind == "roster" and run.change_set:
        context["creates"] = [
            {**entry, "details": preview.describe(entry)} for entry in preview.creates[:SHOWN]
        ]
        context["updates"] = [
            {**entry, "fields": preview.field_changes(entry)} for entry in preview.updates[:SHOWN]
        ]
        context["deactivations"] = [
            {**entry, "building_name": preview.building_name(entry["building"] or "")}
            for entry in preview.deactivations[:SHOWN]
        ]
        context["reactivations"] = [
            {**entry, "fields": preview.field_changes(entry)}
            for entry in preview.reactivations[:SHOWN]
        ]
    return render(request, "imports/run.html", context)


@login_required
@require_POST
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_hr(request)
    run = get_object_or_404(selectors.import_runs(request.user), pk=pk)
    confirm = request.POST.get("confirm_large_deactivation") == "on"
    # From the preview of a file with errors: apply its valid rows, leaving those rows out.
    skip_invalid = request.POST.get("skip_invalid") == "on"
    if run.outcome != ImportOutcome.COMMITTED and jobs.commit_in_background(run):
        job = jobs.start_commit(
            user=request.user,
            run=run,
            confirm_large_deactivation=confirm,
            skip_invalid=skip_invalid,
        )
        return redirect("jobs:job", pk=job.pk)
    try:
        run = services.import_commit(
            run=run,
            actor=request.user,
            confirm_large_deactivation=confirm,
            skip_invalid=skip_invalid,
        )
    except services.ImportRefused as refusal:
        message = refusal.message
        if refusal.code == "needs_confirmation":
            message = f"{message} {MSG_CONFIRM_NEEDED}"
        messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    except Exception:
        run.refresh_from_db()
        messages.error(request, run.message)
    else:
        messages.success(request, run.message)
    return redirect("imports:run", pk=run.pk)


@login_required
@require_safe
def error_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _require_hr(request)
    run = get_object_or_404(selectors.import_runs(request.user), pk=pk)
    if not run.errors or fmt not in ("xlsx", "csv"):
        raise Http404
    exporter = RowErrorsExporter(run)
    export = exporter.csv() if fmt == "csv" else exporter.xlsx()
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
@require_safe
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """A file to fill in for an import of this kind (HR only): xlsx, with a sheet on its
    columns, or csv, the header and an example row."""
    _require_hr(request)
    if kind not in ImportKind.values or fmt not in ("xlsx", "csv"):
        raise Http404
    exporter = ImportTemplateExporter(kind)
    export = exporter.csv() if fmt == "csv" else exporter.xlsx()
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


STAFF_PER_PAGE = 50


@login_required
@require_safe
def hr_start(request: HttpRequest) -> HttpResponse:
    """The page HR lands on: the latest imports, people without a building or position, and the
    separations to come."""
    _require_hr(request)
    return render(request, "imports/hr_start.html", {"page": selectors.hr_start(user=request.user)})


@login_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """The staff directory: search and filters, the columns HR works with, and each person's
    record and history one click away."""
    _require_hr(request)
    filterset = StaffDirectoryFilterSet(
        request.GET, queryset=selectors.staff_directory(request.user)
    )
    valid = filterset.is_valid()
    people = filterset.qs if valid else selectors.staff_directory(request.user).none()
    page = Paginator(people, STAFF_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "imports/staff_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
        },
        status=200 if valid else 400,
    )

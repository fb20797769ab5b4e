"""/backups/export/: an administrator starts a full export (export_all) from the browser; the
worker writes it and the job's page offers the zip. To anyone else the page does not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import jobs


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise Http404("No such page.")
    if request.method == "POST":
        job = jobs.start(user=request.user)
        return redirect("jobs:job", pk=job.pk)
    return render(request, "backups/export.html")

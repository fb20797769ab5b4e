"""/leaders/start/: the page a building leader or district PD lands on after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from learning import access
from plan import selectors
from plan.views.common import require_reports
from plan.views.reports import ASSIGNING_ROLES, scope_name


@login_required
@require_safe
def start(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    page = selectors.start_page(user=request.user)
    return render(
        request,
        "plan/start.html",
        {
            "page": page,
            "report": page.report,
            "scope_name": scope_name(page.report),
            "unreachable": [seats for seats in page.seats if not seats.reachable],
            "may_assign": bool(ASSIGNING_ROLES & access.roles_of(request.user)),
            "is_hr": access.is_hr(request.user),
        },
    )

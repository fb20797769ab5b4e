"""A person's history page: every recorded change about them, for district PD and admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from learning.models import StaffMember

from . import selectors

PER_PAGE = 50


@login_required
@require_safe
def staff_history(request: HttpRequest, pk: int) -> HttpResponse:
    # Anyone else gets the same 404 as for a person who does not exist.
    if not selectors.may_see_history(request.user):
        raise Http404
    staff = get_object_or_404(StaffMember.objects.select_related("building", "position"), pk=pk)
    page = Paginator(selectors.staff_history(staff=staff), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audit/staff_history.html",
        {"staff": staff, "page": page, "items": selectors.describe(list(page.object_list))},
    )

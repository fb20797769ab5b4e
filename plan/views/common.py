"""What the /leaders/ pages and downloads share: who may see them, and the report their filters
ask for."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from learning import access
from plan import selectors
from plan.filters import ProgressFilterSet
from plan.progress import ProgressReport


def require_reports(request: HttpRequest) -> None:
    """Reports are for building leaders and district PD; to anyone else they do not exist."""
    if not access.may_see_reports(request.user):
        raise Http404("No such page.")


def filtered_report(request: HttpRequest) -> tuple[ProgressFilterSet, ProgressReport | None]:
    """The filter set bound to the query string, and the report it selects; None when the
    filters are invalid (the filter set's form holds the messages)."""
    filterset = ProgressFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        return filterset, None
    report = selectors.progress_for(
        user=request.user, filters=filterset.report_filters(), as_of=filterset.as_of_date()
    )
    return filterset, report


def filter_errors(filterset: ProgressFilterSet) -> str:
    """The filters' problems in one line, each named by its parameter."""
    return filterset.errors_in_words()

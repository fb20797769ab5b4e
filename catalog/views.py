"""The catalog's pages: courses by strand with their sessions, and one session. Both are public;
what each user may see comes from learning.access through the catalog's selectors."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.filters import without_blank_values
from learning import access

from . import selectors
from .filters import SessionFilterSet
from .models import Session

# The filters the page's form shows, in order; the FilterSet has more for the API.
FORM_FIELDS = ("q", "strand", "building", "month")
# The FilterSet accepts several strands or buildings (the API uses that); the page offers one
# choice per select, which still arrives as a one-item list.
SINGLE_SELECT_PROMPTS = {"strand": "All strands", "building": "All buildings"}
# A subscription outlives the month on screen: the catalog feed keeps its own date window, so it
# takes every filter but the month.
NOT_FOR_FEEDS = ("month",)


def catalog_index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = selectors.catalog_page(user=request.user, params=request.GET, at=now)
    form = page.filterset.form
    _present_filter_form(form)
    invalid = bool(form.errors)
    month = form.cleaned_data.get("month") if not invalid else ""
    return render(
        request,
        "catalog/index.html",
        {
            "page": page,
            "form": form,
            "fields": [form[name] for name in FORM_FIELDS],
            "errors": _error_summary(form),
            "invalid": invalid,
            "month_label": dict(form.fields["month"].choices).get(month, "") if month else "",
            "time_zone": timezone.get_current_timezone_name(),
            "feed_query": _feed_query(request.GET),
            "now": now,
        },
    )


def _feed_query(params) -> str:
    """The page's filters as the catalog feed's query string (without "?")."""
    kept = without_blank_values(params)
    for name in list(kept):
        if name in NOT_FOR_FEEDS or name not in SessionFilterSet.base_filters:
            del kept[name]
    return kept.urlencode()


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    now = timezone.now()
    try:
        session = selectors.session_detail(user=request.user, pk=pk, at=now)
    except Session.DoesNotExist:
        # A draft is a 404 to those who may not see it, the same as an id that does not exist.
        raise Http404("No such session.") from None
    return render(
        request,
        "catalog/session.html",
        {
            "session": session,
            "course": session.course,
            "show_meeting_link": access.may_see_meeting_links(request.user),
            "time_zone": timezone.get_current_timezone_name(),
            "now": now,
        },
    )


def _present_filter_form(form: forms.Form) -> None:
    """Adjust widgets for the page; the form is already validated, so only rendering changes."""
    for name, prompt in SINGLE_SELECT_PROMPTS.items():
        field = form.fields[name]
        field.empty_label = prompt
        field.widget = forms.Select(choices=field.choices)
    form.fields["q"].widget.input_type = "search"


def _error_summary(form: forms.Form) -> list[dict]:
    """Every filter error with its field's label; fields the page shows get a link to them."""
    summary = []
    for name, messages in form.errors.items():
        shown = name in FORM_FIELDS
        label = form.fields[name].label if name in form.fields else ""
        for message in messages:
            summary.append(
                {
                    "label": label,
                    "message": message,
                    "anchor": form[name].id_for_label if shown else "",
                }
            )
    return summary

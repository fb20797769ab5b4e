"""The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE)."""

from datetime import timedelta

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

LOCKOUT_STATUS = 429


def duration_in_words(duration: timedelta) -> str:
    """Whole minutes, rounded up, in words: "15 minutes", "1 hour and 30 minutes"."""
    minutes = max(1, -(-int(duration.total_seconds()) // 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " and ".join(parts)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """429 Too Many Requests in the site's look, saying how long to wait; Retry-After says it
    to programs."""
    cool_off = get_cool_off(request)
    response = render(
        request,
        "registration/locked_out.html",
        {"cool_off": duration_in_words(cool_off) if cool_off else None},
        status=LOCKOUT_STATUS,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response

"""django-axes' hooks: the page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE), and the
username a failed sign-in is counted under (AXES_USERNAME_CALLABLE)."""

from datetime import timedelta

from axes.conf import settings
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

LOCKOUT_STATUS = 429
USERNAME_MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


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


def attempted_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username a sign-in tried, as django-axes records it (AXES_USERNAME_CALLABLE): axes'
    own reading, cut to the length of its column. Nobody's username is that long (Django's are
    at most 150 characters), but the sign-in form does not check the length, so a longer one
    reached the database and failed to save (PostgreSQL) instead of counting as a failure."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if isinstance(username, str):
        return username[:USERNAME_MAX_LENGTH]
    return username

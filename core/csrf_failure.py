"""A form or API write refused by the CSRF check. Nearly always the page was open while its
token went out of date (signing in, in this or another tab, renews it; so does clearing cookies),
or the browser blocks this site's cookies: the person only needs to reload the page and try
again, so the answer says that, in the site's own page (Django's CSRF_FAILURE_VIEW) or, for the
API, in its JSON error shape (core.api.authentication answers DRF's own check the same way).
Django has already logged the reason ("Forbidden (CSRF token missing.)"); the answer does not
repeat it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

CODE = "csrf_failed"
MESSAGE = (
    "The page with the form was open too long, or your browser is blocking this site's "
    "cookies. Go back, reload the page and try again."
)
# Session writes to the API come from a page too (the browsable API, the API docs); a program
# would rather authenticate with a token, which needs no CSRF token.
API_MESSAGE = (
    "The request's CSRF token is missing or out of date: the page was open too long, or your "
    "browser is blocking this site's cookies. Reload the page and try again, or authenticate "
    "with an API token (Authorization: Token ...)."
)
TEMPLATE = "403_csrf.html"
API_PREFIX = "/api/"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 with what to do next: the site's page, or `{"code", "message"}` under /api/."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"code": CODE, "message": API_MESSAGE}, status=403)
    return render(request, TEMPLATE, {"message": MESSAGE}, status=403)

"""A database that cannot be reached, or that drops the connection in the middle of a request,
answers 503 Service Unavailable with Retry-After, never a server error or a stack trace: pages
get a plain page in the site's look, the API `{"code": "unavailable", "message"}`, calendar
feeds plain text (calendar apps retry). The error is logged once, with its traceback, through
Django's request logger (which masks feed keys); the answer says nothing of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.log import log_response

CODE = "unavailable"
MESSAGE = "The service is briefly unavailable; try again in a minute."
RETRY_AFTER_SECONDS = 60
TEMPLATE = "503.html"
API_PREFIX = "/api/"
FEED_SUFFIX = ".ics"
# Django's errors, and the drivers' own where code uses the driver's cursor itself (COPY in the
# imports).
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# SQLite reports a mistake in the query itself as OperationalError too: that is a bug, left to
# the usual server error, not an outage to wait out.
SQLITE_QUERY_MISTAKES = (
    "syntax error",
    "no such table",
    "no such column",
    "no such function",
    "has no column named",
)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether the error, or one it was raised from (Django's error wraps the driver's), says
    the database could not be reached or used for now: connection refused, lost or closed,
    locked, timed out."""
    chain = _causes(error)
    return any(isinstance(link, UNAVAILABLE) for link in chain) and not any(
        _is_query_mistake(link) for link in chain
    )


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not link for link in chain):
        chain.append(current)
        current = current.__cause__
    return chain


def _is_query_mistake(error: BaseException) -> bool:
    # SQLite reports a bad value bound to a query as InterfaceError.
    return isinstance(error, sqlite3.InterfaceError) or (
        isinstance(error, sqlite3.OperationalError)
        and any(mistake in str(error) for mistake in SQLITE_QUERY_MISTAKES)
    )


def _page() -> HttpResponse:
    # Rendered without the request, so no context processor runs: nothing here reads the
    # database that just failed.
    return HttpResponse(render_to_string(TEMPLATE), content_type="text/html; charset=utf-8")


def _api() -> HttpResponse:
    return JsonResponse({"code": CODE, "message": MESSAGE})


def _feed() -> HttpResponse:
    return HttpResponse(f"{MESSAGE}\n", content_type="text/plain; charset=utf-8")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer in the form the requested address speaks."""
    path = request.path_info
    build: Callable[[], HttpResponse] = _page
    if path.startswith(API_PREFIX):
        build = _api
    elif path.endswith(FEED_SUFFIX):
        build = _feed
    response = build()
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # An outage must not be kept by a proxy or a browser once the database is back.
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage raised by a view (or while its response is rendered) into the
    503 answer; every other error goes on to Django's usual handling."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        response = unavailable_response(request)
        # Marks the response as logged, so Django's handler does not log it a second time.
        log_response(
            "Service Unavailable (database): %s",
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response

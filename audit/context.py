"""Who is acting, and from where, for the changes recorded meanwhile. A web request sets it
(AuditContextMiddleware), imports and services called with an actor set it for their writes;
a change made outside all of them is the system's.

    with acting(actor=user, source=AuditSource.IMPORT, reference="import run 12"):
        ...  # every change recorded here names the user, the import and the run
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest

from .choices import AuditSource


@dataclass(frozen=True)
class Acting:
    source: str
    actor: object | None = None
    reference: str = ""
    # A request's user is read when a change is recorded, not when the request starts: the API
    # authenticates a token only in its view.
    request: HttpRequest | None = None

    def user(self):
        if self.actor is not None:
            return self.actor
        user = getattr(self.request, "user", None) if self.request is not None else None
        return user if user is not None and user.is_authenticated else None


_current: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)


def current() -> Acting:
    return _current.get() or Acting(source=AuditSource.SYSTEM)


@contextmanager
def acting(
    *, actor=None, source: str | None = None, reference: str | None = None
) -> Iterator[Acting]:
    """Changes recorded inside name `actor` (when it is a logged-in user; otherwise whoever was
    acting already), `source` (otherwise the enclosing one, or "service") and `reference`."""
    outer = _current.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    state = Acting(
        source=source or (outer.source if outer else AuditSource.SERVICE),
        actor=actor if actor is not None else (outer.actor if outer else None),
        reference=reference if reference is not None else (outer.reference if outer else ""),
        request=outer.request if outer and actor is None else None,
    )
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def with_actor(function: Callable) -> Callable:
    """For a service taking a keyword `actor`: the changes it makes are that actor's."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with acting(actor=kwargs.get("actor")):
            return function(*args, **kwargs)

    return wrapper


def source_of(path: str) -> str:
    if path.startswith("/admin/"):
        return AuditSource.ADMIN
    if path.startswith("/api/"):
        return AuditSource.API
    return AuditSource.WEB


class AuditContextMiddleware:
    """Every change made while serving a request is the request's user's, from the admin, the
    API or the pages by its path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _current.set(Acting(source=source_of(request.path_info), request=request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

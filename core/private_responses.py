"""Every answer made for a signed-in person is `Cache-Control: private, no-store`: a page, a
download, an API answer or a redirect for someone signed in (by session or by API token) holds
what only they may read (their feed address, transcript, staff and reports), and a browser on a
shared staff-room computer must not keep it on disk or show it again after they sign out.

A response that names its own Cache-Control keeps it: the calendar feeds choose theirs (a
personal feed's secret address, not a session, is its permission, and its ETag/304 answers rely
on being kept), as does any view marked `never_cache`. Anonymous answers (the public catalog,
the sign-in page) are left as their views make them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PRIVATE_NO_STORE = "private, no-store"


def _is_signed_in(user: object) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


class PrivateResponsesMiddleware:
    """Marks the responses to signed-in requests that set no caching policy of their own.

    Placed after AuthenticationMiddleware, so it sees the user the session names; and after the
    view, so it also sees the user an API token names (DRF authenticates in the view and sets
    that user on the request). Cheap on the calendar feeds' poll: their answers carry their own
    Cache-Control, so neither the session nor the user is read for them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The session's user, still lazy: read only if the response needs it. Kept aside because
        # DRF replaces request.user with an anonymous user when its own checks refuse the
        # request (a failed CSRF check), and signing out replaces it too.
        session_user = getattr(request, "user", None)
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        if _is_signed_in(getattr(request, "user", None)) or _is_signed_in(session_user):
            response["Cache-Control"] = PRIVATE_NO_STORE
        return response

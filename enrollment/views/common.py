"""Small helpers the enrollment pages share."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest) -> str | None:
    """The `next` page (posted, or in the query of a page that asks before it posts) when it is
    a path on this site, else None: never an open redirect. Only a path ("/me/") is taken:
    redirect() would read a bare word as a view's name and fail, and a control character has no
    place in a Location header."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return None

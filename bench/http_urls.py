"""The service's URLs plus a bare view: the floor of the HTTP benchmark. The bare view runs
through the same gunicorn, WSGI handler and middleware as every page, and does nothing else:
no query, no template, a small plain-text body."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

BARE_PATH = "/bench/bare/"


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path(BARE_PATH.strip("/") + "/", bare, name="bench-bare"),
    path("", include("learning.urls")),
]

"""The health endpoints: unauthenticated, cheap, and revealing no data (worker/health.py)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health

STATUS_CODES = {health.OK: 200, health.DEGRADED: 200, health.FAIL: 503}


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, no cache."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    report = health.readiness()
    return JsonResponse(
        {"status": report.status, "checks": report.checks}, status=STATUS_CODES[report.status]
    )

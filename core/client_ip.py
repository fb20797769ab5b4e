"""The address a request came from, as the login throttle counts it (AXES_CLIENT_IP_CALLABLE)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind the TLS proxy (BEHIND_TLS_PROXY) the address the nearest trusted
    proxy appended to X-Forwarded-For: entries further left come from the client and could name
    anyone, so a client could never pick the address it is counted under."""
    remote_address = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_TLS_PROXY:
        return remote_address
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < settings.TRUSTED_PROXY_COUNT:
        return remote_address
    return forwarded[-settings.TRUSTED_PROXY_COUNT]

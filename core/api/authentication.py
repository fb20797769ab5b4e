"""The API's session authentication: DRF's, but a failed CSRF check answers like the site's own
(core.csrf_failure): 403 `{"code": "csrf_failed", "message": ...}` saying to reload and try
again, rather than DRF's permission_denied with Django's internal reason."""

from rest_framework import authentication, exceptions

from core import csrf_failure


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = csrf_failure.API_MESSAGE
    default_code = csrf_failure.CODE


class SessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as refused:
            raise CsrfFailed() from refused

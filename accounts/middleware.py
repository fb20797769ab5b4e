"""Administrators, HR and district PD who signed in with a password or a mailed code use a second
factor: one who has none yet is taken to set one up before anything else (SECOND_FACTOR_REQUIRED).
Those who signed in through the district's provider rely on the provider's."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from learning.access import Role, roles_of

POWER_ROLES = frozenset({Role.ADMIN, Role.HR, Role.DISTRICT_PD})
# Sign-ins that carry their own second factor, or are one.
STRONG_METHODS = frozenset({"socialaccount", "mfa"})
WEAK_METHODS = frozenset({"password", "code"})
# The session remembers that this sign-in needs nothing more, so later requests ask nothing.
SATISFIED_KEY = "accounts_second_factor_satisfied"
MSG_SET_UP = (
    "Your role can change what others see, so it needs a second factor: set up an "
    "authenticator app to go on."
)


def second_factor_missing(request: HttpRequest) -> bool:
    """The signed-in person holds a power role, signed in with only a password or a code, and
    has no second factor set up."""
    user = request.user
    if not user.is_authenticated or request.session.get(SATISFIED_KEY):
        return False
    records = get_authentication_records(request, user)
    methods = {record.get("method") for record in records}
    missing = (
        bool(methods & WEAK_METHODS)
        and not methods & STRONG_METHODS
        and bool(roles_of(user) & POWER_ROLES)
        and not is_mfa_enabled(user)
    )
    if not missing and methods:
        request.session[SATISFIED_KEY] = True
    return missing


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SECOND_FACTOR_REQUIRED and not self._exempt(request.path):
            if second_factor_missing(request):
                messages.warning(request, MSG_SET_UP)
                target = reverse("mfa_activate_totp")
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(
            (
                "/accounts/2fa/",
                "/accounts/logout/",
                "/accounts/reauthenticate/",
                "/static/",
                "/health/",
            )
        )

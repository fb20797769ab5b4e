"""Administrators, HR and district PD who signed in with a password or a mailed code use a second
factor: one who has none yet is taken to set one up before anything else (SECOND_FACTOR_REQUIRED).
Those who signed in through the district's provider rely on the provider's."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

from learning.access import Role, roles_of

POWER_ROLES = frozenset({Role.ADMIN, Role.HR, Role.DISTRICT_PD})
# Sign-ins that carry their own second factor, or are one.
STRONG_METHODS = frozenset({"socialaccount", "mfa"})
# The session remembers that this sign-in needs nothing more, so later requests ask nothing.
SATISFIED_KEY = "accounts_second_factor_satisfied"
MSG_SET_UP_API = (
    "This login's role needs a second factor: sign in on the site and set up an authenticator "
    "app, or use an API token."
)
MSG_SET_UP = (
    "Your role can change what others see, so it needs a second factor: set up an "
    "authenticator app to go on."
)


def second_factor_missing(request: HttpRequest) -> bool:
    """The signed-in person holds a power role and has no second factor (an authenticator app
    or a passkey: recovery codes alone are none), and did not sign in through the district's
    provider. A session with no record of how it signed in (one from before this service
    asked, or made outside allauth) counts as a password's."""
    user = request.user
    if not user.is_authenticated or request.session.get(SATISFIED_KEY) == _roles_key(user):
        return False
    methods = {record.get("method") for record in get_authentication_records(request, user)}
    if methods & STRONG_METHODS:
        missing = False
    else:
        powers = roles_of(user) & POWER_ROLES
        if not powers:
            # Not cached: a role given later is asked for at the next request.
            return False
        missing = not is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
    if not missing:
        request.session[SATISFIED_KEY] = _roles_key(user)
    return missing


def _roles_key(user) -> str:
    """What the session's answer holds for: the login and the power roles it had then."""
    return f"{user.pk}:{','.join(sorted(roles_of(user) & POWER_ROLES))}"


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SECOND_FACTOR_REQUIRED and not self._exempt(request.path):
            if second_factor_missing(request):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "second_factor_required", "message": MSG_SET_UP_API},
                        status=403,
                    )
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

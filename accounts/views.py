"""Sign-in pages of the service's own, beside django-allauth's."""

from __future__ import annotations

import binascii
from urllib.parse import urlsplit

from allauth.account import views as allauth_views
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.views import FinishACSView
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from onelogin.saml2.errors import OneLogin_Saml2_Error

from .adapters import refuse
from .services import Identity, Refusal, SignInRefused


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def provider_origins() -> list[str]:
    """Where the sign-in buttons' forms lead, after the service's redirect: each identity
    provider's sign-in address. Browsers hold a form's redirects to the page's
    Content-Security-Policy form-action, so the sign-in page names them."""
    origins = set()
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("district_oidc", {}).get("APPS", []):
        app_settings = app.get("settings", {})
        overrides = app_settings.get("openid_configuration_overrides", {})
        origins.add(_origin(overrides.get("authorization_endpoint") or app_settings["server_url"]))
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", []):
        idp = app.get("settings", {}).get("idp", {})
        # Identity providers serve their metadata and their sign-in from one host (ClassLink,
        # ADFS, Shibboleth, Entra ID).
        origins.add(_origin(idp.get("metadata_url", "")))
        origins.add(_origin(settings.SSO_SAML_SIGN_IN_URL))
    return sorted(origin for origin in origins if origin)


def sign_in(request: HttpRequest) -> HttpResponse:
    """allauth's sign-in page, whose provider buttons may lead to the providers' addresses."""
    response = allauth_views.login(request)
    origins = provider_origins()
    if origins:
        response._csp_update = {"form-action": origins}
    return response


class SAMLFinishView(FinishACSView):
    """allauth's end of a SAML sign-in, with the site's refusal for a response that answers no
    sign-in this browser started (replayed, or sent unasked): allauth refuses it with a bare
    403; here it says what happened, and the audit history records it."""

    def dispatch(self, request: HttpRequest, organization_slug) -> HttpResponse:
        try:
            return super().dispatch(request, organization_slug)
        except PermissionDenied:
            provider = self.get_provider(organization_slug)
            return refuse(
                request,
                SignInRefused(
                    Refusal.PROVIDER_ERROR,
                    Identity(provider=provider.name),
                    reason="the response answers no sign-in started in this browser",
                ),
            ).response


saml_finish = SAMLFinishView.as_view()


def saml_single_logout(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's single logout, with a malformed message answered 400 rather than an error."""
    try:
        return saml_views.sls(request, organization_slug=organization_slug)
    except (binascii.Error, ValueError, OneLogin_Saml2_Error):
        return HttpResponseBadRequest("The SAML logout message could not be read.")

"""The district's OpenID Connect provider (Google Workspace, Microsoft Entra ID, any certified
provider): django-allauth's, with a nonce sent and checked, and the ID token's signature always
verified against the provider's published keys. allauth skips the signature when the token came
straight from the token endpoint (OpenID Connect Core 3.1.3.7 allows it over TLS); checking it
costs one cached key fetch and holds even when TLS is ended by a proxy on the way."""

from __future__ import annotations

import hmac
import secrets

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from .views import DistrictOIDCAdapter

NONCE_STATE_KEY = "oidc_nonce"


class NonceMismatch(Exception):
    pass


class DistrictOIDCProvider(OpenIDConnectProvider):
    id = "district_oidc"
    name = "District sign-in"
    oauth2_adapter_class = DistrictOIDCAdapter

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params=auth_params,
            **kwargs,
            **{NONCE_STATE_KEY: nonce},
        )

    @staticmethod
    def nonce_checked(sociallogin) -> None:
        """The ID token carries the nonce this sign-in sent (the state keeps it), or the token
        was made for another sign-in: raises NonceMismatch."""
        sent = (sociallogin.state or {}).get(NONCE_STATE_KEY) or ""
        received = (sociallogin.account.extra_data.get("id_token") or {}).get("nonce") or ""
        if not sent or not hmac.compare_digest(str(sent), str(received)):
            raise NonceMismatch("the ID token does not carry this sign-in's nonce")


provider_classes = [DistrictOIDCProvider]

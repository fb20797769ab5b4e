"""Driving a sign-in through the real OpenID Connect provider of tests/sso with Django's test client
on the service's side and requests on the provider's, as a browser would go between the two."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from django.urls import reverse

from accounts import sso_providers
from tests.sso.providers import post_form

CALLBACK = "http://testserver/accounts/oidc/district/login/callback/"
CLIENT = {
    "client_id": "professional-learning",
    "client_secret": "client-secret-of-the-tests",
    "redirect_uris": [CALLBACK],
}
# Another application registered with the same provider: its tokens are not for this service.
OTHER_CALLBACK = "http://127.0.0.1:9/other-app/callback"
OTHER_CLIENT = {
    "client_id": "another-application",
    "client_secret": "another-secret",
    "redirect_uris": [OTHER_CALLBACK],
}
TIMEOUT = 10
PROVIDER_NAME = "BPS Google Workspace"


def provider_settings(issuer: str, **app_settings) -> dict:
    configured = sso_providers.openid_connect(
        issuer=issuer,
        client_id=CLIENT["client_id"],
        secret=CLIENT["client_secret"],
        name=PROVIDER_NAME,
    )
    configured["district_oidc"]["APPS"][0]["settings"].update(app_settings)
    return configured


def walk_to(session: requests.Session, url: str, stop_at: str) -> requests.Response | str:
    """Follow the provider's redirects: the URL that leaves for `stop_at`, or the page where
    they stop."""
    response = session.get(url, allow_redirects=False, timeout=TIMEOUT)
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(stop_at):
            return location
        response = session.get(location, allow_redirects=False, timeout=TIMEOUT)
    raise AssertionError("too many redirects")


def at_provider(authorize_url: str, login: str, *, stop_at: str = CALLBACK) -> str:
    """Sign in at the provider as `login`: the redirect back to the client, with its code."""
    session = requests.Session()
    page = walk_to(session, authorize_url, stop_at)
    assert isinstance(page, requests.Response) and page.status_code == 200, page
    form = post_form(page.text)
    answer = session.post(
        urljoin(page.url, form.action),
        data={"login": login, "action": "login"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    location = urljoin(answer.url, answer.headers["Location"])
    back = location if location.startswith(stop_at) else walk_to(session, location, stop_at)
    assert isinstance(back, str), back
    return back


def start(client) -> str:
    """Press "Sign in with …" on the service: the provider's authorization URL."""
    response = client.post(reverse("district_oidc_login", kwargs={"provider_id": "district"}))
    assert response.status_code == 302, response
    return response["Location"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sign_in(client, login: str):
    """The whole sign-in: the service's answer to the provider's redirect back."""
    return client.get(local(at_provider(start(client), login)))


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def id_token_for_other_client(issuer: str, login: str) -> str:
    """An ID token the provider really issued, to another application."""
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT).json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": OTHER_CLIENT["client_id"],
        "redirect_uri": OTHER_CALLBACK,
        "response_type": "code",
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    back = at_provider(
        f"{discovery['authorization_endpoint']}?{urlencode(params)}", login, stop_at=OTHER_CALLBACK
    )
    tokens = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query(back)["code"],
            "redirect_uri": OTHER_CALLBACK,
            "code_verifier": verifier,
            "client_id": OTHER_CLIENT["client_id"],
            "client_secret": OTHER_CLIENT["client_secret"],
        },
        timeout=TIMEOUT,
    )
    tokens.raise_for_status()
    return tokens.json()["id_token"]

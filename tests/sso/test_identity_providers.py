"""The test identity providers speak their protocols for real, checked here without the Django
app: OpenID Connect's authorization code flow with PKCE against oidc-provider, and SAML 2.0 Web
SSO against the pysaml2 IdP, with pysaml2 as the SP."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.response import StatusAuthnFailed
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from tests.sso.providers import post_form, start_oidc_provider, start_saml_idp
from tests.sso.saml_idp import OTHER_ACS_URL, OTHER_SP_ENTITY_ID

ACCOUNTS = {
    "tess": {
        "email": "tess.teacher@district.example",
        "email_verified": True,
        "given_name": "Tess",
        "family_name": "Teacher",
        "employee_id": "E-1042",
        "groups": ["teachers", "maple-elementary"],
    },
    "newhire": {
        "email": "new.hire@district.example",
        "email_verified": False,
        "given_name": "New",
        "family_name": "Hire",
    },
}

# Nothing listens at the client's redirect URI or the SP's ACS: the flows stop at the redirect or
# the auto-post form that would reach them.
CLIENT = {
    "client_id": "professional-learning",
    "client_secret": "test-client-secret",
    "redirect_uris": ["http://127.0.0.1:9/accounts/oidc/district/login/callback/"],
}
REDIRECT_URI = CLIENT["redirect_uris"][0]
SP_ENTITY_ID = "http://127.0.0.1:9/accounts/saml/district/metadata/"
SP_ACS = "http://127.0.0.1:9/accounts/saml/district/acs/"
TIMEOUT = 10
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- OpenID Connect -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc(tmp_path_factory):
    with start_oidc_provider(
        tmp_path_factory.mktemp("oidc"), clients=[CLIENT], accounts=ACCOUNTS
    ) as provider:
        yield provider


@pytest.fixture(scope="module")
def discovery(oidc):
    return requests.get(oidc.discovery_url, timeout=TIMEOUT).json()


def walk(session: requests.Session, response: requests.Response):
    """Follow the provider's redirects by hand: the query of the one that leaves for the
    client's redirect URI (nothing listens there), or else the page where they stop."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(REDIRECT_URI):
            return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        response = session.get(location, allow_redirects=False, timeout=TIMEOUT)
    raise AssertionError("too many redirects")


def to_client(session, response) -> dict:
    answer = walk(session, response)
    assert isinstance(answer, dict), (answer.status_code, answer.text[:500])
    return answer


def authorize(session, discovery, *, pkce=True):
    """Start the authorization request: the login page (or the answer to the client) and the
    values the client keeps."""
    kept = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16)}
    params = {
        "client_id": CLIENT["client_id"],
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email profile",
        "state": kept["state"],
        "nonce": kept["nonce"],
    }
    if pkce:
        kept["verifier"] = secrets.token_urlsafe(48)
        challenge = hashlib.sha256(kept["verifier"].encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(challenge).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"
    response = session.get(
        f"{discovery['authorization_endpoint']}?{urlencode(params)}",
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return walk(session, response), kept


def sign_in(session, login_page: requests.Response, login: str, action: str = "login"):
    assert login_page.status_code == 200, login_page.text[:500]
    form = post_form(login_page.text)
    assert form.fields.keys() == {"login"}
    return session.post(
        urljoin(login_page.url, form.action),
        data={"login": login, "action": action},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def exchange(discovery, code: str, verifier: str) -> requests.Response:
    return requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            # client_secret_post, the provider's default for its clients (see oidc_provider.mjs)
            "client_id": CLIENT["client_id"],
            "client_secret": CLIENT["client_secret"],
        },
        timeout=TIMEOUT,
    )


def verified_id_token(discovery, id_token: str) -> dict:
    """The ID token's claims once its RS256 signature checks out against the provider's JWKS."""
    header_b64, payload_b64, signature_b64 = id_token.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "RS256"
    keys = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()["keys"]
    (jwk,) = [key for key in keys if key["kid"] == header["kid"]]
    public_key = rsa.RSAPublicNumbers(
        int.from_bytes(b64url_decode(jwk["e"])), int.from_bytes(b64url_decode(jwk["n"]))
    ).public_key()
    public_key.verify(
        b64url_decode(signature_b64),
        f"{header_b64}.{payload_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    # A single changed byte of the payload fails the same check.
    with pytest.raises(InvalidSignature):
        public_key.verify(
            b64url_decode(signature_b64),
            f"{header_b64}.{payload_b64}x".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    return json.loads(b64url_decode(payload_b64))


def test_oidc_code_flow_with_pkce(oidc, discovery):
    assert discovery["issuer"] == oidc.issuer
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    session = requests.Session()
    login_page, kept = authorize(session, discovery)
    # Consent needs no page: the login's answer leads straight back to the client.
    answer = to_client(session, sign_in(session, login_page, "tess"))
    assert answer["state"] == kept["state"]
    assert answer["iss"] == oidc.issuer

    tokens = exchange(discovery, answer["code"], kept["verifier"])
    assert tokens.status_code == 200, tokens.text
    claims = verified_id_token(discovery, tokens.json()["id_token"])
    assert claims["iss"] == oidc.issuer
    assert claims["aud"] == CLIENT["client_id"]
    assert claims["nonce"] == kept["nonce"]
    assert claims["sub"] == "tess"
    assert {k: claims[k] for k in ACCOUNTS["tess"]} == ACCOUNTS["tess"]

    userinfo = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        timeout=TIMEOUT,
    ).json()
    assert userinfo["employee_id"] == "E-1042"
    assert userinfo["groups"] == ["teachers", "maple-elementary"]

    # A code is good once.
    replayed = exchange(discovery, answer["code"], kept["verifier"])
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"


def test_oidc_account_without_employee_claims(discovery):
    session = requests.Session()
    login_page, kept = authorize(session, discovery)
    answer = to_client(session, sign_in(session, login_page, "newhire"))
    tokens = exchange(discovery, answer["code"], kept["verifier"]).json()
    claims = verified_id_token(discovery, tokens["id_token"])
    assert claims["email"] == "new.hire@district.example"
    assert claims["email_verified"] is False
    assert "employee_id" not in claims and "groups" not in claims


def test_oidc_refuses_a_request_without_pkce_and_a_wrong_verifier(discovery):
    session = requests.Session()
    answer, _ = authorize(session, discovery, pkce=False)
    assert answer["error"] == "invalid_request"
    assert "PKCE" in answer["error_description"]

    login_page, kept = authorize(session, discovery)
    answer = to_client(session, sign_in(session, login_page, "tess"))
    wrong = exchange(discovery, answer["code"], secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_oidc_login_page_unknown_account_and_cancel(discovery):
    session = requests.Session()
    login_page, kept = authorize(session, discovery)
    again = sign_in(session, login_page, "nobody")
    assert again.status_code == 200
    assert "Unknown account: nobody" in again.text
    answer = to_client(session, sign_in(session, again, "", action="cancel"))
    assert answer["error"] == "access_denied"
    assert answer["state"] == kept["state"]


# -- SAML 2.0 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saml_idp_running(tmp_path_factory):
    with start_saml_idp(tmp_path_factory.mktemp("saml"), accounts=ACCOUNTS) as idp:
        yield idp


@pytest.fixture
def saml_idp(saml_idp_running):
    yield saml_idp_running
    saml_idp_running.mode = None


@pytest.fixture(scope="module")
def sp(saml_idp_running):
    """A pysaml2 SP that trusts the IdP's metadata and wants everything signed."""
    metadata = requests.get(saml_idp_running.metadata_url, timeout=TIMEOUT).text
    config = SPConfig()
    config.load(
        {
            "entityid": SP_ENTITY_ID,
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(SP_ACS, BINDING_HTTP_POST)]},
                    "want_response_signed": True,
                    "want_assertions_signed": True,
                    "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
                }
            },
            "metadata": {"inline": [metadata]},
        }
    )
    return Saml2Client(config=config)


def saml_sign_in(idp, sp, login: str, action: str = "login", binding=BINDING_HTTP_REDIRECT):
    """SP-initiated sign-in: the AuthnRequest's id and the IdP's answer to the login form."""
    request_id, info = sp.prepare_for_authenticate(
        entityid=idp.entity_id, relay_state="/catalog/", binding=binding
    )
    session = requests.Session()
    if binding == BINDING_HTTP_REDIRECT:
        location = dict(info["headers"])["Location"]
        assert location.startswith(idp.sso_redirect_url + "?")
        login_page = session.get(location, timeout=TIMEOUT)
    else:
        # pysaml2's own auto-post page for the AuthnRequest
        request_form = post_form(info["data"])
        assert request_form.action == idp.sso_post_url
        login_page = session.post(request_form.action, data=request_form.fields, timeout=TIMEOUT)
    assert login_page.status_code == 200, login_page.text[:500]
    form = post_form(login_page.text)
    assert form.fields.keys() == {"SAMLRequest", "binding", "RelayState", "login"}
    posted = session.post(
        urljoin(login_page.url, form.action),
        data={**form.fields, "login": login, "action": action},
        timeout=TIMEOUT,
    )
    assert posted.status_code == 200, posted.text[:500]
    return request_id, posted


@pytest.mark.parametrize(
    "binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"]
)
def test_saml_sign_in(saml_idp, sp, binding):
    request_id, posted = saml_sign_in(saml_idp, sp, "tess", binding=binding)
    auto_post = post_form(posted.text)
    assert auto_post.action == SP_ACS
    assert auto_post.fields == {**saml_idp.last_post.form, "RelayState": "/catalog/"}
    assert saml_idp.last_post.acs_url == SP_ACS

    response = sp.parse_authn_request_response(
        auto_post.fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert response.name_id.text == "tess.teacher@district.example"
    assert response.name_id.format == NAMEID_FORMAT_EMAILADDRESS
    assert response.ava == {
        "email": ["tess.teacher@district.example"],
        "given_name": ["Tess"],
        "family_name": ["Teacher"],
        "employee_id": ["E-1042"],
        "groups": ["teachers", "maple-elementary"],
    }
    xml = saml_idp.last_post.xml
    assert xml.count("rsa-sha256") == 2  # the response's signature and the assertion's


def test_saml_login_page_unknown_account_and_cancel(saml_idp, sp):
    _, posted = saml_sign_in(saml_idp, sp, "nobody")
    assert "Unknown account: nobody" in posted.text
    assert post_form(posted.text).action == "/sso/login"

    request_id, posted = saml_sign_in(saml_idp, sp, "", action="cancel")
    with pytest.raises(StatusAuthnFailed):
        sp.parse_authn_request_response(
            post_form(posted.text).fields["SAMLResponse"],
            BINDING_HTTP_POST,
            outstanding={request_id: "/"},
        )


def refused(sp, request_id: str, saml_response: str):
    """Hand the response to the SP, which must not accept it: what it raised, or "unverified"
    when it only logs the fault and hands back a response without an assertion (pysaml2 does so
    for a wrong Destination)."""
    try:
        accepted = sp.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    assert accepted is None or accepted.assertion is None, accepted.ava
    return "unverified"


def test_saml_sp_refuses_an_unsigned_response(saml_idp, sp):
    saml_idp.mode = "unsigned"
    request_id, posted = saml_sign_in(saml_idp, sp, "tess")
    assert "Signature" not in saml_idp.last_post.xml
    assert refused(sp, request_id, saml_idp.last_post.saml_response) == (
        "SignatureError: Signature missing for response"
    )


def test_saml_sp_refuses_a_response_for_another_audience(saml_idp, sp):
    saml_idp.mode = "wrong_audience"
    request_id, posted = saml_sign_in(saml_idp, sp, "tess")
    audience = ElementTree.fromstring(saml_idp.last_post.xml).find(f".//{{{SAML}}}Audience")
    assert audience.text == OTHER_SP_ENTITY_ID
    assert "AudienceRestrictions conditions not satisfied" in refused(
        sp, request_id, saml_idp.last_post.saml_response
    )


def test_saml_sp_refuses_a_response_for_another_recipient(saml_idp, sp, caplog):
    saml_idp.mode = "wrong_recipient"
    request_id, posted = saml_sign_in(saml_idp, sp, "tess")
    # Still posted to the SP's own ACS; the response names another.
    assert post_form(posted.text).action == SP_ACS
    xml = saml_idp.last_post.xml
    assert f'Destination="{OTHER_ACS_URL}"' in xml and f'Recipient="{OTHER_ACS_URL}"' in xml
    assert refused(sp, request_id, saml_idp.last_post.saml_response) == "unverified"
    assert f"destination '{OTHER_ACS_URL}' not in return addresses" in caplog.text

"""A real SAML 2.0 identity provider for the tests: pysaml2's IdP (`saml2.server.Server`) behind a
small WSGI app, served on a free 127.0.0.1 port from a background thread.

    idp = SamlIdP(workdir, accounts={"tess": {"email": "tess@example.org", ...}}).start()
    idp.metadata_url  # http://127.0.0.1:PORT/metadata, also the entityID
    idp.mode = "unsigned"  # or "wrong_audience", "wrong_recipient"; None is the honest IdP
    idp.stop()

Endpoints:
  GET  /metadata       the IdP's metadata (entityID = base URL + "/metadata", signing cert)
  GET  /sso/redirect   SingleSignOnService, HTTP-Redirect binding: shows the login page
  POST /sso/post       SingleSignOnService, HTTP-POST binding: shows the login page
  POST /sso/login      the login page's form: field `login` (an account key) and a submit button
                       `action` = "login" ("Sign in") or "cancel" ("Cancel"); answers with a page
                       whose form (id "saml-post") posts SAMLResponse (+ RelayState when the
                       request had one) to the SP's ACS with HTTP-POST binding; an inline script
                       submits it at once, and its "Continue" button does the same without script.

The SP is trusted without its metadata: the ACS URL is the one the AuthnRequest names, or
`acs_url` when the request names none (when both are there they must agree, as a real IdP would
insist). AuthnRequest signatures are not checked. Response and assertion are signed with
RSA-SHA256 / SHA-256 by a key made for this IdP alone. NameID is the account's email address
(format emailAddress); the attributes (NameFormat basic) are email, given_name, family_name,
employee_id and groups, each sent only when the account has it.
"""

from __future__ import annotations

import base64
import datetime
import html
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.attribute_converter import AttributeConverterNOOP
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

MODES = (None, "unsigned", "wrong_audience", "wrong_recipient")
ATTRIBUTES = ("email", "given_name", "family_name", "employee_id", "groups")
# Where the bad modes point instead of the SP: nothing listens there.
OTHER_SP_ENTITY_ID = "http://127.0.0.1:9/another-sp/metadata"
OTHER_ACS_URL = "http://127.0.0.1:9/another-sp/acs"

BINDINGS = {"redirect": BINDING_HTTP_REDIRECT, "post": BINDING_HTTP_POST}


class SamlIdPError(RuntimeError):
    pass


class XmlsecMissing(SamlIdPError):
    """The xmlsec1 program pysaml2 signs with is not on this machine."""


@dataclass(frozen=True)
class PostedResponse:
    """What the IdP's last auto-post page sends to the SP, for a test to replay."""

    acs_url: str
    saml_response: str  # base64, as posted
    relay_state: str | None

    @property
    def form(self) -> dict[str, str]:
        data = {"SAMLResponse": self.saml_response}
        if self.relay_state is not None:
            data["RelayState"] = self.relay_state
        return data

    @property
    def xml(self) -> str:
        return base64.b64decode(self.saml_response).decode()


def make_key_and_cert(directory: Path, common_name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate for it, as PEM files in `directory`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "idp-key.pem", directory / "idp-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class _NoSpMetadata(MetadataStore):
    """The IdP trusts the SPs without loading their metadata, so it knows no SP's keys (and
    encrypts nothing); pysaml2 still asks for them."""

    def certs(self, entity_id, descriptor, use="signing"):
        try:
            return super().certs(entity_id, descriptor, use)
        except KeyError:
            return []


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


class SamlIdP:
    def __init__(self, workdir: Path, *, accounts: dict[str, dict], acs_url: str | None = None):
        self.workdir = Path(workdir)
        self.accounts = accounts
        self.acs_url = acs_url
        self.auto_submit = True  # False: the post page waits for its "Continue" button
        self.posted: list[PostedResponse] = []
        self._mode: str | None = None
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None
        self.server: Server | None = None

    # -- the running object's settings ------------------------------------------------------------

    @property
    def mode(self) -> str | None:
        return self._mode

    @mode.setter
    def mode(self, value: str | None) -> None:
        if value not in MODES:
            raise ValueError(f"unknown SAML IdP mode {value!r}; one of {MODES}")
        self._mode = value

    @property
    def last_post(self) -> PostedResponse | None:
        return self.posted[-1] if self.posted else None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    entity_id = metadata_url

    @property
    def sso_redirect_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    @property
    def sso_post_url(self) -> str:
        return f"{self.base_url}/sso/post"

    @property
    def cert_pem(self) -> str:
        return self._cert_path.read_text()

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> SamlIdP:
        xmlsec = shutil.which("xmlsec1")
        if xmlsec is None:
            raise XmlsecMissing(
                "pysaml2 signs with the xmlsec1 program, which is not installed: "
                "apt-get install -y xmlsec1"
            )
        # Port 0: the OS picks a free port, so parallel test runs never collide.
        self._httpd = make_server(
            "127.0.0.1",
            0,
            self._wsgi,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            key_path, self._cert_path = make_key_and_cert(self.workdir, "127.0.0.1")
            config = IdPConfig()
            config.load(
                {
                    "entityid": self.entity_id,
                    "name": "Test identity provider",
                    "xmlsec_binary": xmlsec,
                    "key_file": str(key_path),
                    "cert_file": str(self._cert_path),
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "accepted_time_diff": 60,
                    "service": {
                        "idp": {
                            "endpoints": {
                                "single_sign_on_service": [
                                    (self.sso_redirect_url, BINDING_HTTP_REDIRECT),
                                    (self.sso_post_url, BINDING_HTTP_POST),
                                ]
                            },
                            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                            "want_authn_requests_signed": False,
                            "policy": {
                                "default": {
                                    "lifetime": {"minutes": 5},
                                    "name_form": NAME_FORMAT_BASIC,
                                    "attribute_restrictions": None,
                                }
                            },
                        }
                    },
                }
            )
            # Attribute names as given ("email", "groups", ...), not mapped to OIDs.
            config.attribute_converters = [AttributeConverterNOOP(NAME_FORMAT_BASIC)]
            self.server = Server(config=config)
            self.server.metadata = _NoSpMetadata(config.attribute_converters, config)
            self._metadata = str(entity_descriptor(config)).encode()
        except BaseException:
            self._httpd.server_close()
            raise
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits up to this long
            name=f"saml-idp-{self.base_url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        if self._httpd is not None:
            self._httpd.server_close()
        if self.server is not None:
            self.server.close()
            self.server = None

    def __enter__(self) -> SamlIdP:
        return self if self._thread else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the response -----------------------------------------------------------------------------

    def response_for(
        self, login: str, *, sp_entity_id: str, acs_url: str, in_response_to: str | None
    ) -> str:
        """A SAMLResponse (base64) for the account `login`, bent by the current mode."""
        account = self.accounts[login]
        identity = {}
        for name in ATTRIBUTES:
            value = account.get(name)
            if value is not None:
                identity[name] = [str(v) for v in value] if isinstance(value, list) else [value]
        mode = self.mode
        sign = mode != "unsigned"
        with self._lock:
            response = self.server.create_authn_response(
                identity,
                in_response_to,
                # Response Destination and SubjectConfirmationData Recipient both come from this.
                OTHER_ACS_URL if mode == "wrong_recipient" else acs_url,
                # The assertion's AudienceRestriction names this entity.
                OTHER_SP_ENTITY_ID if mode == "wrong_audience" else sp_entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=account["email"]),
                authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.entity_id},
                sign_response=sign,
                sign_assertion=sign,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        return base64.b64encode(str(response).encode()).decode()

    def _cancelled_response(self, *, acs_url: str, in_response_to: str) -> str:
        with self._lock:
            response = self.server.create_error_response(
                in_response_to,
                acs_url,
                (samlp.STATUS_AUTHN_FAILED, "The user cancelled the sign-in."),
                sign=self.mode != "unsigned",
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        return base64.b64encode(str(response).encode()).decode()

    # -- the web app -----------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length).decode()
            params.update({k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()})
        try:
            if path == "/metadata" and method == "GET":
                status, ctype, body = "200 OK", "application/samlmetadata+xml", self._metadata
            elif path == "/sso/redirect" and method == "GET":
                status, ctype, body = self._login_page(params, "redirect")
            elif path == "/sso/post" and method == "POST":
                status, ctype, body = self._login_page(params, "post")
            elif path == "/sso/login" and method == "POST":
                status, ctype, body = self._login(params)
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"not found"
        except _BadRequest as exc:
            status, ctype = "400 Bad Request", "text/html; charset=utf-8"
            body = _page("Bad request", f"<h1>Bad request</h1>\n<p>{html.escape(str(exc))}</p>")
        headers = [("Content-Type", ctype), ("Cache-Control", "no-store")]
        start_response(status, headers)
        return [body]

    def _authn_request(self, params: dict, binding: str):
        """The AuthnRequest of `params` and the ACS URL to answer it at."""
        encoded = params.get("SAMLRequest")
        if not encoded or binding not in BINDINGS:
            raise _BadRequest("no SAMLRequest")
        try:
            # The request's own signature, if any, is not passed on: the IdP knows no SP keys.
            request = self.server.parse_authn_request(encoded, BINDINGS[binding])
        except Exception as exc:
            raise _BadRequest(f"the AuthnRequest was refused: {exc!r}") from exc
        if request is None:
            raise _BadRequest("the AuthnRequest was refused")
        message = request.message
        acs = message.assertion_consumer_service_url
        if acs and self.acs_url and acs != self.acs_url:
            raise _BadRequest(f"ACS URL {acs} is not the configured {self.acs_url}")
        acs = acs or self.acs_url
        if not acs:
            raise _BadRequest("the AuthnRequest names no ACS URL and none is configured")
        return message, acs

    def _login_page(self, params: dict, binding: str, error: str = ""):
        message, _acs = self._authn_request(params, binding)
        hidden = {"SAMLRequest": params["SAMLRequest"], "binding": binding}
        if "RelayState" in params:
            hidden["RelayState"] = params["RelayState"]
        fields = "\n".join(
            f'  <input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in hidden.items()
        )
        alert = f'<p role="alert">{html.escape(error)}</p>\n' if error else ""
        body = (
            "<h1>Test SAML identity provider</h1>\n"
            f"<p>Signing in to {html.escape(message.issuer.text)}</p>\n{alert}"
            '<form method="post" action="/sso/login">\n'
            f"{fields}\n"
            '  <label for="login">Account</label>\n'
            '  <input id="login" name="login" type="text" required autofocus>\n'
            '  <button type="submit" name="action" value="login">Sign in</button>\n'
            '  <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>\n'
            "</form>"
        )
        return "200 OK", "text/html; charset=utf-8", _page("Sign in", body)

    def _login(self, params: dict):
        binding = params.get("binding", "")
        message, acs = self._authn_request(params, binding)
        if params.get("action") == "cancel":
            saml_response = self._cancelled_response(acs_url=acs, in_response_to=message.id)
        else:
            login = params.get("login", "")
            if login not in self.accounts:
                return self._login_page(params, binding, error=f"Unknown account: {login}")
            saml_response = self.response_for(
                login, sp_entity_id=message.issuer.text, acs_url=acs, in_response_to=message.id
            )
        posted = PostedResponse(acs, saml_response, params.get("RelayState"))
        self.posted.append(posted)
        fields = "\n".join(
            f'  <input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in posted.form.items()
        )
        script = (
            '<script>document.getElementById("saml-post").submit();</script>'
            if self.auto_submit
            else ""
        )
        body = (
            "<h1>Signed in</h1>\n"
            f'<form id="saml-post" method="post" action="{html.escape(acs)}">\n'
            f"{fields}\n"
            '  <button type="submit">Continue</button>\n'
            f"</form>\n{script}"
        )
        return "200 OK", "text/html; charset=utf-8", _page("Continue to the service", body)


class _BadRequest(Exception):
    pass

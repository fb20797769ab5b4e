"""Real identity providers on 127.0.0.1 for the tests, each on a port the OS picked and with
files in the caller's own directory, so that two test runs on one machine never meet.

    with start_oidc_provider(tmp_path, clients=[...], accounts={...}) as oidc:
        oidc.issuer  # http://127.0.0.1:PORT
    with start_saml_idp(tmp_path, accounts={...}) as idp:
        idp.metadata_url, idp.entity_id, idp.mode = "unsigned"

Accounts, for both: {"<login>": {"email", "email_verified", "given_name", "family_name",
"employee_id" (optional), "groups" (optional list)}}; the login pages take the key as `login`.

The OpenID Connect provider is the npm package oidc-provider, pinned in demo/idp/ and
installed there by `npm ci --prefix demo/idp`; the SAML IdP is pysaml2 (tests/sso/saml_idp.py),
which needs the xmlsec1 program (Debian's package xmlsec1).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tests.html_forms import posted_as_shown
from tests.sso.saml_idp import SamlIdP

IDP_DIR = Path(__file__).resolve().parents[2] / "demo" / "idp"
OIDC_SCRIPT = IDP_DIR / "oidc_provider.mjs"
NPM_CI = "npm ci --prefix demo/idp"


class ProviderError(RuntimeError):
    pass


# -- OpenID Connect -------------------------------------------------------------------------------


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen
    workdir: Path
    clients: list[dict]
    accounts: dict[str, dict]

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def log_path(self) -> Path:
        return self.workdir / "oidc-provider.stderr"

    def log(self) -> str:
        """What the provider wrote to stderr (its warnings and errors)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        _end(self.process)

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _pinned_oidc_provider_version() -> str:
    return json.loads((IDP_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]


class ToolMissing(ProviderError):
    """A program the provider needs is not on this machine (node, npm, xmlsec1)."""


def _installed_oidc_provider_version() -> str | None:
    manifest = IDP_DIR / "node_modules" / "oidc-provider" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def _check_oidc_install() -> str:
    """node, with the pinned oidc-provider installed in demo/idp (by `npm ci` from the
    lockfile, integrity checked, when it is missing or another version)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        raise ToolMissing(
            f"node and npm are not installed, so the OpenID Connect provider cannot run: install "
            f"Node.js (20.19 or later) and npm, then `{NPM_CI}`"
        )
    pinned = _pinned_oidc_provider_version()
    if _installed_oidc_provider_version() != pinned:
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=IDP_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or _installed_oidc_provider_version() != pinned:
            raise ProviderError(
                f"`{NPM_CI}` failed (exit {result.returncode}), so oidc-provider {pinned} is not "
                f"installed:\n{result.stderr[-3000:] or result.stdout[-3000:]}"
            )
    return node


def start_oidc_provider(
    workdir: Path,
    *,
    clients: list[dict],
    accounts: dict[str, dict],
    ttl: dict[str, int] | None = None,
    timeout: float = 20,
) -> OidcProvider:
    """Run demo/idp/oidc_provider.mjs on a free port and wait until it listens.

    Each client: {"client_id", "client_secret", "redirect_uris": [...]} and, if need be, other
    client metadata, e.g. "token_endpoint_auth_method": "client_secret_basic" (the default here
    is client_secret_post)."""
    node = _check_oidc_install()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "oidc-provider.json"
    config = {
        "port": 0,  # the provider binds port 0 and reports the port it got
        "clients": clients,
        "accounts": accounts,
        "exit_on_stdin_close": True,
    }
    if ttl:
        config["ttl"] = ttl
    config_path.write_text(json.dumps(config, indent=2))
    stdout_path = workdir / "oidc-provider.stdout"
    # Files, not pipes, for the output: a pipe nobody reads would stall the provider once full.
    with open(stdout_path, "wb") as stdout, open(workdir / "oidc-provider.stderr", "wb") as stderr:
        process = subprocess.Popen(
            [node, str(OIDC_SCRIPT), str(config_path)],
            cwd=IDP_DIR,
            # Never written to: when this process dies, the pipe closes and the provider exits.
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
        )
    handle = OidcProvider("", process, workdir, clients, accounts)
    try:
        handle.issuer = _wait_for_ready(process, stdout_path, handle.log, timeout)
    except BaseException:
        _end(process)
        raise
    return handle


def _wait_for_ready(process, stdout_path: Path, log, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        for line in stdout_path.read_text(errors="replace").splitlines():
            if line.startswith("READY "):
                return line.split(" ", 1)[1].strip()
        if process.poll() is not None:
            raise ProviderError(
                f"the OpenID Connect provider exited ({process.returncode}) before it was "
                f"ready:\n{log()[-3000:]}"
            )
        if time.monotonic() > deadline:
            raise ProviderError(
                f"the OpenID Connect provider was not ready after {timeout} s:\n{log()[-3000:]}"
            )
        time.sleep(0.02)


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()


# -- SAML 2.0 -------------------------------------------------------------------------------------


def start_saml_idp(
    workdir: Path, *, accounts: dict[str, dict], acs_url: str | None = None
) -> SamlIdP:
    """A pysaml2 IdP serving on a free port from a thread of this process (see saml_idp.py):
    `.base_url`, `.metadata_url`, `.entity_id`, `.mode`, `.last_post`, `.stop()`."""
    return SamlIdP(Path(workdir) / "saml-idp", accounts=accounts, acs_url=acs_url).start()


# -- pages ----------------------------------------------------------------------------------------


@dataclass
class PageForm:
    """The first POST form of a page: where it posts and what it posts untouched."""

    action: str
    fields: dict = field(default_factory=dict)


class _FormAction(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None and attrs.get("method", "").lower() == "post":
            self.action = attrs.get("action") or ""


def post_form(html: str) -> PageForm:
    """The login page's or the SAML auto-post page's form, as a browser would post it."""
    parser = _FormAction()
    parser.feed(html)
    if parser.action is None:
        raise ProviderError(f"no POST form on the page:\n{html[:2000]}")
    return PageForm(parser.action, posted_as_shown(html))

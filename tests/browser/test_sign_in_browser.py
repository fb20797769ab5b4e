"""In Chromium, the whole sign-in through the district's identity provider, against real ones
started for the test (oidc-provider from npm; pysaml2's IdP): a person on the roster, who has no
login yet, signs in and reaches My learning; someone not on the roster gets the refusal page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from accounts import sso_providers
from tests import factories as f
from tests.accounts import oidc
from tests.accounts.conftest import tools_present
from tests.sso.providers import start_oidc_provider, start_saml_idp

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNTS = {
    "tess": {
        "email": "tess.teacher@bps.example",
        "email_verified": True,
        "given_name": "Tess",
        "family_name": "Teacher",
        "employee_id": "F100001",
    },
    "stranger": {"email": "stranger@bps.example", "email_verified": True},
}


@pytest.fixture
def tess(db):
    building = f.BuildingFactory(name="Maple Elementary")
    return f.StaffMemberFactory(
        employee_id="F100001",
        first_name="Tess",
        last_name="Teacher",
        email="tess.teacher@bps.example",
        building=building,
    )


@pytest.fixture
def oidc_provider(live_server, settings, tmp_path):
    client = {**oidc.CLIENT, "redirect_uris": [f"{live_server.url}{urlsplit(oidc.CALLBACK).path}"]}
    with tools_present():
        running = start_oidc_provider(tmp_path, clients=[client], accounts=ACCOUNTS)
    with running:
        settings.SOCIALACCOUNT_PROVIDERS = oidc.provider_settings(running.issuer)
        yield running


@pytest.fixture
def saml_idp(live_server, settings, tmp_path):
    with tools_present():
        running = start_saml_idp(tmp_path, accounts=ACCOUNTS)
    settings.SOCIALACCOUNT_PROVIDERS = sso_providers.saml(
        metadata_url=running.metadata_url,
        entity_id=running.entity_id,
        name="ClassLink",
        organization="district",
        site_url=live_server.url,
    )
    yield running
    running.stop()


def at_the_provider(page: Page, login: str) -> None:
    page.get_by_label(re.compile("login|account|email", re.I)).fill(login)
    page.get_by_role("button", name="Sign in").click()


def test_a_person_on_the_roster_signs_in_with_openid_connect(
    live_server, page: Page, oidc_provider, tess
):
    assert not User.objects.exists()
    page.goto(f"{live_server.url}/accounts/login/")

    page.get_by_role("button", name=f"Sign in with {oidc.PROVIDER_NAME}").click()
    expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer)))
    at_the_provider(page, "tess")

    expect(page.get_by_role("banner")).to_contain_text("Signed in as Tess Teacher")
    page.goto(f"{live_server.url}/me/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tess.refresh_from_db()
    assert tess.user is not None


def test_someone_not_on_the_roster_is_told_whom_to_ask(
    live_server, page: Page, oidc_provider, tess
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {oidc.PROVIDER_NAME}").click()
    at_the_provider(page, "stranger")

    expect(page.get_by_role("heading", level=1)).to_have_text("You could not be signed in")
    expect(page.get_by_role("alert")).to_contain_text("stranger@bps.example")
    expect(page.locator("main")).to_contain_text("Human Resources")
    assert not User.objects.exists()


def test_a_person_on_the_roster_signs_in_with_saml(live_server, page: Page, saml_idp, tess):
    page.goto(f"{live_server.url}/accounts/login/")

    page.get_by_role("button", name="Sign in with ClassLink").click()
    expect(page).to_have_url(re.compile(re.escape(saml_idp.base_url)))
    at_the_provider(page, "tess")

    expect(page.get_by_role("banner")).to_contain_text("Signed in as Tess Teacher")
    tess.refresh_from_db()
    assert tess.user is not None


def test_an_administrator_adds_a_passkey_and_signs_in_with_it(
    live_server, page: Page, settings, admin_user
):
    """A passkey (WebAuthn) as the second factor, made and used by Chromium's virtual
    authenticator: the browser's own WebAuthn, not a stand-in."""
    # Passkeys need a secure origin; the test server is plain http on localhost.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    settings.SECOND_FACTOR_REQUIRED = True
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    def password_sign_in() -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(admin_user.username)
        page.get_by_label("Password").fill(f.PASSWORD)
        page.get_by_role("button", name=re.compile("^Sign in$")).click()

    password_sign_in()
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.get_by_label("Name").fill("Office laptop")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("main")).to_contain_text("Security key added.")
    assert admin_user.authenticator_set.filter(type="webauthn").exists()
    page.get_by_role("button", name="Sign out").click()

    password_sign_in()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Two-Factor Authentication")
    page.get_by_role("button", name="Use a security key").click()

    expect(page.get_by_role("banner")).to_contain_text("Signed in as")
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

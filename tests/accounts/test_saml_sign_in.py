"""Sign-in through a SAML 2.0 identity provider (ClassLink, ADFS, Shibboleth), against a real one
(pysaml2's IdP, tests/sso/saml_idp.py): the service starts the sign-in, the IdP posts back a
signed response whose audience and recipient are this service's; each person is matched to the
roster. An unsigned, replayed or misdirected response gets a clear page, an audit entry and no
account."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import sso_providers
from audit.models import AuditEntry
from tests import factories as f
from tests.accounts.conftest import tools_present
from tests.sso.providers import post_form, start_saml_idp

pytestmark = pytest.mark.django_db

TIMEOUT = 10
ACCOUNTS = {
    "tess": {
        "email": "tess.teacher@bps.example",
        "given_name": "Tess",
        "family_name": "Teacher",
        "employee_id": "F100001",
        "groups": ["staff"],
    },
    "stranger": {"email": "stranger@bps.example", "given_name": "Sam", "family_name": "Stranger"},
}


@pytest.fixture
def client():
    """A browser: it names the host it asks (python3-saml reads the ACS's own URL from it)."""
    return Client(HTTP_HOST="testserver")


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    with tools_present():
        running = start_saml_idp(tmp_path_factory.mktemp("saml"), accounts=ACCOUNTS)
    yield running
    running.stop()


@pytest.fixture
def sso(settings, idp):
    idp.mode = None
    settings.SOCIALACCOUNT_PROVIDERS = sso_providers.saml(
        metadata_url=idp.metadata_url,
        entity_id=idp.entity_id,
        name="ClassLink",
        organization="district",
        site_url="http://testserver",
    )
    return idp


@pytest.fixture
def tess(building):
    return f.StaffMemberFactory(
        employee_id="F100001",
        first_name="Tess",
        last_name="Teacher",
        email="tess.teacher@bps.example",
        building=building,
    )


def at_idp(client, login: str) -> dict:
    """Start the sign-in on the service and sign in at the IdP: the form it would auto-post to
    the service (its action and fields)."""
    started = client.post(reverse("saml_login", kwargs={"organization_slug": "district"}))
    assert started.status_code == 302, started
    session = requests.Session()
    page = session.get(started["Location"], timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    form = post_form(page.text)
    answer = session.post(
        urljoin(page.url, form.action),
        data={**form.fields, "login": login, "action": "login"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text[:500]
    posted = post_form(answer.text)
    assert posted.action.startswith("http://testserver/accounts/saml/district/acs/")
    return {"action": urlsplit(posted.action).path, "fields": posted.fields}


def post_back(client, posted: dict):
    """The browser's auto-post to the service's ACS, and the redirects that finish it."""
    return client.post(posted["action"], posted["fields"], follow=True)


def refusal_reasons() -> list[str]:
    return [
        entry.changes["reason"][1]
        for entry in AuditEntry.objects.filter(action="refused", model="accounts.signin")
    ]


def assert_refused(response, says: str) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert "You could not be signed in" in page
    assert says in page
    assert not User.objects.exists()


def test_a_person_on_the_roster_signs_in(client, sso, tess):
    response = post_back(client, at_idp(client, "tess"))

    assert response.status_code == 200
    assert "_auth_user_id" in client.session
    tess.refresh_from_db()
    assert tess.user is not None
    assert SocialAccount.objects.get(user=tess.user).provider == sso.entity_id
    assert client.get(reverse("enrollment:me")).status_code == 200
    assert not refusal_reasons()


def test_someone_not_on_the_roster_gets_no_account(client, sso, tess):
    response = post_back(client, at_idp(client, "stranger"))

    assert_refused(response, "Nobody on the district&#x27;s staff roster has the address")
    assert refusal_reasons() == ["not_on_roster"]


def test_an_unsigned_response_is_refused(client, sso, tess):
    sso.mode = "unsigned"

    response = post_back(client, at_idp(client, "tess"))

    assert_refused(response, "could not be trusted")
    assert "not signed" in response.content.decode()
    assert refusal_reasons() == ["provider_error"]


def test_a_response_for_another_audience_is_refused(client, sso, tess):
    sso.mode = "wrong_audience"

    response = post_back(client, at_idp(client, "tess"))

    assert_refused(response, "could not be trusted")
    assert "audience" in response.content.decode()


def test_a_response_for_another_recipient_is_refused(client, sso, tess):
    sso.mode = "wrong_recipient"

    response = post_back(client, at_idp(client, "tess"))

    assert_refused(response, "could not be trusted")


def test_a_replayed_response_is_refused(client, sso, tess):
    posted = at_idp(client, "tess")
    assert post_back(client, posted).status_code == 200
    client.post(reverse("logout"))
    login = User.objects.get()

    replayed = post_back(client, posted)

    assert replayed.status_code == 403, replayed.redirect_chain
    assert "could not be trusted" in replayed.content.decode()
    assert "_auth_user_id" not in client.session
    assert list(User.objects.all()) == [login]
    assert refusal_reasons() == ["provider_error"]


def test_an_unsolicited_response_is_refused(client, sso, tess):
    """A response the IdP sends without this service having asked (IdP-initiated) is refused:
    nothing ties it to this browser."""
    posted = at_idp(client, "tess")
    stranger_browser = Client(HTTP_HOST="testserver")

    response = post_back(stranger_browser, posted)

    assert_refused(response, "answers no sign-in started in this browser")
    assert refusal_reasons() == ["provider_error"]


def test_the_sign_in_page_lets_its_button_lead_to_the_identity_provider(client, settings, sso):
    settings.SSO_SAML_SIGN_IN_URL = "https://sso.elsewhere.example/saml2/idp/SSOService"

    policy = client.get(reverse("login"))["Content-Security-Policy"]

    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert sso.base_url in form_action
    assert "https://sso.elsewhere.example" in form_action


def test_a_malformed_logout_message_is_a_bad_request(client, sso):
    for query in ("SAMLRequest=garbage", "SAMLResponse=garbage"):
        response = client.get(f"/accounts/saml/district/sls/?{query}")

        assert response.status_code == 400
        assert b"could not be read" in response.content

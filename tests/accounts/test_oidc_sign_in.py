"""Sign-in through the district's OpenID Connect provider, against a real, OpenID Certified one
(oidc-provider from npm, tests/sso): the authorization code flow with PKCE, state and nonce; the
ID token's signature, issuer, audience and expiry checked; each person matched to the roster.
Every bad answer gets a clear page, an audit entry and no account."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from audit.models import AuditEntry
from imports import services as imports
from learning.access import HR_GROUP
from learning.choices import StaffStatus
from tests import factories as f
from tests.accounts import oidc
from tests.accounts.conftest import tools_present
from tests.imports.conftest import csv_bytes, person_row
from tests.sso.providers import post_form, start_oidc_provider
from tests.sso.tamper import TokenEndpointProxy

pytestmark = pytest.mark.django_db

ID_TOKEN_SECONDS = 120
ACCOUNTS = {
    "tess": {
        "email": "tess.teacher@bps.example",
        "email_verified": True,
        "given_name": "Tess",
        "family_name": "Teacher",
        "groups": ["staff", "pd-hr"],
    },
    "tess-married": {
        "email": "tess.married@bps.example",
        "email_verified": True,
        "given_name": "Tess",
        "family_name": "Married",
    },
    # Signs in with an alias the roster does not know, but the provider sends HR's employee id.
    "pat": {
        "email": "p.person@bps.example",
        "email_verified": True,
        "given_name": "Pat",
        "family_name": "Person",
        "employee_id": "F200002",
    },
    "stranger": {"email": "stranger@bps.example", "email_verified": True},
    "unverified": {"email": "una.verified@bps.example", "email_verified": False},
    "gone": {"email": "gone.away@bps.example", "email_verified": True},
    "outsider": {"email": "otto.outsider@elsewhere.example", "email_verified": True},
    # People a roster import adds (tests.imports.conftest.person_row, numbered 1 to 3).
    **{
        f"imported{number}": {"email": f"person{number}@bps.example", "email_verified": True}
        for number in (1, 2, 3)
    },
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with tools_present():
        running = start_oidc_provider(
            tmp_path_factory.mktemp("oidc"),
            clients=[oidc.CLIENT, oidc.OTHER_CLIENT],
            accounts=ACCOUNTS,
            ttl={"IdToken": ID_TOKEN_SECONDS},
        )
    with running:
        yield running


@pytest.fixture(scope="module")
def token_proxy(provider):
    discovery = requests.get(provider.discovery_url, timeout=oidc.TIMEOUT).json()
    with TokenEndpointProxy(discovery["token_endpoint"]) as proxy:
        yield proxy


@pytest.fixture
def sso(settings, provider, token_proxy):
    """The service configured for the provider, its token requests passing through the proxy
    (which changes nothing unless a test says so)."""
    token_proxy.change = None
    token_proxy.answers.clear()
    settings.SOCIALACCOUNT_PROVIDERS = oidc.provider_settings(
        provider.issuer, openid_configuration_overrides={"token_endpoint": token_proxy.url}
    )
    settings.SSO_ALLOWED_EMAIL_DOMAINS = ["bps.example"]
    return token_proxy


@pytest.fixture
def roster(building):
    return {
        "tess": f.StaffMemberFactory(
            employee_id="F100001",
            first_name="Tess",
            last_name="Teacher",
            email="Tess.Teacher@bps.example",
            building=building,
        ),
        "pat": f.StaffMemberFactory(
            employee_id="F200002", first_name="Pat", last_name="Person", email="pat@bps.example"
        ),
        "gone": f.StaffMemberFactory(
            employee_id="F300003",
            email="gone.away@bps.example",
            status=StaffStatus.SEPARATED,
            separated_on=dt.date(2026, 6, 30),
        ),
        "unverified": f.StaffMemberFactory(employee_id="F400004", email="una.verified@bps.example"),
    }


def refusals() -> list[dict]:
    return [
        {name: values[1] for name, values in entry.changes.items()}
        for entry in AuditEntry.objects.filter(action="refused", model="accounts.signin")
    ]


def assert_refused(response, *, says: str, reason: str) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert "You could not be signed in" in page
    assert says in page
    assert "_auth_user_id" not in response.wsgi_request.session
    (entry,) = refusals()
    assert entry["reason"] == reason


def test_a_person_on_the_roster_signs_in_and_their_login_is_made_then(client, sso, roster):
    assert not User.objects.exists()

    response = oidc.sign_in(client, "tess")

    assert response.status_code == 302
    tess = roster["tess"]
    tess.refresh_from_db()
    assert tess.user is not None and tess.user.is_active
    assert tess.user.email == "Tess.Teacher@bps.example"
    assert not tess.user.has_usable_password()
    assert SocialAccount.objects.get(user=tess.user).uid == "tess"
    me = client.get(reverse("enrollment:me"))
    assert me.status_code == 200
    assert "Tess Teacher" in me.content.decode()
    # The provider's sign-in is its own second factor; the session says how it was made.
    assert client.session["account_authentication_methods"][-1]["method"] == "socialaccount"
    assert not refusals()


def test_signing_in_again_opens_the_same_login(client, sso, roster):
    oidc.sign_in(client, "tess")
    first = User.objects.get()
    client.post(reverse("logout"))

    assert oidc.sign_in(client, "tess").status_code == 302

    assert list(User.objects.all()) == [first]
    assert client.get(reverse("enrollment:me")).status_code == 200


def test_an_address_changed_at_hr_keeps_the_same_login(client, sso, roster):
    oidc.sign_in(client, "tess")
    login = User.objects.get()
    client.post(reverse("logout"))
    tess = roster["tess"]
    tess.refresh_from_db()
    tess.email = "tess.married@bps.example"
    tess.last_name = "Married"
    tess.save()

    assert oidc.sign_in(client, "tess-married").status_code == 302

    login.refresh_from_db()
    assert list(User.objects.all()) == [login]
    assert login.email == "tess.married@bps.example"
    assert login.last_name == "Married"
    assert SocialAccount.objects.filter(user=login).count() == 2


def test_the_employee_id_claim_matches_before_the_address(client, sso, roster):
    response = oidc.sign_in(client, "pat")

    assert response.status_code == 302
    roster["pat"].refresh_from_db()
    assert roster["pat"].user is not None
    assert client.get(reverse("enrollment:me")).status_code == 200


def test_roles_come_from_the_group_claim_only_when_mapped(client, settings, sso, roster):
    hr = Group.objects.get(name=HR_GROUP)
    oidc.sign_in(client, "tess")
    assert not User.objects.get().groups.exists()
    client.post(reverse("logout"))

    settings.SSO_GROUP_ROLES = {"pd-hr": HR_GROUP}
    oidc.sign_in(client, "tess")

    assert list(User.objects.get().groups.all()) == [hr]


def test_someone_not_on_the_roster_gets_no_account(client, sso, roster):
    response = oidc.sign_in(client, "stranger")

    assert_refused(
        response,
        says="Nobody on the district&#x27;s staff roster has the address stranger@bps.example",
        reason="not_on_roster",
    )
    assert "Human Resources" in response.content.decode()
    assert not User.objects.exists()
    assert refusals()[0]["email"] == "stranger@bps.example"


def test_an_unverified_address_gets_no_account(client, sso, roster):
    response = oidc.sign_in(client, "unverified")

    assert_refused(response, says="has not verified your email address", reason="unverified")
    assert not User.objects.exists()


def test_a_separated_person_gets_no_account(client, sso, roster):
    response = oidc.sign_in(client, "gone")

    assert_refused(response, says="no longer work for the district", reason="separated")
    assert not User.objects.exists()
    assert AuditEntry.objects.get(action="refused").staff_id == roster["gone"].pk


def test_an_address_outside_the_districts_domains_gets_no_account(client, sso, roster):
    response = oidc.sign_in(client, "outsider")

    assert_refused(response, says="is not an address of the district", reason="domain")


def test_a_tampered_state_is_refused(client, sso, roster):
    back = oidc.at_provider(oidc.start(client), "tess")
    tampered = back.replace(f"state={oidc.query(back)['state']}", "state=forged-state-value")

    response = client.get(oidc.local(tampered))

    assert_refused(response, says="could not be trusted", reason="provider_error")
    assert not User.objects.exists()


def test_a_replayed_code_is_refused(client, sso, roster):
    first = oidc.at_provider(oidc.start(client), "tess")
    assert client.get(oidc.local(first)).status_code == 302
    client.post(reverse("logout"))
    second = oidc.at_provider(oidc.start(client), "tess")
    replayed = second.replace(oidc.query(second)["code"], oidc.query(first)["code"])

    response = client.get(oidc.local(replayed))

    assert_refused(response, says="could not be trusted", reason="provider_error")
    assert "invalid_grant" in sso.answers[-1].get("error", "")


def _resigned(answer: dict) -> dict:
    """The provider's ID token, its claims untouched, signed with a key that is not the
    provider's (under the provider's key id)."""
    token = answer["id_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": header["kid"]})
    return {**answer, "id_token": forged}


def test_a_wrongly_signed_id_token_is_refused(client, sso, roster):
    sso.change = _resigned

    response = oidc.sign_in(client, "tess")

    assert_refused(response, says="Signature verification failed", reason="provider_error")
    assert not User.objects.exists()


def test_an_unsigned_id_token_is_refused(client, sso, roster):
    def unsigned(answer):
        claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
        return {**answer, "id_token": jwt.encode(claims, None, algorithm="none")}

    sso.change = unsigned

    response = oidc.sign_in(client, "tess")

    assert_refused(response, says="not a public key", reason="provider_error")


def test_an_id_token_for_another_client_is_refused(client, sso, provider, roster):
    theirs = oidc.id_token_for_other_client(provider.issuer, "tess")
    sso.change = lambda answer: {**answer, "id_token": theirs}

    response = oidc.sign_in(client, "tess")

    assert_refused(response, says="Audience doesn", reason="provider_error")
    assert not User.objects.exists()


def test_an_id_token_of_another_sign_in_is_refused_by_its_nonce(client, sso, roster):
    """A token the provider issued to this service, for the same person, but for an earlier
    sign-in: its nonce is not this sign-in's."""
    oidc.sign_in(client, "tess")
    client.post(reverse("logout"))
    earlier = sso.answers[-1]["id_token"]
    sso.change = lambda answer: {**answer, "id_token": earlier}

    response = oidc.sign_in(client, "tess")

    assert_refused(response, says="nonce", reason="provider_error")


def test_an_expired_id_token_is_refused(client, sso, roster):
    back = oidc.at_provider(oidc.start(client), "tess")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ID_TOKEN_SECONDS + 60)

    with freeze_time(later, tick=True):
        response = client.get(oidc.local(back))

    assert_refused(response, says="Signature has expired", reason="provider_error")
    assert not User.objects.exists()


def test_cancelling_at_the_provider_signs_nobody_in(client, sso, roster):
    session = requests.Session()
    page = oidc.walk_to(session, oidc.start(client), oidc.CALLBACK)
    form = post_form(page.text)
    answer = session.post(
        urljoin(page.url, form.action),
        data={"login": "", "action": "cancel"},
        allow_redirects=False,
        timeout=oidc.TIMEOUT,
    )
    back = oidc.walk_to(session, urljoin(answer.url, answer.headers["Location"]), oidc.CALLBACK)
    assert oidc.query(back)["error"] == "access_denied"

    response = client.get(oidc.local(back), follow=True)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


def test_a_power_role_signed_in_through_the_provider_relies_on_its_second_factor(
    client, settings, sso, roster
):
    settings.SECOND_FACTOR_REQUIRED = True
    oidc.sign_in(client, "tess")
    User.objects.get().groups.add(Group.objects.get(name=HR_GROUP))
    client.post(reverse("logout"))

    oidc.sign_in(client, "tess")

    assert client.get(reverse("imports:index")).status_code == 200


def test_the_sign_in_page_lets_its_buttons_lead_to_the_provider(client, sso, provider):
    """Browsers hold a form's redirects to the page's form-action policy: the provider's own
    address is named there, or the button would do nothing."""
    response = client.get(reverse("login"))

    policy = response["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert provider.issuer in form_action and "'self'" in form_action
    assert f"Sign in with {oidc.PROVIDER_NAME}" in response.content.decode()


def test_everyone_a_roster_import_adds_signs_in_with_no_account_made_by_hand(sso, district):
    rows = [person_row(number, email=f"person{number}@bps.example") for number in (1, 2, 3)]
    preview = imports.roster_preview(source=csv_bytes(rows), file_name="roster.csv", actor=None)
    imports.roster_commit(run=preview.run, actor=None)
    assert not User.objects.exists()

    for number in (1, 2, 3):
        browser = Client()
        assert oidc.sign_in(browser, f"imported{number}").status_code == 302
        me = browser.get(reverse("enrollment:me"))
        assert me.status_code == 200
        assert f"First{number} Last{number}" in me.content.decode()

    assert User.objects.count() == 3
    assert all(user.staff_member.employee_id.startswith("9") for user in User.objects.all())

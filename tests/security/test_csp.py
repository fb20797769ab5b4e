"""The Content-Security-Policy: its directives, on every kind of response; and the main pages,
rendered from the demo as each role sees them, hold no inline script, no on*= handler, no
javascript: URL and no inline style, so the policy takes nothing away from them."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from catalog.models import Session
from demo import seed as demo

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"
# <script> elements that hold data, not code: the browser never runs them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, built once for this module inside a transaction that is rolled back after the
    last test; each test's changes roll back with its own savepoint. (Deleting the demo instead
    would leave its audit history behind for the modules that run next.)"""
    with django_db_blocker.unblock(), transaction.atomic():
        demo.build_demo()
        yield
        transaction.set_rollback(True)


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


class InlineCode(HTMLParser):
    """Collects what a strict policy blocks: scripts with code in the page, event-handler
    attributes, javascript: URLs, <style> elements and style attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts = 0
        self._in_code_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            self.scripts += 1
            kind = (attributes.get("type") or "").strip().lower()
            self._in_code_script = "src" not in attributes and kind not in DATA_SCRIPT_TYPES

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_code_script = False

    def handle_data(self, data):
        if self._in_code_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")


def inline_code(html: str) -> tuple[list[str], int]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found, parser.scripts


def test_the_policy_forbids_inline_code_framing_plugins_and_foreign_forms(client, db):
    response = client.get(reverse("catalog:index"))

    policy = directives(response[CSP])

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_the_scan_sees_what_the_policy_would_block():
    found, scripts = inline_code(
        '<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
        '<script src="/static/x.js"></script><a href="javascript:go()">x</a>'
        '<button onclick="go()">x</button><p style="color: red">x</p><style>p{}</style>'
    )

    assert scripts == 3
    assert len(found) == 5


MAIN_PAGES = [
    # (who, path or None for a demo session's page, what the page shows)
    (None, "/", "Catalog"),
    (None, "/catalog/", "Catalog"),
    (None, "session", "Seats"),
    (None, "/accounts/login/", "Sign in"),
    ("teacher", "/me/", "My learning"),
    ("teacher", "/me/transcript/", "Transcript"),
    ("teacher", "/api/docs/", "swagger-ui"),
    ("leader", "/leaders/", "Progress"),
    ("leader", "/leaders/approvals/", "Approvals"),
    ("districtpd", "/leaders/plan/", "Plan"),
    ("hr", "/hr/imports/", "Imports"),
    ("admin", "/admin/", "administration"),
    ("admin", "/admin/learning/staffmember/", "staff"),
]


@pytest.mark.parametrize(
    ("username", "path", "shows"),
    MAIN_PAGES,
    ids=[f"{user or 'anonymous'}:{path}" for user, path, _ in MAIN_PAGES],
)
def test_main_pages_carry_the_policy_and_no_inline_code(seeded, username, path, shows):
    if path == "session":
        path = reverse("catalog:session", args=[Session.objects.filter(status="published")[0].pk])
    response = client_for(username).get(path, follow=True)
    html = response.content.decode()

    found, scripts = inline_code(html)

    assert response.status_code == 200
    assert shows.lower() in html.lower()
    assert CSP in response
    assert found == []


def test_the_api_docs_start_up_script_is_a_file_of_its_own(seeded):
    client = client_for("teacher")
    page = client.get("/api/docs/")

    script = client.get("/api/docs/?script=")

    assert 'src="/api/docs/?script="' in page.content.decode()
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        (None, "/calendars/catalog.ics", 200),
        (None, "/api/v1/", 200),
        (None, "/api/schema/", 200),
        (None, "/no-such-page/", 404),
        (None, "/me/", 302),
        ("teacher", "/api/v1/enrollments/", 200),
        ("teacher", "/hr/imports/", 404),
        ("teacher", "/me/transcript.xlsx", 200),
        ("admin", "/admin/learning/building/add/", 200),
    ],
)
def test_every_kind_of_response_carries_the_policy(seeded, username, path, status):
    response = client_for(username).get(path)

    assert response.status_code == status
    assert directives(response[CSP])["script-src"] == ["'self'"]

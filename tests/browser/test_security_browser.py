"""In Chromium, under the Content-Security-Policy: the catalog draws its strand colours, the API
docs page runs Swagger UI and lists the operations, and the admin's pages and scripts work,
each without a single policy violation."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"


def record_violations(page: Page) -> list[str]:
    """Every blocked script, style, image or frame the browser reports on the page."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (event) => "
        "console.error('Content Security Policy: ' + event.violatedDirective + ' ' + "
        "event.blockedURI));"
    )
    return violations


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("banner")).to_contain_text("Signed in as")


def test_pages_work_under_the_policy_without_a_violation(live_server, page: Page):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    violations = record_violations(page)

    page.goto(f"{live_server.url}/catalog/")
    strand = page.locator("[data-strand-colour]").first
    expected = strand.get_attribute("data-strand-colour")
    colour = strand.evaluate("e => getComputedStyle(e).getPropertyValue('--strand-colour')")
    assert colour.strip().lower() == expected.lower()

    sign_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Professional Learning API")

    page.context.clear_cookies()
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("administration")
    page.goto(f"{live_server.url}/admin/catalog/session/")
    # The changelist's select-all box is the admin's JavaScript at work.
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text(re.compile(r"[1-9]\d* of"))
    page.goto(f"{live_server.url}/admin/catalog/session/add/")
    expect(page.locator("#session_form")).to_be_visible()

    assert violations == []


def test_a_form_sent_after_signing_in_again_elsewhere_shows_the_sites_page(live_server, page: Page):
    """A page left open while the person signed out and in again in another tab (which renews
    the CSRF token): its form is refused with the site's own page, under the policy, saying to
    reload."""
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    violations = record_violations(page)
    sign_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/me/")
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server.url}/catalog/")
    other_tab.get_by_role("button", name="Sign out").click()
    sign_in(other_tab, live_server.url, "teacher")
    other_tab.close()

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign out").click()

    assert navigation.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    expect(page.get_by_role("main")).to_contain_text("reload the page and try again.")
    # The site's own frame: still signed in, with its navigation.
    expect(page.get_by_role("banner")).to_contain_text("Signed in as")
    assert violations == []

"""In Chromium: the demo teacher signs in and finds the catalog with the plan's strands."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_teacher_signs_in_and_finds_the_catalog(live_server, page: Page):
    # Django's test runner turns DEBUG off, which seed_demo otherwise takes for production.
    call_command("seed_demo", allow_without_debug=True, verbosity=0)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill("better-together")
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    # A teacher starts on My learning; the catalog is one click away.
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("banner")).to_contain_text("Signed in as Maya Thompson")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Catalog")
    for strand in ("Culturally Responsive Teaching", "Restorative Practices", "Social Emotional"):
        expect(page.get_by_role("heading", level=2, name=re.compile(strand))).to_be_visible()
    expect(page.get_by_text(re.compile(r"seats? left|waitlist", re.I)).first).to_be_visible()

    page.get_by_label("Strand").select_option(label="Restorative Practices")
    page.get_by_role("button", name=re.compile("filter", re.I)).click()
    expect(page).to_have_url(re.compile(r"[?&]strand=rp(&|$)"))
    expect(page.get_by_role("heading", level=2, name="Restorative Practices")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Culturally Responsive"))).to_have_count(0)

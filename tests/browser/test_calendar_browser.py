"""In Chromium: the feed address on /me/ is copied with the button where JavaScript runs, and is
still there to select by hand where it does not."""

import re

import pytest
from playwright.sync_api import Browser, expect

from calendars.models import FeedToken
from tests.factories import PASSWORD, StaffMemberFactory, login_for

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/me/"))


@pytest.mark.parametrize("javascript", [True, False])
def test_the_feed_address_can_be_copied(live_server, browser: Browser, javascript):
    staff = StaffMemberFactory(first_name="Tess", last_name="Teacher")
    login_for(staff, username="tess")
    context = browser.new_context(java_script_enabled=javascript)
    if javascript:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.url, "tess")

    page.goto(f"{live_server.url}/me/")

    key = FeedToken.objects.get(staff=staff).key
    field = page.get_by_label("Your feed address")
    expect(field).to_have_value(re.compile(rf"/calendars/feed/{key}\.ics$"))
    expect(field).to_have_attribute("readonly", "")
    copy = page.get_by_role("button", name="Copy the feed address")
    if not javascript:
        expect(copy).to_be_hidden()
        return
    copy.click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()

"""In Chromium, for every demo login: the header is two rows by design at 1280 px (the
service's name and who is signed in, then the menu on one line), and stays short on a 390 px
phone, where the menu scrolls sideways inside itself and the page does not."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"
LOGINS = ("teacher", "facilitator", "leader", "districtpd", "hr", "admin")


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_header_fits_every_role_at_1280_and_on_a_phone(live_server, browser: Browser):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    for width, most_height in ((1280, 130), (390, 170)):
        for username in LOGINS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            sign_in(page, live_server.url, username)
            page.goto(f"{live_server.url}/catalog/")
            header = box(page, "header.site-header")
            label = f"{username} at {width} px"
            assert header["height"] <= most_height, (label, header)
            # The menu is one line: every item on the same row.
            tops = {
                round(item["y"])
                for item in (
                    link.bounding_box() for link in page.locator(".site-nav__list > li").all()
                )
            }
            assert len(tops) == 1, (label, tops)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, label
            context.close()


def test_on_a_phone_the_menu_shows_the_current_page_s_item(live_server, browser: Browser):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server.url, "districtpd")

    page.goto(f"{live_server.url}/leaders/approvals/")
    current = page.locator('.site-nav [aria-current="page"]')

    # "Approvals", then how many wait.
    expect(current).to_have_text(re.compile(r"^Approvals( \d+ waiting)?$"))
    place = current.bounding_box()
    assert place["x"] >= 0 and place["x"] + place["width"] <= 390, place
    context.close()

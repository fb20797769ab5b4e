"""In Chromium, at a desktop's 1280 px and a phone's 390 px: the demo teacher sees what the plan
requires of her on My learning, the catalog marks her places and what she may join, and a
session page says before any click why she cannot enroll, or that she is enrolling again. No page
is wider than the window."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from catalog.models import Meeting, Session

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"
WIDTHS = (1280, 390)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def assert_fits(page: Page, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide in a {width} px window"


def upcoming(code: str) -> Session:
    return (
        Session.objects.filter(course__code=code, meetings__starts_at__gt=timezone.now())
        .distinct()
        .order_by("pk")
        .first()
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_teacher_is_told_before_she_clicks(live_server, browser: Browser, width):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "teacher")

    page.goto(f"{live_server.url}/me/")
    required = page.get_by_role("region", name="Required of you")
    expect(required).to_contain_text("RP-101")
    expect(required).to_contain_text("Due Jun 30")
    expect(page.get_by_role("region", name="Evaluation due")).to_contain_text("Adult SEL")
    # How many of her places were assigned depends on how far the demo's sessions are from
    # today; each one names who assigned it.
    expect(page.get_by_text(re.compile(r"^Assigned to you by \w+ \w+")).first).to_be_visible()
    assert_fits(page, width)

    page.goto(f"{live_server.url}/catalog/")
    expect(page.get_by_text(re.compile(r"^Required for you by")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^You completed it")).first).to_be_visible()
    expect(page.get_by_text("You are enrolled").first).to_be_visible()
    assert_fits(page, width)

    page.goto(f"{live_server.url}/catalog/sessions/{upcoming('dei-201').pk}/")
    panel = page.locator(".enrollment-panel")
    expect(panel).to_contain_text("This session is only for Assistant Principal or Principal.")
    expect(panel.get_by_role("button")).to_have_count(0)
    assert_fits(page, width)

    # The certificate prints without the site around it.
    page.goto(f"{live_server.url}/me/transcript/")
    page.get_by_role("link", name=re.compile("^Certificate")).first.click()
    page.emulate_media(media="print")
    expect(page.locator(".certificate")).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.get_by_role("link", name="Download as PDF")).to_be_visible()

    page.goto(f"{live_server.url}/catalog/sessions/{upcoming('sel-101').pk}/")
    expect(page.locator(".enrollment-panel")).to_contain_text("You completed this course on")
    page.get_by_role("button", name="Enroll again").click()
    expect(page.get_by_role("status")).to_contain_text("You are enrolled")
    assert_fits(page, width)
    context.close()


def pages_of_this_work() -> dict[str, list[str]]:
    """The pages of the teachers' and facilitators' work, per demo login."""
    today = Meeting.objects.get(session__title="Drop-in circle lab")
    session = today.session_id
    return {
        "teacher": [
            "/me/",
            "/catalog/",
            "/catalog/?q=social+emotional",
            f"/catalog/sessions/{upcoming('dei-201').pk}/",
            f"/catalog/sessions/{upcoming('crt-301').pk}/",
            "/me/outside/",
            "/check-in/",
            "/me/transcript/",
        ],
        "facilitator": [
            "/teaching/",
            f"/sessions/{session}/meetings/{today.pk}/check-in/",
            f"/sessions/{session}/meetings/{today.pk}/attendance/",
            f"/sessions/{session}/roster/",
        ],
        "districtpd": ["/outside/review/", "/teaching/"],
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_of_this_work_is_wider_than_the_window(live_server, browser: Browser, width):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    for username, paths in pages_of_this_work().items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, live_server.url, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (username, path, response.status)
            assert_fits(page, width)
        context.close()

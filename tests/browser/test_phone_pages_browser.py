"""Every page of the leaders' and HR's work on a phone (390 px) and a desktop (1280 px), in the
demo's data: nothing scrolls the page sideways; tables stack their rows or scroll in their own
box only with their row names kept in view; chart labels are drawn at a readable size; at 1280
px the staff list shows its columns whole."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from catalog.models import Session
from learning.models import Requirement, StaffMember

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Boxes that scroll sideways on purpose: a comparison keeps its first column in view (sticky),
# a chart keeps its labels readable.
SCROLLING_ON_PURPOSE = ".chart-box, .report-scroll:has(.rate-table)"

# Boxes that scroll sideways (visually hidden text aside, which is clipped to a pixel).
OVERFLOW = """(allowed) => [...document.querySelectorAll('main *')]
    .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
        && el.scrollWidth > el.clientWidth + 1 && !el.matches(allowed))
    .map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'))"""

SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg.chart text')]
    .map(t => t.getBoundingClientRect().height).filter(h => h > 0), 99)"""


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def pages() -> dict[str, list[str]]:
    requirement = (
        Requirement.objects.filter(course__code="rp-101").order_by("-goal__plan_year__ends_on")
    ).first()
    session = Session.objects.filter(course__code="rp-101").order_by("-pk").first()
    teacher = StaffMember.objects.get(user__username="teacher")
    leaders = [
        "/leaders/start/",
        "/leaders/",
        "/leaders/people/?state=outstanding",
        "/leaders/outstanding/",
        "/leaders/approvals/",
        "/leaders/plan/",
        "/leaders/subscriptions/",
        f"/sessions/{session.pk}/assign/?requirement={requirement.pk}",
    ]
    return {
        "leader": leaders,
        "districtpd": [*leaders, "/outside/review/", f"/staff/{teacher.pk}/history/"],
        "hr": ["/hr/", "/hr/staff/", "/hr/staff/?q=thompson", "/hr/imports/"],
    }


def test_leaders_and_hr_pages_fit_a_phone(live_server, browser: Browser):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    problems = []
    for username, paths in pages().items():
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        sign_in(page, live_server.url, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (username, path, response.status)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                problems.append(f"{username} {path}: the page is {wide} px wide")
            for box in page.evaluate(OVERFLOW, SCROLLING_ON_PURPOSE):
                problems.append(f"{username} {path}: {box} scrolls sideways")
            smallest = page.evaluate(SMALLEST_CHART_TEXT)
            if smallest < 10:
                problems.append(f"{username} {path}: chart text {smallest:.1f} px tall")
        context.close()

    assert not problems, "\n".join(problems)


def test_the_staff_list_shows_its_columns_whole_at_1280(live_server, browser: Browser):
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server.url, "hr")

    page.goto(f"{live_server.url}/hr/staff/")

    table = page.locator("table.staff-table")
    expect(table.locator("thead th")).to_have_count(7)
    right = table.evaluate("t => t.getBoundingClientRect().right")
    assert right <= DESKTOP["width"]
    # Each column's header is on screen and no cell is cut: an address wraps.
    clipped = table.evaluate(
        "t => [...t.querySelectorAll('td, th')].filter(c => c.scrollWidth > c.clientWidth + 1)"
        ".length"
    )
    assert clipped == 0
    expect(page.get_by_role("link", name=re.compile(r"^History of ")).first).to_be_visible()

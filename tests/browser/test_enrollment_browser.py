"""In Chromium: the demo teacher takes the last seat of a session, the demo leader joins its
waitlist, the teacher withdraws, and the leader gets the seat."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from catalog.models import Session
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.selectors import sessions_with_seats

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def seats(page: Page):
    return page.locator(".facts").filter(has_text="Seats").first


def test_last_seat_taken_then_released_to_the_waitlist(live_server, page: Page, browser: Browser):
    # Django's test runner turns DEBUG off, which seed_demo otherwise takes for production.
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    session = (
        sessions_with_seats(Session.objects.filter(course__code="sel-210"))
        .filter(seats_left=1, meetings__starts_at__gt=timezone.now())
        .get()
    )
    url = f"{live_server.url}/catalog/sessions/{session.pk}/"

    sign_in(page, live_server.url, "teacher")
    page.goto(url)
    expect(page.get_by_text("1 of 30 seats left")).to_be_visible()
    page.get_by_role("button", name="Enroll").click()

    expect(page.get_by_role("status")).to_contain_text("You are enrolled")
    expect(page.get_by_text("You are enrolled.")).to_be_visible()
    expect(page.get_by_text("Full", exact=True)).to_be_visible()
    expect(page.get_by_text("1 of 30 seats left")).to_have_count(0)

    leader_context = browser.new_context()
    leader = leader_context.new_page()
    sign_in(leader, live_server.url, "leader")
    leader.goto(url)
    leader.get_by_role("button", name="Join the waitlist").click()
    expect(leader.get_by_text("You are number 1 on the waitlist.")).to_be_visible()

    page.reload()
    expect(page.get_by_text(re.compile(r"waitlist of 1"))).to_be_visible()
    page.get_by_role("link", name="Withdraw…").click()
    expect(page.get_by_role("main")).to_contain_text("You give up your seat")
    expect(page.get_by_role("main")).to_contain_text("first of the 1 people on the waitlist")
    page.get_by_role("button", name="Yes, withdraw").click()
    expect(page.get_by_role("status")).to_contain_text("withdrawn")
    expect(page.get_by_role("button", name="Join the waitlist")).to_be_visible()

    leader.reload()
    expect(leader.get_by_text("You are enrolled.")).to_be_visible()
    promoted = Enrollment.objects.get(session=session, staff__user__username="leader")
    assert promoted.status == EnrollmentStatus.ENROLLED
    leader.goto(f"{live_server.url}/me/")
    expect(leader.get_by_role("link", name=re.compile("Adult SEL")).first).to_be_visible()
    leader_context.close()

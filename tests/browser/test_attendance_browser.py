"""In Chromium at a phone's 390 px: a facilitator shows the check-in code from "Sessions I lead",
a participant types it on their phone and is marked present; the facilitator checks everyone on
the sheet at once, unticks one, and saves through a dropped connection without losing a mark.
No page is wider than the phone."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from enrollment import checkin
from enrollment.models import Attendance
from tests.factories import (
    PASSWORD,
    EnrollmentFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def assert_fits(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{page.url} is {wide} px wide on a phone"


def test_check_in_from_a_phone_and_the_whole_sheet_at_once(
    live_server, browser: Browser, facilitator, teacher
):
    session = SessionFactory(title="Circle lab")
    session.facilitators.add(facilitator)
    now = timezone.now()
    meeting = MeetingFactory(
        session=session,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=85),
    )
    mine = EnrollmentFactory(staff=teacher, session=session)
    others = []
    for first in ("Ana", "Ben", "Cleo"):
        staff = StaffMemberFactory(first_name=first, last_name="Lee")
        login_for(staff)
        others.append(EnrollmentFactory(staff=staff, session=session))

    lead = browser.new_context(viewport=PHONE).new_page()
    sign_in(lead, live_server.url, "facilitator")
    lead.get_by_role("link", name="Sessions I lead").click()
    assert_fits(lead)
    lead.get_by_role("link", name=re.compile("Show the check-in code")).click()
    expect(lead.locator(".check-in-screen__qr svg")).to_be_visible()
    code = lead.locator(".check-in-screen__code").inner_text().strip()
    assert code == checkin.current_code(meeting, timezone.now())
    assert_fits(lead)

    phone = browser.new_context(viewport=PHONE).new_page()
    sign_in(phone, live_server.url, "teacher")
    phone.goto(f"{live_server.url}/check-in/")
    phone.get_by_label("Check-in code").fill(code.lower())
    phone.get_by_role("button", name="Check me in").click()
    expect(phone.get_by_role("status")).to_contain_text("You are checked in")
    assert_fits(phone)
    mark = Attendance.objects.get(enrollment=mine)
    assert (mark.present, mark.recorded_by.username) == (True, "teacher")

    lead.goto(f"{live_server.url}/sessions/{session.pk}/meetings/{meeting.pk}/attendance/")
    expect(lead.locator(f"#present-{mine.pk}")).to_be_checked()
    lead.get_by_role("button", name="Check everyone present").click()
    for enrollment in others:
        expect(lead.locator(f"#present-{enrollment.pk}")).to_be_checked()
    lead.get_by_label("Ben Lee").uncheck()
    assert_fits(lead)

    lead.context.set_offline(True)
    lead.get_by_role("button", name="Save attendance").click()
    expect(lead.locator("[data-save-status]")).to_contain_text("Not saved")
    expect(lead.locator(f"#present-{others[0].pk}")).to_be_checked()
    expect(lead.get_by_label("Ben Lee")).not_to_be_checked()
    assert Attendance.objects.count() == 1

    lead.context.set_offline(False)
    lead.get_by_role("button", name="Save attendance").click()
    expect(lead.get_by_role("status")).to_contain_text("3 present, 1 absent")
    marks = dict(Attendance.objects.values_list("enrollment__staff__first_name", "present"))
    assert marks == {teacher.first_name: True, "Ana": True, "Ben": False, "Cleo": True}


def test_the_check_in_screen_keeps_its_code_current_without_reloading(
    live_server, browser: Browser, facilitator, teacher, settings
):
    """The screen stays up for a whole meeting: its code, QR and count follow the server
    without a <meta> refresh (a WCAG failure) and without the page being loaded again; when the
    server cannot be reached it says so and keeps trying."""
    settings.CHECK_IN_CODE_SECONDS = 2
    session = SessionFactory(title="Circle lab")
    session.facilitators.add(facilitator)
    now = timezone.now()
    meeting = MeetingFactory(
        session=session,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=85),
    )
    place = EnrollmentFactory(staff=teacher, session=session)

    lead = browser.new_context(viewport=PHONE).new_page()
    sign_in(lead, live_server.url, "facilitator")
    lead.goto(f"{live_server.url}/sessions/{session.pk}/meetings/{meeting.pk}/check-in/")
    assert lead.locator('meta[http-equiv="refresh"]').count() == 0
    expect(lead.locator("#check-in-reload")).to_be_hidden()
    first = lead.locator(".check-in-screen__code").inner_text().strip()
    lead.evaluate("window.sameDocument = true")
    Attendance.objects.create(enrollment=place, meeting=meeting, present=True)

    expect(lead.locator(".check-in-screen__code")).not_to_have_text(first)
    expect(lead.locator("#check-in-live")).to_contain_text("1 of 1")
    assert lead.evaluate("window.sameDocument") is True

    lead.context.set_offline(True)
    expect(lead.locator("#check-in-status")).to_contain_text("could not be reached")
    lead.context.set_offline(False)
    expect(lead.locator("#check-in-status")).to_have_text("")
    assert lead.evaluate("window.sameDocument") is True

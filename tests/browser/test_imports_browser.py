"""In Chromium: the demo HR login uploads a small roster (three demo staff as they are, and one
new person), reads the preview and confirms it; the new person is then on the staff list."""

import csv
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from learning.choices import StaffStatus
from learning.models import StaffMember

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"
HEADER = ["Employee ID", "First Name", "Last Name", "Email", "Building", "Position"]


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_hr_uploads_a_roster_reads_the_preview_and_confirms(live_server, page: Page, tmp_path):
    # Django's test runner turns DEBUG off, which seed_demo otherwise takes for production.
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    known = list(
        StaffMember.objects.filter(
            status=StaffStatus.ACTIVE, building__isnull=False, position__isnull=False
        )
        .select_related("building", "position")
        .order_by("pk")[:3]
    )
    building, position = known[0].building, known[0].position
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for person in known:
            writer.writerow(
                [
                    person.employee_id,
                    person.first_name,
                    person.last_name,
                    person.email,
                    person.building.code,
                    person.position.code,
                ]
            )
        writer.writerow(
            [
                "NEW-0001",
                "Nadia",
                "Newcomb",
                "nadia.newcomb@example.org",
                building.code,
                position.code,
            ]
        )

    sign_in(page, live_server.url, "hr")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("File", exact=True).set_input_files(str(roster))
    page.get_by_role("button", name="Preview").click()

    expect(page.locator(".import-counts")).to_contain_text("To create")
    create_count = page.locator(".import-counts div").filter(has_text="To create").locator("dd")
    expect(create_count).to_have_text("1")
    expect(page.locator(".import-creates")).to_contain_text("Nadia Newcomb")
    assert not StaffMember.objects.filter(employee_id="NEW-0001").exists()
    page.get_by_role("button", name="Confirm and apply these changes").click()

    expect(page.get_by_role("status")).to_contain_text("Committed: 1 created")
    newcomer = StaffMember.objects.get(employee_id="NEW-0001")
    assert (newcomer.building, newcomer.position) == (building, position)

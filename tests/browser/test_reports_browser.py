"""In Chromium: the demo building leader opens the progress page, reads their building's rate
for a requirement, and downloads the completions workbook."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.seed import demo_logins
from learning.models import StaffMember
from plan.progress import Filters, Scope, default_plan_year, progress_report

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "better-together"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_leader_reads_their_rate_and_downloads_the_workbook(live_server, page: Page):
    # Django's test runner turns DEBUG off, which seed_demo otherwise takes for production.
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    assert any(login.username == "leader" for login in demo_logins())
    leader = StaffMember.objects.get(user__username="leader")
    building = leader.leads_buildings.get()
    # The page's defaults: the plan year holding today, counted as of today.
    report = progress_report(
        scope=Scope(frozenset({building.pk})),
        filters=Filters(plan_year=default_plan_year()),
        as_of=timezone.localdate(),
    )
    counted = next(item for item in report.requirements if item.tally.audience)
    tally = counted.by_building[building.pk]
    shown = f"{tally.percent:g}%"

    sign_in(page, live_server.url, "leader")
    page.goto(f"{live_server.url}/leaders/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(building.name)
    comparison = page.locator("#by-building")
    row = comparison.get_by_role("row").filter(has_text=building.name)
    expect(row).to_contain_text(f"{shown} {tally.completed}/{tally.audience}")
    # Only the leader's own building is compared.
    expect(comparison.locator("tbody tr")).to_have_count(1)
    chart = page.locator("svg#chart-buildings, svg[aria-labelledby^='chart-buildings']")
    expect(chart).to_have_attribute("role", "img")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download the completions workbook")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert download.failure() is None

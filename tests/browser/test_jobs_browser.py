"""In Chromium, at a phone's width: a long job's page follows the job without a reload. HR's
roster preview waits for the worker; when the worker has run it, the page says it is done, hides
the bar and the "you can leave" line, and links to the preview."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests import factories as f
from worker import jobs

pytestmark = pytest.mark.django_db(transaction=True)

ROSTER = (
    "Employee ID,First Name,Last Name,Email,Building,Position\n"
    "N0001,Nadia,Newcomb,nadia.newcomb@example.org,maple,teacher\n"
)


def test_the_job_page_follows_the_job_until_it_is_done(live_server, page: Page, settings):
    # The queue keeps the job: the test plays the worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    f.BuildingFactory(code="maple", name="Maple Elementary")
    f.PositionFactory(code="teacher", name="Teacher")
    hr = f.StaffMemberFactory(first_name="Harper", last_name="Records")
    user = f.login_for(hr, username="hr", groups=[f.HR_GROUP])
    job = jobs.start(
        kind="import_preview",
        title="The roster preview of roster.csv",
        user=user,
        params={
            "kind": "roster",
            "mapping": {},
            "sync": False,
            "create_missing": False,
            "skip_invalid": False,
        },
        payload=ROSTER.encode(),
        payload_name="roster.csv",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("hr")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.goto(live_server.url + reverse("jobs:job", args=[job.pk]))
    status = page.locator("[data-job-status]")
    expect(status).to_have_text(re.compile(r"Waiting to start"))
    expect(page.get_by_text("You can leave this page")).to_be_visible()

    jobs.run(job.pk)

    expect(status).to_have_text(
        "Done. The preview is ready: read it, then commit it from its page."
    )
    expect(page.locator("progress")).to_be_hidden()
    expect(page.get_by_text("You can leave this page")).to_be_hidden()
    page.get_by_role("link", name="See the preview").click()
    expect(page).to_have_url(re.compile(r"/hr/imports/\d+/$"))
    expect(page.get_by_text("Nadia Newcomb").first).to_be_visible()

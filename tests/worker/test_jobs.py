"""Long jobs: a large roster's preview and commit, and a large district's workbook, run by the
worker while the page shows how far it has got; the owner is mailed when it finishes; the API
answers 202 with the job to poll when asked (`Prefer: respond-async`); a job run twice does
nothing twice; a job is its owner's alone."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from imports.choices import ImportOutcome
from imports.models import ImportRun
from learning.models import StaffMember
from tests.imports import conftest as imports_conftest
from tests.imports.conftest import DATA, csv_bytes, person_row
from tests.plan import test_report_pages as report_pages
from worker import jobs
from worker.models import Job, JobStatus

pytestmark = pytest.mark.django_db

INDEX = "/hr/imports/"
ROSTER_IDS = ["000101", "000102", "000103", "000104", "4417", "000106", "000107", "000108"]

# The roster files' district, and the report pages' one for the workbook.
district = imports_conftest.district
today = report_pages.today
plan = report_pages.plan


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def background(settings):
    """Every import and workbook large enough for the worker."""
    settings.IMPORT_BACKGROUND_MIN_BYTES = 1
    settings.IMPORT_BACKGROUND_MIN_CHANGES = 1
    settings.WORKBOOK_BACKGROUND_MIN_ROWS = 1


def upload(client, content: bytes, name="roster.csv"):
    return client.post(INDEX, {"file": SimpleUploadedFile(name, content), "kind": "roster"})


def test_a_large_roster_is_previewed_and_committed_by_the_worker(
    client, hr, district, background, mailed
):
    client.force_login(hr.user)

    with mailed as outbox:
        response = upload(client, (DATA / "roster.csv").read_bytes())

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    run = ImportRun.objects.get()
    assert (job.status, job.result_url) == (JobStatus.DONE, reverse("imports:run", args=[run.pk]))
    assert job.payload is None  # the file is not kept once read
    assert (job.done, job.total) == (8, 8)
    page = text_of(client.get(response["Location"]))
    assert "Done. The preview is ready: read it, then commit it from its page." in page
    assert "See the preview" in page
    (mail,) = outbox
    assert mail.to == [hr.email]
    assert mail.subject == "Ready: The roster preview of roster.csv"
    assert f"/hr/imports/{run.pk}/" in mail.body
    assert StaffMember.objects.filter(employee_id__in=ROSTER_IDS).count() == 0

    outbox.clear()
    with mailed as outbox:
        committed = client.post(f"{INDEX}{run.pk}/commit/")

    commit_job = Job.objects.exclude(pk=job.pk).get()
    assert committed["Location"] == reverse("jobs:job", args=[commit_job.pk])
    assert commit_job.status == JobStatus.DONE
    assert commit_job.message.startswith("Committed: 8 created")
    assert StaffMember.objects.filter(employee_id__in=ROSTER_IDS).count() == 8
    assert [m.subject for m in outbox] == ["Ready: The commit of roster.csv"]


def test_the_page_of_a_job_still_running_says_you_may_leave(client, hr, district, background):
    client.force_login(hr.user)
    # Not committed: the worker has not taken it yet.
    response = upload(client, csv_bytes([person_row(1)]))

    page = client.get(response["Location"])
    text = text_of(page)
    assert "Waiting to start: Waiting for the worker" in text
    assert "You can leave this page: we will mail you when it is done" in text
    assert "<progress" in page.content.decode()
    state = client.get(reverse("jobs:state", args=[Job.objects.get().pk])).json()
    assert state["status"] == "queued" and state["finished"] is False


def test_an_unreadable_file_fails_the_job_with_the_readers_message(
    client, hr, district, background, mailed
):
    client.force_login(hr.user)

    with mailed as outbox:
        upload(client, b"%PDF-1.7 not a spreadsheet", name="roster.pdf")

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "PDF" in job.message
    run = ImportRun.objects.get()
    assert run.outcome == ImportOutcome.REFUSED
    assert job.result_url == reverse("imports:run", args=[run.pk])
    assert [m.subject for m in outbox] == ["Failed: The roster preview of roster.pdf"]
    assert "Failed." in text_of(client.get(reverse("jobs:job", args=[job.pk])))


def test_a_job_run_again_does_nothing_twice(client, hr, district, background, mailed):
    client.force_login(hr.user)
    with mailed:
        upload(client, (DATA / "roster.csv").read_bytes())
    job = Job.objects.get()

    assert jobs.run(job.pk) == JobStatus.DONE
    assert ImportRun.objects.count() == 1


def test_a_commit_already_in_when_its_job_runs_again_is_not_applied_twice(
    client, hr, district, background, mailed
):
    client.force_login(hr.user)
    with mailed:
        upload(client, (DATA / "roster.csv").read_bytes())
    run = ImportRun.objects.get()
    with mailed:
        client.post(f"{INDEX}{run.pk}/commit/")
    commit_job = Job.objects.get(kind="import_commit")
    # As if the worker died after the commit and before marking its job done.
    Job.objects.filter(pk=commit_job.pk).update(status=JobStatus.RUNNING)

    assert jobs.run(commit_job.pk) == JobStatus.DONE
    assert StaffMember.objects.filter(employee_id__in=ROSTER_IDS).count() == 8


def test_a_job_is_its_owners_alone(client, hr, district_pd, background):
    job = jobs.start(kind="workbook", title="The completions workbook", user=hr.user)
    client.force_login(district_pd.user)

    for name in ("jobs:job", "jobs:state", "jobs:file"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


# -- the API -------------------------------------------------------------------------------------


def test_the_api_answers_202_with_a_job_to_poll_when_asked(hr, district, background, mailed):
    api = APIClient()
    api.force_authenticate(hr.user)

    with mailed:
        response = api.post(
            "/api/v1/imports/",
            {"file": SimpleUploadedFile("roster.csv", (DATA / "roster.csv").read_bytes())},
            format="multipart",
            HTTP_PREFER="respond-async",
        )

    assert response.status_code == 202
    job = Job.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/jobs/{job.pk}/"
    polled = api.get(response["Location"]).json()
    assert polled["status"] == "done" and polled["finished"] is True
    run = ImportRun.objects.get()
    assert polled["result_url"] == f"/hr/imports/{run.pk}/"

    with mailed:
        committed = api.post(
            f"/api/v1/imports/{run.pk}/commit/", {}, format="json", HTTP_PREFER="respond-async"
        )

    assert committed.status_code == 202
    assert api.get(committed["Location"]).json()["message"].startswith("Committed: 8 created")
    assert StaffMember.objects.filter(employee_id__in=ROSTER_IDS).count() == 8


def test_without_asking_the_api_answers_as_before(hr, district, background):
    api = APIClient()
    api.force_authenticate(hr.user)

    response = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("roster.csv", csv_bytes([person_row(1)]))},
        format="multipart",
    )

    assert response.status_code == 201
    assert not Job.objects.exists()


# -- the workbook --------------------------------------------------------------------------------


def test_a_large_districts_workbook_is_written_by_the_worker(
    client, district_pd, plan, background, mailed
):
    client.force_login(district_pd.user)
    dashboard = client.get(reverse("leaders:dashboard"))
    assert "Prepare the completions workbook" in text_of(dashboard)
    direct = client.get(reverse("leaders:workbook"))

    with mailed as outbox:
        response = client.post(reverse("leaders:workbook-prepare"), {})

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    assert job.status == JobStatus.DONE
    download = client.get(reverse("jobs:file", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == direct["Content-Disposition"]
    made = load_workbook(io.BytesIO(download.content))
    expected = load_workbook(io.BytesIO(direct.content))
    assert made.sheetnames == expected.sheetnames
    assert [m.subject for m in outbox] == ["Ready: The completions workbook"]


def test_a_small_districts_workbook_still_downloads_at_once(client, district_pd, plan):
    client.force_login(district_pd.user)

    dashboard = text_of(client.get(reverse("leaders:dashboard")))

    assert "Download the completions workbook" in dashboard
    assert "Prepare the completions workbook" not in dashboard

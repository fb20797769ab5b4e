"""export_all from the browser: an administrator starts it, the worker writes and zips it, the
zip holds what the command writes, and the worker's housekeeping deletes the zip a day later.
Nobody else has the page."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from tests.data_safety.dataset import seed_district
from worker.models import Job, JobStatus
from worker.tasks import housekeeping

pytestmark = pytest.mark.django_db

EXPORT = reverse("backups:export")


def test_an_administrator_exports_from_the_browser(client, mailed):
    seed_district()
    client.force_login(User.objects.get(username="admin", is_superuser=True))
    assert "Prepare the export" in client.get(EXPORT).content.decode()

    with mailed as outbox:
        response = client.post(EXPORT)

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    assert job.status == JobStatus.DONE, job.message
    download = client.get(reverse("jobs:file", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"]
    files = set(archive.namelist())
    assert {table["file"] for table in manifest["tables"]} <= files
    staff = next(t for t in manifest["tables"] if t["model"] == "learning.staffmember")
    assert len(json.loads(archive.read(staff["file"]))) == staff["rows"] > 0
    assert [m.subject for m in outbox] == ["Ready: A full export of the database"]


@pytest.mark.parametrize("role", ["teacher", "district_pd", "hr"])
def test_nobody_else_has_the_page(client, role, request):
    client.force_login(request.getfixturevalue(role).user)

    assert client.get(EXPORT).status_code == 404
    assert client.post(EXPORT).status_code == 404
    assert not Job.objects.exists()


def test_the_zip_is_deleted_a_day_later(client, admin_user, mailed):
    client.force_login(admin_user)
    with mailed:
        client.post(EXPORT)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))

    assert housekeeping.call()["job_files"] == 1

    assert client.get(reverse("jobs:file", args=[job.pk])).status_code == 404

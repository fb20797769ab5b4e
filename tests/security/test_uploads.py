"""Uploaded files are never served back as HTML: a file named evil.html holding <script>,
uploaded through the HR page and the API, shows up only escaped in pages, and every download
or API answer that echoes its name or cells is a non-HTML type, nosniff, and (downloads) an
attachment."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from imports.models import ImportRun
from imports.readers import MSG_HTML
from tests.imports.conftest import csv_bytes, person_row

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(document.domain)</script>"
EVIL_NAME = "evil.html"
HTML_FILE = f"<!doctype html><html><body>{PAYLOAD}</body></html>".encode()
# A readable roster whose one row is wrong (an unknown building) and carries the payload in its
# cells, so the run's page, its error reports and the API all echo them.
CSV_FILE = csv_bytes(
    [person_row(1, building=PAYLOAD, first_name=PAYLOAD, email=f"{PAYLOAD}@example.org")]
)


def assert_not_html_with_payload(response):
    """A page of ours may be HTML, with the payload escaped; anything else is not HTML."""
    body = response.content
    if response["Content-Type"].startswith("text/html"):
        assert PAYLOAD.encode() not in body
    assert response["X-Content-Type-Options"] == "nosniff"


def assert_download(response, content_type: str):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment;")
    assert EVIL_NAME not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr.user)
    return client


@pytest.fixture
def hr_api(hr):
    api = APIClient()
    api.force_authenticate(hr.user)
    return api


def test_an_html_file_is_refused_by_the_page_and_its_name_shown_escaped(hr_client):
    response = hr_client.post(
        reverse("imports:index"),
        {"file": SimpleUploadedFile(EVIL_NAME, HTML_FILE, "text/html"), "kind": "roster"},
    )

    assert response.status_code == 400
    assert_not_html_with_payload(response)
    assert html.unescape(MSG_HTML.format(name=EVIL_NAME)) in html.unescape(
        response.content.decode()
    )


def test_an_html_file_is_refused_by_the_api_as_json(hr_api):
    response = hr_api.post(
        reverse("import-run-list"),
        {"file": SimpleUploadedFile(EVIL_NAME, HTML_FILE, "text/html"), "kind": "roster"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"] == MSG_HTML.format(name=EVIL_NAME)
    assert_not_html_with_payload(response)


def test_script_in_cells_of_a_file_named_html_is_never_served_as_html(hr_client, hr_api):
    uploaded = hr_client.post(
        reverse("imports:index"),
        {"file": SimpleUploadedFile(EVIL_NAME, CSV_FILE, "text/html"), "kind": "roster"},
    )
    run = ImportRun.objects.get()
    assert run.file_name == EVIL_NAME and run.errors

    page = hr_client.get(uploaded["Location"])
    history = hr_client.get(reverse("imports:index"))
    as_csv = hr_client.get(reverse("imports:errors", args=[run.pk, "csv"]))
    as_xlsx = hr_client.get(reverse("imports:errors", args=[run.pk, "xlsx"]))
    from_api = hr_api.get(reverse("import-run-detail", args=[run.pk]))

    assert page.status_code == 200
    assert "&lt;script&gt;alert(document.domain)&lt;/script&gt;" in page.content.decode()
    for response in (page, history, as_csv, as_xlsx, from_api):
        assert_not_html_with_payload(response)
    assert_download(as_csv, "text/csv")
    assert PAYLOAD in as_csv.content.decode("utf-8-sig")  # the cell as it was, in a CSV
    assert_download(as_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert from_api["Content-Type"] == "application/json"
    assert from_api.json()["file_name"] == EVIL_NAME


def test_the_api_takes_the_same_file_and_answers_json(hr_api):
    response = hr_api.post(
        reverse("import-run-list"),
        {"file": SimpleUploadedFile(EVIL_NAME, CSV_FILE, "text/html"), "kind": "roster"},
        format="multipart",
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert_not_html_with_payload(response)

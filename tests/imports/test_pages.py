"""The HR imports page: upload -> preview (summary, changes, errors) -> confirm; the history of
runs and their error reports; bad files answered with a message; only HR and admins."""

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import Completion
from imports import services
from imports.choices import ImportKind, ImportOutcome
from imports.models import ImportRun
from imports.readers import MSG_PDF
from imports.views import MSG_CONFIRM_NEEDED, RUNS_PER_PAGE
from learning.choices import StaffStatus
from learning.models import StaffMember
from tests import factories as f
from tests.imports.conftest import DATA, csv_bytes, person_row
from tests.imports.test_completions import DATA as COMPLETIONS_DATA
from tests.imports.test_completions import catalog  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

INDEX = "/hr/imports/"


def upload(client, content: bytes, name="roster.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "kind": "roster", **fields}
    return client.post(INDEX, data)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr.user)
    return client


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["teacher", "leader", "district_pd"])
def test_others_get_404_everywhere(client, role, request):
    client.force_login(request.getfixturevalue(role).user)
    run = ImportRun.objects.create(
        kind=ImportKind.ROSTER, file_name="r.csv", errors=[{"row": 2, "message": "x"}]
    )

    assert client.get(INDEX).status_code == 404
    assert upload(client, csv_bytes([person_row(1)])).status_code == 404
    assert client.get(f"{INDEX}{run.pk}/").status_code == 404
    assert client.post(f"{INDEX}{run.pk}/commit/").status_code == 404
    assert client.get(f"{INDEX}{run.pk}/errors.csv").status_code == 404
    assert ImportRun.objects.count() == 1


def test_hr_uploads_previews_and_confirms_a_roster(hr_client, district):
    response = upload(hr_client, (DATA / "roster.csv").read_bytes())

    run = ImportRun.objects.get(kind=ImportKind.ROSTER)
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{run.pk}/"
    assert StaffMember.objects.filter(employee_id="000101").count() == 0
    page = hr_client.get(response["Location"])
    text = text_of(page)
    assert "Rows read 8" in text
    assert "To create 8" in text
    assert "000101 Ann Lee ann.lee@bps.example.org, Teacher at Maple Elementary" in text
    assert "Confirm and apply these changes" in text
    assert 'name="confirm_large_deactivation"' not in page.content.decode()

    confirmed = hr_client.post(f"{INDEX}{run.pk}/commit/", follow=True)

    file_ids = ["000101", "000102", "000103", "000104", "4417", "000106", "000107", "000108"]
    assert StaffMember.objects.filter(employee_id__in=file_ids).count() == 8
    assert "Committed: 8 created, 0 updated, 0 reactivated, 0 deactivated, 0 unchanged." in text_of(
        confirmed
    )
    run.refresh_from_db()
    assert run.outcome == ImportOutcome.COMMITTED
    assert run.created_by.username == "hr"
    assert "Confirm and apply" not in text_of(confirmed)


def test_updates_are_shown_field_by_field(hr_client, district):
    f.StaffMemberFactory(
        employee_id="900001",
        first_name="First1",
        last_name="Last1",
        email="old@bps.example.org",
        building=district["oak"],
        position=district["teacher"],
    )

    response = upload(hr_client, csv_bytes([person_row(1)]))
    text = text_of(hr_client.get(response["Location"]))

    assert "To update 1" in text
    assert "2 900001 First1 Last1 Email old@bps.example.org person1@bps.example.org" in text
    assert "Building Oak Middle Maple Elementary" in text


def test_a_sync_beyond_the_cap_needs_the_checkbox(hr_client, district):
    for number in range(1, 5):
        f.StaffMemberFactory(
            employee_id=f"9{number:05d}",
            first_name=f"First{number}",
            last_name=f"Last{number}",
            email=f"person{number}@bps.example.org",
            building=district["maple"],
            position=district["teacher"],
        )
    response = upload(hr_client, csv_bytes([person_row(1)]), sync="on")
    run = ImportRun.objects.get()
    page = hr_client.get(response["Location"]).content.decode()
    assert 'name="confirm_large_deactivation"' in page
    # Three of the file's staff and the HR login's own record (five active staff in all).
    text = text_of(hr_client.get(response["Location"]))
    assert "To deactivate 4" in text
    assert "900002 First2 Last2 Maple Elementary" in text

    refused = hr_client.post(f"{INDEX}{run.pk}/commit/", follow=True)

    assert MSG_CONFIRM_NEEDED in text_of(refused)
    assert StaffMember.objects.filter(status=StaffStatus.SEPARATED).count() == 0

    hr_client.post(f"{INDEX}{run.pk}/commit/", {"confirm_large_deactivation": "on"})

    assert StaffMember.objects.filter(status=StaffStatus.SEPARATED).count() == 4


def test_a_stale_preview_is_refused_with_its_message(hr_client, district):
    response = upload(hr_client, csv_bytes([person_row(1)]))
    run = ImportRun.objects.get()
    f.StaffMemberFactory(employee_id="777777")

    refused = hr_client.post(f"{INDEX}{run.pk}/commit/", follow=True)

    assert services.MSG_STALE in text_of(refused)
    assert not StaffMember.objects.filter(employee_id="900001").exists()
    assert response.status_code == 302


def test_errors_show_rows_columns_values_and_download_as_reports(hr_client, district):
    response = upload(hr_client, (DATA / "errors.csv").read_bytes(), name="errors.csv")
    run = ImportRun.objects.get()
    page = hr_client.get(response["Location"])
    text = text_of(page)

    assert "9 Building Elm High No building has this code or name." in text
    assert "Leave out the" in text and "Apply the valid rows" in text
    # The summary counts rows, the heading errors and rows: the numbers agree.
    rows_with_errors = len({error["row"] for error in run.errors})
    assert f"Rows with errors {rows_with_errors}" in text
    assert f"Errors: {len(run.errors)} in {rows_with_errors} rows" in text
    refused = hr_client.post(f"{INDEX}{run.pk}/commit/", follow=True)
    assert "error(s)" in text_of(refused)
    assert not StaffMember.objects.filter(employee_id="000201").exists()

    as_csv = hr_client.get(f"{INDEX}{run.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert as_csv["Content-Disposition"].startswith("attachment;")
    assert rows[0][0] == "Row" and rows[0][-1] == "Problems"
    assert any(row[0] == "9" and "Elm High" in row for row in rows)
    as_xlsx = hr_client.get(f"{INDEX}{run.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert [cell.value for cell in next(sheet.iter_rows(max_row=1))][0] == "Row"
    assert hr_client.get(f"{INDEX}{run.pk}/errors.pdf").status_code == 404


def test_the_valid_rows_are_applied_from_the_preview_without_a_second_upload(hr_client, district):
    response = upload(hr_client, (DATA / "errors.csv").read_bytes(), name="errors.csv")
    run = ImportRun.objects.get()
    page = hr_client.get(response["Location"]).content.decode()
    assert 'name="skip_invalid"' in page and "required" in page.split('name="skip_invalid"')[1]
    before = StaffMember.objects.count()

    hr_client.post(f"{INDEX}{run.pk}/commit/", {"skip_invalid": "on"})

    run.refresh_from_db()
    assert run.outcome == ImportOutcome.COMMITTED
    assert run.counts["created"] > 0
    assert StaffMember.objects.count() == before + run.counts["created"]
    assert not StaffMember.objects.filter(employee_id="000202").exists()
    assert ImportRun.objects.count() == 1


def test_skip_invalid_commits_the_valid_rows(hr_client, district):
    response = upload(
        hr_client, (DATA / "errors.csv").read_bytes(), name="errors.csv", skip_invalid="on"
    )
    run = ImportRun.objects.get()
    before = StaffMember.objects.count()
    assert "will be skipped" in text_of(hr_client.get(response["Location"]))

    hr_client.post(f"{INDEX}{run.pk}/commit/")

    run.refresh_from_db()
    assert run.outcome == ImportOutcome.COMMITTED
    assert run.counts["created"] > 0
    assert StaffMember.objects.count() == before + run.counts["created"]


BAD_FILES = [
    "empty.csv",
    "header-only.csv",
    "unrecognized-columns.csv",
    "missing-email-column.csv",
    "pdf-renamed.xlsx",
    "garbage.xlsx",
    "corrupt.xlsx",
    "encrypted.xlsx",
    "zip-bomb.xlsx",
    "mixed-encoding.csv",
    "web-page.xls",
]


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_get_a_message_and_change_nothing(hr_client, district, name):
    before = StaffMember.objects.count()

    response = upload(hr_client, (DATA / name).read_bytes(), name=name)

    assert response.status_code == 400
    run = ImportRun.objects.get()
    assert run.outcome == ImportOutcome.REFUSED
    assert run.message in html.unescape(response.content.decode())
    assert "Nothing was written." in text_of(response)
    assert StaffMember.objects.count() == before


def test_the_pdf_message_is_plain(hr_client, district):
    response = upload(hr_client, (DATA / "pdf-renamed.xlsx").read_bytes(), name="list.xlsx")

    assert MSG_PDF.format(name="list.xlsx") in text_of(response)


def test_a_bad_mapping_line_is_a_form_error(hr_client, district):
    response = upload(hr_client, csv_bytes([person_row(1)]), mapping="no equals sign")

    assert response.status_code == 400
    assert "Write one mapping per line as Column=field" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_a_mapping_is_applied(hr_client, district):
    header = ["Emp Code", "First Name", "Last Name", "Email", "Building", "Position"]
    response = upload(
        hr_client, csv_bytes([person_row(1)], header=header), mapping="Emp Code=employee_id\n"
    )

    assert response.status_code == 302
    assert ImportRun.objects.get().counts["created"] == 1


def test_completions_are_uploaded_and_recorded_through_the_page(hr_client, catalog):  # noqa: F811
    response = upload(
        hr_client,
        (COMPLETIONS_DATA / "completions.xlsx").read_bytes(),
        name="completions.xlsx",
        kind="completions",
    )
    run = ImportRun.objects.get()
    text = text_of(hr_client.get(response["Location"]))
    assert "To record 4" in text
    assert "Ben Ortiz CRT-101 Culturally Responsive Teaching 2023-03-04 2.50 Sign-in sheet" in text

    hr_client.post(f"{INDEX}{run.pk}/commit/")

    assert Completion.objects.filter(recorded_by__username="hr").count() == 4


def test_history_is_newest_first_and_paginated(hr_client, district):
    runs = [
        ImportRun.objects.create(kind=ImportKind.ROSTER, file_name=f"file-{number}.csv")
        for number in range(RUNS_PER_PAGE + 2)
    ]
    runs[0].errors = [{"row": 2, "message": "x"}]
    runs[0].save()

    first = hr_client.get(INDEX).content.decode()
    second = hr_client.get(INDEX, {"page": 2}).content.decode()

    assert first.index(f"file-{RUNS_PER_PAGE + 1}.csv") < first.index(f"file-{RUNS_PER_PAGE}.csv")
    assert "file-0.csv" not in first
    assert "file-0.csv" in second
    assert f'href="{INDEX}{runs[0].pk}/errors.xlsx"' in second
    assert f'href="{INDEX}{runs[0].pk}/errors.csv"' in second
    assert f'href="{INDEX}{runs[1].pk}/errors.csv"' not in second


def test_an_administrator_may_use_the_page(client, admin_user, district):
    client.force_login(admin_user)

    assert client.get(INDEX).status_code == 200
    assert upload(client, csv_bytes([person_row(1)])).status_code == 302

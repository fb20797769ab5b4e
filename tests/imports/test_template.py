"""The import templates HR downloads: each import's columns with an example row to replace, and
a sheet saying which are required, the other names each is recognised by and what it holds. The
template as downloaded is a file the import takes without an error; the upload page lists the
same columns. Only HR (and administrators) may download them."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from imports import services
from imports.completions import COMPLETION_COLUMNS
from imports.roster import ROSTER_COLUMNS
from tests import factories as f
from tests.enrollment.test_pages_participant import text

pytestmark = pytest.mark.django_db


def template_url(kind: str, fmt: str) -> str:
    return reverse("imports:template", args=[kind, fmt])


def test_the_roster_template_has_the_columns_and_says_how_each_is_recognised(client, hr):
    client.force_login(hr.user)

    response = client.get(template_url("roster", "xlsx"))

    assert response.status_code == 200
    assert 'filename="roster-import-template.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    first, columns = workbook.worksheets
    assert [cell.value for cell in first[1]] == [column.label for column in ROSTER_COLUMNS]
    described = {row[0]: row for row in columns.iter_rows(min_row=2, values_only=True)}
    assert described["Employee ID"][1] == "yes"
    assert "EmpID" in described["Employee ID"][2]
    assert described["Preferred Name"][1] == "no"
    assert "Surname" in described["Last Name"][2]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_roster_template_as_downloaded_imports_without_an_error(client, hr, district, fmt):
    client.force_login(hr.user)
    content = client.get(template_url("roster", fmt)).content

    preview = services.import_preview(
        kind="roster", source=content, file_name=f"template.{fmt}", actor=hr.user
    )

    assert preview.run.errors == []
    assert preview.counts["created"] == 1


def test_the_completions_template_as_downloaded_imports_without_an_error(client, hr, district):
    person = f.StaffMemberFactory(employee_id="E123456")
    f.CourseFactory(code="rp-101")
    client.force_login(hr.user)
    content = client.get(template_url("completions", "csv")).content

    preview = services.import_preview(
        kind="completions", source=content, file_name="template.csv", actor=hr.user
    )

    assert preview.run.errors == []
    assert person.employee_id in content.decode("utf-8-sig")
    assert [column.label for column in COMPLETION_COLUMNS] == (
        content.decode("utf-8-sig").splitlines()[0].split(",")
    )


def test_the_upload_page_lists_the_columns_and_links_the_templates(client, hr):
    client.force_login(hr.user)

    response = client.get(reverse("imports:index"))
    page = text(response)

    assert "The columns a file may have" in page
    assert "Employee ID yes EmpID, Emp ID" in page
    assert "Course Code yes Course, Course ID" in page
    assert template_url("roster", "xlsx") in response.content.decode()


@pytest.mark.parametrize(("kind", "fmt"), [("staff", "xlsx"), ("roster", "pdf")])
def test_an_unknown_template_is_404(client, hr, kind, fmt):
    client.force_login(hr.user)

    assert client.get(template_url(kind, fmt)).status_code == 404


def test_nobody_but_hr_downloads_a_template(client, teacher, district_pd):
    for person in (teacher, district_pd):
        client.force_login(person.user)
        assert client.get(template_url("roster", "xlsx")).status_code == 404

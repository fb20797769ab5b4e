"""/leaders/completions.xlsx and /leaders/outstanding.csv: the report to take away, in the
reader's scope, under the page's filters."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from tests.factories import CompletionFactory, StaffMemberFactory
from tests.plan.test_workbooks import build_district

WORKBOOK = reverse("leaders:workbook")
OUTSTANDING = reverse("leaders:outstanding-csv")


@pytest.fixture
def district(db, settings):
    settings.DISTRICT_NAME = "Birmingham Public Schools"
    return build_district()


@pytest.fixture
def query(district):
    return {"plan_year": district.year.pk, "as_of": "2026-11-22"}


def all_strings(book) -> set[str]:
    return {
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }


def test_district_pd_downloads_the_district_workbook(client, district_pd, district, query):
    client.force_login(district_pd.user)
    response = client.get(WORKBOOK, query)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="birmingham-public-schools-completions-district-2026-11-22.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    # District PD's own building counts too: the district is everyone.
    assert book.sheetnames == [
        "Summary",
        "@evil",
        district_pd.building.name,
        "Maple Elementary",
        "Oak Middle",
        "Outstanding",
        "Seats",
        "Definitions",
    ]
    assert {"Cruz", "Evans", "Adams"} <= all_strings(book)


def test_leader_workbook_holds_only_their_buildings(client, leader, district, query):
    client.force_login(leader.user)
    response = client.get(WORKBOOK, query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="birmingham-public-schools-completions-maple-2026-11-22.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Maple Elementary", "Outstanding", "Seats", "Definitions"]
    strings = all_strings(book)
    assert {"Adams", "Baker", "Leader"} <= strings
    assert {"Oak Middle", "@evil", "Cruz", "Diaz", "Evans"}.isdisjoint(strings)
    assert book["Summary"]["A3"].value == "Scope: Maple Elementary"


def test_outstanding_csv_for_district_pd_and_leader(client, district_pd, leader, district, query):
    client.force_login(district_pd.user)
    response = client.get(OUTSTANDING, query)
    assert response.status_code == 200
    assert response["Content-Type"] == CSV_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="birmingham-public-schools-outstanding-district-2026-11-22.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row[3] for row in rows[1:]} == {
        "'@evil",
        district_pd.building.name,
        "Maple Elementary",
        "Oak Middle",
    }

    client.force_login(leader.user)
    response = client.get(OUTSTANDING, query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="birmingham-public-schools-outstanding-maple-2026-11-22.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row[3] for row in rows[1:]} == {"Maple Elementary"}
    assert [row[0] for row in rows[1:]] == ["Baker", "Hyper", "Leader"]


def test_filters_narrow_the_download(client, district_pd, district, query):
    client.force_login(district_pd.user)
    response = client.get(WORKBOOK, {**query, "building": "oak"})
    assert response["Content-Disposition"] == (
        'attachment; filename="birmingham-public-schools-completions-oak-2026-11-22.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Oak Middle", "Outstanding", "Seats", "Definitions"]


@pytest.mark.parametrize("url", [WORKBOOK, OUTSTANDING])
def test_teacher_gets_404(client, teacher, district, url):
    client.force_login(teacher.user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [WORKBOOK, OUTSTANDING])
def test_anonymous_is_sent_to_login(client, district, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"plan_year": "abc"}, "plan_year"),
        ({"as_of": "22/11/2026"}, "as_of"),
        ({"requirement": "99999999999999999999999"}, "requirement"),
        ({"building": "oak"}, "building"),  # outside the leader's buildings
    ],
)
@pytest.mark.parametrize("url", [WORKBOOK, OUTSTANDING])
def test_bad_filters_are_a_400_naming_the_parameter(client, leader, district, url, params, name):
    client.force_login(leader.user)
    response = client.get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith(f"{name}: ")


def _queries(client, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(WORKBOOK, query)
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_staff(client, district_pd, district, query):
    client.force_login(district_pd.user)
    small = _queries(client, query)
    for number in range(30):
        person = StaffMemberFactory(building=district.maple, position=district.teacher)
        if number % 2:
            CompletionFactory(staff=person, course=district.crt, completed_on=dt.date(2026, 9, 1))
    assert _queries(client, query) == small

"""HR's start page (the latest imports, people without a building or position, separations to
come) and the staff directory (search, filters, the columns HR works with, history a click
away), for HR only, in a number of queries that does not grow with the staff."""

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning.choices import StaffStatus
from tests.factories import (
    BuildingFactory,
    ImportRunFactory,
    PositionFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db

START = reverse("hr:start")
STAFF = reverse("hr:staff")


def text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(body)).strip()


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr.user)
    return client


def test_hr_starts_with_imports_people_to_place_and_separations(hr_client, building):
    today = timezone.localdate()
    ImportRunFactory(file_name="roster-december.csv")
    StaffMemberFactory(first_name="Nobu", last_name="Nowhere", building=None)
    StaffMemberFactory(first_name="Pos", last_name="Less", position=None)
    StaffMemberFactory(
        first_name="Lea", last_name="Ving", separated_on=today + dt.timedelta(days=20)
    )
    StaffMemberFactory(
        first_name="Long", last_name="Gone", status=StaffStatus.SEPARATED, building=None
    )

    page = text(hr_client.get(START))

    assert "roster-december.csv" in page
    assert "2 people without a building or position" in page
    assert "Nobu Nowhere" in page and "no building" in page
    assert "Pos Less" in page and "no position" in page
    assert "Long Gone" not in page
    assert "Lea Ving" in page and "leaving on" in page


def test_the_staff_list_searches_and_filters(hr_client, building):
    oak = BuildingFactory(code="oak", name="Oak Elementary")
    counselor = PositionFactory(code="counselor", name="Counselor")
    StaffMemberFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace.long.address@bps.example.org",
        employee_id="700001",
        building=oak,
        position=counselor,
    )
    StaffMemberFactory(first_name="Ben", last_name="Bishop", building=building)
    StaffMemberFactory(first_name="Cy", last_name="Lovell", status=StaffStatus.ON_LEAVE)

    everyone = text(hr_client.get(STAFF))
    by_word = text(hr_client.get(STAFF, {"q": "love"}))
    by_id = text(hr_client.get(STAFF, {"q": "700001"}))
    by_building = text(hr_client.get(STAFF, {"building": "oak"}))
    by_status = text(hr_client.get(STAFF, {"status": "on_leave"}))
    by_position = text(hr_client.get(STAFF, {"position": "counselor"}))

    assert "Lovelace, Ada" in everyone and "Bishop, Ben" in everyone
    assert "ada.lovelace.long.address@bps.example.org" in everyone
    assert "Lovelace, Ada" in by_word and "Lovell, Cy" in by_word and "Bishop" not in by_word
    assert "Lovelace, Ada" in by_id and "Lovell" not in by_id
    assert "Lovelace, Ada" in by_building and "Bishop" not in by_building
    assert "Lovell, Cy" in by_status and "Lovelace" not in by_status
    assert "Lovelace, Ada" in by_position and "Bishop" not in by_position
    assert "Matching these filters: 1 person." in by_id


def test_each_person_links_to_their_record_and_history(hr_client, building):
    person = StaffMemberFactory(first_name="Ada", last_name="Lovelace")

    body = hr_client.get(STAFF, {"q": "Lovelace"}).content.decode()

    assert reverse("audit:staff-history", args=[person.pk]) in body
    assert reverse("admin:learning_staffmember_change", args=[person.pk]) in body


def test_a_bad_filter_is_named_and_lists_nobody(hr_client, building):
    StaffMemberFactory(first_name="Ada", last_name="Lovelace")

    response = hr_client.get(STAFF, {"building": "atlantis"})

    assert response.status_code == 400
    assert "Building: Select a valid choice." in text(response)
    assert "Lovelace" not in text(response)


@pytest.mark.parametrize("role", ["teacher", "leader", "district_pd"])
def test_hr_pages_do_not_exist_for_others(client, role, request):
    client.force_login(request.getfixturevalue(role).user)

    assert client.get(START).status_code == 404
    assert client.get(STAFF).status_code == 404


@pytest.mark.parametrize("path", [START, STAFF])
def test_hr_pages_queries_do_not_grow_with_staff(hr_client, building, path):
    for _ in range(3):
        StaffMemberFactory(building=None)
        ImportRunFactory()
    hr_client.get(path)
    with CaptureQueriesContext(connection) as few:
        hr_client.get(path)
    for _ in range(60):
        StaffMemberFactory(building=None, separated_on=timezone.localdate() + dt.timedelta(days=9))
    for _ in range(6):
        ImportRunFactory()
    with CaptureQueriesContext(connection) as many:
        hr_client.get(path)

    assert len(many) == len(few)

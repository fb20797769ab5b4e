"""The session and course FilterSets: odd input is a named error, never a server error."""

import datetime as dt

import pytest
from django.urls import reverse

from catalog.filters import CourseFilterSet, SessionFilterSet, month_bounds, month_choices
from catalog.models import Course, Session
from tests.factories import CourseFactory, MeetingFactory, SessionFactory, local

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.mark.parametrize("name", ["strand_id", "course_id", "building_id"])
@pytest.mark.parametrize("value", [HUGE, "-1", "0"])
def test_an_id_out_of_range_is_an_invalid_choice(name, value):
    SessionFactory()
    filterset = SessionFilterSet(data={name: value}, queryset=Session.objects.all())

    assert not filterset.is_valid()
    assert "not one of the available choices" in filterset.errors[name][0]


def test_a_course_strand_id_out_of_range_is_an_invalid_choice():
    CourseFactory()
    filterset = CourseFilterSet(data={"strand_id": HUGE}, queryset=Course.objects.all())

    assert not filterset.is_valid()
    assert list(filterset.errors) == ["strand_id"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("catalog:index"),
        reverse("session-list"),
        reverse("course-list"),
    ],
)
def test_pages_and_api_answer_huge_ids_without_a_server_error(client, url):
    SessionFactory()
    name = "strand_id"
    response = client.get(url, {name: HUGE, "building_id": HUGE})

    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert name in response.json()
    else:
        assert "could not be applied" in response.content.decode()


def test_a_valid_id_still_filters():
    wanted, other = SessionFactory(), SessionFactory()
    filterset = SessionFilterSet(
        data={"building_id": str(wanted.building_id)}, queryset=Session.objects.all()
    )

    assert filterset.is_valid()
    assert list(filterset.qs) == [wanted]
    assert other not in filterset.qs


def test_month_choices_reach_back_to_the_plans_first_year():
    values = [value for value, _ in month_choices()]
    assert len(values) == 43
    first_year, first_month = (int(part) for part in values[0].split("-"))
    last_year, last_month = (int(part) for part in values[-1].split("-"))
    assert (last_year * 12 + last_month) - (first_year * 12 + first_month) == 42


def test_month_bounds_are_local_midnights():
    start, end = month_bounds("2026-03")
    assert (start, end) == (local(2026, 3, 1, 0, 0), local(2026, 4, 1, 0, 0))
    # Daylight saving time starts on March 8, 2026: the month is an hour short of 31 days.
    elapsed = end.astimezone(dt.UTC) - start.astimezone(dt.UTC)
    assert elapsed.total_seconds() == 31 * 24 * 3600 - 3600


def test_december_bounds_roll_into_the_next_year():
    assert month_bounds("2026-12")[1] == local(2027, 1, 1, 0, 0)


def test_a_late_evening_meeting_on_the_last_day_belongs_to_its_local_month():
    value = month_choices()[30][0]
    year, month = (int(part) for part in value.split("-"))
    last_day = (month_bounds(value)[1] - month_bounds(value)[0]).days
    session = SessionFactory()
    # 8 PM in Detroit on the last day is already the next day in UTC.
    MeetingFactory(
        session=session,
        starts_at=local(year, month, last_day, 20, 0),
        ends_at=local(year, month, last_day, 21, 0),
    )

    filterset = SessionFilterSet(data={"month": value}, queryset=Session.objects.all())

    assert filterset.is_valid(), filterset.errors
    assert list(filterset.qs) == [session]

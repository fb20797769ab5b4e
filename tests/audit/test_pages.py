"""A person's history page: district PD and admins only (a 404 for everyone else), newest
first, values in words, paginated, and a fixed number of queries whatever the entries."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import views
from audit.context import acting
from enrollment import services
from enrollment.models import Completion
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import StaffStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def url(staff) -> str:
    return reverse("audit:staff-history", args=[staff.pk])


@pytest.fixture
def person(building):
    return f.StaffMemberFactory(first_name="Ada", last_name="Byron", building=building)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("district_pd", 200),
        ("admin_user", 200),
        ("hr", 200),
        ("leader", 404),
        ("facilitator", 404),
        ("teacher", 404),
    ],
)
def test_only_district_pd_hr_and_admins_see_a_history(client, request, person, role, status):
    login = request.getfixturevalue(role)
    client.force_login(getattr(login, "user", login))
    assert client.get(url(person)).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, person):
    response = client.get(url(person))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_person_who_does_not_exist_is_a_404(client, district_pd):
    client.force_login(district_pd.user)
    assert client.get(reverse("audit:staff-history", args=[999999])).status_code == 404


def test_a_teacher_cannot_read_their_own_history(client, teacher):
    client.force_login(teacher.user)
    assert client.get(url(teacher)).status_code == 404


def test_the_history_names_who_changed_what_before_and_after(client, district_pd, person):
    planner = f.login_for(f.StaffMemberFactory(), groups=[DISTRICT_PD_GROUP])
    planner.first_name, planner.last_name = "Pat", "Voider"
    planner.save()
    oak = f.BuildingFactory(code="oak", name="Oak Middle")
    with acting(actor=planner):
        person.building = oak
        person.status = StaffStatus.ON_LEAVE
        person.save()
    completion = f.CompletionFactory(staff=person, completed_on=dt.date(2026, 1, 5))
    services.completion_void(completion=completion, reason="Entered twice", actor=planner)
    client.force_login(district_pd.user)

    response = client.get(url(person))

    assert response.status_code == 200
    items = response.context["items"]
    # Newest first: the void, the completion, the record's change, the record's creation.
    assert [item.entry.action for item in items] == ["changed", "created", "changed", "created"]
    void = items[0]
    assert void.who == f"Pat Voider ({planner.username})"
    assert void.what.startswith(f"Completion of {completion.course}")
    assert ("Voided by", "—", "Pat Voider") in [(c.label, c.before, c.after) for c in void.changes]
    assert ("Void reason", "—", "Entered twice") in [
        (c.label, c.before, c.after) for c in void.changes
    ]
    record = items[2]
    assert record.what == f"Staff record of Ada Byron ({person.employee_id})"
    assert [(c.label, c.before, c.after) for c in record.changes] == [
        ("Building", "Maple Elementary", "Oak Middle"),
        ("Status", "Active", "On leave"),
    ]
    assert items[3].who == "The system"
    page = response.content.decode()
    assert "Pat Voider" in page and "Oak Middle" in page and "Entered twice" in page


def test_the_history_shows_who_gave_the_persons_login_a_role(client, district_pd, person):
    login = f.login_for(person, username="ada")
    administrator = f.login_for(None, superuser=True, username="root")
    with acting(actor=administrator):
        login.groups.add(Group.objects.get(name=HR_GROUP))
    client.force_login(district_pd.user)

    item = client.get(url(person)).context["items"][0]

    assert (item.what, item.who) == ("User: ada", "root")
    assert [(c.label, c.before, c.after) for c in item.changes] == [("Groups", "—", "HR")]


def test_the_page_costs_the_same_queries_for_3_and_30_entries(client, district_pd, person):
    client.force_login(district_pd.user)
    course = f.CourseFactory()
    session = f.SessionFactory(course=course)

    days = iter(range(100))

    def add(count):
        for _ in range(count):
            day = dt.date(2025, 1, 1) + dt.timedelta(days=next(days))
            f.CompletionFactory(staff=person, course=course, completed_on=day)
            f.EnrollmentFactory(staff=person, session=session, status="withdrawn")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(person)).status_code == 200
        return len(captured)

    add(1)
    few = queries()
    add(14)
    assert queries() == few


def test_the_history_is_paginated(client, district_pd, person, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for _ in range(3):
        f.CompletionFactory(staff=person, completed_on=dt.date(2025, 1, 1) + dt.timedelta(days=_))
    client.force_login(district_pd.user)
    first = client.get(url(person))
    assert len(first.context["items"]) == 2
    assert first.context["page"].paginator.num_pages == 2
    second = client.get(url(person), {"page": 2})
    assert len(second.context["items"]) == 2
    assert {item.entry.pk for item in first.context["items"]}.isdisjoint(
        item.entry.pk for item in second.context["items"]
    )
    # A page number that is not one shows the first page, not an error.
    assert client.get(url(person), {"page": "x"}).status_code == 200
    assert Completion.objects.count() == 3

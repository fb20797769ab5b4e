"""The admin's add forms for the records people keep by hand (sessions with their meetings,
meetings, staff, courses, plan years): bad values re-show the form with the error at the field,
write nothing, and real names in every script are saved and shown back unchanged."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from learning.models import StaffMember
from tests.html_forms import posted_as_shown

from .conftest import assert_nothing_written, row_counts
from .corpus import BEYOND_ANY_ID, INVALID_DATES, NUL, UNICODE_TEXTS, overlong

pytestmark = pytest.mark.django_db


_defaults: dict[str, dict] = {}


def form_defaults(client, url) -> dict:
    # The same for every test of the module (one world): read once per form.
    if url not in _defaults:
        _defaults[url] = _read_defaults(client, url)
    return dict(_defaults[url])


def _read_defaults(client, url) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    return posted_as_shown(page.content.decode())


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def session_data(w) -> dict:
    return {
        "course": w.course.pk,
        "status": "published",
        "building": w.building.pk,
        "capacity": "12",
        "meetings-TOTAL_FORMS": "1",
        "meetings-0-starts_at_0": _day(30),
        "meetings-0-starts_at_1": "16:00",
        "meetings-0-ends_at_0": _day(30),
        "meetings-0-ends_at_1": "18:00",
    }


def meeting_data(w) -> dict:
    return {
        "session": w.open_session.pk,
        "starts_at_0": _day(40),
        "starts_at_1": "16:00",
        "ends_at_0": _day(40),
        "ends_at_1": "18:00",
    }


def staff_data(w) -> dict:
    return {
        "employee_id": "A77001",
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann.lee@bps.example.org",
        "building": w.building.pk,
        "position": w.teacher.position_id,
        "status": "active",
        "hired_on": "2020-08-20",
    }


def course_data(w) -> dict:
    return {
        "code": "sel-301",
        "title": "Social-emotional learning",
        "strand": w.course.strand_id,
        "clock_hours": "3",
        "format": "in_person",
    }


def plan_year_data(w) -> dict:
    return {
        "plan": w.plan_year.plan_id,
        "name": "2027-28",
        "starts_on": "2027-07-01",
        "ends_on": "2028-06-30",
    }


FORMS = {
    "session": ("admin:catalog_session_add", session_data),
    "meeting": ("admin:catalog_meeting_add", meeting_data),
    "staff": ("admin:learning_staffmember_add", staff_data),
    "course": ("admin:catalog_course_add", course_data),
    "plan_year": ("admin:learning_planyear_add", plan_year_data),
}

# (form, changes, where the error must show: a field name, "__all__", or an inline's field)
CASES = [
    ("session", {"capacity": "-1"}, "capacity"),
    ("session", {"capacity": "abc"}, "capacity"),
    ("session", {"capacity": str(BEYOND_ANY_ID)}, "capacity"),
    ("session", {"title": overlong(200)}, "title"),
    ("session", {"title": NUL}, "title"),
    ("session", {"room": NUL}, "room"),
    ("session", {"notes": NUL}, "notes"),
    ("session", {"status": "bogus"}, "status"),
    ("session", {"course": "abc"}, "course"),
    ("session", {"course": str(BEYOND_ANY_ID)}, "course"),
    ("session", {"building": NUL}, "building"),
    ("session", {"facilitators": ["abc"]}, "facilitators"),
    ("session", {"facilitators": [str(BEYOND_ANY_ID)]}, "facilitators"),
    ("session", {"virtual_url": "javascript:alert(1)"}, "virtual_url"),
    (
        "session",
        {
            "registration_opens_at_0": _day(10),
            "registration_opens_at_1": "09:00",
            "registration_closes_at_0": _day(5),
            "registration_closes_at_1": "09:00",
        },
        "__all__",
    ),
    (
        "session",
        {"registration_opens_at_0": "2026-02-30", "registration_opens_at_1": "09:00"},
        "registration_opens_at",
    ),
    ("session", {"meetings-0-ends_at_0": _day(29)}, "meetings"),
    ("session", {"meetings-0-starts_at_0": "yesterday"}, "meetings"),
    ("session", {"meetings-0-room": NUL}, "meetings"),
    ("meeting", {"ends_at_0": _day(39)}, "__all__"),
    ("meeting", {"ends_at_1": "16:00"}, "__all__"),
    *(("meeting", {"starts_at_0": value}, "starts_at") for value in INVALID_DATES[:3]),
    ("meeting", {"room": overlong(100)}, "room"),
    ("staff", {"first_name": overlong(100)}, "first_name"),
    ("staff", {"last_name": NUL}, "last_name"),
    ("staff", {"preferred_name": NUL}, "preferred_name"),
    ("staff", {"employee_id": overlong(40)}, "employee_id"),
    ("staff", {"email": "not-an-email"}, "email"),
    ("staff", {"email": "ann@" + "x" * 260 + ".org"}, "email"),
    *(("staff", {"hired_on": value}, "hired_on") for value in INVALID_DATES[:3]),
    ("staff", {"status": "separated", "separated_on": "2019-01-01"}, "__all__"),
    ("staff", {"status": "bogus"}, "status"),
    ("staff", {"building": "abc"}, "building"),
    ("staff", {"leads_buildings": [str(BEYOND_ANY_ID)]}, "leads_buildings"),
    ("course", {"clock_hours": "-1"}, "__all__"),  # the model's check constraint, which names it
    ("course", {"strand": "abc"}, "strand"),
    ("course", {"prerequisites": ["abc", str(BEYOND_ANY_ID)]}, "prerequisites"),
    ("course", {"clock_hours": "abc"}, "clock_hours"),
    ("course", {"code": "not a slug!"}, "code"),
    ("course", {"summary": NUL}, "summary"),
    ("plan_year", {"ends_on": "2027-06-30"}, "__all__"),
    ("plan_year", {"starts_on": "yesterday"}, "starts_on"),
    ("plan_year", {"name": overlong(20)}, "name"),
]


def _errors(response, where: str) -> list[str]:
    context = response.context
    if where in ("meetings",):
        formsets = [f.formset for f in context["inline_admin_formsets"]]
        return [
            str(e) for formset in formsets for form in formset.forms for e in form.errors.values()
        ]
    form = context["adminform"].form
    return [str(message) for message in form.errors.get(where, [])]


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=lambda case: f"{case[0]}-{list(case[1])[0]}-{repr(list(case[1].values())[0])[:20]}",
)
def test_a_bad_value_shows_the_admin_form_again_with_the_error(client, world, case):
    name, changes, where = case
    url_name, valid = FORMS[name]
    client.force_login(world.admin)
    url = reverse(url_name)
    data = {**form_defaults(client, url), **valid(world), **changes}
    before = row_counts()

    response = client.post(url, data)

    assert response.status_code == 200, response.status_code
    errors = _errors(response, where)
    assert errors, response.context["adminform"].form.errors
    assert_nothing_written(before)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_the_valid_admin_data_saves(client, world, name):
    """The cases above start from these: each must be accepted as it is."""
    url_name, valid = FORMS[name]
    client.force_login(world.admin)
    url = reverse(url_name)

    response = client.post(url, {**form_defaults(client, url), **valid(world)})

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )


TEXTS = sorted(UNICODE_TEXTS.items())


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_staff_names_in_every_script_round_trip_through_the_admin(client, world, label, text):
    client.force_login(world.admin)
    url = reverse("admin:learning_staffmember_add")
    name = text[:100]
    data = {
        **form_defaults(client, url),
        **staff_data(world),
        "first_name": name,
        "last_name": name,
        "preferred_name": name,
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    staff = StaffMember.objects.get(employee_id="A77001")
    assert (staff.first_name, staff.last_name, staff.preferred_name) == (name, name, name)
    listed = client.get(reverse("admin:learning_staffmember_changelist"), {"q": "A77001"})
    assert escape(name) in listed.content.decode()


@pytest.mark.parametrize("field", ["employee_id", "email"])
def test_someone_else_s_employee_id_or_email_is_refused(client, world, field):
    client.force_login(world.admin)
    url = reverse("admin:learning_staffmember_add")
    taken = getattr(world.teacher, field)
    data = {**form_defaults(client, url), **staff_data(world), field: taken.upper()}
    before = row_counts()

    response = client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors.get(field) or form.errors.get("__all__"), form.errors
    assert_nothing_written(before)

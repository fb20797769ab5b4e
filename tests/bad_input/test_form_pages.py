"""Every page with a form that writes, fed bad values: the page comes back (400, or 200 where the
page's convention is to show the form again) with the error beside the field it names, and
nothing is written. Pages whose form is one button answer with a redirect and an error message,
as they do for any refusal. Then real names and texts are saved and shown back unchanged."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from core import refusals
from learning.models import Goal, PlanYear, Requirement

from .conftest import assert_nothing_written, row_counts
from .corpus import BEYOND_ANY_ID, INVALID_DATES, NUL, UNICODE_TEXTS, overlong

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Page:
    role: str
    url: Any  # world -> URL
    valid: Any  # world -> the valid form data the cases start from


def _year_data(w):
    return {"name": "2027-28", "starts_on": "2027-07-01", "ends_on": "2028-06-30"}


PAGES = {
    "plan_year_new": Page(
        "district_pd",
        lambda w: reverse("leaders:year-new") + f"?plan={w.plan_year.plan_id}",
        _year_data,
    ),
    "plan_year_edit": Page(
        "district_pd",
        lambda w: reverse("leaders:year-edit", args=[w.plan_year.pk]),
        lambda w: {"name": "2026-27", "starts_on": "2026-07-01", "ends_on": "2027-06-30"},
    ),
    "goal_new": Page(
        "district_pd",
        lambda w: reverse("leaders:goal-new") + f"?plan_year={w.plan_year.pk}",
        lambda w: {"plan_year": w.plan_year.pk, "title": "Every adult", "order": 1},
    ),
    "goal_edit": Page(
        "district_pd",
        lambda w: reverse("leaders:goal-edit", args=[w.goal.pk]),
        lambda w: {"plan_year": w.plan_year.pk, "title": "Every adult", "order": 1},
    ),
    "requirement_new": Page(
        "district_pd",
        lambda w: reverse("leaders:requirement-new") + f"?goal={w.goal.pk}",
        lambda w: {
            "kind": "course",
            "course": w.course.pk,
            "target_percent": 90,
            "due_on": "2027-06-01",
        },
    ),
    "requirement_edit": Page(
        "district_pd",
        lambda w: reverse("leaders:requirement-edit", args=[w.requirement.pk]),
        lambda w: {
            "kind": "course",
            "course": w.course.pk,
            "target_percent": 90,
            "due_on": "2027-06-01",
        },
    ),
    "evaluation": Page(
        "teacher",
        lambda w: reverse("enrollment:evaluation", args=[w.attended.pk]),
        lambda w: {
            "content_rating": 4,
            "facilitator_rating": 5,
            "relevance_rating": 4,
            "comment": "Useful",
        },
    ),
    "assign": Page(
        "leader",
        lambda w: reverse("enrollment:assign", args=[w.open_session.pk]),
        lambda w: {"people": [w.colleague.pk]},
    ),
    "import_upload": Page("hr", lambda w: reverse("imports:index"), lambda w: {"kind": "roster"}),
}

RATINGS = ("content_rating", "facilitator_rating", "relevance_rating")

# (page, field, bad value)
CASES = [
    # Plan years: a name of at most 20 characters, real dates, the first before the last.
    *((page, "name", overlong(20)) for page in ("plan_year_new", "plan_year_edit")),
    *((page, "name", NUL) for page in ("plan_year_new", "plan_year_edit")),
    *(("plan_year_new", "starts_on", value) for value in INVALID_DATES),
    ("plan_year_edit", "ends_on", "yesterday"),
    ("plan_year_new", "ends_on", "2027-06-30"),  # before the first day (2027-07-01)
    ("plan_year_edit", "ends_on", "2026-06-30"),
    ("plan_year_new", "starts_on", "99999-01-01"),
    # Goals: the title, the order number, the year.
    *((page, "title", overlong(300)) for page in ("goal_new", "goal_edit")),
    *((page, "title", NUL) for page in ("goal_new", "goal_edit")),
    ("goal_new", "description", NUL),
    *(("goal_edit", "order", value) for value in ("abc", -1, 40000, BEYOND_ANY_ID, "1.5")),
    ("goal_new", "plan_year", "abc"),
    ("goal_new", "plan_year", BEYOND_ANY_ID),
    # Requirements: title, kind, course, target, due date, hours.
    *((page, "title", overlong(300)) for page in ("requirement_new", "requirement_edit")),
    ("requirement_new", "title", NUL),
    ("requirement_new", "kind", "bogus"),
    ("requirement_new", "course", "abc"),
    ("requirement_new", "course", BEYOND_ANY_ID),
    ("requirement_new", "course", -1),
    *(("requirement_edit", "target_percent", value) for value in ("abc", -5, 0, 101, 150)),
    *(("requirement_new", "due_on", value) for value in INVALID_DATES),
    ("requirement_new", "audience_positions", "abc"),
    ("requirement_new", "audience_buildings", str(BEYOND_ANY_ID)),
    # Evaluations: ratings 1-5 and the comment.
    *(("evaluation", name, value) for name in RATINGS for value in ("abc", 0, 6, -1, "")),
    ("evaluation", "comment", overlong(4000)),
    ("evaluation", "comment", NUL),
    # Assigning: people, position and building are choices among one's own staff.
    ("assign", "people", "abc"),
    ("assign", "people", str(BEYOND_ANY_ID)),
    ("assign", "people", "-4"),
    ("assign", "position", "abc"),
    ("assign", "building", NUL),
    # The import upload's options (the file itself: see test_import_uploads).
    ("import_upload", "kind", "bogus"),
    ("import_upload", "mapping", "Emp Code employee_id"),
    ("import_upload", "mapping", "Emp\x00=employee_id"),
]


def _login(client, world, role: str):
    client.force_login(getattr(world, role).user)
    return client


def _case_id(case) -> str:
    page, field, value = case
    return f"{page}-{field}-{repr(value)[:30]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_a_bad_value_shows_the_form_again_with_the_error_at_the_field(client, world, case):
    name, field, value = case
    page = PAGES[name]
    _login(client, world, page.role)
    data = {**page.valid(world), field: value}
    before = row_counts()

    response = client.post(page.url(world), data)

    assert response.status_code in (200, 400), response.status_code
    form = response.context["form"]
    assert field in form.errors, dict(form.errors)
    for message in form.errors[field]:
        assert escape(message) in response.content.decode()
    assert_nothing_written(before)


# Attendance: the sheet posts enrollment ids; anything else is refused as a whole.


@pytest.mark.parametrize(
    "data",
    [
        {"roster": "abc"},
        {"roster": "1;2"},
        {"roster": str(BEYOND_ANY_ID)},
        {"roster": "٣"},  # an Arabic-Indic digit: a digit to Python, not an id
        {"roster": NUL},
        {"present": "abc"},
    ],
    ids=repr,
)
def test_an_unreadable_attendance_sheet_is_a_400_and_saves_nothing(client, world, data):
    _login(client, world, "facilitator")
    url = reverse("enrollment:attendance", args=[world.past_session.pk, world.past_meeting.pk])
    before = row_counts()

    response = client.post(url, {"roster": str(world.attended.pk), **data})

    assert response.status_code == 400
    assert escape(response.context["error"]) in response.content.decode()
    assert_nothing_written(before)


def test_attendance_for_someone_not_on_the_roster_is_refused_by_name(client, world):
    _login(client, world, "facilitator")
    url = reverse("enrollment:attendance", args=[world.past_session.pk, world.past_meeting.pk])
    before = row_counts()

    # The colleague's request is for the other session.
    response = client.post(url, {"roster": f"{world.attended.pk},{world.pending.pk}"})

    assert response.status_code in (400, 404, 409)
    assert_nothing_written(before)


# One-button forms: a refusal is a message on the page one returns to.


@pytest.mark.parametrize("reason", ["", "   ", NUL], ids=["empty", "blank", "nul"])
def test_declining_with_a_bad_reason_is_refused_with_a_message(client, world, reason):
    _login(client, world, "leader")
    before = row_counts()

    response = client.post(
        reverse("enrollment:decline", args=[world.pending.pk]), {"reason": reason}, follow=True
    )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    expected = refusals.MSG_REASON_NUL if reason == NUL else refusals.MSG_DECLINE_NEEDS_REASON
    assert any(expected in message for message in shown), shown
    assert_nothing_written(before)


@pytest.mark.parametrize("choice", ["bogus", NUL, overlong(20), ""])
def test_an_unknown_calendar_delivery_is_refused_with_a_message(client, world, choice):
    _login(client, world, "teacher")
    before = row_counts()

    response = client.post(reverse("calendars:delivery"), {"delivery": choice})

    assert response.status_code == 302
    # Checked before following the redirect: the page shown next makes a feed key when needed.
    assert_nothing_written(before)
    page = client.get(response.url)
    assert [m for m in page.context["messages"] if m.level_tag == "error"]


# Real names and texts: saved and shown back exactly.

TEXTS = sorted(UNICODE_TEXTS.items())


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_plan_texts_round_trip(client, world, label, text):
    _login(client, world, "district_pd")

    response = client.post(
        PAGES["goal_edit"].url(world),
        {"plan_year": world.plan_year.pk, "title": text, "description": text, "order": 2},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    goal = Goal.objects.get(pk=world.goal.pk)
    assert (goal.title, goal.description) == (text, text)

    response = client.post(
        PAGES["requirement_edit"].url(world),
        {**PAGES["requirement_edit"].valid(world), "title": text},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert Requirement.objects.get(pk=world.requirement.pk).title == text

    plan_page = client.get(reverse("leaders:plan"), {"plan": world.plan_year.plan.slug})
    assert escape(text) in plan_page.content.decode()


def test_a_plan_year_name_in_other_scripts_round_trips(client, world):
    _login(client, world, "district_pd")
    name = "٢٠٢٧–٢٨ 🎓"

    response = client.post(PAGES["plan_year_new"].url(world), {**_year_data(world), "name": name})

    assert response.status_code == 302, response.context and response.context["form"].errors
    assert PlanYear.objects.filter(name=name).exists()
    plan_page = client.get(reverse("leaders:plan"), {"plan": world.plan_year.plan.slug})
    assert escape(name) in plan_page.content.decode()


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_an_evaluation_comment_from_the_page_round_trips(client, world, label, text):
    _login(client, world, "teacher")

    response = client.post(
        PAGES["evaluation"].url(world), {**PAGES["evaluation"].valid(world), "comment": text}
    )

    assert response.status_code == 302
    assert world.attended.__class__.objects.get(pk=world.attended.pk).evaluation.comment == text


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_a_decline_reason_from_the_page_round_trips(client, world, label, text):
    _login(client, world, "leader")

    client.post(reverse("enrollment:decline", args=[world.pending.pk]), {"reason": text})

    world.pending.refresh_from_db()
    assert world.pending.decision_reason == text


HUGE = BEYOND_ANY_ID


@pytest.mark.parametrize(
    ("role", "method", "url", "args"),
    [
        ("teacher", "post", "enrollment:enroll", [HUGE]),
        ("teacher", "post", "enrollment:withdraw", [HUGE]),
        ("teacher", "get", "enrollment:evaluation", [HUGE]),
        ("teacher", "get", "enrollment:certificate", [HUGE]),
        ("district_pd", "get", "enrollment:roster", [HUGE]),
        ("district_pd", "post", "enrollment:attendance", [HUGE, HUGE]),
        ("district_pd", "post", "enrollment:assign", [HUGE]),
        ("district_pd", "post", "enrollment:approve", [HUGE]),
        ("district_pd", "post", "enrollment:decline", [HUGE]),
        ("district_pd", "post", "leaders:year-edit", [HUGE]),
        ("district_pd", "post", "leaders:goal-edit", [HUGE]),
        ("district_pd", "post", "leaders:goal-delete", [HUGE]),
        ("district_pd", "post", "leaders:requirement-edit", [HUGE]),
        ("district_pd", "post", "leaders:requirement-delete", [HUGE]),
        ("district_pd", "get", "audit:staff-history", [HUGE]),
        ("hr", "get", "imports:run", [HUGE]),
        ("hr", "post", "imports:commit", [HUGE]),
        (None, "get", "catalog:session", [HUGE]),
        (None, "get", "calendars:session", [HUGE]),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_an_id_beyond_any_database_s_range_in_a_url_is_a_404(
    client, world, role, method, url, args
):
    if role is not None:
        _login(client, world, role)
    before = row_counts()

    response = getattr(client, method)(reverse(url, args=args))

    assert response.status_code == 404
    assert_nothing_written(before)


@pytest.mark.parametrize(
    "target",
    [NUL, "me", "/me/\x00", "https://elsewhere.example/", "//elsewhere.example", "/\nSet-Cookie:x"],
)
def test_a_bad_next_page_after_withdrawing_stays_on_the_site(client, world, target):
    _login(client, world, "teacher")

    response = client.post(reverse("enrollment:withdraw", args=[world.seat.pk]), {"next": target})

    assert response.status_code == 302
    assert response.url == reverse("catalog:session", args=[world.open_session.pk])


@pytest.mark.parametrize("target", ["leaders", "/leaders/\x00", "https://elsewhere.example/"])
def test_a_bad_next_page_after_declining_goes_back_to_the_approvals(client, world, target):
    _login(client, world, "leader")

    response = client.post(
        reverse("enrollment:decline", args=[world.pending.pk]),
        {"reason": "Not this term", "next": target},
    )

    assert response.status_code == 302
    assert response.url == reverse("enrollment:approvals")

"""Query parameters of every list, filter, report and feed: invalid dates, wrong types, unknown
choices, ids beyond any database's range, NUL characters. The API answers a 400 naming the
parameter; pages answer 400 (or show the page with the error) and name it; nothing is a 500."""

import pytest
from django.urls import reverse

from .corpus import BEYOND_ANY_ID, NUL, overlong

pytestmark = pytest.mark.django_db

BAD_ID = str(BEYOND_ANY_ID)

# (role, URL name, URL args from the world, parameter, bad value)
API_CASES = [
    # The catalog: sessions and courses (anyone).
    *(
        (None, "session-list", None, name, value)
        for name, value in [
            ("month", "2026-13"),
            ("month", "yesterday"),
            ("month", NUL),
            ("strand", NUL),
            ("strand", overlong(40)),
            ("strand_id", "abc"),
            ("strand_id", BAD_ID),
            ("course", NUL),
            ("course_id", "-1"),
            ("building", NUL),
            ("building_id", BAD_ID),
            ("audience", NUL),
            ("status", "bogus"),
            ("q", NUL),
        ]
    ),
    (None, "course-list", None, "strand", NUL),
    (None, "course-list", None, "strand_id", "abc"),
    (None, "course-list", None, "q", NUL),
    # Enrollments and completions (district PD sees them all).
    *(
        ("district_pd", "enrollment-list", None, name, value)
        for name, value in [
            ("status", "bogus"),
            ("session", "abc"),
            ("session", BAD_ID),
            ("staff", NUL),
            ("staff_id", "1.5"),
            ("course", NUL),
            ("building", NUL),
            ("school_year", "1999-00"),
            ("school_year", NUL),
            ("q", NUL),
        ]
    ),
    *(
        ("district_pd", "completion-list", None, name, value)
        for name, value in [
            ("voided", "maybe"),
            ("staff", NUL),
            ("course", NUL),
            ("course_id", BAD_ID),
            ("building", NUL),
            ("school_year", "someday"),
        ]
    ),
    # Progress reports (their downloads share the FilterSet: see below).
    *(
        ("district_pd", "progress", None, name, value)
        for name, value in [
            ("as_of", "2026-02-30"),
            ("as_of", "yesterday"),
            ("as_of", NUL),
            ("plan_year", "abc"),
            ("plan_year", BAD_ID),
            ("strand", NUL),
            ("building", NUL),
            ("position", NUL),
            ("requirement", "-1"),
        ]
    ),
    *(
        ("district_pd", url, None, name, value)
        for url in ("progress-people", "progress-workbook", "progress-outstanding-csv")
        for name, value in [("as_of", "yesterday"), ("building", NUL), ("plan_year", BAD_ID)]
    ),
    ("district_pd", "progress-people", None, "state", "bogus"),
    ("district_pd", "progress-people", None, "state", NUL),
]


def _login(client, world, role):
    if role is not None:
        client.force_login(getattr(world, role).user)


def _case_id(case) -> str:
    role, url, _args, name, value = case
    return f"{role}-{url}-{name}-{repr(value)[:20]}"


@pytest.mark.parametrize("case", API_CASES, ids=[_case_id(case) for case in API_CASES])
def test_a_bad_api_parameter_is_a_400_naming_it(api_client, world, case):
    role, url, _args, name, value = case
    _login(api_client, world, role)

    response = api_client.get(reverse(url), {name: value}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert name in body, body


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        ({"page": "abc"}, {400}),  # not a page number
        ({"page": "0"}, {400}),
        ({"page": NUL}, {400}),
        ({"page": BAD_ID}, {404}),  # a page past the last
        ({"page_size": "-5"}, {200}),  # out-of-range sizes fall back to the default
        ({"page_size": "abc"}, {200}),
        ({"page_size": BAD_ID}, {200}),
    ],
    ids=repr,
)
def test_paging_parameters_never_fail(api_client, world, params, allowed):
    _login(api_client, world, "district_pd")

    response = api_client.get(reverse("enrollment-list"), params)

    assert response.status_code in allowed


# Pages: (role, URL name, URL args, parameter, bad value, what names it on the page)
PAGE_CASES = [
    *(
        (None, "catalog:index", None, name, value)
        for name, value in [
            ("month", "2026-13"),
            ("month", NUL),
            ("strand", NUL),
            ("building", NUL),
            ("building_id", BAD_ID),
            ("course", overlong(40)),
            ("q", NUL),
        ]
    ),
    *(
        (None, "calendars:catalog", None, name, value)
        for name, value in [("month", "bogus"), ("building", NUL), ("strand_id", "abc")]
    ),
    *(
        ("district_pd", "leaders:dashboard", None, name, value)
        for name, value in [
            ("as_of", "2026-02-30"),
            ("as_of", "yesterday"),
            ("plan_year", "abc"),
            ("plan_year", BAD_ID),
            ("building", NUL),
            ("position", NUL),
        ]
    ),
    *(
        ("district_pd", url, None, name, value)
        for url in (
            "leaders:people",
            "leaders:outstanding",
            "leaders:workbook",
            "leaders:outstanding-csv",
        )
        for name, value in [("as_of", "yesterday"), ("building", NUL)]
    ),
    ("district_pd", "leaders:people", None, "state", "bogus"),
    ("district_pd", "leaders:dashboard", None, "chart", NUL),
    ("district_pd", "leaders:plan", None, "plan", NUL),
    ("district_pd", "leaders:plan", None, "plan", overlong(200)),
]


@pytest.mark.parametrize("case", PAGE_CASES, ids=[_case_id(case) for case in PAGE_CASES])
def test_a_bad_page_parameter_is_a_400_naming_it(client, world, case):
    role, url, _args, name, value = case
    _login(client, world, role)

    response = client.get(reverse(url), {name: value})

    # The catalog shows its results with the error beside the filter (200); reports refuse (400).
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert name in response.context["form"].errors
    else:
        assert name in response.content.decode(errors="replace")


@pytest.mark.parametrize(
    ("role", "url", "params"),
    [
        ("hr", "imports:index", {"page": "abc"}),
        ("hr", "imports:index", {"page": BAD_ID}),
        ("hr", "imports:index", {"page": NUL}),
        (None, "enrollment:verify-lookup", {"code": NUL}),
        (None, "enrollment:verify-lookup", {"code": overlong(40)}),
        (None, "enrollment:verify-lookup", {"code": "José-Núñez"}),
        ("leader", "enrollment:assign", {"show": NUL}),
        ("leader", "enrollment:assign", {"show": BAD_ID}),
    ],
    ids=repr,
)
def test_lenient_page_parameters_show_the_page(client, world, role, url, params):
    """Parameters that only choose what is shown (a page number, a building to list): a bad one
    shows the default, or the form with its error; never a 500."""
    _login(client, world, role)
    args = [world.open_session.pk] if url == "enrollment:assign" else []

    response = client.get(reverse(url, args=args), params)

    assert response.status_code in (200, 400)


def test_staff_history_with_a_bad_page_shows_the_first(client, world):
    client.force_login(world.district_pd.user)

    response = client.get(reverse("audit:staff-history", args=[world.teacher.pk]), {"page": NUL})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("value", "voided"), [("true", True), ("false", False), ("1", True), ("0", False), ("", None)]
)
def test_the_voided_filter_reads_true_and_false(api_client, world, value, voided):
    from django.utils import timezone

    from tests.factories import CompletionFactory

    struck = CompletionFactory(staff=world.teacher, voided_at=timezone.now(), void_reason="Twice")
    _login(api_client, world, "district_pd")

    response = api_client.get(reverse("completion-list"), {"voided": value})

    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    expected = {
        True: {struck.pk},
        False: {world.completion.pk},
        None: {struck.pk, world.completion.pk},
    }[voided]
    assert ids == expected

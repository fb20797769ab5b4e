"""The read-only catalog API: strands, courses, buildings and sessions under /api/v1/."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from catalog.choices import CourseFormat, MeetingStatus, SessionStatus
from catalog.models import Session
from core.api.pagination import MSG_INVALID_PAGE
from enrollment.choices import EnrollmentStatus
from tests.factories import (
    BuildingFactory,
    CourseFactory,
    EnrollmentFactory,
    MeetingFactory,
    PositionFactory,
    SessionFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    StrandFactory,
    local,
)

pytestmark = pytest.mark.django_db


def api_time(value: dt.datetime) -> str:
    """A datetime as the API writes it: ISO 8601 in the district's zone."""
    return timezone.localtime(value).isoformat()


def month_from_today(months: int) -> tuple[int, int]:
    """(year, month) that many months after the current one; inside SessionFilterSet's window."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def get_list(client, basename: str, **params):
    return client.get(reverse(f"{basename}-list"), params)


def get_detail(client, basename: str, pk: int):
    return client.get(reverse(f"{basename}-detail", args=[pk]))


def count_queries(client, url: str, params: dict | None = None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def log_in_with_session(client, staff) -> None:
    """Log in as a browser does. The user is re-read from the database because the session keeps
    a hash of the stored password, and a factory-built user in memory may not match it."""
    client.force_login(User.objects.get(pk=staff.user_id))


def authenticate_with_token(client, staff) -> None:
    token = Token.objects.create(user=staff.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_api_root_lists_the_catalog_resources_to_anyone(api_client):
    response = api_client.get(reverse("api-root"))

    assert response.status_code == 200
    assert set(response.json()) >= {"strands", "courses", "buildings", "sessions"}


# Strands


def test_strand_list_and_detail_show_the_public_fields(api_client):
    strand = StrandFactory(
        code="rp", name="Restorative Practices", description="Circles.", colour="#336699"
    )
    expected = {
        "id": strand.pk,
        "code": "rp",
        "name": "Restorative Practices",
        "description": "Circles.",
        "colour": "#336699",
    }

    listed = get_list(api_client, "strand").json()
    detail = get_detail(api_client, "strand", strand.pk)

    assert listed["count"] == 1
    assert listed["results"] == [expected]
    assert detail.status_code == 200
    assert detail.json() == expected


def test_strands_are_listed_in_plan_order(api_client):
    later = StrandFactory(name="A first by name", order=2)
    earlier = StrandFactory(name="Z last by name", order=1)

    assert listed_ids(get_list(api_client, "strand")) == [earlier.pk, later.pk]


# Courses


def test_course_detail_shows_strand_prerequisites_and_decimal_hours(api_client):
    strand = StrandFactory(code="sel", name="Social-Emotional Learning")
    basics = CourseFactory(code="sel-101", title="SEL Basics", strand=strand)
    course = CourseFactory(
        code="sel-201",
        title="SEL in the Classroom",
        strand=strand,
        summary="Routines.",
        clock_hours=Decimal("4.50"),
        format=CourseFormat.HYBRID,
        evaluation_required=True,
        requires_approval=True,
    )
    course.prerequisites.add(basics)

    response = get_detail(api_client, "course", course.pk)

    assert response.status_code == 200
    assert response.json() == {
        "id": course.pk,
        "code": "sel-201",
        "title": "SEL in the Classroom",
        "strand": {"id": strand.pk, "code": "sel", "name": "Social-Emotional Learning"},
        "summary": "Routines.",
        "clock_hours": "4.50",
        "format": "hybrid",
        "prerequisites": [{"id": basics.pk, "code": "sel-101", "title": "SEL Basics"}],
        "evaluation_required": True,
        "requires_approval": True,
        "active": True,
    }


def test_course_filters_by_strand_code_strand_id_active_and_search(api_client):
    crt = StrandFactory(code="crt")
    equity = StrandFactory(code="equity")
    crt_course = CourseFactory(strand=crt, code="crt-101", title="Culturally Responsive Teaching")
    equity_course = CourseFactory(strand=equity, code="eq-101", title="Equity Walks")
    retired = CourseFactory(strand=equity, code="eq-001", title="Old Equity", active=False)

    assert listed_ids(get_list(api_client, "course", strand="crt")) == [crt_course.pk]
    assert set(listed_ids(get_list(api_client, "course", strand_id=equity.pk))) == {
        equity_course.pk,
        retired.pk,
    }
    assert listed_ids(get_list(api_client, "course", active="false")) == [retired.pk]
    assert listed_ids(get_list(api_client, "course", q="responsive")) == [crt_course.pk]
    assert listed_ids(get_list(api_client, "course", q="EQ-10")) == [equity_course.pk]


def test_course_filter_with_unknown_strand_is_a_400_naming_the_filter(api_client):
    CourseFactory()

    response = get_list(api_client, "course", strand="nope")

    assert response.status_code == 400
    assert "strand" in response.json()


# Buildings


def test_buildings_list_only_active_ones_with_their_public_fields(api_client):
    maple = BuildingFactory(code="maple", name="Maple Elementary", kind="elementary", address="1 A")
    closed = BuildingFactory(code="closed", name="Closed School", active=False)

    response = get_list(api_client, "building")

    assert response.json()["results"] == [
        {
            "id": maple.pk,
            "code": "maple",
            "name": "Maple Elementary",
            "kind": "elementary",
            "address": "1 A",
        }
    ]
    assert get_detail(api_client, "building", closed.pk).status_code == 404


# Sessions: fields


def test_session_detail_shows_course_place_seats_group_facilitators_and_meetings(api_client):
    strand = StrandFactory(code="rp", name="Restorative Practices")
    course = CourseFactory(
        code="rp-101", title="Circles", strand=strand, clock_hours=Decimal("6.00")
    )
    building = BuildingFactory(code="maple", name="Maple Elementary")
    group = StaffGroupFactory(name="New-teacher cohort")
    session = SessionFactory(
        course=course,
        title="Cohort B",
        building=building,
        room="Library",
        capacity=3,
        restricted_to_group=group,
        registration_opens_at=local(2026, 8, 1, 8),
        registration_closes_at=local(2026, 9, 1, 17),
    )
    facilitator = StaffMemberFactory(first_name="Frances", preferred_name="Fran", last_name="Ng")
    session.facilitators.add(facilitator)
    session.audience_buildings.add(building)
    course.audience_positions.add(PositionFactory(code="principal", name="Principal"))
    first = MeetingFactory(session=session, starts_at=local(2026, 9, 10), room="Gym")
    second = MeetingFactory(
        session=session, starts_at=local(2026, 9, 17), status=MeetingStatus.CANCELLED
    )
    for status in (EnrollmentStatus.ENROLLED, EnrollmentStatus.ENROLLED):
        EnrollmentFactory(session=session, status=status)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)

    response = get_detail(api_client, "session", session.pk)

    assert response.status_code == 200
    assert response.json() == {
        "id": session.pk,
        "course": {
            "id": course.pk,
            "code": "rp-101",
            "title": "Circles",
            "clock_hours": "6.00",
            "strand": {"id": strand.pk, "code": "rp", "name": "Restorative Practices"},
        },
        "title": "Cohort B",
        "display_title": "Circles — Cohort B",
        "building": {"id": building.pk, "code": "maple", "name": "Maple Elementary"},
        "room": "Library",
        "virtual_url": "",
        "capacity": 3,
        "seats_taken": 2,
        "seats_left": 1,
        "waitlist_length": 1,
        "registration_opens_at": api_time(session.registration_opens_at),
        "registration_closes_at": api_time(session.registration_closes_at),
        "registration_state": "ended",
        "status": "published",
        "restricted_to_group": {"id": group.pk, "slug": group.slug, "name": "New-teacher cohort"},
        "audience_positions": ["principal"],
        "audience_buildings": ["maple"],
        "audience_words": "Principal; staff of Maple Elementary; members of New-teacher cohort",
        "requires_approval": False,
        "facilitators": [{"id": facilitator.pk, "name": "Fran Ng"}],
        "meetings": [
            {
                "id": meeting.pk,
                "uid": meeting.uid,
                "starts_at": api_time(meeting.starts_at),
                "ends_at": api_time(meeting.ends_at),
                "room": meeting.room,
                "status": meeting.status,
                "sequence": 0,
            }
            for meeting in (first, second)
        ],
        "first_starts_at": api_time(first.starts_at),
        "last_ends_at": api_time(second.ends_at),
    }


def test_session_never_shows_a_facilitators_email_or_employee_id(api_client):
    session = SessionFactory()
    facilitator = StaffMemberFactory(employee_id="987654", email="fran.private@example.org")
    session.facilitators.add(facilitator)

    response = get_detail(api_client, "session", session.pk)

    assert response.json()["facilitators"] == [
        {"id": facilitator.pk, "name": facilitator.display_name}
    ]
    assert b"fran.private@example.org" not in response.content
    assert b"987654" not in response.content


def test_full_session_has_no_seats_left_and_no_building_when_virtual(api_client):
    session = SessionFactory(building=None, room="", virtual_url="https://meet.example.org/x")
    session.capacity = 1
    session.save()
    EnrollmentFactory.create_batch(2, session=session, status=EnrollmentStatus.ENROLLED)

    row = get_detail(api_client, "session", session.pk).json()

    assert (row["seats_taken"], row["seats_left"]) == (2, 0)
    assert row["building"] is None
    assert row["restricted_to_group"] is None
    assert row["virtual_url"] == ""
    assert (row["meetings"], row["first_starts_at"], row["last_ends_at"]) == ([], None, None)


def test_meeting_links_only_reach_signed_in_staff(api_client, teacher):
    session = SessionFactory(building=None, room="", virtual_url="https://meet.example.org/x")

    assert get_detail(api_client, "session", session.pk).json()["virtual_url"] == ""
    assert b"meet.example.org" not in api_client.get("/api/v1/sessions/").content

    api_client.force_login(teacher.user)
    assert get_detail(api_client, "session", session.pk).json()["virtual_url"] == (
        "https://meet.example.org/x"
    )


@pytest.mark.parametrize(
    ("session_requires", "course_requires", "expected"),
    [(False, False, False), (True, False, True), (False, True, True)],
)
def test_session_requires_approval_when_it_or_its_course_does(
    api_client, session_requires, course_requires, expected
):
    session = SessionFactory(
        requires_approval=session_requires,
        course=CourseFactory(requires_approval=course_requires),
    )

    assert get_detail(api_client, "session", session.pk).json()["requires_approval"] is expected


def test_sessions_are_listed_by_their_first_meeting_and_undated_ones_last(api_client):
    # Created first, so it has the lowest id: only NULLS LAST keeps it at the end on SQLite.
    undated = SessionFactory()
    later = MeetingFactory(starts_at=local(2026, 10, 1)).session
    sooner = MeetingFactory(starts_at=local(2026, 9, 1)).session

    assert listed_ids(get_list(api_client, "session")) == [sooner.pk, later.pk, undated.pk]


def test_pending_and_completed_enrollments_take_seats(api_client):
    session = SessionFactory(capacity=10)
    for status in (EnrollmentStatus.PENDING_APPROVAL, EnrollmentStatus.COMPLETED):
        EnrollmentFactory(session=session, status=status)
    for status in (
        EnrollmentStatus.CANCELLED,
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.WITHDRAWN,
        EnrollmentStatus.WAITLISTED,
    ):
        EnrollmentFactory(session=session, status=status)

    row = get_detail(api_client, "session", session.pk).json()

    assert (row["seats_taken"], row["seats_left"], row["waitlist_length"]) == (2, 8, 1)


def hours_from_now(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("fields", "meeting_in_hours", "expected"),
    [
        ({"registration_opens_at": 48}, 24 * 7, "not_yet_open"),
        ({"registration_opens_at": -48, "registration_closes_at": 48}, 24 * 7, "open"),
        ({}, 24 * 7, "open"),
        ({}, None, "open"),
        ({"registration_closes_at": -1}, 24 * 7, "closed"),
        ({"registration_opens_at": -48, "status": SessionStatus.CANCELLED}, 24 * 7, "cancelled"),
        ({"status": SessionStatus.DRAFT}, 24 * 7, "draft"),
        ({"registration_closes_at": 48}, -24, "ended"),
    ],
)
def test_session_registration_state(api_client, district_pd, fields, meeting_in_hours, expected):
    values = {
        name: hours_from_now(value) if name.startswith("registration_") else value
        for name, value in fields.items()
    }
    session = SessionFactory(**values)
    if meeting_in_hours is not None:
        MeetingFactory(session=session, starts_at=hours_from_now(meeting_in_hours))
    authenticate_with_token(api_client, district_pd)  # drafts too

    detail = get_detail(api_client, "session", session.pk).json()
    listed = get_list(api_client, "session").json()["results"]

    assert detail["registration_state"] == expected
    assert [row["registration_state"] for row in listed] == [expected]


def test_registration_state_is_a_documented_choice(api_client):
    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()["components"]["schemas"]
    state = schema["Session"]["properties"]["registration_state"]
    assert state["allOf"] == [{"$ref": "#/components/schemas/RegistrationStateEnum"}]
    assert state["readOnly"] is True
    assert set(schema["RegistrationStateEnum"]["enum"]) == {
        "draft",
        "cancelled",
        "ended",
        "not_yet_open",
        "open",
        "closed",
    }


# Pagination: a page past the last is a 404, a page that is not a whole number from 1 a 400 naming
# `page`, never a server error; page sizes are capped.


def test_a_page_past_the_last_is_a_404(api_client):
    SessionFactory()

    response = get_list(api_client, "session", page="9999")

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "²"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_it(api_client, page):
    SessionFactory()

    response = get_list(api_client, "session", page=page)

    assert response.status_code == 400
    assert response.json() == {"page": [MSG_INVALID_PAGE]}


def test_page_size_is_capped_at_500(api_client):
    session = SessionFactory()
    Session.objects.bulk_create(
        Session(course=session.course, status=session.status, capacity=5) for _ in range(500)
    )

    response = get_list(api_client, "session", page_size=100000)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], len(body["results"])) == (501, 500)
    assert body["next"] is not None


# Sessions: filters


@pytest.fixture
def two_sessions():
    """Two published sessions that differ in strand, course, building, title and month."""
    year, month = month_from_today(1)
    later_year, later_month = month_from_today(2)
    first = SessionFactory(
        course=CourseFactory(
            code="crt-101", title="Culturally Responsive Teaching", strand=StrandFactory(code="crt")
        ),
        building=BuildingFactory(code="maple"),
    )
    second = SessionFactory(
        course=CourseFactory(
            code="rp-101", title="Restorative Circles", strand=StrandFactory(code="rp")
        ),
        building=BuildingFactory(code="oak"),
        title="Evening cohort",
    )
    MeetingFactory(session=first, starts_at=local(year, month, 15))
    MeetingFactory(session=second, starts_at=local(later_year, later_month, 15))
    return first, second


def test_session_filters_by_natural_keys_and_ids(api_client, two_sessions):
    first, second = two_sessions

    by_param = {
        "strand": "crt",
        "strand_id": first.course.strand_id,
        "course": "crt-101",
        "course_id": first.course_id,
        "building": "maple",
        "building_id": first.building_id,
    }
    for name, value in by_param.items():
        assert listed_ids(get_list(api_client, "session", **{name: value})) == [first.pk], name
    assert listed_ids(get_list(api_client, "session", strand=["crt", "rp"])) == [
        first.pk,
        second.pk,
    ]


def test_session_filter_by_month_keeps_sessions_meeting_in_that_month(api_client, two_sessions):
    first, second = two_sessions
    year, month = month_from_today(1)
    later_year, later_month = month_from_today(2)

    assert listed_ids(get_list(api_client, "session", month=f"{year}-{month:02d}")) == [first.pk]
    later = get_list(api_client, "session", month=f"{later_year}-{later_month:02d}")
    assert listed_ids(later) == [second.pk]


def test_session_search_matches_course_code_title_and_session_title(api_client, two_sessions):
    first, second = two_sessions

    assert listed_ids(get_list(api_client, "session", q="responsive")) == [first.pk]
    assert listed_ids(get_list(api_client, "session", q="RP-1")) == [second.pk]
    assert listed_ids(get_list(api_client, "session", q="evening")) == [second.pk]


def test_session_filter_by_audience_takes_the_slug_the_list_shows(api_client, two_sessions):
    first, second = two_sessions
    second.restricted_to_group = StaffGroupFactory(name="New-teacher cohort")
    second.save(update_fields=["restricted_to_group"])

    rows = get_list(api_client, "session").json()["results"]
    slug = next(row for row in rows if row["id"] == second.pk)["restricted_to_group"]["slug"]

    assert listed_ids(get_list(api_client, "session", audience=slug)) == [second.pk]
    assert listed_ids(get_list(api_client, "session", audience="all")) == [first.pk]


def test_session_filter_by_status(api_client, two_sessions):
    first, second = two_sessions
    cancelled = SessionFactory(status=SessionStatus.CANCELLED)

    assert listed_ids(get_list(api_client, "session", status="cancelled")) == [cancelled.pk]
    assert set(listed_ids(get_list(api_client, "session", status="published"))) == {
        first.pk,
        second.pk,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("strand", "nope"),
        ("strand_id", "999999"),
        ("course", "nope"),
        ("building", "nope"),
        ("month", "1999-01"),
        ("status", "archived"),
    ],
)
def test_session_filter_with_invalid_value_is_a_400_naming_the_filter(
    api_client, two_sessions, name, value
):
    response = get_list(api_client, "session", **{name: value})

    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_blank_filter_values_mean_no_filter(api_client, two_sessions):
    response = get_list(api_client, "session", strand="", building="", month="", q=" ")

    assert response.status_code == 200
    assert response.json()["count"] == 2


# Sessions: who sees drafts


@pytest.fixture
def draft():
    return SessionFactory(status=SessionStatus.DRAFT)


@pytest.fixture
def published():
    return SessionFactory(status=SessionStatus.PUBLISHED)


def test_anonymous_sees_published_sessions_but_not_drafts(api_client, draft, published):
    assert listed_ids(get_list(api_client, "session")) == [published.pk]
    assert get_detail(api_client, "session", draft.pk).status_code == 404


def test_teacher_does_not_see_drafts(api_client, teacher, draft, published):
    log_in_with_session(api_client, teacher)

    listed = get_list(api_client, "session")
    assert listed.wsgi_request.user.pk == teacher.user_id
    assert listed_ids(listed) == [published.pk]
    assert get_detail(api_client, "session", draft.pk).status_code == 404


def test_district_pd_with_a_token_sees_drafts(api_client, district_pd, draft, published):
    authenticate_with_token(api_client, district_pd)

    listed = get_list(api_client, "session")
    assert listed.wsgi_request.user.pk == district_pd.user_id
    assert set(listed_ids(listed)) == {draft.pk, published.pk}
    detail = get_detail(api_client, "session", draft.pk)
    assert detail.status_code == 200
    assert detail.json()["status"] == "draft"


def test_a_drafts_facilitator_sees_it_but_not_other_drafts(
    api_client, facilitator, facilitated_session, draft
):
    facilitated_session.status = SessionStatus.DRAFT
    facilitated_session.save()
    log_in_with_session(api_client, facilitator)

    listed = get_list(api_client, "session")
    assert listed.wsgi_request.user.pk == facilitator.user_id
    assert listed_ids(listed) == [facilitated_session.pk]
    assert get_detail(api_client, "session", facilitated_session.pk).status_code == 200
    assert get_detail(api_client, "session", draft.pk).status_code == 404


def test_catalog_api_has_no_write_endpoints(api_client, district_pd, published):
    authenticate_with_token(api_client, district_pd)

    created = api_client.post(reverse("session-list"), {"capacity": 5}, format="json")
    changed = api_client.patch(
        reverse("session-detail", args=[published.pk]), {"capacity": 5}, format="json"
    )
    deleted = api_client.delete(reverse("course-detail", args=[published.course_id]))

    assert (created.status_code, changed.status_code, deleted.status_code) == (405, 405, 405)
    published.refresh_from_db()
    assert published.capacity == 20


# Query counts: a list costs the same number of queries however many rows it holds.


def make_sessions(count: int, building) -> None:
    """Sessions of distinct courses, each with 2 meetings, 2 facilitators, a group and
    enrollments, so any relation loaded per row would add queries."""
    for number in range(count):
        session = SessionFactory(building=building, restricted_to_group=StaffGroupFactory())
        session.facilitators.add(*StaffMemberFactory.create_batch(2, building=building))
        start = local(2026, 9, 1) + dt.timedelta(days=number)
        MeetingFactory(session=session, starts_at=start)
        MeetingFactory(session=session, starts_at=start + dt.timedelta(days=7))
        for status in (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED):
            EnrollmentFactory(
                session=session, status=status, staff=StaffMemberFactory(building=building)
            )


# count, sessions with their annotations, meetings, facilitators, the audiences' positions and
# buildings of the sessions and of their courses
SESSION_LIST_QUERIES = 8


def test_session_list_queries_do_not_grow_with_sessions(api_client, building):
    url = reverse("session-list")
    make_sessions(5, building)
    few, few_body = count_queries(api_client, url)
    make_sessions(45, building)
    many, many_body = count_queries(api_client, url)

    assert (len(few_body["results"]), len(many_body["results"])) == (5, 50)
    assert all(len(row["meetings"]) == 2 for row in many_body["results"])
    assert all(len(row["facilitators"]) == 2 for row in many_body["results"])
    assert few == many == SESSION_LIST_QUERIES


def test_session_list_queries_do_not_grow_with_page_size(api_client, building):
    url = reverse("session-list")
    make_sessions(50, building)

    small, small_body = count_queries(api_client, url, {"page_size": 5})
    large, large_body = count_queries(api_client, url, {"page_size": 50})

    assert (len(small_body["results"]), len(large_body["results"])) == (5, 50)
    assert small == large == SESSION_LIST_QUERIES


def test_session_list_queries_for_a_token_user_with_filters_do_not_grow(
    api_client, building, district_pd
):
    url = reverse("session-list")
    params = {"building": building.code, "status": "published"}
    authenticate_with_token(api_client, district_pd)
    make_sessions(5, building)
    few, few_body = count_queries(api_client, url, params)
    make_sessions(45, building)
    many, many_body = count_queries(api_client, url, params)

    assert (few_body["count"], many_body["count"]) == (5, 50)
    assert few == many
    # At most: the token, four for the roles (groups, staff record, led buildings, facilitated
    # sessions) and one resolving the building code.
    assert many <= SESSION_LIST_QUERIES + 6


def make_courses(count: int, strand, prerequisites) -> None:
    for _ in range(count):
        CourseFactory(strand=strand).prerequisites.add(*prerequisites)


# count, courses with their strands, prerequisites
COURSE_LIST_QUERIES = 3


def test_course_list_queries_do_not_grow_with_courses_or_page_size(api_client):
    url = reverse("course-list")
    prerequisites = CourseFactory.create_batch(2)
    make_courses(3, StrandFactory(), prerequisites)
    few, few_body = count_queries(api_client, url)
    for _ in range(9):
        make_courses(5, StrandFactory(), prerequisites)
    many, many_body = count_queries(api_client, url)
    small, _ = count_queries(api_client, url, {"page_size": 5})

    assert (few_body["count"], many_body["count"]) == (5, 50)
    assert sum(len(row["prerequisites"]) == 2 for row in many_body["results"]) == 48
    assert few == many == small == COURSE_LIST_QUERIES


@pytest.mark.parametrize(
    ("basename", "factory"), [("strand", StrandFactory), ("building", BuildingFactory)]
)
def test_strand_and_building_lists_take_two_queries_whatever_their_size(
    api_client, basename, factory
):
    url = reverse(f"{basename}-list")
    factory.create_batch(5)
    few, few_body = count_queries(api_client, url)
    factory.create_batch(45)
    many, many_body = count_queries(api_client, url)
    small, _ = count_queries(api_client, url, {"page_size": 5})

    assert (few_body["count"], many_body["count"]) == (5, 50)
    assert few == many == small == 2  # count, rows

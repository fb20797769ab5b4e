"""The enrollment API under /api/v1/: enrolling and assigning, the enrollments list and decisions,
attendance, evaluations, completions and the transcript. Every refusal answers its code and
status, and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import refusals
from core.api.exceptions import exception_handler
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation
from tests.factories import (
    BuildingFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    MeetingFactory,
    PlanYearFactory,
    PositionFactory,
    SessionFactory,
    StaffGroupFactory,
    StaffMemberFactory,
    local,
)

pytestmark = pytest.mark.django_db


def enroll_url(session) -> str:
    return reverse("session-enroll", args=[session.pk])


def post(client, url: str, data: dict | None = None):
    return client.post(url, data or {}, format="json")


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def hours_from_now(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


@pytest.fixture
def as_teacher(api_client, teacher):
    api_client.force_login(teacher.user)
    return api_client


@pytest.fixture
def as_leader(api_client, leader):
    api_client.force_login(leader.user)
    return api_client


@pytest.fixture
def as_district_pd(api_client, district_pd):
    api_client.force_login(district_pd.user)
    return api_client


@pytest.fixture
def as_facilitator(api_client, facilitator):
    api_client.force_login(facilitator.user)
    return api_client


@pytest.fixture
def session(db):
    """A published session, open for registration, meeting next week."""
    session = SessionFactory(capacity=5)
    MeetingFactory(session=session, starts_at=hours_from_now(24 * 7))
    return session


# Errors: refusals and other errors take one shape


def test_anonymous_clients_are_told_to_sign_in(api_client, session):
    response = post(api_client, enroll_url(session))

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_an_unknown_session_is_a_404_with_a_code(as_teacher):
    response = post(as_teacher, reverse("session-enroll", args=[999999]))

    assert response.json() == {"code": "not_found", "message": "Not found."}
    assert response.status_code == 404


# Enrolling


def test_teacher_enrolls_themselves(as_teacher, teacher, session):
    response = post(as_teacher, enroll_url(session))

    assert response.status_code == 201, response.content
    body = response.json()
    enrollment = Enrollment.objects.get(staff=teacher, session=session)
    assert body["id"] == enrollment.pk
    assert body["status"] == "enrolled"
    assert body["source"] == EnrollmentSource.SELF
    assert (body["waitlist_position"], body["hold_expires_at"]) == (None, None)
    assert body["staff"] == {
        "id": teacher.pk,
        "employee_id": teacher.employee_id,
        "name": "Tess Teacher",
        "building": "maple",
    }
    assert body["session"]["id"] == session.pk
    assert body["session"]["course"]["code"] == session.course.code
    assert teacher.email.encode() not in response.content


def test_a_full_session_waitlists_with_the_position_not_a_refusal(as_teacher, teacher):
    full = SessionFactory(capacity=1)
    EnrollmentFactory(session=full, status=EnrollmentStatus.ENROLLED)
    EnrollmentFactory(session=full, status=EnrollmentStatus.WAITLISTED)

    response = post(as_teacher, enroll_url(full))

    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["waitlist_position"]) == ("waitlisted", 2)


def test_a_session_needing_approval_holds_a_seat_until_a_date(as_teacher):
    session = SessionFactory(requires_approval=True)

    body = post(as_teacher, enroll_url(session)).json()

    assert body["status"] == "pending_approval"
    assert body["hold_expires_at"] is not None


def test_registration_closed_is_a_409_with_the_date(as_teacher, teacher):
    closed = SessionFactory(
        registration_opens_at=hours_from_now(-48), registration_closes_at=hours_from_now(-1)
    )
    MeetingFactory(session=closed, starts_at=hours_from_now(24))

    body = refused(post(as_teacher, enroll_url(closed)), 409, refusals.REGISTRATION_CLOSED)

    assert body["message"].startswith("Registration closed")
    assert "closed_at" in body["details"]
    assert not Enrollment.objects.filter(staff=teacher).exists()


def test_district_pd_may_override_the_window_but_nobody_else(
    api_client, as_leader, district_pd, teacher
):
    closed = SessionFactory(
        registration_opens_at=hours_from_now(-48), registration_closes_at=hours_from_now(-1)
    )
    data = {"staff": teacher.pk, "override_window": True}

    refused(post(as_leader, enroll_url(closed), data), 403, refusals.NOT_PERMITTED)
    assert not Enrollment.objects.filter(staff=teacher).exists()

    api_client.force_login(district_pd.user)
    response = post(api_client, enroll_url(closed), data)
    assert response.status_code == 201, response.content
    assert response.json()["source"] == EnrollmentSource.ASSIGNED


def test_a_missing_prerequisite_is_a_409_naming_it(as_teacher, session):
    basics = CourseFactory(code="rp-101", title="Circles")
    session.course.prerequisites.add(basics)

    body = refused(post(as_teacher, enroll_url(session)), 409, refusals.PREREQUISITES_MISSING)

    assert "RP-101 Circles" in body["message"]
    assert body["details"] == {"courses": ["rp-101"]}


def test_enrolling_twice_is_a_409(as_teacher, teacher, session):
    EnrollmentFactory(staff=teacher, session=session)

    body = refused(post(as_teacher, enroll_url(session)), 409, refusals.ALREADY_ENROLLED)

    assert Enrollment.objects.filter(staff=teacher).count() == 1
    assert body["details"]["status"] == "enrolled"


def test_a_schedule_conflict_is_a_409_naming_the_other_session(as_teacher, teacher, session):
    other = SessionFactory(course=CourseFactory(title="Equity Walks"))
    MeetingFactory(session=other, starts_at=session.meetings.get().starts_at)
    EnrollmentFactory(staff=teacher, session=other)

    body = refused(post(as_teacher, enroll_url(session)), 409, refusals.SCHEDULE_CONFLICT)

    assert "Equity Walks" in body["message"]
    assert not Enrollment.objects.filter(staff=teacher, session=session).exists()


def test_a_session_for_a_group_refuses_others_with_a_409(as_teacher, teacher):
    restricted = SessionFactory(restricted_to_group=StaffGroupFactory(name="Core Design Team"))

    body = refused(post(as_teacher, enroll_url(restricted)), 409, refusals.NOT_IN_AUDIENCE)

    assert "Core Design Team" in body["message"]


def test_a_teacher_enrolling_someone_else_gets_a_404(as_teacher, session):
    colleague = StaffMemberFactory(building=BuildingFactory(code="maple"))

    response = post(as_teacher, enroll_url(session), {"staff": colleague.pk})

    refused(response, 404, "not_found")
    assert colleague.display_name.encode() not in response.content
    assert not Enrollment.objects.exists()


def test_a_leader_enrolls_their_staff_but_not_another_buildings(
    as_leader, building, other_building, session
):
    own = StaffMemberFactory(building=building)
    other = StaffMemberFactory(building=other_building)

    refused(post(as_leader, enroll_url(session), {"staff": other.pk}), 404, "not_found")
    response = post(as_leader, enroll_url(session), {"staff": own.pk})

    assert response.status_code == 201, response.content
    assert response.json()["staff"]["id"] == own.pk
    assert list(Enrollment.objects.values_list("staff", flat=True)) == [own.pk]


def test_a_draft_session_is_not_found_by_a_teacher(as_teacher):
    draft = SessionFactory(status="draft")

    refused(post(as_teacher, enroll_url(draft)), 404, "not_found")


@pytest.mark.parametrize("staff", ["abc", 2**70, -1])
def test_an_invalid_staff_id_is_a_400_naming_the_field(as_leader, session, staff):
    response = post(as_leader, enroll_url(session), {"staff": staff})

    assert response.status_code == 400
    assert "staff" in response.json()


# Withdrawing, approving, declining


def test_withdrawing_gives_the_seat_to_the_head_of_the_waitlist(as_teacher, teacher):
    session = SessionFactory(capacity=1)
    mine = EnrollmentFactory(staff=teacher, session=session)
    first = EnrollmentFactory(
        session=session, status=EnrollmentStatus.WAITLISTED, requested_at=hours_from_now(-2)
    )
    second = EnrollmentFactory(
        session=session, status=EnrollmentStatus.WAITLISTED, requested_at=hours_from_now(-1)
    )

    response = post(as_teacher, reverse("enrollment-withdraw", args=[mine.pk]))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)


def test_withdrawing_a_completed_enrollment_is_a_409(as_teacher, teacher):
    done = EnrollmentFactory(staff=teacher, status=EnrollmentStatus.COMPLETED)

    response = post(as_teacher, reverse("enrollment-withdraw", args=[done.pk]))

    refused(response, 409, refusals.NOT_WITHDRAWABLE)


def test_withdrawing_someone_elses_enrollment_is_a_404(as_teacher):
    other = EnrollmentFactory()

    refused(post(as_teacher, reverse("enrollment-withdraw", args=[other.pk])), 404, "not_found")
    other.refresh_from_db()
    assert other.status == EnrollmentStatus.ENROLLED


@pytest.fixture
def pending(building):
    return EnrollmentFactory(
        staff=StaffMemberFactory(building=building),
        session=SessionFactory(requires_approval=True),
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=hours_from_now(48),
    )


def test_a_leader_approves_a_pending_request(as_leader, leader, pending):
    response = post(as_leader, reverse("enrollment-approve", args=[pending.pk]))

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["hold_expires_at"]) == ("enrolled", None)
    pending.refresh_from_db()
    assert pending.approved_by == leader.user


def test_declining_needs_a_reason(as_leader, pending):
    url = reverse("enrollment-decline", args=[pending.pk])

    refused(post(as_leader, url), 400, refusals.REASON_REQUIRED)
    refused(post(as_leader, url, {"reason": "  "}), 400, refusals.REASON_REQUIRED)
    pending.refresh_from_db()
    assert pending.status == EnrollmentStatus.PENDING_APPROVAL

    response = post(as_leader, url, {"reason": "No substitutes that week."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    assert response.json()["decision_reason"] == "No substitutes that week."


def test_approving_what_is_not_pending_is_a_409(as_leader, building):
    enrolled = EnrollmentFactory(staff=StaffMemberFactory(building=building))

    refused(
        post(as_leader, reverse("enrollment-approve", args=[enrolled.pk])),
        409,
        refusals.NOT_PENDING,
    )


def test_a_teacher_cannot_approve_their_own_request(as_teacher, teacher):
    mine = EnrollmentFactory(
        staff=teacher, status=EnrollmentStatus.PENDING_APPROVAL, hold_expires_at=hours_from_now(9)
    )

    refused(post(as_teacher, reverse("enrollment-approve", args=[mine.pk])), 404, "not_found")
    mine.refresh_from_db()
    assert mine.status == EnrollmentStatus.PENDING_APPROVAL


# Assigning


def test_a_leader_assigns_chosen_staff_and_ids_outside_scope_are_refused(
    as_leader, building, other_building, session
):
    first = StaffMemberFactory(building=building, last_name="Adams")
    second = StaffMemberFactory(building=building, last_name="Baker")
    outsider = StaffMemberFactory(building=other_building)
    EnrollmentFactory(staff=second, session=session)

    response = post(
        as_leader,
        reverse("enrollment-assign"),
        {"session": session.pk, "staff": [first.pk, outsider.pk, second.pk, 99999]},
    )

    assert response.status_code == 200, response.content
    results = {row["staff"]["id"]: row for row in response.json()}
    assert results[first.pk] == {
        "staff": {"id": first.pk, "name": first.display_name},
        "outcome": "enrolled",
        "waitlist_position": None,
        "code": None,
        "message": None,
    }
    assert (results[second.pk]["outcome"], results[second.pk]["code"]) == (
        "refused",
        refusals.ALREADY_ENROLLED,
    )
    for unknown in (outsider.pk, 99999):
        assert results[unknown]["staff"] == {"id": unknown, "name": None}
        assert (results[unknown]["outcome"], results[unknown]["code"]) == (
            "refused",
            refusals.NOT_PERMITTED,
        )
    assert outsider.display_name.encode() not in response.content
    assert not Enrollment.objects.filter(staff=outsider).exists()
    assert Enrollment.objects.get(staff=first).source == EnrollmentSource.ASSIGNED


def test_assigning_everyone_of_a_position_in_a_building_waitlists_past_capacity(
    as_district_pd, building, other_building
):
    session = SessionFactory(capacity=1)
    counselor = PositionFactory(code="counselor", category="support")
    chosen = [StaffMemberFactory(building=building, position=counselor) for _ in range(2)]
    StaffMemberFactory(building=other_building, position=counselor)
    StaffMemberFactory(building=building)

    response = post(
        as_district_pd,
        reverse("enrollment-assign"),
        {"session": session.pk, "position": "counselor", "building": "maple"},
    )

    assert response.status_code == 200, response.content
    rows = response.json()
    assert {row["staff"]["id"] for row in rows} == {person.pk for person in chosen}
    assert [(row["outcome"], row["waitlist_position"]) for row in rows] == [
        ("enrolled", None),
        ("waitlisted", 1),
    ]


def test_assigning_with_an_override_by_a_leader_is_a_403(as_leader, building, session):
    person = StaffMemberFactory(building=building)

    response = post(
        as_leader,
        reverse("enrollment-assign"),
        {"session": session.pk, "staff": [person.pk], "override_window": True},
    )

    refused(response, 403, refusals.NOT_PERMITTED)
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"session": 999999, "staff": [1]}, "session"),
        ({"session": "x", "staff": [1]}, "session"),
        ({"staff": [2**70]}, "staff"),
        ({"position": "nobody"}, "position"),
        ({"building": "nowhere"}, "building"),
        ({}, "staff"),
    ],
)
def test_assign_answers_invalid_fields_with_a_400_naming_them(as_leader, session, data, field):
    data = {"session": session.pk, **data}

    response = post(as_leader, reverse("enrollment-assign"), data)

    assert response.status_code == 400
    assert field in response.json()


# The enrollments list: scope and filters


@pytest.fixture
def everyone(teacher, leader, facilitator, facilitated_session, building, other_building):
    """One enrollment each: the teacher's, a colleague's in the same building, someone's in
    another building, and an outsider's in the facilitator's session."""
    return {
        "teacher": EnrollmentFactory(staff=teacher),
        "colleague": EnrollmentFactory(staff=StaffMemberFactory(building=building)),
        "other": EnrollmentFactory(staff=StaffMemberFactory(building=other_building)),
        "roster": EnrollmentFactory(
            staff=StaffMemberFactory(building=other_building), session=facilitated_session
        ),
    }


def ids_seen(client, user, **params) -> set[int]:
    client.force_login(user)
    return set(listed_ids(client.get(reverse("enrollment-list"), params)))


def test_each_role_lists_the_enrollments_in_its_scope(
    api_client, everyone, teacher, leader, facilitator, district_pd, hr
):
    pk = {name: enrollment.pk for name, enrollment in everyone.items()}

    assert ids_seen(api_client, teacher.user) == {pk["teacher"]}
    assert ids_seen(api_client, leader.user) == {pk["teacher"], pk["colleague"]}
    assert ids_seen(api_client, facilitator.user) == {pk["roster"]}
    assert ids_seen(api_client, district_pd.user) == set(pk.values())
    assert ids_seen(api_client, hr.user) == set()


def test_a_teacher_cannot_read_someone_elses_enrollment(as_teacher, everyone):
    response = as_teacher.get(reverse("enrollment-detail", args=[everyone["colleague"].pk]))

    refused(response, 404, "not_found")
    mine = as_teacher.get(reverse("enrollment-detail", args=[everyone["teacher"].pk]))
    assert mine.status_code == 200


def test_enrollments_filter_by_natural_keys_and_ids(api_client, district_pd, everyone):
    teacher_enrollment = everyone["teacher"]
    staff = teacher_enrollment.staff
    course = teacher_enrollment.session.course
    by_param = {
        "staff": staff.employee_id,
        "staff_id": staff.pk,
        "session": teacher_enrollment.session_id,
        "course": course.code,
        "course_id": course.pk,
    }
    for name, value in by_param.items():
        assert ids_seen(api_client, district_pd.user, **{name: value}) == {teacher_enrollment.pk}, (
            name
        )
    maple = {everyone["teacher"].pk, everyone["colleague"].pk}
    assert ids_seen(api_client, district_pd.user, building="maple") == maple
    assert ids_seen(api_client, district_pd.user, building_id=staff.building_id) == maple


def test_enrollments_filter_by_several_statuses(as_district_pd):
    waitlisted = EnrollmentFactory(status=EnrollmentStatus.WAITLISTED)
    pending = EnrollmentFactory(status=EnrollmentStatus.PENDING_APPROVAL)
    EnrollmentFactory(status=EnrollmentStatus.WITHDRAWN)

    response = as_district_pd.get(
        reverse("enrollment-list"), {"status": ["waitlisted", "pending_approval"]}
    )

    assert set(listed_ids(response)) == {waitlisted.pk, pending.pk}


def test_enrollments_filter_by_the_school_year_of_the_first_meeting(as_district_pd):
    PlanYearFactory(name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30))
    PlanYearFactory(name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30))
    this_year = EnrollmentFactory()
    MeetingFactory(session=this_year.session, starts_at=local(2026, 9, 10))
    MeetingFactory(session=this_year.session, starts_at=local(2025, 6, 1), status="cancelled")
    last_year = EnrollmentFactory()
    MeetingFactory(session=last_year.session, starts_at=local(2026, 6, 30, 20))
    MeetingFactory(session=last_year.session, starts_at=local(2026, 7, 2))
    EnrollmentFactory()  # no meetings yet

    url = reverse("enrollment-list")
    assert listed_ids(as_district_pd.get(url, {"school_year": "2026-27"})) == [this_year.pk]
    assert listed_ids(as_district_pd.get(url, {"school_year": "2025-26"})) == [last_year.pk]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("school_year", "1999-00"),
        ("staff", "no-such-employee"),
        ("staff_id", "99999999999999999999"),
        ("session", "abc"),
        ("status", "lost"),
        ("building", "nowhere"),
    ],
)
def test_an_invalid_enrollment_filter_is_a_400_naming_it(as_district_pd, name, value):
    PlanYearFactory(name="2026-27")

    response = as_district_pd.get(reverse("enrollment-list"), {name: value})

    assert response.status_code == 400
    assert name in response.json()


def test_a_teacher_cannot_filter_by_someone_outside_their_scope(as_teacher, everyone):
    outsider = everyone["other"].staff

    response = as_teacher.get(reverse("enrollment-list"), {"staff": outsider.employee_id})

    assert response.status_code == 400
    assert "staff" in response.json()


def test_enrollments_show_what_credit_still_needs(as_teacher, teacher):
    session = SessionFactory(course=CourseFactory(evaluation_required=True))
    MeetingFactory(session=session, starts_at=hours_from_now(-3))
    mine = EnrollmentFactory(staff=teacher, session=session)

    row = as_teacher.get(reverse("enrollment-detail", args=[mine.pk])).json()

    assert row["missing"] == ["1 meeting to attend", "evaluation due"]


# Query counts: constant whatever the number of rows


def count_queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def make_enrollments(count: int) -> None:
    for index in range(count):
        session = SessionFactory()
        MeetingFactory(session=session)
        EnrollmentFactory(
            session=session,
            status=EnrollmentStatus.WAITLISTED if index % 3 else EnrollmentStatus.ENROLLED,
        )
        EvaluationFactory(enrollment=EnrollmentFactory(session=session))


def make_completions(count: int) -> None:
    for index in range(count):
        enrollment = EnrollmentFactory(status=EnrollmentStatus.COMPLETED)
        enrollment.session.facilitators.add(StaffMemberFactory())
        CompletionFactory(
            staff=enrollment.staff,
            course=enrollment.session.course,
            enrollment=enrollment if index % 2 else None,
        )


# The browser session, the user, their groups and staff record, then the count and the rows; the
# completions also prefetch their sessions' facilitators.
ENROLLMENT_LIST_QUERIES = 6
COMPLETION_LIST_QUERIES = 7


@pytest.mark.parametrize(
    ("basename", "make", "rows", "expected"),
    [
        ("enrollment", make_enrollments, 2, ENROLLMENT_LIST_QUERIES),
        ("completion", make_completions, 1, COMPLETION_LIST_QUERIES),
    ],
)
def test_list_queries_do_not_grow_with_rows(as_district_pd, basename, make, rows, expected):
    url = reverse(f"{basename}-list")
    make(3)
    few, few_body = count_queries(as_district_pd, url)
    make(27)
    many, many_body = count_queries(as_district_pd, url)

    assert (few_body["count"], many_body["count"]) == (3 * rows, 30 * rows)
    assert few == many == expected


def test_enrollment_list_queries_for_a_leader_do_not_grow(as_leader, building):
    def make(count):
        for _ in range(count):
            EnrollmentFactory(staff=StaffMemberFactory(building=building))

    url = reverse("enrollment-list")
    make(3)
    few, few_body = count_queries(as_leader, url)
    make(27)
    many, many_body = count_queries(as_leader, url)

    assert (few_body["count"], many_body["count"]) == (3, 30)
    assert few == many


# Attendance


@pytest.fixture
def held_meeting(facilitated_session):
    """A meeting of the facilitator's session that started an hour ago."""
    return MeetingFactory(session=facilitated_session, starts_at=hours_from_now(-1))


def attendance_url(session) -> str:
    return reverse("session-attendance", args=[session.pk])


def test_facilitator_records_the_roster_and_completion_follows(
    as_facilitator, facilitated_session, held_meeting
):
    present, absent = EnrollmentFactory.create_batch(2, session=facilitated_session)

    response = post(
        as_facilitator,
        attendance_url(facilitated_session),
        {
            "meeting": held_meeting.pk,
            "records": [
                {"enrollment": present.pk, "present": True},
                {"enrollment": absent.pk, "present": False},
            ],
        },
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "changed": [
            {"enrollment": present.pk, "present": True, "created": True},
            {"enrollment": absent.pk, "present": False, "created": True},
        ],
        "recorded": 2,
    }
    present.refresh_from_db()
    absent.refresh_from_db()
    assert (present.status, absent.status) == (
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.INCOMPLETE,
    )
    assert Completion.objects.get().enrollment == present

    again = post(
        as_facilitator,
        attendance_url(facilitated_session),
        {"meeting": held_meeting.pk, "records": [{"enrollment": present.pk, "present": True}]},
    )
    assert again.json() == {"changed": [], "recorded": 1}


def test_a_meeting_of_another_session_is_a_400_naming_the_field(
    as_facilitator, facilitated_session
):
    elsewhere = MeetingFactory(starts_at=hours_from_now(-1))
    enrollment = EnrollmentFactory(session=facilitated_session)

    for meeting in (elsewhere.pk, 999999, "x"):
        response = post(
            as_facilitator,
            attendance_url(facilitated_session),
            {"meeting": meeting, "records": [{"enrollment": enrollment.pk, "present": True}]},
        )
        assert response.status_code == 400
        assert "meeting" in response.json()
    assert not Attendance.objects.exists()


def test_attendance_for_someone_not_on_the_roster_is_a_400(
    as_facilitator, facilitated_session, held_meeting
):
    stranger = EnrollmentFactory()

    response = post(
        as_facilitator,
        attendance_url(facilitated_session),
        {"meeting": held_meeting.pk, "records": [{"enrollment": stranger.pk, "present": True}]},
    )

    refused(response, 400, refusals.NOT_ON_ROSTER)
    assert not Attendance.objects.exists()


def test_attendance_before_the_meeting_day_is_a_409(as_facilitator, facilitated_session):
    upcoming = MeetingFactory(session=facilitated_session, starts_at=hours_from_now(24 * 3))
    enrollment = EnrollmentFactory(session=facilitated_session)

    response = post(
        as_facilitator,
        attendance_url(facilitated_session),
        {"meeting": upcoming.pk, "records": [{"enrollment": enrollment.pk, "present": True}]},
    )

    refused(response, 409, refusals.MEETING_NOT_STARTED)


def test_a_teacher_cannot_take_attendance(as_teacher, facilitated_session, held_meeting):
    enrollment = EnrollmentFactory(session=facilitated_session)

    response = post(
        as_teacher,
        attendance_url(facilitated_session),
        {"meeting": held_meeting.pk, "records": [{"enrollment": enrollment.pk, "present": True}]},
    )

    refused(response, 404, "not_found")
    assert not Attendance.objects.exists()


# Evaluations


@pytest.fixture
def attended(teacher):
    """The teacher's enrollment in a session whose only meeting is over."""
    session = SessionFactory()
    MeetingFactory(session=session, starts_at=hours_from_now(-30))
    return EnrollmentFactory(staff=teacher, session=session)


RATINGS = {"content_rating": 4, "facilitator_rating": 5, "relevance_rating": 3}


def test_a_participant_evaluates_their_session_once(as_teacher, attended):
    url = reverse("evaluation-list")

    response = post(as_teacher, url, {"enrollment": attended.pk, **RATINGS, "comment": " Good "})

    assert response.status_code == 201, response.content
    body = response.json()
    assert {name: body[name] for name in RATINGS} == RATINGS
    assert (body["enrollment"], body["comment"]) == (attended.pk, "Good")
    assert body["session"]["id"] == attended.session_id
    refused(
        post(as_teacher, url, {"enrollment": attended.pk, **RATINGS}),
        409,
        refusals.EVALUATION_ALREADY_SUBMITTED,
    )


def test_evaluating_someone_elses_enrollment_is_a_404(as_teacher):
    session = SessionFactory()
    MeetingFactory(session=session, starts_at=hours_from_now(-30))
    other = EnrollmentFactory(session=session)

    response = post(as_teacher, reverse("evaluation-list"), {"enrollment": other.pk, **RATINGS})

    refused(response, 404, "not_found")
    assert not Evaluation.objects.exists()


def test_a_rating_out_of_range_is_a_400_naming_the_field(as_teacher, attended):
    response = post(
        as_teacher,
        reverse("evaluation-list"),
        {"enrollment": attended.pk, **RATINGS, "relevance_rating": 6},
    )

    assert response.status_code == 400
    assert "relevance_rating" in response.json()


def test_the_evaluations_list_shows_only_ones_own(as_teacher, attended):
    mine = EvaluationFactory(enrollment=attended)
    EvaluationFactory(enrollment=EnrollmentFactory(session=attended.session))

    assert listed_ids(as_teacher.get(reverse("evaluation-list"))) == [mine.pk]


def summary_url(session) -> str:
    return reverse("session-evaluation-summary", args=[session.pk])


def test_the_evaluation_summary_hides_averages_below_the_minimum(
    as_facilitator, facilitated_session, settings
):
    settings.EVALUATION_MIN_RESPONSES = 3
    for rating in (2, 4):
        EvaluationFactory(
            enrollment=EnrollmentFactory(session=facilitated_session),
            content_rating=rating,
            comment="Helpful",
        )

    hidden = as_facilitator.get(summary_url(facilitated_session)).json()
    EvaluationFactory(enrollment=EnrollmentFactory(session=facilitated_session), content_rating=3)
    shown = as_facilitator.get(summary_url(facilitated_session)).json()

    assert hidden == {
        "responses": 2,
        "participants": 2,
        "minimum": 3,
        "shown": False,
        "averages": {"content_rating": None, "facilitator_rating": None, "relevance_rating": None},
        "comments": [],
    }
    assert shown["shown"] is True
    assert shown["averages"]["content_rating"] == 3.0
    assert shown["comments"] == ["Helpful", "Helpful"]
    assert "enrollment" not in str(shown)


def test_the_evaluation_summary_is_only_for_facilitators_and_district_pd(
    as_teacher, facilitated_session
):
    refused(as_teacher.get(summary_url(facilitated_session)), 404, "not_found")


# Completions


def test_completions_list_voided_ones_with_when_and_why(as_teacher, teacher):
    kept = CompletionFactory(staff=teacher, completed_on=dt.date(2026, 10, 2))
    voided = CompletionFactory(
        staff=teacher,
        completed_on=dt.date(2026, 10, 1),
        voided_at=timezone.now(),
        void_reason="Entered twice",
    )
    CompletionFactory()  # someone else's

    response = as_teacher.get(reverse("completion-list"))

    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [kept.pk, voided.pk]
    assert (rows[0]["voided_at"], rows[0]["void_reason"]) == (None, "")
    assert rows[1]["voided_at"] is not None
    assert rows[1]["void_reason"] == "Entered twice"
    assert rows[0]["staff"]["building"] == "maple"
    assert listed_ids(as_teacher.get(reverse("completion-list"), {"voided": "true"})) == [voided.pk]
    assert listed_ids(as_teacher.get(reverse("completion-list"), {"voided": "false"})) == [kept.pk]


def test_completions_filter_by_course_and_building(as_district_pd, building, other_building):
    here = CompletionFactory(staff=StaffMemberFactory(building=building))
    there = CompletionFactory(staff=StaffMemberFactory(building=other_building))
    url = reverse("completion-list")

    assert listed_ids(as_district_pd.get(url, {"building": "oak"})) == [there.pk]
    assert listed_ids(as_district_pd.get(url, {"course": here.course.code})) == [here.pk]
    assert listed_ids(as_district_pd.get(url, {"course_id": there.course_id})) == [there.pk]
    assert listed_ids(as_district_pd.get(url, {"staff": here.staff.employee_id})) == [here.pk]
    assert as_district_pd.get(url, {"course": "nope"}).status_code == 400


def test_district_pd_records_a_manual_completion_by_course_code(as_district_pd, teacher):
    course = CourseFactory(code="ext-1", clock_hours=Decimal("6.00"))

    response = post(
        as_district_pd,
        reverse("completion-list"),
        {
            "staff": teacher.pk,
            "course": "ext-1",
            "completed_on": "2026-01-15",
            "evidence": "MDE certificate 42",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    completion = Completion.objects.get()
    assert body["id"] == completion.pk
    assert (body["clock_hours"], body["source"], body["session"]) == ("6.00", "manual", None)
    assert completion.course == course
    assert completion.source == CompletionSource.MANUAL

    by_id = post(
        as_district_pd,
        reverse("completion-list"),
        {
            "staff": teacher.pk,
            "course": course.pk,
            "completed_on": "2026-01-16",
            "clock_hours": "1.5",
            "evidence": "Agenda",
        },
    )
    assert by_id.status_code == 201, by_id.content
    assert by_id.json()["clock_hours"] == "1.50"


def test_a_teacher_may_not_record_a_completion(as_teacher, teacher):
    course = CourseFactory()

    response = post(
        as_teacher,
        reverse("completion-list"),
        {"staff": teacher.pk, "course": course.pk, "completed_on": "2026-01-15", "evidence": "x"},
    )

    refused(response, 403, refusals.NOT_PERMITTED)
    assert not Completion.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"course": "nope"}, "course"),
        ({"course": True}, "course"),
        ({"staff": 999999}, "staff"),
        ({"completed_on": "someday"}, "completed_on"),
        ({"clock_hours": "-1"}, "clock_hours"),
    ],
)
def test_completion_fields_are_checked(as_district_pd, teacher, data, field):
    course = CourseFactory(code="ext-1")
    data = {
        "staff": teacher.pk,
        "course": course.code,
        "completed_on": "2026-01-15",
        "evidence": "Certificate",
        **data,
    }

    response = post(as_district_pd, reverse("completion-list"), data)

    assert response.status_code == 400
    assert field in response.json()


def test_a_completion_without_evidence_is_refused(as_district_pd, teacher):
    response = post(
        as_district_pd,
        reverse("completion-list"),
        {"staff": teacher.pk, "course": CourseFactory().pk, "completed_on": "2026-01-15"},
    )

    refused(response, 400, refusals.EVIDENCE_REQUIRED)


def test_district_pd_voids_a_completion_once(as_district_pd):
    completion = CompletionFactory()
    url = reverse("completion-void", args=[completion.pk])

    refused(post(as_district_pd, url), 400, refusals.REASON_REQUIRED)
    response = post(as_district_pd, url, {"reason": "Wrong course"})

    assert response.status_code == 200, response.content
    assert response.json()["void_reason"] == "Wrong course"
    assert response.json()["voided_at"] is not None
    refused(post(as_district_pd, url, {"reason": "Again"}), 409, refusals.ALREADY_VOIDED)
    completion.refresh_from_db()
    assert completion.void_reason == "Wrong course"


def test_a_teacher_may_not_void_even_their_own_completion(as_teacher, teacher):
    completion = CompletionFactory(staff=teacher)

    response = post(as_teacher, reverse("completion-void", args=[completion.pk]), {"reason": "x"})

    refused(response, 403, refusals.NOT_PERMITTED)
    completion.refresh_from_db()
    assert completion.voided_at is None


# Transcript


def test_the_transcript_groups_completions_by_school_year(as_teacher, teacher):
    PlanYearFactory(name="2025-26", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30))
    PlanYearFactory(name="2026-27", starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30))
    CompletionFactory(staff=teacher, completed_on=dt.date(2026, 10, 1), clock_hours=Decimal(3))
    CompletionFactory(staff=teacher, completed_on=dt.date(2026, 9, 1), clock_hours=Decimal(2))
    CompletionFactory(staff=teacher, completed_on=dt.date(2026, 3, 1), clock_hours=Decimal(4))
    CompletionFactory(
        staff=teacher,
        completed_on=dt.date(2026, 3, 2),
        clock_hours=Decimal(9),
        voided_at=timezone.now(),
        void_reason="Duplicate",
    )
    waiting = EnrollmentFactory(staff=teacher, status=EnrollmentStatus.WAITLISTED)
    CompletionFactory()  # someone else's

    response = as_teacher.get(reverse("me-transcript"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["staff"]["id"] == teacher.pk
    # Your own transcript shows your employee id (a filter by it takes it, too).
    assert body["staff"]["employee_id"] == teacher.employee_id
    assert body["clock_hours"] == "9.00"
    assert [
        (year["school_year"]["name"], year["clock_hours"], len(year["completions"]))
        for year in body["years"]
    ] == [("2026-27", "5.00", 2), ("2025-26", "4.00", 2)]
    assert [row["id"] for row in body["in_progress"]] == [waiting.pk]
    assert body["in_progress"][0]["waitlist_position"] == 1


def test_a_login_without_a_staff_record_has_no_transcript(api_client, admin_user):
    api_client.force_login(admin_user)

    refused(api_client.get(reverse("me-transcript")), 404, "not_found")


# The exception handler


def test_a_model_validation_error_from_a_service_is_a_400_with_field_messages():
    response = exception_handler(DjangoValidationError({"comment": ["Too long."]}), {})

    assert (response.status_code, response.data) == (400, {"comment": ["Too long."]})


def test_a_404_refusal_does_not_say_whom_it_was_about():
    refusal = refusals.Refusal(refusals.NOT_PERMITTED, "You may not do this for Ann Lee.", 404)

    response = exception_handler(refusal, {})

    assert (response.status_code, response.data) == (
        404,
        {"code": "not_found", "message": "Not found."},
    )


# Privacy inside shared lists


def test_a_teacher_cannot_assign_through_the_api(as_teacher, teacher, session):
    response = post(
        as_teacher, reverse("enrollment-assign"), {"session": session.pk, "staff": [teacher.pk]}
    )

    refused(response, 404, "not_found")
    assert not Enrollment.objects.exists()


def test_a_facilitator_sees_names_but_not_employee_ids_or_who_evaluated(
    as_facilitator, facilitator, building
):
    session = SessionFactory(course=CourseFactory(evaluation_required=True))
    session.facilitators.add(facilitator)
    MeetingFactory(session=session, starts_at=hours_from_now(-30))
    participant = StaffMemberFactory(building=BuildingFactory(), employee_id="E-4471")
    place = EnrollmentFactory(session=session, staff=participant, decision_reason="Private")
    EvaluationFactory(enrollment=place)

    response = as_facilitator.get(reverse("enrollment-list"), {"session": session.pk})

    row = response.json()["results"][0]
    assert row["staff"]["name"] == participant.display_name
    assert row["staff"]["employee_id"] is None
    assert row["has_evaluation"] is None
    assert row["decision_reason"] == ""
    assert not any("evaluation" in item for item in row["missing"])


def test_the_person_and_their_leader_see_the_employee_id(api_client, leader, building):
    participant = StaffMemberFactory(building=building, employee_id="E-4472")
    EnrollmentFactory(staff=participant)
    api_client.force_login(leader.user)

    row = api_client.get(reverse("enrollment-list")).json()["results"][0]

    assert row["staff"]["employee_id"] == "E-4472"


# Filters and searches match only what the list shows (tests/permissions/test_hidden_fields.py
# walks every filter; these are the cases the issue named)


def searched(client, **params) -> list[int]:
    return listed_ids(client.get(reverse("enrollment-list"), params))


def test_a_facilitators_search_does_not_match_the_employee_ids_it_hides(
    as_facilitator, facilitated_session
):
    participant = StaffMemberFactory(
        building=BuildingFactory(), employee_id="E-4471", last_name="Okafor"
    )
    place = EnrollmentFactory(session=facilitated_session, staff=participant)

    assert searched(as_facilitator, q="E-4471") == []
    assert searched(as_facilitator, q="okafor") == [place.pk]


def test_a_facilitators_filter_by_a_hidden_employee_id_is_a_400_like_an_unknown_one(
    as_facilitator, facilitated_session
):
    participant = StaffMemberFactory(building=BuildingFactory(), employee_id="E-4471")
    EnrollmentFactory(session=facilitated_session, staff=participant)
    url = reverse("enrollment-list")

    hidden = as_facilitator.get(url, {"staff": "E-4471"})
    unknown = as_facilitator.get(url, {"staff": "E-4470"})

    assert (hidden.status_code, unknown.status_code) == (400, 400)
    message = hidden.json()["staff"][0]
    assert message.startswith('No one whose employee id you are shown has the employee id "E-4471"')
    assert unknown.json()["staff"][0] == message.replace("E-4471", "E-4470")


def test_a_leader_searches_employee_ids_only_of_their_buildings_staff(
    api_client, leader, building, other_building, facilitated_session
):
    """A leader who also facilitates a session of people from other buildings sees those
    people's names, not their employee ids: the search matches the ids of the leader's own."""
    facilitated_session.facilitators.add(leader)
    own = EnrollmentFactory(
        session=facilitated_session, staff=StaffMemberFactory(building=building)
    )
    other = EnrollmentFactory(
        session=facilitated_session, staff=StaffMemberFactory(building=other_building)
    )
    api_client.force_login(leader.user)

    assert searched(api_client, q=own.staff.employee_id) == [own.pk]
    assert searched(api_client, q=other.staff.employee_id) == []
    assert searched(api_client, q=other.staff.last_name) == [other.pk]
    rows = api_client.get(reverse("enrollment-list")).json()["results"]
    shown = {row["id"]: row["staff"]["employee_id"] for row in rows}
    assert shown == {own.pk: own.staff.employee_id, other.pk: None}


def test_a_search_matches_the_name_shown_never_a_first_name_it_replaces(as_district_pd):
    person = StaffMemberFactory(first_name="Petra", preferred_name="Pip", last_name="Peerson")
    place = EnrollmentFactory(staff=person)

    assert searched(as_district_pd, q="Petra") == []
    assert searched(as_district_pd, q="pip") == [place.pk]
    assert searched(as_district_pd, q="Pip Peerson") == [place.pk]
    assert searched(as_district_pd, q=person.employee_id) == [place.pk]
    assert searched(as_district_pd, q=person.email) == []


def test_hr_filters_completions_by_the_employee_ids_it_is_shown(api_client, hr, teacher):
    """HR reads every completion, and sees the employee id on its own only."""
    theirs = CompletionFactory(staff=teacher)
    own = CompletionFactory(staff=hr)
    api_client.force_login(hr.user)
    url = reverse("completion-list")

    rows = api_client.get(url).json()["results"]
    assert {row["id"]: row["staff"]["employee_id"] for row in rows} == {
        theirs.pk: None,
        own.pk: hr.employee_id,
    }
    assert listed_ids(api_client.get(url, {"staff": hr.employee_id})) == [own.pk]
    assert listed_ids(api_client.get(url, {"staff_id": teacher.pk})) == [theirs.pk]
    refused_filter = api_client.get(url, {"staff": teacher.employee_id})
    assert refused_filter.status_code == 400
    assert list(refused_filter.json()) == ["staff"]

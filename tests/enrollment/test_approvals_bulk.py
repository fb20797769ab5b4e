"""Approvals: each card says the person's position, what of the plan the place would serve and
the seats left; several requests are approved or declined at once (one reason for every
decline). Nothing is decided without a choice, a decline without a reason, or a request that is
not the leader's to decide."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests import factories as f
from tests.enrollment.test_pages_participant import messages_of, text

pytestmark = pytest.mark.django_db

APPROVALS = reverse("enrollment:approvals")
DECIDE = reverse("enrollment:approvals-decide")
PENDING = EnrollmentStatus.PENDING_APPROVAL


@pytest.fixture
def requests(leader, building):
    session = f.SessionFactory(requires_approval=True, capacity=10, course__code="rp-101")
    people = [
        f.StaffMemberFactory(building=building, first_name=name, last_name="Lee")
        for name in ("Ana", "Ben", "Cleo")
    ]
    return [
        f.EnrollmentFactory(
            staff=person,
            session=session,
            status=PENDING,
            hold_expires_at=timezone.now() + dt.timedelta(days=3),
            requested_at=timezone.now() - dt.timedelta(hours=len(people) - i),
        )
        for i, person in enumerate(people)
    ]


def status_of(enrollment) -> str:
    enrollment.refresh_from_db()
    return enrollment.status


def test_a_card_says_position_what_it_serves_and_seats_left(client, leader, requests):
    today = timezone.localdate()
    goal = f.GoalFactory(
        plan_year=f.PlanYearFactory(
            starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=200)
        )
    )
    f.RequirementFactory(goal=goal, course=requests[0].session.course, due_on=dt.date(2027, 6, 30))
    client.force_login(leader.user)

    page = text(client.get(APPROVALS))

    assert "Position Teacher" in page
    assert "Serves the plan RP-101 required by Jun 30, 2027" in page
    assert "Seats left 7 of 10" in page


def test_several_are_approved_at_once(mailed, client, leader, requests):
    client.force_login(leader.user)

    with mailed:
        response = client.post(
            DECIDE,
            {"decision": "approve", "enrollments": [requests[0].pk, requests[2].pk]},
            follow=True,
        )

    assert messages_of(response) == ["Approved 2: Ana Lee, Cleo Lee."]
    assert [status_of(e) for e in requests] == [
        EnrollmentStatus.ENROLLED,
        PENDING,
        EnrollmentStatus.ENROLLED,
    ]


def test_several_are_declined_with_one_reason(client, leader, requests):
    client.force_login(leader.user)

    client.post(
        DECIDE,
        {
            "decision": "decline",
            "reason": "No cover that day.",
            "enrollments": [r.pk for r in requests],
        },
    )

    assert set(Enrollment.objects.values_list("status", "decision_reason")) == {
        (EnrollmentStatus.DECLINED, "No cover that day.")
    }


def test_a_decline_without_a_reason_decides_nothing(client, leader, requests):
    client.force_login(leader.user)

    response = client.post(
        DECIDE, {"decision": "decline", "enrollments": [requests[0].pk]}, follow=True
    )

    assert "Give a reason for declining" in messages_of(response)[0]
    assert status_of(requests[0]) == PENDING


def test_nothing_ticked_decides_nothing(client, leader, requests):
    client.force_login(leader.user)

    response = client.post(DECIDE, {"decision": "approve"}, follow=True)

    assert messages_of(response) == ["Choose the requests to decide: tick them first."]
    assert all(status_of(e) == PENDING for e in requests)


def test_a_request_outside_the_leader_s_buildings_is_404_and_nothing_is_decided(
    client, leader, requests, other_building
):
    elsewhere = f.EnrollmentFactory(
        staff=f.StaffMemberFactory(building=other_building),
        session=requests[0].session,
        status=PENDING,
    )
    client.force_login(leader.user)

    response = client.post(
        DECIDE, {"decision": "approve", "enrollments": [requests[0].pk, elsewhere.pk]}
    )

    assert response.status_code == 404
    assert status_of(requests[0]) == PENDING


def test_the_page_takes_the_same_queries_for_3_requests_and_for_30(
    client, leader, requests, building
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(APPROVALS).status_code == 200
        return len(queries)

    client.force_login(leader.user)
    few = count()
    for _ in range(27):
        f.EnrollmentFactory(
            staff=f.StaffMemberFactory(building=building),
            session=f.SessionFactory(requires_approval=True),
            status=PENDING,
            hold_expires_at=timezone.now() + dt.timedelta(days=3),
        )
    assert count() == few


def test_the_service_refuses_a_reasonless_decline_before_deciding_any(leader, requests):
    from core import refusals as r
    from enrollment import services
    from tests.enrollment.test_services import refusal_of

    refusal = refusal_of(
        services.enrollments_decide, enrollments=requests, actor=leader.user, approve=False
    )

    assert refusal.code == r.REASON_REQUIRED
    assert all(status_of(e) == PENDING for e in requests)


def test_the_service_reports_each_request_it_could_not_decide(leader, requests):
    from enrollment import services

    services.enrollment_approve(enrollment=requests[1], actor=leader.user)

    result = services.enrollments_decide(enrollments=requests, actor=leader.user, approve=True)

    assert [e.pk for e in result.decided] == [requests[0].pk, requests[2].pk]
    assert [(e.pk, refusal.code) for e, refusal in result.refused] == [
        (requests[1].pk, "not_pending")
    ]

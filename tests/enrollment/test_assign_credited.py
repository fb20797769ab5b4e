"""Assigning people who still need a course: whoever has completed it is left out unless asked,
the preview says what the assignment would do (by the same rules) before anything is written,
and the mail says who assigned the place and why."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.selectors import shape_sessions
from core import refusals as r
from enrollment import eligibility, selectors, services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests import factories as f

pytestmark = pytest.mark.django_db


def person(building, **fields):
    return f.StaffMemberFactory(building=building, **fields)


@pytest.fixture
def session(db):
    session = f.SessionFactory(capacity=2)
    f.MeetingFactory(session=session)
    return session


def shaped(session):
    return shape_sessions(type(session).objects.filter(pk=session.pk)).get()


def test_the_credited_are_left_out_unless_asked(leader, building, session):
    done, fresh = person(building), person(building)
    f.CompletionFactory(staff=done, course=session.course, completed_on=dt.date(2026, 1, 15))

    results = services.enrollments_assign(staff=[done, fresh], session=session, actor=leader.user)

    assert [result.outcome for result in results] == ["refused", EnrollmentStatus.ENROLLED]
    assert results[0].refusal.code == r.ALREADY_CREDITED
    assert "completed this course on" in results[0].refusal.message
    assert not Enrollment.objects.filter(staff=done).exists()

    again = services.enrollments_assign(
        staff=[done], session=session, actor=leader.user, include_credited=True
    )
    assert [result.outcome for result in again] == [EnrollmentStatus.ENROLLED]


def test_the_preview_says_what_the_assignment_will_do_and_writes_nothing(leader, building, session):
    done = person(building, first_name="Done")
    first, second, third = (person(building) for _ in range(3))
    f.CompletionFactory(staff=done, course=session.course)
    held = f.EnrollmentFactory(staff=third, session=session)
    people = [done, first, second, third]

    preview = selectors.assignment_preview(staff=people, session=shaped(session), user=leader.user)

    assert [line.outcome for line in preview.lines] == [
        "skipped",
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,  # one seat was left: the third holds the other
        "skipped",
    ]
    assert (preview.enrolled, preview.waitlisted, preview.skipped) == (1, 1, 2)
    assert "completed this course" in preview.lines[0].reason
    assert "already has a place" in preview.lines[3].reason
    assert list(Enrollment.objects.values_list("pk", flat=True)) == [held.pk]

    results = services.enrollments_assign(staff=people, session=session, actor=leader.user)
    assert [line.outcome for line in preview.lines] == [
        "skipped" if result.refusal else result.outcome for result in results
    ]


def test_the_preview_s_queries_do_not_grow_with_the_people(leader, building, session):
    few = [person(building) for _ in range(3)]
    many = few + [person(building) for _ in range(30)]
    f.EnrollmentFactory(staff=few[0])
    for someone in many[5:]:
        f.CompletionFactory(staff=someone)
        f.EnrollmentFactory(staff=someone)
    # The user's roles are read once per user object, on the first call.
    selectors.assignment_preview(staff=few, session=shaped(session), user=leader.user)
    counts = []
    for people in (few, many):
        current = shaped(session)
        with CaptureQueriesContext(connection) as queries:
            selectors.assignment_preview(staff=people, session=current, user=leader.user)
        counts.append([q["sql"][:90] for q in queries.captured_queries])

    assert len(counts[0]) == len(counts[1]), counts


def test_many_people_s_facts_are_each_person_s_facts(building, session):
    people = [person(building) for _ in range(3)]
    f.CompletionFactory(staff=people[0], course=session.course)
    f.EnrollmentFactory(staff=people[1], session=session)
    group = f.StaffGroupFactory()
    group.members.add(people[2])

    together = eligibility.people_facts(people)

    for someone in people:
        alone = eligibility.person_facts(someone)
        assert together[someone.pk].completed_on == alone.completed_on
        assert together[someone.pk].places.keys() == alone.places.keys()
        assert together[someone.pk].busy == alone.busy
        assert together[someone.pk].group_ids == alone.group_ids


def test_the_mail_says_who_assigned_the_place_and_why(leader, building, session, mailed):
    newcomer = person(building)
    with mailed as outbox:
        services.enrollments_assign(
            staff=[newcomer],
            session=session,
            actor=leader.user,
            because="for “Restorative practices for every teacher” (due Jun 30, 2027)",
        )

    body = outbox[0].body
    assert (
        "Lee Leader assigned you this place for “Restorative practices for every teacher” "
        "(due Jun 30, 2027)." in body
    )


def test_a_place_taken_oneself_says_nothing_of_an_assigner(teacher, session, mailed):
    with mailed as outbox:
        services.enrollment_create(staff=teacher, session=session, actor=teacher.user)

    assert "assigned you" not in outbox[0].body


def test_the_assign_page_leaves_the_credited_out_unless_ticked(client, leader, building, session):
    done = person(building, first_name="Dana", last_name="Done")
    f.CompletionFactory(staff=done, course=session.course, completed_on=dt.date(2026, 1, 15))
    client.force_login(leader.user)
    url = f"/sessions/{session.pk}/assign/"

    form = client.get(url).content.decode()
    left_out = client.post(url, {"people": [done.pk], "confirm": "on"}).content.decode()
    assert not Enrollment.objects.filter(staff=done).exists()
    ticked = client.post(url, {"people": [done.pk], "include_credited": "on", "confirm": "on"})

    assert 'name="include_credited"' in form
    assert "Dana Done completed this course on January 15, 2026: left out" in left_out
    assert ticked.status_code == 200
    assert Enrollment.objects.get(staff=done).status == EnrollmentStatus.ENROLLED


def test_the_api_leaves_the_credited_out_unless_asked(api_client, leader, building, session):
    done = person(building)
    f.CompletionFactory(staff=done, course=session.course)
    api_client.force_authenticate(leader.user)
    url = "/api/v1/enrollments/assign/"

    left_out = api_client.post(url, {"session": session.pk, "staff": [done.pk]}, format="json")
    asked = api_client.post(
        url, {"session": session.pk, "staff": [done.pk], "include_credited": True}, format="json"
    )

    assert left_out.json()[0]["code"] == r.ALREADY_CREDITED
    assert asked.json()[0]["outcome"] == EnrollmentStatus.ENROLLED

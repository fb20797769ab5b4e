"""A request for a seat carries the person's note to whoever decides it: on the session page
and in the API, on the approval card, in the mail to the building leader; too long a note is
refused by name and nothing is requested."""

import pytest
from django.urls import reverse

from core.models import OutboxMessage
from enrollment.choices import EnrollmentStatus
from enrollment.models import REQUEST_NOTE_MAX_LENGTH, Enrollment
from tests import factories as f

pytestmark = pytest.mark.django_db

NOTE = "Our grade team is starting restorative circles in January."


@pytest.fixture
def approval_session(db):
    session = f.SessionFactory(capacity=5, requires_approval=True)
    f.MeetingFactory(session=session)
    return session


def test_the_note_goes_with_the_request_to_the_card_and_the_mail(
    client, teacher, leader, approval_session, django_capture_on_commit_callbacks
):
    client.force_login(teacher.user)
    page = client.get(reverse("catalog:session", args=[approval_session.pk])).content.decode()
    assert 'name="note"' in page and f'maxlength="{REQUEST_NOTE_MAX_LENGTH}"' in page

    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("enrollment:enroll", args=[approval_session.pk]), {"note": NOTE})

    place = Enrollment.objects.get(staff=teacher)
    assert (place.status, place.request_note) == (EnrollmentStatus.PENDING_APPROVAL, NOTE)
    assert any(NOTE in message.body for message in OutboxMessage.objects.all())
    client.force_login(leader.user)
    card = client.get(reverse("enrollment:approvals")).content.decode()
    assert NOTE in card


def test_too_long_a_note_is_refused_and_nothing_is_requested(client, teacher, approval_session):
    client.force_login(teacher.user)

    response = client.post(
        reverse("enrollment:enroll", args=[approval_session.pk]),
        {"note": "x" * (REQUEST_NOTE_MAX_LENGTH + 1)},
        follow=True,
    )

    assert f"it may be at most {REQUEST_NOTE_MAX_LENGTH}" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_api_takes_the_note_and_shows_it_to_the_leader_not_a_colleague(
    api_client, teacher, leader, approval_session
):
    api_client.force_authenticate(teacher.user)
    made = api_client.post(
        f"/api/v1/sessions/{approval_session.pk}/enroll/", {"note": NOTE}, format="json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["request_note"] == NOTE

    api_client.force_authenticate(leader.user)
    seen = api_client.get(f"/api/v1/enrollments/{made.json()['id']}/").json()
    assert seen["request_note"] == NOTE

    too_long = api_client.post(
        f"/api/v1/sessions/{approval_session.pk}/enroll/",
        {"note": "x" * (REQUEST_NOTE_MAX_LENGTH + 1)},
        format="json",
    )
    assert too_long.status_code == 400 and "note" in too_long.json()

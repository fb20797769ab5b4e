"""Sessions I lead (/teaching/): a facilitator's sessions, today's meetings first with the
attendance sheet one click away, then those to come and those over, with the roster, the meetings
whose attendance is missing and the evaluations in; nobody else's sessions; the same queries for
a few sessions and for many."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.choices import SessionStatus
from enrollment import selectors
from enrollment.choices import EnrollmentStatus
from tests import factories as f
from tests.enrollment.test_pages_participant import text

pytestmark = pytest.mark.django_db

TEACHING = reverse("enrollment:teaching")


def led_by(facilitator, **fields):
    session = f.SessionFactory(**fields)
    session.facilitators.add(facilitator)
    return session


def meeting_at(session, days: int, hour: int = 16):
    day = timezone.localdate() + dt.timedelta(days=days)
    starts_at = f.local(day.year, day.month, day.day, hour)
    return f.MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
    )


def test_today_then_coming_then_over(facilitator):
    today = led_by(facilitator, title="Today's")
    meeting_at(today, 0)
    meeting_at(today, 7)
    coming = led_by(facilitator, title="Coming")
    meeting_at(coming, 5)
    over = led_by(facilitator, title="Over")
    past = meeting_at(over, -10)
    meeting_at(over, -3)
    f.EnrollmentFactory(session=over, status=EnrollmentStatus.COMPLETED)
    enrollment = f.EnrollmentFactory(session=over, status=EnrollmentStatus.COMPLETED)
    f.AttendanceFactory(enrollment=enrollment, meeting=past, present=True)
    f.EvaluationFactory(enrollment=enrollment)
    someone_elses = f.SessionFactory(title="Not mine")
    meeting_at(someone_elses, 0)
    led_by(facilitator, title="Cancelled", status=SessionStatus.CANCELLED)

    page = selectors.sessions_led(staff=facilitator)

    assert [e.session.pk for e in page.today] == [today.pk]
    assert [e.session.pk for e in page.upcoming] == [coming.pk]
    assert [e.session.pk for e in page.past] == [over.pk]
    (entry,) = page.past
    assert (entry.held, entry.recorded, entry.unrecorded) == (2, 1, 1)
    assert (entry.participants, entry.evaluations) == (2, 1)


def test_the_page_links_today_s_attendance_sheet(client, facilitator):
    session = led_by(facilitator, title="Winter series")
    meeting = meeting_at(session, 0, hour=23)
    client.force_login(facilitator.user)

    response = client.get(TEACHING)
    body = response.content.decode()

    assert response.status_code == 200
    assert reverse("enrollment:attendance", args=[session.pk, meeting.pk]) in body
    assert "Take attendance" in text(response)
    assert "Sessions I lead" in text(client.get(reverse("enrollment:me")))


def test_someone_who_leads_nothing_sees_an_empty_page_and_no_menu_item(client, teacher):
    client.force_login(teacher.user)

    page = text(client.get(TEACHING))

    assert "No meeting of yours today." in page
    assert "Sessions I lead" not in text(client.get(reverse("enrollment:me")))


def test_the_page_takes_the_same_queries_for_3_sessions_and_for_30(client, facilitator):
    def count(n: int) -> int:
        while len(facilitator.facilitating.all()) < n:
            session = led_by(facilitator)
            for days in (-8, 0, 6):
                meeting = meeting_at(session, days)
            enrollment = f.EnrollmentFactory(session=session)
            f.AttendanceFactory(enrollment=enrollment, meeting=meeting)
            f.EvaluationFactory(enrollment=enrollment)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TEACHING).status_code == 200
        return len(queries)

    client.force_login(facilitator.user)
    assert count(3) == count(30)

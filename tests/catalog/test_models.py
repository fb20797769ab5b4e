"""The catalog models: every database constraint refuses a bad row; meeting UIDs and __str__."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from catalog.models import Course, Meeting, Session, Strand
from tests.assertions import refused
from tests.factories import (
    CourseFactory,
    MeetingFactory,
    SessionFactory,
    StrandFactory,
    local,
)

pytestmark = pytest.mark.django_db


# Strand, Course


def test_strand_code_is_unique():
    Strand.objects.create(code="rp", name="Restorative Practices")
    with refused(Strand, "strand.code"):
        Strand.objects.create(code="rp", name="Restorative Practice II")


def test_strand_name_is_unique():
    Strand.objects.create(code="rp", name="Restorative Practices")
    with refused(Strand, "strand.name"):
        Strand.objects.create(code="rp-2", name="Restorative Practices")


def test_course_code_is_unique_ignoring_case():
    strand = StrandFactory()
    Course.objects.create(code="crt-101", title="CRT", strand=strand, clock_hours=3)
    with refused(Course, "course_code_unique_ci"):
        Course.objects.create(code="CRT-101", title="CRT again", strand=strand, clock_hours=3)


def test_course_code_is_unique():
    strand = StrandFactory()
    Course.objects.create(code="crt-101", title="CRT", strand=strand, clock_hours=3)
    with refused(Course, "course.code"):
        Course.objects.create(code="crt-101", title="CRT again", strand=strand, clock_hours=3)


def test_course_clock_hours_cannot_be_negative():
    strand = StrandFactory()
    with refused(Course, "course_clock_hours_not_negative"):
        Course.objects.create(
            code="crt-101", title="CRT", strand=strand, clock_hours=Decimal("-0.5")
        )
    free = Course.objects.create(code="crt-000", title="Intro", strand=strand, clock_hours=0)
    assert free.pk is not None


def test_course_with_sessions_cannot_be_deleted():
    session = SessionFactory()
    with pytest.raises(ProtectedError):
        session.course.delete()
    assert Course.objects.filter(pk=session.course_id).exists()


def test_strand_with_courses_cannot_be_deleted():
    course = CourseFactory()
    with pytest.raises(ProtectedError):
        course.strand.delete()
    assert Strand.objects.filter(pk=course.strand_id).exists()


# Session


def test_session_needs_at_least_one_seat():
    course = CourseFactory()
    with refused(Session, "session_capacity_positive"):
        Session.objects.create(course=course, capacity=0)
    one_seat = Session.objects.create(course=course, capacity=1)
    assert one_seat.pk is not None


@pytest.mark.parametrize("closes_hours_after_opening", [0, -1])
def test_session_registration_closes_after_it_opens(closes_hours_after_opening):
    course = CourseFactory()
    opens = local(2026, 9, 1, 8)
    with refused(Session, "session_registration_closes_after_opens"):
        Session.objects.create(
            course=course,
            capacity=20,
            registration_opens_at=opens,
            registration_closes_at=opens + dt.timedelta(hours=closes_hours_after_opening),
        )


def test_session_registration_window_may_be_open_ended():
    session = Session.objects.create(
        course=CourseFactory(), capacity=20, registration_closes_at=local(2026, 9, 1, 8)
    )
    assert session.pk is not None


# Meeting


@pytest.mark.parametrize("length", [dt.timedelta(0), dt.timedelta(minutes=-30)])
def test_meeting_ends_after_it_starts(length):
    session = SessionFactory()
    starts = local(2026, 10, 5, 16)
    with refused(Meeting, "meeting_ends_after_start"):
        Meeting.objects.create(session=session, starts_at=starts, ends_at=starts + length)


def test_meeting_ends_after_start_is_checked_on_update_too():
    meeting = MeetingFactory()
    meeting.ends_at = meeting.starts_at
    with pytest.raises(IntegrityError, match="meeting_ends_after_start"), transaction.atomic():
        meeting.save()
    meeting.refresh_from_db()
    assert meeting.ends_at > meeting.starts_at


def test_meeting_uid_is_unique():
    meeting = MeetingFactory()
    with refused(Meeting, "meeting.uid"):
        Meeting.objects.create(
            session=meeting.session,
            uid=meeting.uid,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
        )


def test_meeting_uid_default_is_unique_and_in_the_calendar_domain():
    first, second = MeetingFactory(), MeetingFactory()
    assert first.uid != second.uid
    for meeting in (first, second):
        local_part, _, domain = meeting.uid.rpartition("@")
        assert domain == settings.CALENDAR_UID_DOMAIN
        assert len(local_part) >= 32  # a UUID: not guessable from another meeting's UID


def test_meeting_uid_survives_a_change_of_time():
    meeting = MeetingFactory()
    uid = meeting.uid
    meeting.starts_at += dt.timedelta(days=1)
    meeting.ends_at += dt.timedelta(days=1)
    meeting.save()
    meeting.refresh_from_db()
    assert meeting.uid == uid


# __str__


def test_catalog_str_use_codes_titles_and_times():
    strand = StrandFactory(name="Restorative Practices")
    course = CourseFactory(code="rp-101", title="Restorative Circles", strand=strand)
    session = SessionFactory(course=course)
    cohort = SessionFactory(course=course, title="Cohort B")
    meeting = MeetingFactory(
        session=cohort, starts_at=local(2026, 10, 5, 16), ends_at=local(2026, 10, 5, 18)
    )
    assert str(strand) == "Restorative Practices"
    assert str(course) == "RP-101 Restorative Circles"
    assert str(session) == "Restorative Circles"
    assert str(cohort) == "Restorative Circles — Cohort B"
    assert str(meeting) == "Restorative Circles — Cohort B on 2026-10-05 16:00"

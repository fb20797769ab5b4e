"""Writes that fail half-way leave nothing half-done. Each service runs again and again with its
first database write failing (as a lost connection or a full disk fails it), then its second,
and so on until it runs through: after every failure the whole database is exactly as before
and nobody was mailed (mail is recorded in the outbox in the service's transaction, and
delivered by the worker after it commits). Imports also record the run as failed.

Refusals writing nothing are tested with each service (tests/enrollment/test_services.py,
tests/imports/); here the failures come from the database, after earlier writes went through."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from catalog.choices import SessionStatus
from catalog.models import Meeting, Session
from core import outbox
from enrollment import services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment
from imports import services as imports
from imports.choices import ImportOutcome
from imports.models import ImportRun
from learning.access import DISTRICT_PD_GROUP
from learning.choices import StaffStatus
from learning.models import StaffMember
from tests import factories as f
from tests.imports.conftest import csv_bytes

from .outages import WriteFailure, queries_fail

# Real transactions: a failure rolls back the service's own transaction, and mail is recorded
# by real commits, as in a request.
pytestmark = pytest.mark.django_db(transaction=True)

# The worker's part (delivering the outbox) is left out of the failing call: the queue keeps
# the job, and the test delivers once the call has gone through.
QUEUE_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED
PENDING = EnrollmentStatus.PENDING_APPROVAL


def database_state(*, leaving_out=()) -> dict[str, list[dict]]:
    """Every row of every table (many-to-many links included)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model not in leaving_out
    }


def fail_at_each_write(call, mailoutbox, *, leaving_out=(), after_failure=None) -> WriteFailure:
    """Run `call` with its 1st write failing, then its 2nd, ..., and check after each failure
    that the database is as before and nothing was mailed; then run it through. Returns the
    successful run's record of the tables it wrote."""
    before = database_state(leaving_out=leaving_out)
    at = 1
    while True:
        failure = WriteFailure(at)
        with override_settings(TASKS=QUEUE_ONLY), connection.execute_wrapper(failure):
            try:
                call()
            except OperationalError:
                assert failure.failed
                went_through = False
            else:
                # The service must not swallow a failed write and carry on.
                assert not failure.failed, f"write {at} failed, yet the call succeeded"
                went_through = True
        if went_through:
            outbox.deliver_due()
            return failure
        assert database_state(leaving_out=leaving_out) == before, f"after write {at} failed"
        assert mailoutbox == [], f"mail sent after write {at} failed"
        if after_failure is not None:
            after_failure()
        at += 1


def person(building=None, **fields) -> StaffMember:
    staff = f.StaffMemberFactory(building=building or f.BuildingFactory(), **fields)
    f.login_for(staff)
    return staff


def subjects(mailoutbox) -> list[tuple[str, str]]:
    return sorted((message.to[0], message.subject) for message in mailoutbox)


def status_of(enrollment: Enrollment) -> str:
    return Enrollment.objects.values_list("status", flat=True).get(pk=enrollment.pk)


@pytest.fixture
def district_pd_user():
    return f.login_for(f.StaffMemberFactory(), groups=[DISTRICT_PD_GROUP])


# Enrollment services


def test_enroll_after_a_lapse_and_a_promotion(mailoutbox):
    now = timezone.now()
    session = f.SessionFactory(capacity=3)
    f.MeetingFactory(session=session)
    f.EnrollmentFactory(session=session, status=ENROLLED)
    lapsed = f.EnrollmentFactory(
        session=session, status=PENDING, hold_expires_at=now - dt.timedelta(hours=1)
    )
    waiting = f.EnrollmentFactory(session=session, status=WAITLISTED, requested_at=now)
    teacher = person()

    written = fail_at_each_write(
        lambda: services.enrollment_create(
            staff=StaffMember.objects.get(pk=teacher.pk),
            session=Session.objects.get(pk=session.pk),
            actor=teacher.user,
        ),
        mailoutbox,
    )

    # The lapse, the promotion and the new place: each later write failed after the earlier.
    assert written.written.count("enrollment_enrollment") == 3
    assert (status_of(lapsed), status_of(waiting)) == (EnrollmentStatus.DECLINED, ENROLLED)
    assert Enrollment.objects.get(staff=teacher).status == ENROLLED
    assert {to for to, _subject in subjects(mailoutbox)} == {
        lapsed.staff.email,
        waiting.staff.email,
        teacher.email,
    }


def test_withdraw_with_promotion_from_the_waitlist(mailoutbox):
    session = f.SessionFactory(capacity=1)
    f.MeetingFactory(session=session)
    leaving = f.EnrollmentFactory(session=session, staff=person(), status=ENROLLED)
    waiting = f.EnrollmentFactory(session=session, status=WAITLISTED)

    written = fail_at_each_write(
        lambda: services.enrollment_withdraw(
            enrollment=Enrollment.objects.get(pk=leaving.pk), actor=leaving.staff.user
        ),
        mailoutbox,
    )

    assert written.written.count("enrollment_enrollment") == 2
    assert (status_of(leaving), status_of(waiting)) == (EnrollmentStatus.WITHDRAWN, ENROLLED)
    assert {to for to, _subject in subjects(mailoutbox)} == {
        leaving.staff.email,
        waiting.staff.email,
    }


def test_approve(mailoutbox):
    building = f.BuildingFactory()
    leader = person(building=building, leads=[building])
    session = f.SessionFactory(capacity=2, course__requires_approval=True)
    f.MeetingFactory(session=session)
    waiting = f.EnrollmentFactory(
        session=session,
        staff=person(building=building),
        status=PENDING,
        hold_expires_at=timezone.now() + dt.timedelta(days=2),
    )

    written = fail_at_each_write(
        lambda: services.enrollment_approve(
            enrollment=Enrollment.objects.get(pk=waiting.pk), actor=leader.user
        ),
        mailoutbox,
    )

    assert "enrollment_enrollment" in written.written
    assert status_of(waiting) == ENROLLED
    assert subjects(mailoutbox) == [(waiting.staff.email, f"Approved: {session}")]


def test_session_cancel(mailoutbox, district_pd_user):
    session = f.SessionFactory(capacity=2)
    meeting = f.MeetingFactory(session=session)
    places = [
        f.EnrollmentFactory(session=session, status=ENROLLED),
        f.EnrollmentFactory(session=session, status=ENROLLED),
        f.EnrollmentFactory(session=session, status=WAITLISTED),
    ]

    written = fail_at_each_write(
        lambda: services.session_cancel(
            session=Session.objects.get(pk=session.pk), actor=district_pd_user, reason="Ill"
        ),
        mailoutbox,
    )

    assert {"catalog_session", "catalog_meeting", "enrollment_enrollment"} <= set(written.written)
    assert Session.objects.get(pk=session.pk).status == SessionStatus.CANCELLED
    assert Meeting.objects.get(pk=meeting.pk).sequence > meeting.sequence
    assert {status_of(place) for place in places} == {EnrollmentStatus.CANCELLED}
    assert sorted(to for to, _subject in subjects(mailoutbox)) == sorted(
        place.staff.email for place in places
    )


def test_attendance_recording_that_completes_the_course(mailoutbox):
    facilitator = person()
    session = f.SessionFactory()
    session.facilitators.add(facilitator)
    starts_at = timezone.now() - dt.timedelta(days=1)
    meeting = f.MeetingFactory(
        session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
    )
    present = f.EnrollmentFactory(session=session, status=ENROLLED)
    absent = f.EnrollmentFactory(session=session, status=ENROLLED)

    written = fail_at_each_write(
        lambda: services.attendance_record(
            meeting=Meeting.objects.get(pk=meeting.pk),
            marks={present.pk: True, absent.pk: False},
            actor=facilitator.user,
        ),
        mailoutbox,
    )

    # Attendance first, then the completion and the enrollments' new status.
    tables = written.written
    assert tables.index("enrollment_attendance") < tables.index("enrollment_completion")
    assert "enrollment_enrollment" in tables
    assert Attendance.objects.filter(meeting=meeting).count() == 2
    assert Completion.objects.get().enrollment_id == present.pk
    assert (status_of(present), status_of(absent)) == (
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.INCOMPLETE,
    )


def test_assign_many(mailoutbox):
    building = f.BuildingFactory()
    leader = person(building=building, leads=[building])
    session = f.SessionFactory(capacity=1)
    f.MeetingFactory(session=session)
    staff = [person(building=building) for _ in range(3)]
    elsewhere = person()

    written = fail_at_each_write(
        lambda: services.enrollments_assign(
            staff=StaffMember.objects.filter(pk__in=[p.pk for p in [*staff, elsewhere]]).order_by(
                "pk"
            ),
            session=Session.objects.get(pk=session.pk),
            actor=leader.user,
        ),
        mailoutbox,
    )

    assert written.written.count("enrollment_enrollment") == 3
    assert [Enrollment.objects.get(staff=p).status for p in staff] == [
        ENROLLED,
        WAITLISTED,
        WAITLISTED,
    ]
    assert not Enrollment.objects.filter(staff=elsewhere).exists()
    assert {to for to, _subject in subjects(mailoutbox)} == {p.email for p in staff}


# Imports: the run is recorded as failed, and nothing else changes


def test_roster_commit_records_the_run_as_failed_and_changes_nothing(mailoutbox):
    maple = f.BuildingFactory(code="maple", name="Maple Elementary")
    f.BuildingFactory(code="oak", name="Oak Middle")
    teacher = f.PositionFactory(code="teacher", name="Teacher")
    facilitator = f.StaffMemberFactory(
        employee_id="000001", first_name="Fran", building=maple, position=teacher
    )
    session = f.SessionFactory()
    session.facilitators.add(facilitator)
    meeting = f.MeetingFactory(session=session)
    leaving = f.StaffMemberFactory(employee_id="000002", building=maple, position=teacher)
    rows = [
        # Renamed (a facilitator: calendars see it) and moved to another building.
        ["000001", "Francesca", facilitator.last_name, facilitator.email, "oak", "teacher"],
        # New, in a new building.
        ["000003", "Nia", "New", "nia@bps.example.org", "Birch High", "teacher"],
    ]
    run = imports.roster_preview(
        source=csv_bytes(rows), file_name="roster.csv", sync=True, create_missing=True, actor=None
    ).run
    assert run.counts["deactivated"] == 1

    def failed_and_recorded():
        run.refresh_from_db()
        assert run.outcome == ImportOutcome.FAILED
        assert run.message == imports.MSG_FAILED.format(error="OperationalError")

    written = fail_at_each_write(
        lambda: imports.roster_commit(
            run=ImportRun.objects.get(pk=run.pk), actor=None, confirm_large_deactivation=True
        ),
        mailoutbox,
        leaving_out=[ImportRun],
        after_failure=failed_and_recorded,
    )

    assert {"learning_building", "learning_staffmember", "imports_importrun"} <= set(
        written.written
    )
    assert ImportRun.objects.get(pk=run.pk).outcome == ImportOutcome.COMMITTED
    renamed = StaffMember.objects.get(pk=facilitator.pk)
    assert (renamed.first_name, renamed.building.code) == ("Francesca", "oak")
    assert StaffMember.objects.get(pk=leaving.pk).status == StaffStatus.SEPARATED
    assert StaffMember.objects.get(employee_id="000003").building.name == "Birch High"
    assert Meeting.objects.get(pk=meeting.pk).sequence > meeting.sequence


def test_completions_commit_records_the_run_as_failed_and_changes_nothing(mailoutbox):
    ann = f.StaffMemberFactory(employee_id="000101")
    course = f.CourseFactory(code="crt-101", clock_hours=3)
    source = (
        b"Employee ID,Course Code,Completed On,Clock Hours,Evidence\r\n"
        b"000101,crt-101,2024-10-01,3,Sign-in sheet\r\n"
        b"000101,crt-101,2024-11-01,3,Sign-in sheet\r\n"
    )
    run = imports.completions_preview(source=source, file_name="done.csv", actor=None).run

    def failed_and_recorded():
        run.refresh_from_db()
        assert run.outcome == ImportOutcome.FAILED
        assert run.message == imports.MSG_FAILED.format(error="OperationalError")

    written = fail_at_each_write(
        lambda: imports.completions_commit(run=ImportRun.objects.get(pk=run.pk), actor=None),
        mailoutbox,
        leaving_out=[ImportRun],
        after_failure=failed_and_recorded,
    )

    assert "enrollment_completion" in written.written
    # The run is marked committed last, in the same transaction.
    assert written.written[-1] == "imports_importrun"
    assert ImportRun.objects.get(pk=run.pk).outcome == ImportOutcome.COMMITTED
    assert list(
        Completion.objects.filter(staff=ann, course=course)
        .order_by("completed_on")
        .values_list("completed_on", flat=True)
    ) == [dt.date(2024, 10, 1), dt.date(2024, 11, 1)]


def test_a_commit_failing_on_the_hr_page_says_so_and_changes_nothing(client, hr):
    f.StaffMemberFactory(employee_id="000101")
    f.CourseFactory(code="crt-101")
    source = (
        b"Employee ID,Course Code,Completed On,Clock Hours,Evidence\r\n"
        b"000101,crt-101,2024-10-01,3,Sign-in sheet\r\n"
    )
    run = imports.completions_preview(source=source, file_name="done.csv", actor=hr.user).run
    client.force_login(hr.user)
    before = database_state(leaving_out=[ImportRun])

    with queries_fail('INSERT INTO "enrollment_completion"'):
        response = client.post(reverse("imports:commit", args=[run.pk]), follow=True)

    assert response.status_code == 200
    assert imports.MSG_FAILED.format(error="OperationalError") in response.content.decode()
    assert database_state(leaving_out=[ImportRun]) == before
    assert ImportRun.objects.get(pk=run.pk).outcome == ImportOutcome.FAILED

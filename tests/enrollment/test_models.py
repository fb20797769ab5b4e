"""The enrollment models: every database constraint refuses a bad row; verification codes and
__str__."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from enrollment.choices import EnrollmentStatus
from enrollment.models import (
    VERIFICATION_ALPHABET,
    Attendance,
    Completion,
    Enrollment,
    Evaluation,
)
from tests.assertions import refused
from tests.factories import (
    AttendanceFactory,
    CompletionFactory,
    CourseFactory,
    EnrollmentFactory,
    EvaluationFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffMemberFactory()


@pytest.fixture
def session():
    return SessionFactory()


# Enrollment: at most one live enrollment per person and session

ONE_LIVE = r"one_live_enrollment_per_staff_session|enrollment\.staff_id, \S*session_id"


@pytest.mark.parametrize("second_status", [EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED])
def test_second_live_enrollment_is_refused(staff, session, second_status):
    Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.ENROLLED)
    with refused(Enrollment, ONE_LIVE):
        Enrollment.objects.create(staff=staff, session=session, status=second_status)


def test_enrolling_again_after_withdrawing_is_allowed(staff, session):
    Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.WITHDRAWN)
    again = Enrollment.objects.create(
        staff=staff, session=session, status=EnrollmentStatus.ENROLLED
    )
    assert again.pk is not None
    assert Enrollment.objects.filter(staff=staff, session=session).count() == 2


def test_two_withdrawn_enrollments_are_allowed(staff, session):
    for _ in range(2):
        Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.WITHDRAWN)
    assert Enrollment.objects.filter(staff=staff, session=session).count() == 2


def test_reviving_a_withdrawn_enrollment_beside_a_live_one_is_refused(staff, session):
    old = Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.WITHDRAWN)
    Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.ENROLLED)
    old.status = EnrollmentStatus.ENROLLED
    with pytest.raises(IntegrityError, match=ONE_LIVE), transaction.atomic():
        old.save()
    old.refresh_from_db()
    assert old.status == EnrollmentStatus.WITHDRAWN


def test_the_same_person_may_enroll_in_another_session(staff, session):
    Enrollment.objects.create(staff=staff, session=session, status=EnrollmentStatus.ENROLLED)
    other = Enrollment.objects.create(
        staff=staff, session=SessionFactory(), status=EnrollmentStatus.ENROLLED
    )
    assert other.pk is not None


def test_session_with_enrollments_cannot_be_deleted():
    enrollment = EnrollmentFactory()
    with pytest.raises(ProtectedError):
        enrollment.session.delete()
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


# Attendance

ONCE_PER_MEETING = r"attendance_once_per_meeting|attendance\.enrollment_id, \S*meeting_id"


def test_attendance_is_recorded_once_per_meeting():
    attendance = AttendanceFactory()
    with refused(
        Attendance, r"attendance_once_per_meeting|attendance\.enrollment_id, \S*meeting_id"
    ):
        Attendance.objects.create(
            enrollment=attendance.enrollment, meeting=attendance.meeting, present=False
        )


def test_attendance_for_another_meeting_is_allowed():
    attendance = AttendanceFactory()
    later = MeetingFactory(session=attendance.enrollment.session)
    second = Attendance.objects.create(
        enrollment=attendance.enrollment, meeting=later, present=True
    )
    assert second.pk is not None


# Evaluation


@pytest.mark.parametrize("field", ["content_rating", "facilitator_rating", "relevance_rating"])
@pytest.mark.parametrize("rating", [0, 6])
def test_evaluation_ratings_outside_1_to_5_are_refused(field, rating):
    enrollment = EnrollmentFactory()
    ratings = {"content_rating": 3, "facilitator_rating": 3, "relevance_rating": 3, field: rating}
    with refused(Evaluation, "evaluation_ratings_1_to_5"):
        Evaluation.objects.create(enrollment=enrollment, **ratings)


def test_evaluation_ratings_at_the_bounds_are_accepted():
    evaluation = Evaluation.objects.create(
        enrollment=EnrollmentFactory(), content_rating=1, facilitator_rating=5, relevance_rating=1
    )
    assert evaluation.pk is not None


def test_one_evaluation_per_enrollment():
    evaluation = EvaluationFactory()
    with refused(Evaluation, "evaluation.enrollment_id"):
        Evaluation.objects.create(
            enrollment=evaluation.enrollment,
            content_rating=1,
            facilitator_rating=1,
            relevance_rating=1,
        )


# Completion

ONE_PER_DAY = r"one_completion_per_staff_course_day|completion\.staff_id, \S*course_id"


def completion_values(**fields) -> dict:
    return {
        "staff": StaffMemberFactory(),
        "course": CourseFactory(),
        "completed_on": dt.date(2026, 10, 1),
        "clock_hours": Decimal("3.00"),
        **fields,
    }


def test_completion_clock_hours_cannot_be_negative():
    values = completion_values(clock_hours=Decimal("-1"))
    with refused(Completion, "completion_clock_hours_not_negative"):
        Completion.objects.create(**values)


def test_voiding_a_completion_needs_a_reason():
    values = completion_values(voided_at=timezone.now(), void_reason="")
    with refused(Completion, "completion_void_needs_reason"):
        Completion.objects.create(**values)


def test_voiding_an_existing_completion_without_a_reason_is_refused():
    completion = CompletionFactory()
    completion.voided_at = timezone.now()
    with pytest.raises(IntegrityError, match="completion_void_needs_reason"), transaction.atomic():
        completion.save()
    completion.refresh_from_db()
    assert completion.voided_at is None


def test_one_completion_per_staff_course_and_day():
    first = CompletionFactory()
    with refused(
        Completion, r"one_completion_per_staff_course_day|completion\.staff_id, \S*course_id"
    ):
        Completion.objects.create(
            staff=first.staff,
            course=first.course,
            completed_on=first.completed_on,
            clock_hours=Decimal("3.00"),
        )


def test_a_voided_completion_does_not_block_its_correction():
    first = CompletionFactory(voided_at=timezone.now(), void_reason="Wrong course")
    correction = Completion.objects.create(
        staff=first.staff,
        course=first.course,
        completed_on=first.completed_on,
        clock_hours=Decimal("2.00"),
    )
    assert correction.pk is not None
    assert Completion.objects.filter(staff=first.staff, voided_at__isnull=True).get() == correction


def test_verification_code_is_unique():
    first = CompletionFactory()
    values = completion_values(verification_code=first.verification_code)
    with refused(Completion, "completion.verification_code"):
        Completion.objects.create(**values)


def test_verification_code_default_is_12_unambiguous_characters():
    codes = {CompletionFactory().verification_code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 12
        assert set(code) <= set(VERIFICATION_ALPHABET)
    assert not set("01OIL") & set(VERIFICATION_ALPHABET)


def test_completion_is_voided_follows_voided_at():
    completion = CompletionFactory()
    assert not completion.is_voided
    completion.voided_at = timezone.now()
    assert completion.is_voided


# __str__


def test_enrollment_str_use_names_not_ids():
    staff = StaffMemberFactory(first_name="Tess", last_name="Teacher")
    session = SessionFactory(course__code="crt-101", course__title="Culturally Responsive")
    enrollment = EnrollmentFactory(staff=staff, session=session)
    attendance = AttendanceFactory(enrollment=enrollment, present=False)
    evaluation = EvaluationFactory(enrollment=enrollment)
    completion = CompletionFactory(
        staff=staff, course=session.course, completed_on=dt.date(2026, 10, 1)
    )
    assert str(enrollment) == "Tess Teacher in Culturally Responsive (Enrolled)"
    assert str(attendance) == "Tess Teacher: absent"
    assert str(evaluation) == "Evaluation of Tess Teacher in Culturally Responsive (Enrolled)"
    assert str(completion) == "Tess Teacher: CRT-101 on 2026-10-01"

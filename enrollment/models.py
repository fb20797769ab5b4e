"""Who takes part in what: enrollments, attendance per meeting, evaluations and completions."""

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Course, Meeting, Session, Strand
from learning.models import StaffMember, TimeStampedModel

from .choices import (
    LIVE_STATUSES,
    WITHDRAWABLE_STATUSES,
    CompletionSource,
    EnrollmentSource,
    EnrollmentStatus,
    OutsideActivityStatus,
    ReminderKind,
)

# Unambiguous characters for codes people read aloud or type (no 0/O, 1/I/L).
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(12))


# A request's note to the building leader: a few sentences, not a letter.
REQUEST_NOTE_MAX_LENGTH = 1000


class Enrollment(TimeStampedModel):
    """A staff member's place in a session. Never deleted: withdrawals, declines and cancellations
    are statuses, so the history stays."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="enrollments")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    source = models.CharField(
        max_length=20, choices=EnrollmentSource.choices, default=EnrollmentSource.SELF
    )
    requested_at = models.DateTimeField(
        default=timezone.now, help_text="When the person asked; orders the waitlist."
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    hold_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A pending approval holds its seat until then."
    )
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the last change.",
    )
    decision_reason = models.TextField(blank=True)
    request_note = models.TextField(
        blank=True,
        max_length=REQUEST_NOTE_MAX_LENGTH,
        help_text="What the person told their building leader when asking for a seat.",
    )
    approved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a building leader or district PD approved it (or assigned the person).",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["session", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "session"],
                condition=Q(status__in=LIVE_STATUSES),
                name="one_live_enrollment_per_staff_session",
                violation_error_message="This person is already enrolled in this session.",
            )
        ]
        indexes = [
            models.Index(fields=["session", "status", "requested_at"], name="enrollment_queue_idx"),
            models.Index(fields=["staff", "status"], name="enrollment_staff_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff.display_name} in {self.session} ({self.get_status_display()})"

    def may_withdraw(self, *, session_ended: bool) -> bool:
        """A request or a waitlist place can always be withdrawn; a seat only until the session
        is over, when its attendance decides the credit."""
        if self.status not in WITHDRAWABLE_STATUSES:
            return False
        return not (session_ended and self.status == EnrollmentStatus.ENROLLED)


class Attendance(TimeStampedModel):
    """Whether one enrolled person was at one meeting, and who recorded it."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attendance")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting__starts_at", "enrollment"]
        verbose_name_plural = "attendance"
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "meeting"],
                name="attendance_once_per_meeting",
                violation_error_message="Attendance for this meeting is already recorded.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment.staff.display_name}: {'present' if self.present else 'absent'}"


RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
# The longest comment the evaluation page and the API take.
COMMENT_MAX_LENGTH = 4000


class Evaluation(TimeStampedModel):
    """A participant's short survey after a session: three 1-5 ratings and a comment."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="evaluation"
    )
    content_rating = models.PositiveSmallIntegerField(
        validators=RATING_VALIDATORS, help_text="The content was useful (1-5)."
    )
    facilitator_rating = models.PositiveSmallIntegerField(
        validators=RATING_VALIDATORS, help_text="The facilitation was effective (1-5)."
    )
    relevance_rating = models.PositiveSmallIntegerField(
        validators=RATING_VALIDATORS, help_text="I will use this in my work (1-5)."
    )
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_rating__gte=1, content_rating__lte=5)
                & Q(facilitator_rating__gte=1, facilitator_rating__lte=5)
                & Q(relevance_rating__gte=1, relevance_rating__lte=5),
                name="evaluation_ratings_1_to_5",
                violation_error_message="Ratings are from 1 to 5.",
            )
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.enrollment}"


class Completion(TimeStampedModel):
    """Credit for a course: the date and clock hours, where it came from, and a code that anyone
    can check at /verify/<code>/. Corrections void it with a reason; it is never deleted."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="completions", null=True, blank=True
    )
    completed_on = models.DateField()
    clock_hours = models.DecimalField(max_digits=5, decimal_places=2)
    source = models.CharField(
        max_length=20, choices=CompletionSource.choices, default=CompletionSource.SESSION
    )
    evidence = models.TextField(blank=True, help_text="For external or imported records.")
    verification_code = models.CharField(
        max_length=16, unique=True, default=new_verification_code, editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-completed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(clock_hours__gte=0),
                name="completion_clock_hours_not_negative",
                violation_error_message="Clock hours cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="completion_void_needs_reason",
                violation_error_message="Voiding a completion needs a reason.",
            ),
            models.UniqueConstraint(
                fields=["staff", "course", "completed_on"],
                condition=Q(voided_at__isnull=True),
                name="one_completion_per_staff_course_day",
                violation_error_message="This completion is already recorded.",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "completed_on"], name="completion_staff_date_idx"),
            models.Index(fields=["course", "completed_on"], name="completion_course_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff.display_name}: {self.course.code.upper()} on {self.completed_on}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Reminder(TimeStampedModel):
    """A reminder mailed to a participant before one meeting: recorded so that each kind goes out
    once per enrollment, meeting and start time, however often the daily job runs."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="reminders")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=2, choices=ReminderKind.choices)
    # When the meeting started as the reminder told it: a meeting moved later gets new ones.
    starts_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "meeting", "kind", "starts_at"],
                name="one_reminder_per_enrollment_meeting_kind_start",
                violation_error_message="This reminder has already been sent.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder to {self.enrollment.staff.display_name}"


class EvidenceStorage(FileSystemStorage):
    """Evidence is personal: it lives in settings.EVIDENCE_ROOT, outside the web root, has no
    URL, and is served only through the view that checks who asks (views.outside). The place is
    read when a file is stored or opened, not when the model loads, so it follows the setting."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.EVIDENCE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def _evidence_storage() -> EvidenceStorage:
    return EvidenceStorage()


def _evidence_path(activity: "OutsideActivity", filename: str) -> str:
    # Never the uploaded name on disk: a random one, with the extension of the type the bytes are.
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        activity.evidence_type, "bin"
    )
    return f"outside/{secrets.token_hex(16)}.{extension}"


class OutsideActivity(TimeStampedModel):
    """Professional learning outside the district's sessions (a conference, a university course,
    a workshop elsewhere) that a person submits for credit, with evidence; district PD approves
    it (a Completion with source "outside", hours as approved) or declines it with a reason."""

    staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="outside_activities"
    )
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, help_text="Who offered it, e.g. a university.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2, help_text="Hours claimed.")
    strand = models.ForeignKey(Strand, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(blank=True)
    evidence = models.FileField(storage=_evidence_storage, upload_to=_evidence_path, max_length=200)
    evidence_name = models.CharField(max_length=255, help_text="The file's name as uploaded.")
    evidence_type = models.CharField(max_length=40, help_text="The type its contents are.")
    evidence_size = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20,
        choices=OutsideActivityStatus.choices,
        default=OutsideActivityStatus.SUBMITTED,
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    approved_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    completion = models.OneToOneField(
        Completion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outside_activity",
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name_plural = "outside activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="outside_activity_ends_after_it_starts",
                violation_error_message="The activity cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0),
                name="outside_activity_hours_positive",
                violation_error_message="The hours must be more than zero.",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="outside_status_idx")]

    def __str__(self) -> str:
        return f"{self.staff.display_name}: {self.title}"

"""The course catalog: strands, courses, sessions (offerings of a course) and their meetings."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from learning.models import Building, StaffGroup, StaffMember, TimeStampedModel

from .choices import CourseFormat, MeetingStatus, SessionStatus


def new_meeting_uid() -> str:
    """A calendar UID that is never reused: random, with the service's UID domain."""
    return f"{uuid.uuid4()}@{settings.CALENDAR_UID_DOMAIN}"


class Strand(TimeStampedModel):
    """A line of the plan's work, e.g. Restorative Practices; courses belong to one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    colour = models.CharField(
        max_length=7,
        default="#1f5f8b",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a hex colour such as #1f5f8b.")],
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Course(TimeStampedModel):
    """A course of the catalog; it is offered as one or more sessions."""

    code = models.SlugField(max_length=40, unique=True, help_text='e.g. "crt-101".')
    title = models.CharField(max_length=200)
    strand = models.ForeignKey(Strand, on_delete=models.PROTECT, related_name="courses")
    summary = models.TextField(blank=True)
    clock_hours = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="State continuing education clock hours."
    )
    format = models.CharField(
        max_length=20, choices=CourseFormat.choices, default=CourseFormat.IN_PERSON
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks"
    )
    evaluation_required = models.BooleanField(
        default=False, help_text="Credit only after the participant's evaluation is in."
    )
    requires_approval = models.BooleanField(
        default=False, help_text="Enrollment waits for the building leader's approval."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["strand__order", "code"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                name="course_code_unique_ci",
                violation_error_message="Another course already has this code.",
            ),
            models.CheckConstraint(
                condition=Q(clock_hours__gte=0),
                name="course_clock_hours_not_negative",
                violation_error_message="Clock hours cannot be negative.",
            ),
        ]
        indexes = [models.Index(fields=["strand", "active"], name="course_strand_active_idx")]

    def __str__(self) -> str:
        return f"{self.code.upper()} {self.title}"


class Session(TimeStampedModel):
    """One offering of a course: where, who facilitates, how many seats, when one may register."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(
        max_length=200, blank=True, help_text='Optional, e.g. "Cohort B"; shown after the course.'
    )
    facilitators = models.ManyToManyField(StaffMember, blank=True, related_name="facilitating")
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="sessions", null=True, blank=True
    )
    room = models.CharField(max_length=100, blank=True)
    virtual_url = models.URLField(blank=True)
    capacity = models.PositiveIntegerField()
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    restricted_to_group = models.ForeignKey(
        StaffGroup,
        on_delete=models.PROTECT,
        related_name="sessions",
        null=True,
        blank=True,
        help_text="Only members of this group may enroll.",
    )
    requires_approval = models.BooleanField(
        default=False, help_text="Enrollment waits for the building leader's approval."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["course__code", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="session_capacity_positive",
                violation_error_message="A session needs at least one seat.",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="session_registration_closes_after_opens",
                violation_error_message="Registration must close after it opens.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "course"], name="session_status_course_idx"),
            models.Index(fields=["building", "status"], name="session_building_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} — {self.title}" if self.title else self.course.title

    @property
    def display_title(self) -> str:
        return str(self)

    @property
    def approval_required(self) -> bool:
        """Enrollment waits for approval when the session or its course asks for it."""
        return self.requires_approval or self.course.requires_approval


class Meeting(TimeStampedModel):
    """One dated block of a session. Its UID never changes; its sequence rises with every change
    a calendar shows (time, place, status, title)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="meetings")
    uid = models.CharField(max_length=255, unique=True, default=new_meeting_uid, editable=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.CharField(
        max_length=100, blank=True, help_text="Only when it differs from the session's room."
    )
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="meeting_ends_after_start",
                violation_error_message="A meeting must end after it starts.",
            )
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="meeting_starts_at_idx"),
            models.Index(fields=["session", "starts_at"], name="meeting_session_starts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session} on {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

"""The course catalog: strands, courses, sessions (offerings of a course) and their meetings."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from learning.models import Building, Position, StaffGroup, StaffMember, TimeStampedModel

from . import search
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

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The strand's words are part of its courses' search documents.
        for course in self.courses.all():
            course.strand = self
            course.save(update_fields=["search_document"])


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
    audience_positions = models.ManyToManyField(
        Position,
        blank=True,
        related_name="+",
        help_text="Only staff in these positions may enroll themselves (empty: any position). "
        "Building leaders and district PD may still assign anyone.",
    )
    audience_buildings = models.ManyToManyField(
        Building,
        blank=True,
        related_name="+",
        help_text="Only staff of these buildings may enroll themselves (empty: any building).",
    )

    search_document = models.TextField(
        blank=True,
        editable=False,
        help_text="The words catalog search finds the course by (catalog.search); kept on save.",
    )

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

    def save(self, *args, **kwargs) -> None:
        self.search_document = search.course_document(
            code=self.code,
            title=self.title,
            summary=self.summary,
            strand_code=self.strand.code,
            strand_name=self.strand.name,
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_document" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_document"]
        super().save(*args, **kwargs)


class RegistrationState(models.TextChoices):
    """Whether one may register for a session at a given moment, or why not. Computed, not
    stored: it follows from the session's status, its meetings and its registration window."""

    DRAFT = "draft", "Draft, not published"
    CANCELLED = "cancelled", "Cancelled"
    ENDED = "ended", "Ended"
    NOT_YET_OPEN = "not_yet_open", "Registration not yet open"
    OPEN = "open", "Registration open"
    CLOSED = "closed", "Registration closed"


@dataclass(frozen=True)
class Registration:
    """A session's registration as of one moment, for pages: its state and its window, with
    whether each end of the window is already behind that moment."""

    state: RegistrationState
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    has_opened: bool
    has_closed: bool


class MeetingState(models.TextChoices):
    """A meeting as of a given moment. Computed, not stored."""

    SCHEDULED = "scheduled", "Scheduled"
    PAST = "past", "Past"
    CANCELLED = "cancelled", "Cancelled"


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
        help_text="Only members of this group may enroll themselves.",
    )
    audience_positions = models.ManyToManyField(
        Position,
        blank=True,
        related_name="+",
        help_text="Only staff in these positions may enroll themselves (empty: any position), "
        "in addition to the course's own audience.",
    )
    audience_buildings = models.ManyToManyField(
        Building,
        blank=True,
        related_name="+",
        help_text="Only staff of these buildings may enroll themselves (empty: any building), "
        "in addition to the course's own audience.",
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

    @property
    def audience_words(self) -> str:
        """Who may enroll themselves, in words ("" when anyone may): the positions and buildings
        the course and the session name, and the session's group. Reads what
        catalog.selectors.shape_sessions prefetches."""
        parts = []
        positions = sorted(
            {p.name for p in self.course.audience_positions.all()}
            | {p.name for p in self.audience_positions.all()}
        )
        if positions:
            parts.append(_either(positions))
        buildings = sorted(
            {b.name for b in self.course.audience_buildings.all()}
            | {b.name for b in self.audience_buildings.all()}
        )
        if buildings:
            parts.append(f"staff of {_either(buildings)}")
        if self.restricted_to_group_id is not None:
            parts.append(f"members of {self.restricted_to_group.name}")
        return "; ".join(parts)

    @property
    def seats_on_offer(self) -> bool:
        """A cancelled session offers no seats, whatever its capacity and enrollments."""
        return self.status != SessionStatus.CANCELLED

    def registration_state(self, at: dt.datetime) -> RegistrationState:
        """Whether one may register at `at`, or why not. A cancelled or draft session takes no
        registrations whatever its window; nor does one whose last meeting has ended."""
        if self.status == SessionStatus.CANCELLED:
            return RegistrationState.CANCELLED
        if self.status == SessionStatus.DRAFT:
            return RegistrationState.DRAFT
        last_ends_at = self._last_ends_at()
        if last_ends_at is not None and last_ends_at < at:
            return RegistrationState.ENDED
        if self.registration_opens_at is not None and self.registration_opens_at > at:
            return RegistrationState.NOT_YET_OPEN
        if self.registration_closes_at is not None and self.registration_closes_at <= at:
            return RegistrationState.CLOSED
        return RegistrationState.OPEN

    def registration_at(self, at: dt.datetime) -> Registration:
        """The registration state at `at` together with the window it was decided on."""
        opens_at, closes_at = self.registration_opens_at, self.registration_closes_at
        return Registration(
            state=self.registration_state(at),
            opens_at=opens_at,
            closes_at=closes_at,
            has_opened=opens_at is None or opens_at <= at,
            has_closed=closes_at is not None and closes_at <= at,
        )

    def _last_ends_at(self) -> dt.datetime | None:
        # catalog.selectors.shape_sessions annotates it; an unshaped session reads its meetings
        # (prefetched or not).
        if hasattr(self, "last_ends_at"):
            return self.last_ends_at
        return max((meeting.ends_at for meeting in self.meetings.all()), default=None)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


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

    def state_at(self, at: dt.datetime) -> MeetingState:
        """Cancelled when the meeting or its whole session is; past once it has ended."""
        if self.status == MeetingStatus.CANCELLED or self.session.status == SessionStatus.CANCELLED:
            return MeetingState.CANCELLED
        if self.ends_at < at:
            return MeetingState.PAST
        return MeetingState.SCHEDULED

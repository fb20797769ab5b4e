"""The district (buildings, positions, staff, groups) and its professional learning plan."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat, Lower

from .choices import (
    BuildingKind,
    CalendarDelivery,
    GroupKind,
    PositionCategory,
    RequirementKind,
    StaffStatus,
)


class TimeStampedModel(models.Model):
    """Adds created_at and updated_at; updated_at is what feeds and ETags read as "last changed"."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class Building(TimeStampedModel):
    """A school or office of the district; staff work in one, sessions are held in one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=BuildingKind.choices, default=BuildingKind.OTHER)
    address = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    is_demo = models.BooleanField(
        default=False, help_text="Synthetic data created by seed_demo, not the district's own."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                name="building_code_unique_ci",
                violation_error_message="Another building already has this code.",
            )
        ]
        indexes = [models.Index(fields=["name"], name="building_name_idx")]

    def __str__(self) -> str:
        return self.name


class Position(TimeStampedModel):
    """A job role from HR; its category is what plan audiences are usually written against."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=20, choices=PositionCategory.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffMember(TimeStampedModel):
    """A person employed by the district, keyed by HR's employee id. Never deleted once history
    points at them: separation is a status, not a deletion."""

    employee_id = models.CharField(max_length=40, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    # No index of their own: staff_building_status_idx and staff_position_status_idx begin with
    # them, and each index is written for every person a roster import adds.
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        db_index=False,
        help_text="Primary building.",
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        db_index=False,
    )
    status = models.CharField(
        max_length=20, choices=StaffStatus.choices, default=StaffStatus.ACTIVE
    )
    hired_on = models.DateField(null=True, blank=True)
    separated_on = models.DateField(null=True, blank=True)
    managed_manually = models.BooleanField(
        default=False, help_text="Kept as entered here: a roster sync never deactivates them."
    )
    leads_buildings = models.ManyToManyField(
        Building, related_name="leaders", blank=True, help_text="Buildings this person leads."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="staff_member",
        null=True,
        blank=True,
    )
    is_demo = models.BooleanField(
        default=False, help_text="Synthetic data created by seed_demo, not the district's own."
    )
    calendar_delivery = models.CharField(
        max_length=20,
        choices=CalendarDelivery.choices,
        default=CalendarDelivery.FEED,
        help_text=(
            "How sessions reach the person's calendar: a feed they subscribe to, invitations by "
            "mail, or neither. Mail and feed together would show events twice."
        ),
    )

    class Meta:
        ordering = ["last_name", "first_name", "employee_id"]
        verbose_name = "staff member"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="staff_email_unique_ci",
                violation_error_message="Another staff member already has this email address.",
            ),
            models.CheckConstraint(
                condition=~Q(email=""),
                name="staff_email_required",
                violation_error_message="A staff member needs an email address.",
            ),
            models.CheckConstraint(
                condition=Q(separated_on__isnull=True)
                | Q(hired_on__isnull=True)
                | Q(separated_on__gte=F("hired_on")),
                name="staff_separated_after_hired",
                violation_error_message="The separation date cannot be before the hire date.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="staff_name_idx"),
            models.Index(fields=["building", "status"], name="staff_building_status_idx"),
            models.Index(fields=["position", "status"], name="staff_position_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.employee_id})"

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


def display_name_of(path: str = "") -> Concat:
    """StaffMember.display_name in SQL, of the person at `path` (e.g. "staff"): the name lists
    show, so a search by name matches what it shows and never a first name a preferred name
    replaces."""
    prefix = f"{path}__" if path else ""
    given = Case(
        When(**{f"{prefix}preferred_name": ""}, then=F(f"{prefix}first_name")),
        default=F(f"{prefix}preferred_name"),
    )
    return Concat(given, Value(" "), F(f"{prefix}last_name"), output_field=models.CharField())


class StaffGroup(TimeStampedModel):
    """A committee, cohort or team (e.g. the Advisory Committee); sessions can be limited to one."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=GroupKind.choices, default=GroupKind.COMMITTEE)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(StaffMember, related_name="staff_groups", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "staff group"

    def __str__(self) -> str:
        return self.name


class Plan(TimeStampedModel):
    """A multi-year professional learning plan, e.g. "BPS, Better Together"."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="plan_ends_after_start",
                violation_error_message="A plan must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanYear(TimeStampedModel):
    """One school year of a plan (e.g. 2026-27), with its dates."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="years")
    name = models.CharField(max_length=20, help_text='The school year, e.g. "2026-27".')
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["plan", "starts_on"]
        verbose_name = "plan year"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "name"],
                name="plan_year_name_unique",
                violation_error_message="This plan already has a year with that name.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="plan_year_ends_after_start",
                violation_error_message="A plan year must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} {self.name}"


class Goal(TimeStampedModel):
    """What a plan year sets out to do; measured by its requirements."""

    plan_year = models.ForeignKey(PlanYear, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan_year", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Requirement(TimeStampedModel):
    """A measurable target: "by DUE DATE, TARGET% of AUDIENCE complete COURSE", or "N clock hours
    in STRAND". An empty audience means all active staff."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="requirements")
    title = models.CharField(max_length=300, blank=True)
    kind = models.CharField(
        max_length=20, choices=RequirementKind.choices, default=RequirementKind.COURSE
    )
    course = models.ForeignKey(
        "catalog.Course",
        on_delete=models.PROTECT,
        related_name="requirements",
        null=True,
        blank=True,
    )
    strand = models.ForeignKey(
        "catalog.Strand",
        on_delete=models.PROTECT,
        related_name="requirements",
        null=True,
        blank=True,
    )
    clock_hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    target_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    due_on = models.DateField()
    count_completions_before_plan_year = models.BooleanField(
        default=False,
        help_text="Count completions from any time before the due date, not only this plan year.",
    )
    audience_positions = models.ManyToManyField(Position, blank=True, related_name="+")
    audience_buildings = models.ManyToManyField(Building, blank=True, related_name="+")
    audience_groups = models.ManyToManyField(StaffGroup, blank=True, related_name="+")

    class Meta:
        ordering = ["goal", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_percent__gte=1) & Q(target_percent__lte=100),
                name="requirement_target_percent_range",
                violation_error_message="The target must be between 1 and 100 percent.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=RequirementKind.COURSE, course__isnull=False)
                    | Q(
                        kind=RequirementKind.CLOCK_HOURS,
                        strand__isnull=False,
                        # NULL > 0 is unknown, which a CHECK lets through: say not null too.
                        clock_hours__isnull=False,
                        clock_hours__gt=0,
                    )
                ),
                name="requirement_kind_fields",
                violation_error_message=(
                    "A course requirement needs a course; a clock-hours requirement needs a "
                    "strand and a positive number of hours."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.describe()

    def describe(self) -> str:
        if self.kind == RequirementKind.CLOCK_HOURS:
            hours = f"{self.clock_hours.normalize():f}"
            what = f"earn {hours} clock hours in {self.strand}"
        else:
            what = f"complete {self.course}"
        due = f"{self.due_on:%b} {self.due_on.day}, {self.due_on.year}"
        return f"By {due}, {self.target_percent}% {what}"


class StaffAssignment(TimeStampedModel):
    """One stretch of a person's employment: their building, position and status from a date
    until the next stretch began. Reports use it to count people where they were on a
    requirement's due date. A person whose building, position and status never changed has no
    rows here: their staff record is their whole history."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="assignments")
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=StaffStatus.choices)
    starts_on = models.DateField(
        null=True, blank=True, help_text="Empty: since before the district's records begin."
    )
    ends_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day the next stretch began (not part of this one); empty: still current.",
    )

    class Meta:
        # The first stretch may have no start: oldest first on every database.
        ordering = ["staff", F("starts_on").asc(nulls_first=True)]
        verbose_name = "staff assignment"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gt=F("starts_on")),
                name="staff_assignment_ends_after_start",
                violation_error_message="An assignment must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=Q(ends_on__isnull=True),
                name="staff_assignment_one_current",
                violation_error_message="A person has one current assignment.",
            ),
        ]

    def __str__(self) -> str:
        since = self.starts_on.isoformat() if self.starts_on else "the start"
        until = self.ends_on.isoformat() if self.ends_on else "now"
        return f"{self.staff}: {self.get_status_display()}, {since} to {until}"


class DataChange(models.Model):
    """One row per write to the data that calendars and reports show, kept in the writer's
    transaction (learning.changes). The rows themselves say nothing; their smallest id, largest
    id and count together name the data's generation, which changes with every committed write
    (and a rolled-back one leaves no row), so a feed or report cached under a generation is
    never served after the data changed. Old rows are pruned."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "data change"

    def __str__(self) -> str:
        return f"Data change {self.pk} at {self.at:%Y-%m-%d %H:%M:%S}"


class PasswordResetRequest(models.Model):
    """A password reset the throttle let through (learning.services): for which address (a
    keyed digest, so the table names no one) from which client, when. Rows older than the
    throttle's hour are pruned as new ones come; refused requests leave no row."""

    email_digest = models.CharField(max_length=64)
    # Empty when the server reported no client address.
    client_address = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "password reset request"
        indexes = [
            models.Index(fields=["email_digest", "requested_at"], name="reset_email_at_idx"),
            models.Index(fields=["client_address", "requested_at"], name="reset_client_at_idx"),
            models.Index(fields=["requested_at"], name="reset_at_idx"),
        ]

    def __str__(self) -> str:
        client = self.client_address or "an unknown client"
        return f"Password reset from {client} at {self.requested_at:%Y-%m-%d %H:%M}"

from django.db import models


class BuildingKind(models.TextChoices):
    ELEMENTARY = "elementary", "Elementary school"
    MIDDLE = "middle", "Middle school"
    K8 = "k8", "K-8 school"
    HIGH = "high", "High school"
    ALTERNATIVE = "alternative", "Alternative program"
    EARLY_CHILDHOOD = "early_childhood", "Early childhood center"
    ADMINISTRATION = "administration", "Administration"
    OTHER = "other", "Other"


class PositionCategory(models.TextChoices):
    TEACHER = "teacher", "Teacher"
    LEADER = "leader", "Building leader"
    SUPPORT = "support", "Support staff"
    CENTRAL_OFFICE = "central_office", "Central office"


class StaffStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    SEPARATED = "separated", "Separated"


class GroupKind(models.TextChoices):
    COMMITTEE = "committee", "Committee"
    COHORT = "cohort", "Cohort"
    TEAM = "team", "Team"


class RequirementKind(models.TextChoices):
    COURSE = "course", "Complete a course"
    CLOCK_HOURS = "clock_hours", "Clock hours in a strand"


class CalendarDelivery(models.TextChoices):
    """How a person's sessions reach their calendar. One way only: a subscribed feed and mailed
    invitations together would show every event twice."""

    FEED = "feed", "Subscribe to my calendar feed"
    INVITATIONS = "invitations", "Send me invitations by mail"
    NONE = "none", "Neither: I keep my calendar myself"

from django.db import models


class EnrollmentStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    ENROLLED = "enrolled", "Enrolled"
    WAITLISTED = "waitlisted", "Waitlisted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    INCOMPLETE = "incomplete", "Incomplete"


# An enrollment is "live" until it is withdrawn, declined or cancelled; a person has at most one
# live enrollment per session.
LIVE_STATUSES = (
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.WAITLISTED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.INCOMPLETE,
)

# Statuses that occupy one of the session's seats (a waitlisted person does not).
SEAT_HOLDING_STATUSES = (
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.INCOMPLETE,
)

# Statuses of the people taking part in a session: its roster, on which attendance is taken.
ROSTER_STATUSES = (
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.INCOMPLETE,
)

# Statuses one may withdraw from: not yet a participant, or taking part (until the session is
# over: then attendance decides the credit; see Enrollment.may_withdraw).
WITHDRAWABLE_STATUSES = (
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.WAITLISTED,
)


class EnrollmentSource(models.TextChoices):
    SELF = "self", "Self-registered"
    ASSIGNED = "assigned", "Assigned"
    IMPORT = "import", "Imported"


class CompletionSource(models.TextChoices):
    SESSION = "session", "Session attended"
    IMPORT = "import", "Imported"
    MANUAL = "manual", "Recorded manually"
    OUTSIDE = "outside", "Outside learning, approved"


class OutsideActivityStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class ReminderKind(models.TextChoices):
    THREE_DAYS = "3d", "3 days before"
    ONE_DAY = "1d", "1 day before"

"""Mail to participants (and to the leaders who approve), written when the change is made and
recorded in the mail outbox in the same transaction (core/outbox.py): a change that is rolled
back sends nothing, and the worker delivers the rest, retrying until the mail server takes it.

A person who chose invitations by mail (StaffMember.calendar_delivery) gets one message per
meeting instead, each an iMIP invitation: multipart/alternative of the text and a text/calendar
part with the iTIP method (the same UIDs as the feeds; meetings that have ended are left out). A
REQUEST when they get a seat (enrolled, approved, promoted into a seat) and when the session
changes, a CANCEL when they leave a seat (withdrawn) or the session is cancelled, and a CANCEL
of the one meeting that is cancelled. Waitlist places and requests waiting for approval hold no
seat, so they are never invited, and a declined or lapsed request gets no CANCEL."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from catalog import ical
from catalog.choices import MeetingStatus
from catalog.models import Meeting
from core import outbox
from learning.choices import CalendarDelivery

from .choices import EnrollmentSource, EnrollmentStatus
from .models import Enrollment, Reminder

ENROLLED = "enrolled"
PENDING_APPROVAL = "pending_approval"
WAITLISTED = "waitlisted"
PROMOTED = "promoted"
WITHDRAWN = "withdrawn"
APPROVED = "approved"
DECLINED = "declined"
LAPSED = "lapsed"
APPROVAL_REQUESTED = "approval_requested"
SESSION_CANCELLED = "session_cancelled"
MEETING_CANCELLED = "meeting_cancelled"
SESSION_CHANGED = "session_changed"
REMINDER = "reminder"
OUTSIDE_APPROVED = "outside_approved"
OUTSIDE_DECLINED = "outside_declined"

SUBJECTS = {
    ENROLLED: "You are enrolled: {session}",
    PENDING_APPROVAL: "Waiting for approval: {session}",
    WAITLISTED: "You are on the waitlist: {session}",
    PROMOTED: "A seat opened for you: {session}",
    WITHDRAWN: "You are withdrawn from {session}",
    APPROVED: "Approved: {session}",
    DECLINED: "Not approved: {session}",
    LAPSED: "Your request lapsed: {session}",
    APPROVAL_REQUESTED: "Approval requested: {name} for {session}",
    SESSION_CANCELLED: "Cancelled: {session}",
    MEETING_CANCELLED: "A meeting is cancelled: {session}",
    SESSION_CHANGED: "Changed: {session}",
    REMINDER: "Reminder: {session}, {when}",
    OUTSIDE_APPROVED: "Credit approved: {title}",
    OUTSIDE_DECLINED: "Not approved for credit: {title}",
}


REQUEST = "REQUEST"
CANCEL = "CANCEL"
CALENDAR_TYPE = outbox.CALENDAR_TYPE
# Kinds whose mail puts the session's meetings in the calendar of someone with a seat, and kinds
# whose mail takes them out.
INVITING_KINDS = frozenset({ENROLLED, APPROVED, PROMOTED, SESSION_CHANGED})
# (Declined and lapsed requests were never invited: they get no CANCEL.)
UNINVITING_KINDS = frozenset({WITHDRAWN, SESSION_CANCELLED})
# The places that hold a seat in the session: only these are sent invitations.
INVITED_STATUSES = (
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.INCOMPLETE,
)


def kind_for_status(status: str) -> str:
    return {
        EnrollmentStatus.ENROLLED: ENROLLED,
        EnrollmentStatus.PENDING_APPROVAL: PENDING_APPROVAL,
        EnrollmentStatus.WAITLISTED: WAITLISTED,
    }[status]


def notify(kind: str, enrollment_ids: list[int], **context) -> None:
    """Record the mail to the people of these enrollments about `kind` in the outbox, in the
    caller's transaction."""
    if enrollment_ids:
        outbox.record(build(kind, list(enrollment_ids), context), kind=kind)


def notify_outside(kind: str, activity) -> None:
    """Tell the person district PD's decision on their outside learning (in the outbox, with the
    change)."""
    staff = activity.staff
    if not staff.email:
        return
    body = render_to_string(
        f"enrollment/mail/{kind}.txt",
        {
            "activity": activity,
            "staff": staff,
            "me_url": settings.SITE_URL + reverse("enrollment:outside"),
            "transcript_url": settings.SITE_URL + reverse("enrollment:transcript"),
            "district_name": settings.DISTRICT_NAME,
        },
    )
    subject = SUBJECTS[kind].format(title=activity.title)
    outbox.record([EmailMessage(subject, body, to=[staff.email])], kind=kind)


def record_reminders(reminders: list[Reminder], today: dt.date) -> None:
    """One message per reminder, recorded with the reminders. Their enrollment (with the person)
    and meeting (with its session, course and building) are already loaded: no query is made
    but the outbox's one insert."""
    messages = []
    for reminder in reminders:
        enrollment, meeting = reminder.enrollment, reminder.meeting
        session = meeting.session
        starts_at = timezone.localtime(meeting.starts_at)
        values = {
            "kind": REMINDER,
            "enrollment": enrollment,
            "staff": enrollment.staff,
            "session": session,
            "meeting": meeting,
            "days": (starts_at.date() - today).days,
            "session_url": settings.SITE_URL + reverse("catalog:session", args=[session.pk]),
            "me_url": settings.SITE_URL + reverse("enrollment:me"),
            "district_name": settings.DISTRICT_NAME,
        }
        subject = SUBJECTS[REMINDER].format(
            session=session.display_title, when=date_format(starts_at, "D, M j, g:i A")
        )
        body = render_to_string("enrollment/mail/reminder.txt", values)
        messages.append(EmailMessage(subject, body, to=[enrollment.staff.email]))
    outbox.record(messages, kind=REMINDER)


def _assigned_by(enrollment: Enrollment) -> str:
    """Who gave the person an assigned place, by name; "" for a place they took themselves."""
    if enrollment.source != EnrollmentSource.ASSIGNED:
        return ""
    actor = enrollment.acted_by
    if actor is None:
        return "District professional learning"
    staff = getattr(actor, "staff_member", None)
    return staff.display_name if staff is not None else actor.get_full_name() or actor.username


def build(kind: str, enrollment_ids: list[int], context: dict) -> list[EmailMessage]:
    """The messages about `kind` to the people of these enrollments (or, for an approval
    request, to the leaders of their building), as the enrollments stand now."""
    enrollments = (
        Enrollment.objects.filter(pk__in=enrollment_ids)
        .select_related(
            "staff",
            "session__course__strand",
            "session__building",
            "acted_by__staff_member",
        )
        .prefetch_related(
            Prefetch("session__meetings", queryset=Meeting.objects.order_by("starts_at", "id")),
            "session__facilitators",
            "staff__building__leaders",
        )
    )
    meeting = None
    if context.get("meeting"):
        meeting = Meeting.objects.filter(pk=context["meeting"]).first()
    now = timezone.now()
    messages = []
    for enrollment in enrollments:
        session = enrollment.session
        page = settings.SITE_URL + reverse("catalog:session", args=[session.pk])
        invitation = _invitation(
            kind,
            enrollment,
            meeting,
            now=now,
            previous_status=context.get("previous_status"),
            invited=context.get("invited"),
        )
        values = {
            "kind": kind,
            "enrollment": enrollment,
            "staff": enrollment.staff,
            "session": session,
            "meetings": session.meetings.all(),
            "meeting": meeting,
            "reason": context.get("reason", "") or enrollment.decision_reason,
            "session_url": page,
            "me_url": settings.SITE_URL + reverse("enrollment:me"),
            "approvals_url": settings.SITE_URL + reverse("enrollment:approvals"),
            "district_name": settings.DISTRICT_NAME,
            "hold_days": settings.APPROVAL_HOLD_DAYS,
            "invitation": "",
            "assigned_by": _assigned_by(enrollment),
            "because": context.get("because", ""),
        }
        subject = SUBJECTS[kind].format(
            session=session.display_title, name=enrollment.staff.display_name
        )
        if kind == APPROVAL_REQUESTED:
            building = enrollment.staff.building
            leaders = building.leaders.all() if building is not None else []
            recipients = [
                leader.email
                for leader in leaders
                if leader.email and leader.pk != enrollment.staff_id
            ]
        else:
            recipients = [enrollment.staff.email] if enrollment.staff.email else []
        if not recipients:
            continue
        if invitation is None:
            body = render_to_string(f"enrollment/mail/{kind}.txt", values)
            messages.append(EmailMessage(subject, body, to=recipients))
            continue
        method, meetings = invitation
        for number, invited in enumerate(meetings, start=1):
            body = render_to_string(
                f"enrollment/mail/{kind}.txt",
                values
                | {
                    "invitation": method,
                    "invitation_meeting": invited,
                    "invitation_number": number,
                    "invitation_count": len(meetings),
                },
            )
            numbered = f"{subject} ({number} of {len(meetings)})" if len(meetings) > 1 else subject
            messages.append(
                _invitation_message(enrollment, method, invited, numbered, body, recipients)
            )
    return messages


def _invitation(
    kind: str,
    enrollment: Enrollment,
    meeting: Meeting | None,
    *,
    now: dt.datetime,
    previous_status: str | None = None,
    invited: list[int] | None = None,
) -> tuple[str, list[Meeting]] | None:
    """The iTIP method and the meetings to send, one message each, or None: only for people who
    chose invitations, and only meetings that have not ended. A CANCEL only goes to someone who
    was invited: a withdrawal from a seat (`previous_status`, the status before it), never a
    declined or lapsed request, a waitlist place or a pending one; for a cancelled session,
    those of its places that held a seat (`invited`)."""
    if enrollment.staff.calendar_delivery != CalendarDelivery.INVITATIONS:
        return None
    # From the prefetched list: those meetings already carry their session, course and place.
    meetings = [m for m in enrollment.session.meetings.all() if m.ends_at >= now]
    if kind in INVITING_KINDS:
        if enrollment.status not in INVITED_STATUSES:
            return None
        held = [m for m in meetings if m.status != MeetingStatus.CANCELLED]
        return (REQUEST, held) if held else None
    if kind == MEETING_CANCELLED:
        if meeting is None or enrollment.status not in INVITED_STATUSES:
            return None
        cancelled = [m for m in meetings if m.pk == meeting.pk]
        return (CANCEL, cancelled) if cancelled else None
    if kind == WITHDRAWN and previous_status not in INVITED_STATUSES:
        return None
    if kind == SESSION_CANCELLED and enrollment.pk not in (invited or ()):
        return None
    if kind in UNINVITING_KINDS:
        return (CANCEL, meetings) if meetings else None
    return None


# An iMIP message (the outbox rebuilds it for every attempt).
InvitationMessage = outbox.CalendarMessage


def _invitation_message(
    enrollment: Enrollment,
    method: str,
    meeting: Meeting,
    subject: str,
    body: str,
    recipients: list[str],
) -> InvitationMessage:
    """One meeting's invitation (clients act on one event per message): the text, and the same
    change as a text/calendar alternative with the feeds' UID and SEQUENCE."""
    data = ical.invitation_bytes(
        meetings=[meeting],
        method=method,
        attendee_email=enrollment.staff.email,
        attendee_name=enrollment.staff.display_name,
        organizer_email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    )
    message = InvitationMessage(subject, body, to=recipients, method=method)
    message.attach_alternative(data.decode("utf-8"), CALENDAR_TYPE)
    return message

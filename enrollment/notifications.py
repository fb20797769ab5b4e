"""Mail to participants (and to the leaders who approve), sent after the transaction commits so
nobody hears of a change that was rolled back. Console backend by default, SMTP by settings."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse

from catalog.models import Meeting

from .choices import EnrollmentStatus
from .models import Enrollment

logger = logging.getLogger(__name__)

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
}


def kind_for_status(status: str) -> str:
    return {
        EnrollmentStatus.ENROLLED: ENROLLED,
        EnrollmentStatus.PENDING_APPROVAL: PENDING_APPROVAL,
        EnrollmentStatus.WAITLISTED: WAITLISTED,
    }[status]


def after_commit(kind: str, enrollment_ids: list[int], **context) -> None:
    """Mail the people of these enrollments about `kind` once the transaction commits."""
    if enrollment_ids:
        transaction.on_commit(partial(send, kind, list(enrollment_ids), context))


def send(kind: str, enrollment_ids: list[int], context: dict) -> int:
    """Build and send the messages; returns how many went out. A mail server failure is logged,
    never raised: the change itself has already happened."""
    enrollments = (
        Enrollment.objects.filter(pk__in=enrollment_ids)
        .select_related("staff", "session__course", "session__building")
        .prefetch_related(
            Prefetch("session__meetings", queryset=Meeting.objects.order_by("starts_at", "id")),
            "staff__building__leaders",
        )
    )
    meeting = None
    if context.get("meeting"):
        meeting = Meeting.objects.filter(pk=context["meeting"]).first()
    messages = []
    for enrollment in enrollments:
        session = enrollment.session
        page = settings.SITE_URL + reverse("catalog:session", args=[session.pk])
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
        }
        subject = SUBJECTS[kind].format(
            session=session.display_title, name=enrollment.staff.display_name
        )
        body = render_to_string(f"enrollment/mail/{kind}.txt", values)
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
        if recipients:
            messages.append(EmailMessage(subject, body, to=recipients))
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # noqa: BLE001 - a mail outage must not turn a done change into an error
        logger.exception("Could not send %s mail for enrollments %s", kind, enrollment_ids)
        return 0

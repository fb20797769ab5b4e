"""lapse_approval_holds, the cron job that frees the seats of approval requests that waited too
long."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core import refusals as r
from enrollment.choices import EnrollmentStatus
from enrollment.management.commands.lapse_approval_holds import Command
from enrollment.models import Enrollment
from tests.factories import EnrollmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def lapse() -> str:
    out = StringIO()
    call_command("lapse_approval_holds", stdout=out)
    return out.getvalue()


def test_lapses_expired_holds_promotes_and_says_how_many(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    session = SessionFactory(capacity=1, requires_approval=True)
    expired = EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() - dt.timedelta(hours=1),
    )
    waiting = EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    held = EnrollmentFactory(
        status=EnrollmentStatus.PENDING_APPROVAL,
        hold_expires_at=timezone.now() + dt.timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        output = lapse()

    assert output == "1 approval request(s) lapsed; their seats went to the waitlist.\n"
    expired.refresh_from_db()
    assert expired.status == EnrollmentStatus.DECLINED
    assert expired.decision_reason == r.MSG_APPROVAL_LAPSED.format(days=settings.APPROVAL_HOLD_DAYS)
    assert Enrollment.objects.get(pk=waiting.pk).status == EnrollmentStatus.PENDING_APPROVAL
    assert Enrollment.objects.get(pk=held.pk).status == EnrollmentStatus.PENDING_APPROVAL
    assert sorted(m.subject.split(":")[0] for m in mailoutbox) == [
        "A seat opened for you",
        "Your request lapsed",
    ]

    assert lapse().startswith("0 approval request(s) lapsed")


def test_the_help_says_it_is_meant_for_cron():
    assert "cron" in Command.help
    assert "APPROVAL_HOLD_DAYS" in Command.help

"""Reads of the district and its plan for pages, the API and files, scoped by learning.access;
and the logins a password reset may mail."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.contrib.auth.models import User

from .access import AnyUser, report_building_ids
from .choices import StaffStatus
from .progress import Filters, ProgressReport, Scope, progress_report


def report_scope(user: AnyUser) -> Scope:
    """The people a user's reports count: the district, or the buildings they lead."""
    return Scope(report_building_ids(user))


def progress_for(
    *, user: AnyUser, filters: Filters, as_of: dt.date | None = None, people: bool = True
) -> ProgressReport:
    """The progress report the user may see: district-wide for district PD, their buildings'
    people for a building leader. Callers check access.may_see_reports first. people=False: the
    numbers alone (learning.progress.progress_totals), for what names no one."""
    return progress_report(scope=report_scope(user), filters=filters, as_of=as_of, people=people)


def normalized_email(email: str) -> str:
    """An address as a password reset matches logins (ignoring case, as Unicode compares text),
    so "Tess@Example.org" and "tess@example.org" are one address, to the throttle too."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def password_reset_users(email: str) -> list[User]:
    """The logins a reset link for `email` goes to: active ones with a usable password whose
    address is `email` (ignoring case, as Unicode compares text), except those of a person who
    has left the district (staff record separated), who keep no access here. A login without a
    staff record (an administrator's) and a person on leave are mailed."""
    candidates = (
        User.objects.filter(email__iexact=email.strip(), is_active=True)
        .exclude(staff_member__status=StaffStatus.SEPARATED)
        .order_by("pk")
    )
    wanted = normalized_email(email)
    return [
        user
        for user in candidates
        if user.has_usable_password() and normalized_email(user.email) == wanted
    ]

"""Reads of the district for pages: the logins a password reset may mail, and those a
separation would end."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import User

from .choices import StaffStatus


def mail_address(user: User) -> str:
    """Where the service mails a login: its staff record's address, else the login's own."""
    staff = getattr(user, "staff_member", None)
    return (staff.email if staff is not None and staff.email else "") or user.email


def active_logins_among(staff_ids: list[int]) -> int:
    """How many of these people have a login that can sign in now (one query)."""
    if not staff_ids:
        return 0
    return User.objects.filter(staff_member__in=staff_ids, is_active=True).count()


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

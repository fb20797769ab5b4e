"""Reads for sign-in: whose staff record an identity provider's answer names."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from learning.models import StaffMember


def display_name(user: User) -> str:
    """How pages name a login (ACCOUNT_USER_DISPLAY): the person's name on the roster."""
    staff = getattr(user, "staff_member", None)
    if staff is not None:
        return f"{staff.preferred_name or staff.first_name} {staff.last_name}"
    return user.get_full_name() or user.get_username()


def staff_records() -> QuerySet[StaffMember]:
    return StaffMember.objects.select_related("user")


def staff_by_email(email: str) -> list[StaffMember]:
    """Staff records with this very address, its case aside. The database's case folding is
    wider than a mailbox's (PostgreSQL folds "ı" to "i" and "ſ" to "s"), so its candidates are
    kept only when their address, lower-cased as Python does it, is the one given: a look-alike
    address never stands for a person's."""
    wanted = email.strip().lower()
    return [
        staff
        for staff in staff_records().filter(email__iexact=wanted)[:5]
        if staff.email.strip().lower() == wanted
    ][:2]


def staff_by_employee_id(employee_id: str) -> StaffMember | None:
    return staff_records().filter(employee_id=employee_id.strip()).first()

"""Which sessions whom: the catalog's side of access (learning.access holds the roles). Every
page, API answer and feed that lists sessions starts from these querysets."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from learning.access import AnyUser, is_district_pd, staff_of
from learning.models import StaffMember

from .choices import SessionStatus
from .models import Session


def visible_sessions(user: AnyUser) -> QuerySet[Session]:
    """Sessions the user may see: published and cancelled ones for everyone (the catalog is
    public); drafts only for district PD and the draft's own facilitators."""
    sessions = Session.objects.all()
    public = ~Q(status=SessionStatus.DRAFT)
    if is_district_pd(user):
        return sessions
    staff = staff_of(user)
    if staff is not None:
        return sessions.filter(public | Q(pk__in=_facilitated_session_ids(staff)))
    return sessions.filter(public)


def manageable_sessions(user: AnyUser) -> QuerySet[Session]:
    """Sessions whose roster and attendance the user may manage: all for district PD and admins,
    their own for a facilitator, none for anyone else."""
    sessions = Session.objects.all()
    if is_district_pd(user):
        return sessions
    staff = staff_of(user)
    if staff is None:
        return sessions.none()
    return sessions.filter(pk__in=_facilitated_session_ids(staff))


def _facilitated_session_ids(staff: StaffMember) -> QuerySet:
    # A subquery rather than a join, so callers can annotate counts without duplicated rows.
    return Session.facilitators.through.objects.filter(staffmember=staff).values("session_id")

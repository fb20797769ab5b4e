"""Reads of the plan's progress for pages, the API and files, scoped by learning.access."""

from __future__ import annotations

import datetime as dt

from learning.access import AnyUser, report_building_ids

from .models import ReportSubscription
from .progress import Filters, ProgressReport, Scope, progress_report


def report_scope(user: AnyUser) -> Scope:
    """The people a user's reports count: the district, or the buildings they lead."""
    return Scope(report_building_ids(user))


def progress_for(
    *, user: AnyUser, filters: Filters, as_of: dt.date | None = None, people: bool = True
) -> ProgressReport:
    """The progress report the user may see: district-wide for district PD, their buildings'
    people for a building leader. Callers check access.may_see_reports first. people=False: the
    numbers alone (plan.progress.progress_totals), for what names no one."""
    return progress_report(scope=report_scope(user), filters=filters, as_of=as_of, people=people)


def report_subscriptions_of(user: AnyUser):
    """A person's active report subscriptions, oldest first."""
    return ReportSubscription.objects.filter(user=user, active=True).order_by("created_at", "pk")

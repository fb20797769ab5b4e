"""Reads of the plan's progress for pages, the API and files, scoped by learning.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from catalog.choices import SessionStatus
from catalog.models import Session
from catalog.selectors import shape_sessions
from catalog.selectors import upcoming as upcoming_sessions
from enrollment.selectors import outside_waiting_count, pending_approvals
from learning import access
from learning.access import AnyUser, report_building_ids

from .models import ReportSubscription
from .progress import (
    Filters,
    ProgressReport,
    RequirementProgress,
    Scope,
    Status,
    default_plan_year,
    progress_report,
)
from .seats import RequirementSeats, seats_against_plan


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


@dataclass
class StartPage:
    """What a building leader or district PD sees first: where the plan stands in their scope,
    what is behind, whether the schedule can reach each target, what waits for them, and the
    sessions coming up where they are."""

    report: ProgressReport
    behind: list[RequirementProgress]
    seats: list[RequirementSeats]
    approvals_waiting: int
    outside_waiting: int | None
    upcoming: list[Session]


def start_page(*, user: AnyUser, now: dt.datetime | None = None, upcoming: int = 6) -> StartPage:
    """The leaders' start page in a fixed number of queries: the report of the current plan year
    in the user's scope, the seats against it, the counts of what waits for the user, and the
    next sessions held at their buildings (every building for district PD)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = progress_for(
        user=user, filters=Filters(plan_year=default_plan_year(today)), as_of=today
    )
    behind = [
        item for item in report.requirements if item.status in (Status.BEHIND, Status.AT_RISK)
    ]
    sessions = upcoming_sessions(
        shape_sessions(Session.objects.filter(status=SessionStatus.PUBLISHED)), at=now
    ).filter(first_starts_at__gt=now)
    if not report.scope.district:
        sessions = sessions.filter(building_id__in=report.scope.building_ids)
    district_pd = access.is_district_pd(user)
    return StartPage(
        report=report,
        behind=behind,
        seats=seats_against_plan(report, now=now),
        approvals_waiting=pending_approvals(user=user).count(),
        outside_waiting=outside_waiting_count() if district_pd else None,
        upcoming=list(sessions[:upcoming]),
    )

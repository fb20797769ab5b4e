"""Seats against the plan: for each requirement still to come due, how many more completions its
target needs by then, against the places already held and the seats left in the sessions that
end before the due date. Read from a progress report (already scoped to the user) and one shaped
query of sessions, so the count of queries does not grow with staff or sessions.

A seat is counted for the requirement when its session is published, has not started, still
takes registrations, ends by the due date, gives the requirement (its course, or a course of its
strand for clock hours) and is open to the requirement's audience: a session kept for one group
only where the requirement is that group's; a session kept for some buildings only where the
report counts people of one of them. A clock-hours requirement may take several sessions per
person, so its seats are a ceiling on who can finish, not a promise."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as format_date

from catalog.choices import SessionStatus
from catalog.models import Session
from catalog.selectors import shape_sessions
from learning.choices import RequirementKind
from learning.models import Building
from plan.progress import PersonState, ProgressReport, RequirementProgress


@dataclass
class SeatCount:
    """One row of the sums: the report's whole scope (building None) or one building."""

    building: Building | None
    audience: int = 0
    completed: int = 0
    enrolled: int = 0
    # Completions still needed to reach the target on the due date (never below 0).
    needed: int = 0
    seats_left: int = 0
    sessions: int = 0

    @property
    def short(self) -> int:
        """Completions the target needs beyond every place held and every seat left."""
        return max(0, self.needed - self.enrolled - self.seats_left)


@dataclass
class RequirementSeats:
    item: RequirementProgress
    short_label: str
    overall: SeatCount
    by_building: list[SeatCount]
    sessions: list[Session] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return self.overall.short == 0

    @property
    def warning(self) -> str:
        """The shortfall in words, or "" when the schedule can reach the target."""
        if self.reachable:
            return ""
        overall = self.overall
        due = format_date(self.item.requirement.due_on, "F j")
        count = len(self.sessions)
        offered = (
            "no session is scheduled before then"
            if not count
            else f"the {count} session{'s' if count != 1 else ''} scheduled before then "
            f"offer{'s' if count == 1 else ''} {overall.seats_left} "
            f"seat{'s' if overall.seats_left != 1 else ''}"
        )
        held = (
            f" and {overall.enrolled} already hold{'s' if overall.enrolled == 1 else ''} a place"
            if overall.enrolled
            else ""
        )
        return (
            f"{self.short_label} needs {overall.needed} more completion"
            f"{'s' if overall.needed != 1 else ''} by {due}; {offered}{held}: "
            f"{overall.short} short."
        )


def short_label(requirement) -> str:
    """A requirement named briefly: its course code, or its hours and strand."""
    if requirement.kind == RequirementKind.CLOCK_HOURS:
        return f"{requirement.clock_hours.normalize():f} h of {requirement.strand.name}"
    return requirement.course.code.upper()


def _needed(audience: int, completed: int, target_percent: int) -> int:
    return max(0, math.ceil(audience * target_percent / 100) - completed)


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _candidate_sessions(items: list[RequirementProgress], now: dt.datetime) -> list[Session]:
    """Every session that could serve one of the requirements, seats annotated, in one shaped
    query (a fixed number of queries)."""
    course_ids = {i.requirement.course_id for i in items if i.requirement.course_id}
    strand_ids = {
        i.requirement.strand_id for i in items if i.requirement.kind == RequirementKind.CLOCK_HOURS
    }
    latest = max(i.requirement.due_on for i in items)
    sessions = shape_sessions(
        Session.objects.filter(status=SessionStatus.PUBLISHED)
        .filter(Q(course_id__in=course_ids) | Q(course__strand_id__in=strand_ids))
        .exclude(registration_closes_at__lte=now)
    ).filter(first_starts_at__gt=now, last_ends_at__lt=_end_of(latest))
    return list(sessions)


def _serves(session: Session, item: RequirementProgress, groups: set[int]) -> bool:
    requirement = item.requirement
    if requirement.kind == RequirementKind.COURSE:
        fits = session.course_id == requirement.course_id
    else:
        fits = session.course.strand_id == requirement.strand_id
    open_to_group = session.restricted_to_group_id is None or (
        session.restricted_to_group_id in groups
    )
    return fits and open_to_group and session.last_ends_at < _end_of(requirement.due_on)


def _kept_for(session: Session) -> set[int]:
    """The buildings a session (or its course) is kept for; empty when open to every building."""
    return {b.pk for b in session.audience_buildings.all()} | {
        b.pk for b in session.course.audience_buildings.all()
    }


def seats_against_plan(
    report: ProgressReport, *, now: dt.datetime | None = None
) -> list[RequirementSeats]:
    """For each requirement of the report not yet due, its seats against its target: overall
    (the report's scope) and per building, with the sessions counted. Needs a report with its
    people (progress_report, not progress_totals): the places held are read from them."""
    if not report.people:
        raise ValueError("Seats against the plan count places held: use progress_report.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    items = [i for i in report.requirements if i.requirement.due_on >= today]
    if not items:
        return []
    candidates = _candidate_sessions(items, now)
    kept_for = {session.pk: _kept_for(session) for session in candidates}
    scope = report.scope
    results = []
    for item in items:
        requirement = item.requirement
        groups = {g.pk for g in requirement.audience_groups.all()}
        sessions = [
            s
            for s in candidates
            if _serves(s, item, groups)
            and (not kept_for[s.pk] or scope.district or kept_for[s.pk] & scope.building_ids)
        ]
        by_building: dict[int | None, SeatCount] = {}
        overall = SeatCount(building=None)
        for entry in item.entries:
            row = by_building.setdefault(
                entry.building_id,
                SeatCount(building=report.buildings.get(entry.building_id)),
            )
            for count in (overall, row):
                count.audience += 1
                if entry.state in (PersonState.COMPLETED, PersonState.LATE):
                    count.completed += 1
                elif entry.state == PersonState.ENROLLED:
                    count.enrolled += 1
        target = requirement.target_percent
        for count in (overall, *by_building.values()):
            count.needed = _needed(count.audience, count.completed, target)
        for session in sessions:
            left = max(0, session.seats_left)
            overall.seats_left += left
            overall.sessions += 1
            here = {session.building_id} | kept_for[session.pk]
            for building_id in here:
                if building_id in by_building:
                    by_building[building_id].seats_left += left
                    by_building[building_id].sessions += 1
        rows = sorted(
            by_building.values(),
            key=lambda c: (c.building is None, c.building.name.casefold() if c.building else ""),
        )
        results.append(
            RequirementSeats(
                item=item,
                short_label=short_label(requirement),
                overall=overall,
                by_building=rows,
                sessions=sessions,
            )
        )
    return results

"""Reads of HR's pages: the import runs a user may see, a run's preview, HR's start page and the
staff directory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from learning import access
from learning.choices import StaffStatus
from learning.models import StaffMember

from .choices import ImportKind
from .completions import CompletionsPreview
from .models import ImportRun
from .roster import RosterPreview


def import_runs(user: User | AnonymousUser) -> QuerySet[ImportRun]:
    """Every run, newest first, for HR and admins; none for anyone else."""
    runs = ImportRun.objects.select_related("created_by").order_by("-created_at", "-pk")
    if not access.is_hr(user):
        return runs.none()
    return runs


def preview_of(run: ImportRun) -> RosterPreview | CompletionsPreview:
    if run.kind == ImportKind.COMPLETIONS:
        return CompletionsPreview(run)
    return RosterPreview(run)


@dataclass
class HrStart:
    """What HR sees first: the latest imports, the people a report cannot place (no building or
    no position), and the separations to come."""

    runs: list[ImportRun]
    unplaced: list[StaffMember]
    unplaced_count: int
    separating: list[StaffMember]


def hr_start(*, user: User | AnonymousUser, today: dt.date | None = None, shown: int = 10):
    """HR's start page in a fixed number of queries (lists cut to `shown`)."""
    today = today or timezone.localdate()
    current = staff_directory(user).exclude(status=StaffStatus.SEPARATED)
    unplaced = current.filter(Q(building__isnull=True) | Q(position__isnull=True))
    return HrStart(
        runs=list(import_runs(user)[:5]),
        unplaced=list(unplaced[:shown]),
        unplaced_count=unplaced.count(),
        separating=list(
            current.filter(separated_on__gte=today).order_by("separated_on", "last_name", "pk")[
                :shown
            ]
        ),
    )


def staff_directory(user: User | AnonymousUser) -> QuerySet[StaffMember]:
    """Every staff record with building, position and login loaded, by name; for HR and
    administrators only."""
    people = StaffMember.objects.select_related("building", "position", "user").order_by(
        "last_name", "first_name", "pk"
    )
    if not access.is_hr(user):
        return people.none()
    return people

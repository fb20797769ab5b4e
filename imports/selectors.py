"""Reads of the imports: the runs a user may see, and a run's preview."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from learning import access

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

"""Reading the audit history: a person's entries, and entries put in words for a page (field
labels, choices by their names, related rows by their names) in a fixed number of queries: one
per kind of related row on the page, whatever the number of entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst

from learning import access
from learning.models import StaffMember

from .choices import AuditSource
from .models import AuditEntry
from .tracked import TRACKED

EMPTY = "—"
# Relations that a row's name reads, loaded with it.
NAME_NEEDS = {
    "auth.permission": ("content_type",),
    "catalog.session": ("course",),
    "catalog.meeting": ("session__course",),
    "enrollment.enrollment": ("staff", "session__course"),
    "enrollment.attendance": ("enrollment__staff", "meeting__session__course"),
    "enrollment.completion": ("course",),
    "learning.requirement": ("course", "strand"),
}
NO_ACTOR = {
    AuditSource.IMPORT: "Import from the command line",
    AuditSource.SERVICE: "A command or script",
}


def may_see_history(user) -> bool:
    """District PD, HR (who keep the staff records) and administrators read anyone's history;
    nobody else reads any."""
    return access.is_district_pd(user) or access.is_hr(user)


def staff_history(*, staff: StaffMember) -> QuerySet[AuditEntry]:
    """Every entry about the person, newest first."""
    return AuditEntry.objects.filter(staff_id=staff.pk).order_by("-at", "-id")


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryItem:
    entry: AuditEntry
    what: str
    who: str
    changes: list[FieldChange]


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _name_of(obj: models.Model) -> str:
    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.get_username()
    if isinstance(obj, StaffMember):
        return f"{obj.display_name} ({obj.employee_id})"
    return str(obj)


def _what(label: str, obj: models.Model | None, object_id: int) -> str:
    model = _model(label)
    kind = capfirst(model._meta.verbose_name) if model else label
    if obj is None:
        return f"{kind} #{object_id} (no longer stored)"
    if label == "enrollment.enrollment":
        return f"Enrollment in {obj.session}"
    if label == "enrollment.attendance":
        return f"Attendance at {obj.meeting}"
    if label == "enrollment.completion":
        day = obj.completed_on
        return f"Completion of {obj.course} on {day:%b} {day.day}, {day.year}"
    if label == "learning.staffmember":
        return f"Staff record of {_name_of(obj)}"
    return f"{kind}: {obj}"


def _load(wanted: dict[type[models.Model], set[int]]) -> dict[tuple, models.Model]:
    """One query per model: the rows named on the page."""
    loaded = {}
    for model, ids in wanted.items():
        ids = {pk for pk in ids if isinstance(pk, int)}
        if not ids:
            continue
        queryset = model._base_manager.filter(pk__in=ids)
        needs = NAME_NEEDS.get(model._meta.label_lower)
        if needs:
            queryset = queryset.select_related(*needs)
        for obj in queryset:
            loaded[(model, obj.pk)] = obj
    return loaded


def _related_model(field: models.Field | None):
    if field is not None and field.is_relation and (field.many_to_one or field.many_to_many):
        return field.related_model
    return None


def _shown(field: models.Field | None, value, loaded: dict) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    related = _related_model(field)
    if related is not None:
        values = value if isinstance(value, list) else [value]
        names = [
            _name_of(loaded[(related, pk)]) if (related, pk) in loaded else f"#{pk}"
            for pk in values
        ]
        return ", ".join(names)
    if field is None:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "Yes" if value else "No"
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            return str(value)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, dt.UTC)
        return timezone.localtime(moment).strftime("%b %-d, %Y, %-I:%M %p")
    if isinstance(field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else None
        return f"{day:%b} {day.day}, {day.year}" if day else str(value)
    return str(value)


def _in_field_order(model: type[models.Model] | None):
    """Changes in the order of the model's fields (PostgreSQL keeps JSON keys in an order of
    its own)."""
    order = (
        {field.name: index for index, field in enumerate(model._meta.get_fields())} if model else {}
    )
    return lambda item: (order.get(item[0], len(order)), item[0])


def _who(entry: AuditEntry) -> str:
    return entry.actor_label or NO_ACTOR.get(entry.source, "The system")


def describe(entries: Sequence[AuditEntry]) -> list[HistoryItem]:
    """The entries put in words."""
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for entry in entries:
        model = _model(entry.model)
        if model is not None:
            wanted[model].add(entry.object_id)
        for name, pair in (entry.changes or {}).items():
            related = _related_model(_field(model, name))
            if related is None:
                continue
            for value in pair:
                wanted[related].update(value if isinstance(value, list) else [value])
    loaded = _load(wanted)
    items = []
    for entry in entries:
        model = _model(entry.model)
        changes = []
        for name, pair in sorted((entry.changes or {}).items(), key=_in_field_order(model)):
            field = _field(model, name)
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            label = capfirst(field.verbose_name) if field is not None else name
            changes.append(
                FieldChange(
                    label=str(label),
                    before=_shown(field, before, loaded),
                    after=_shown(field, after, loaded),
                )
            )
        items.append(
            HistoryItem(
                entry=entry,
                what=_what(entry.model, loaded.get((model, entry.object_id)), entry.object_id),
                who=_who(entry),
                changes=changes,
            )
        )
    return items


def tracked_model_choices() -> list[tuple[str, str]]:
    return [
        (label.lower(), capfirst(apps.get_model(label)._meta.verbose_name)) for label in TRACKED
    ]

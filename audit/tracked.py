"""Which models the audit history follows, which of their fields, and how each row names the
person it is about."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

# Bookkeeping that changes with every write and says nothing a reader of the history needs.
ALWAYS_LEFT_OUT = frozenset({"id", "created_at", "updated_at"})


@dataclass(frozen=True)
class Tracked:
    """A followed model: `staff` is the lookup from one of its rows to the id of the person it
    is about ("" for none), `left_out` the fields not followed besides ALWAYS_LEFT_OUT."""

    label: str
    staff: str = ""
    left_out: frozenset[str] = frozenset()

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def fields(self) -> list[models.Field]:
        return [
            field
            for field in self.model._meta.concrete_fields
            if field.name not in ALWAYS_LEFT_OUT and field.name not in self.left_out
        ]

    @property
    def many_to_many(self) -> list[models.ManyToManyField]:
        return [
            field
            for field in self.model._meta.local_many_to_many
            if field.name not in self.left_out
        ]

    def staff_id_of(self, instance: models.Model) -> int | None:
        """The id of the person `instance` is about, following the `staff` lookup through
        the instance's (cached or loaded) relations."""
        if not self.staff:
            return None
        if self.staff == "pk":
            return instance.pk
        *path, last = self.staff.split("__")
        target = instance
        for name in path:
            target = getattr(target, name, None)
            if target is None:
                return None
        return getattr(target, last, None)


TRACKED = {
    spec.label: spec
    for spec in (
        Tracked("learning.StaffMember", staff="pk"),
        # A login's access: its groups, permissions, staff, superuser and active status. Its
        # password is a secret and its last login changes with every sign-in.
        Tracked(
            "auth.User", staff="staff_member__id", left_out=frozenset({"password", "last_login"})
        ),
        # A role's group: its name is the role (learning.access), its permissions what the role
        # may do in the admin.
        Tracked("auth.Group"),
        Tracked("enrollment.Enrollment", staff="staff_id"),
        Tracked("enrollment.Attendance", staff="enrollment__staff_id"),
        # The verification code is printed on the certificate: the history need not repeat it.
        Tracked(
            "enrollment.Completion", staff="staff_id", left_out=frozenset({"verification_code"})
        ),
        Tracked("learning.Requirement"),
        Tracked("catalog.Session"),
        # The UID never changes and the sequence follows every other change.
        Tracked("catalog.Meeting", left_out=frozenset({"uid", "sequence"})),
    )
}


@cache
def spec_for(model: type[models.Model]) -> Tracked | None:
    model = model._meta.concrete_model
    return TRACKED.get(model._meta.label)


def json_value(field: models.Field, value):
    """A field's value as the history stores it: JSON, comparable between a value read from the
    database and one set on an instance (a date given as text, hours as 2 or 2.00)."""
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    try:
        value = field.to_python(value)
    except ValidationError:
        return str(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-places))
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def initial_changes(values: dict) -> dict:
    """A created row's values as changes: the ones that say something."""
    return {name: [None, value] for name, value in values.items() if value not in (None, "")}


def final_changes(values: dict) -> dict:
    return {name: [value, None] for name, value in values.items() if value not in (None, "")}


def changed(before: dict, after: dict) -> dict:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }

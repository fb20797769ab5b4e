"""Every write of the audit history. Saves and deletes of tracked rows are recorded by signals
(audit.signals); writes that bypass signals record themselves here, in bulk:

    with tracking(Enrollment.objects.filter(pk__in=ids)):     # rows read before and after
        Enrollment.objects.filter(pk__in=ids).update(status=...)
    record_created(completions)                               # rows bulk_create returned

Entries are written in the writer's transaction: a rolled-back write leaves none behind."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from json.encoder import encode_basestring

from django.db import models

from .choices import AuditAction
from .context import current
from .models import AuditEntry
from .tracked import (
    Tracked,
    changed,
    final_changes,
    initial_changes,
    json_value,
    spec_for,
)

# Entries per INSERT statement.
BATCH_SIZE = 500


def actor_label(user) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full_name} ({username})"[:200] if full_name else username[:200]


def who() -> dict:
    """The current actor, source and reference, as the fields of an entry."""
    state = current()
    user = state.user()
    return {
        "actor_id": user.pk if user is not None else None,
        "actor_label": actor_label(user),
        "source": state.source,
        "reference": state.reference[:100],
    }


def entry(
    *, action: str, label: str, object_id: int, staff_id: int | None, changes: dict, by: dict
) -> AuditEntry:
    return AuditEntry(
        action=action,
        model=label.lower(),
        object_id=object_id,
        staff_id=staff_id,
        changes=changes,
        **by,
    )


def instance_values(spec: Tracked, instance: models.Model, names: Iterable[str] | None = None):
    wanted = set(names) if names is not None else None
    return {
        field.name: json_value(field, getattr(instance, field.attname))
        for field in spec.fields
        if wanted is None or field.name in wanted
    }


def record_saved(instance: models.Model, *, before: dict | None, names=None) -> None:
    """One entry for a saved row: its first values (before is None) or what changed."""
    spec = spec_for(type(instance))
    after = instance_values(spec, instance, names)
    if before is None:
        action, changes = AuditAction.CREATED, initial_changes(after)
    else:
        action, changes = AuditAction.CHANGED, changed(before, after)
        if not changes:
            return
    entry(
        action=action,
        label=spec.label,
        object_id=instance.pk,
        staff_id=spec.staff_id_of(instance),
        changes=changes,
        by=who(),
    ).save()


def record_deleted(instance: models.Model, *, pk: int, staff_id: int | None) -> None:
    spec = spec_for(type(instance))
    entry(
        action=AuditAction.DELETED,
        label=spec.label,
        object_id=pk,
        staff_id=staff_id,
        changes=final_changes(instance_values(spec, instance)),
        by=who(),
    ).save()


def stored_values(spec: Tracked, pk: int, names=None) -> dict | None:
    """A row's followed fields as stored (one query), or None when there is no such row."""
    fields = [field for field in spec.fields if names is None or field.name in set(names)]
    if not fields:
        # Only fields the history leaves out were saved (a login's last login).
        return {}
    row = (
        spec.model._base_manager.filter(pk=pk)
        .values_list(*(field.attname for field in fields))
        .first()
    )
    if row is None:
        return None
    return {field.name: json_value(field, value) for field, value in zip(fields, row, strict=True)}


def record_links(instance: models.Model, field_name: str, before: list, after: list) -> None:
    """A change of a row's many-to-many links (a session's facilitators, a requirement's
    audience), as the linked ids before and after."""
    if before == after:
        return
    spec = spec_for(type(instance))
    entry(
        action=AuditAction.CHANGED,
        label=spec.label,
        object_id=instance.pk,
        staff_id=spec.staff_id_of(instance),
        changes={field_name: [before, after]},
        by=who(),
    ).save()


def write(entries: Sequence[AuditEntry]) -> None:
    if entries:
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)


# Bulk writes


def _rows(spec: Tracked, queryset: models.QuerySet) -> dict[int, tuple[int | None, dict]]:
    fields = spec.fields
    staff = [spec.staff] if spec.staff and spec.staff != "pk" else []
    rows = {}
    for pk, *values in queryset.order_by().values_list(
        "pk", *staff, *(field.attname for field in fields)
    ):
        staff_id = values.pop(0) if staff else (pk if spec.staff == "pk" else None)
        rows[pk] = (
            staff_id,
            {
                field.name: json_value(field, value)
                for field, value in zip(fields, values, strict=True)
            },
        )
    return rows


@contextmanager
def tracking(*querysets: models.QuerySet) -> Iterator[None]:
    """Record what a bulk write inside the block did to the rows of `querysets`: rows that
    appear are created, rows whose followed fields differ are changed, rows that are gone are
    deleted. Each queryset is read before and after (two queries) and the entries are written
    in one insert. Select rows by what the write does not change (ids, the meeting, the
    enrollment), or a row the write moves out of the selection would read as deleted."""
    before = [
        (spec_for(queryset.model), queryset, _rows(spec_for(queryset.model), queryset))
        for queryset in querysets
    ]
    yield
    by = who()
    entries = []
    for spec, queryset, old in before:
        new = _rows(spec, queryset)
        for pk, (staff_id, values) in new.items():
            if pk not in old:
                action, changes = AuditAction.CREATED, initial_changes(values)
            else:
                action, changes = AuditAction.CHANGED, changed(old[pk][1], values)
                if not changes:
                    continue
            entries.append(
                entry(
                    action=action,
                    label=spec.label,
                    object_id=pk,
                    staff_id=staff_id,
                    changes=changes,
                    by=by,
                )
            )
        for pk, (staff_id, values) in old.items():
            if pk not in new:
                entries.append(
                    entry(
                        action=AuditAction.DELETED,
                        label=spec.label,
                        object_id=pk,
                        staff_id=staff_id,
                        changes=final_changes(values),
                        by=by,
                    )
                )
    write(entries)


def record_created(objects: Sequence[models.Model]) -> None:
    """Entries for rows bulk_create made (with their ids), in one insert."""
    if not objects:
        return
    spec = spec_for(type(objects[0]))
    by = who()
    write(
        [
            entry(
                action=AuditAction.CREATED,
                label=spec.label,
                object_id=obj.pk,
                staff_id=spec.staff_id_of(obj),
                changes=initial_changes(instance_values(spec, obj)),
                by=by,
            )
            for obj in objects
        ]
    )


# The history's own encoder, made once: json.dumps(cls=...) would make one per entry.
_encode_history = (AuditEntry._meta.get_field("changes").encoder or json.JSONEncoder)().encode


ENTRY_FIELDS = (
    "action",
    "model",
    "object_id",
    "staff",
    "changes",
    "actor",
    "actor_label",
    "source",
    "reference",
)


def entry_rows(
    label: str, changes_by_id: Iterable[tuple[str, int, dict]], *, staff_is_object: bool
) -> list[tuple]:
    """Entries as plain rows in ENTRY_FIELDS order, database values, for a writer that inserts
    many rows without model instances (the roster import): (action, id, changes) each."""
    by = who()
    # JSON text: what SQLite stores, and what PostgreSQL's COPY reads into a jsonb column
    # (psycopg's Jsonb wrapper would cost a dumper call per row).
    encode = _encode_history
    label = label.lower()
    return [
        (
            action,
            label,
            object_id,
            object_id if staff_is_object else None,
            encode(changes),
            by["actor_id"],
            by["actor_label"],
            by["source"],
            by["reference"],
        )
        for action, object_id, changes in changes_by_id
    ]


class CreationHistory:
    """The creation entries, as record_created writes them, of rows a bulk writer inserts
    without model instances (the roster import's new people). The writer adds its rows, a
    chunk at a time, with their ids and their values of `field_names` in the history's form
    (ids, ISO dates, text, whole numbers, booleans); every other followed field has its model
    default. The entries are then inserted as `rows` of `fields`, with `constants` for every
    other field of an entry.

    Adding each chunk as it is written lets its entries be spelled while the database stores
    the rows. The changes are spelled as JSON text directly, a field at a time: the history's
    encoder took three times as long for the same text, and every value here is a plain JSON
    scalar."""

    fields = ("object_id", "staff", "changes")

    def __init__(self, model: type[models.Model], field_names: Sequence[str]):
        spec = spec_for(model)
        if spec.staff not in ("pk", None):
            raise ValueError(f"{spec.label}: the person is not the row itself.")
        self._staff_is_object = spec.staff == "pk"
        at = {name: index for index, name in enumerate(field_names)}
        defaults = {}
        for field in spec.fields:
            if field.name in at:
                continue
            if field.has_default() and callable(field.default):
                raise ValueError(f"{spec.label}.{field.name} needs a value in every row.")
            defaults[field.name] = json_value(field, field.get_default())
        # Each followed field a row gives: its place in the row, and `,"name":[null,` (JSON
        # without spaces: the database parses every byte of 100,000 entries).
        self._given = [
            (at[field.name], f",{_json_text(field.name)}:[null,")
            for field in spec.fields
            if field.name in at
        ]
        self._tail = "".join(
            f",{_json_text(name)}:[null,{_json_text(value)}]"
            for name, (_none, value) in initial_changes(defaults).items()
        )
        by = who()
        self.constants = {
            "action": AuditAction.CREATED,
            "model": spec.label.lower(),
            "actor": by["actor_id"],
            "actor_label": by["actor_label"],
            "source": by["source"],
            "reference": by["reference"],
        }
        self.rows: list[tuple] = []

    def add(self, ids: Sequence[int], rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        # Per field, each row's `,"name":[null,value]`, or "" for an empty value.
        pairs = [_pairs(opening, columns[index]) for index, opening in self._given]
        tail = self._tail
        # Every pair starts with a comma: the first one's is cut.
        changes = [f"{{{(text + tail)[1:]}}}" for text in map("".join, zip(*pairs, strict=True))]
        staff = ids if self._staff_is_object else [None] * len(ids)
        self.rows.extend(zip(ids, staff, changes, strict=True))


def _pairs(opening: str, values: Sequence) -> list[str]:
    if set(map(type, values)) == {str} and all(values):
        return [f"{opening}{text}]" for text in map(encode_basestring, values)]
    return [
        "" if value is None or value == "" else f"{opening}{_json_text(value)}]" for value in values
    ]


def _json_text(value) -> str:
    """A history value as JSON text; the usual scalars without the encoder's overhead."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return _encode_history(value)


def staff_value(field_name: str, value, *, buildings: dict, positions: dict):
    """A roster change's value (building and position as codes, dates as ISO text) as the
    history stores a staff member's field: building and position as ids."""
    if field_name == "building":
        return buildings.get(value) if value else None
    if field_name == "position":
        return positions.get(value) if value else None
    return value


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None

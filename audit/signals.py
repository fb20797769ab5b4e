"""Saves, deletes and link changes of tracked rows, recorded as they happen. A save reads the
row as stored first (one query), so its entry holds exactly the fields that changed. Fixture
loads and restores (raw saves) are not changes anyone made and are not recorded."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from . import services
from .tracked import TRACKED, spec_for

BEFORE = "_audit_before"
LINKS_BEFORE = "_audit_links_before"
STAFF_BEFORE_DELETE = "_audit_staff_id"
# Set on a row saved raw (loaddata): the links it then gets are part of the same load.
LOADED = "_audit_loaded"


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        instance.__dict__[LOADED] = True
        return
    spec = spec_for(sender)
    if instance._state.adding or instance.pk is None:
        instance.__dict__[BEFORE] = None
        return
    names = set(update_fields) if update_fields is not None else None
    instance.__dict__[BEFORE] = services.stored_values(spec, instance.pk, names)


def _after_save(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    before = instance.__dict__.pop(BEFORE, None)
    names = set(update_fields) if update_fields is not None and not created else None
    services.record_saved(instance, before=None if created else before, names=names)


def _before_delete(sender, instance, **kwargs) -> None:
    # The person is read while the related rows still exist.
    instance.__dict__[STAFF_BEFORE_DELETE] = spec_for(sender).staff_id_of(instance)


def _after_delete(sender, instance, origin=None, **kwargs) -> None:
    staff_id = instance.__dict__.pop(STAFF_BEFORE_DELETE, None)
    services.record_deleted(instance, pk=instance.pk, staff_id=staff_id)


def _linked_ids(instance, field_name: str) -> list:
    return sorted(getattr(instance, field_name).values_list("pk", flat=True))


def _links_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if instance.__dict__.get(LOADED):
        return
    if reverse:
        _reverse_links_changed(sender, instance, action, model, pk_set)
        return
    spec = spec_for(type(instance))
    if spec is None:
        return
    field = next(
        (field for field in spec.many_to_many if field.remote_field.through is sender), None
    )
    if field is None:
        return
    if action.startswith("pre_"):
        instance.__dict__.setdefault(LINKS_BEFORE, {})[field.name] = _linked_ids(
            instance, field.name
        )
        return
    before = instance.__dict__.get(LINKS_BEFORE, {}).pop(field.name, None)
    if before is None:
        return
    services.record_links(instance, field.name, before, _linked_ids(instance, field.name))


def _reverse_links_changed(sender, instance, action, model, pk_set) -> None:
    """A link changed from the other side (a building's leaders): recorded on each tracked row
    whose links changed."""
    spec = spec_for(model)
    if spec is None:
        return
    field = next(
        (field for field in spec.many_to_many if field.remote_field.through is sender), None
    )
    if field is None:
        return
    source = field.m2m_field_name()
    target = field.m2m_reverse_field_name()
    links = sender.objects.filter(**{f"{target}_id": instance.pk})
    if action == "pre_clear":
        instance.__dict__.setdefault(LINKS_BEFORE, {})[field.name] = list(
            links.values_list(f"{source}_id", flat=True)
        )
        return
    if action == "post_clear":
        pk_set = instance.__dict__.get(LINKS_BEFORE, {}).pop(field.name, None)
    elif action not in ("post_add", "post_remove"):
        return
    if not pk_set:
        return
    rows = spec.model._base_manager.filter(pk__in=pk_set)
    now_linked: dict[int, list] = {pk: [] for pk in pk_set}
    for row_id, linked_id in sender.objects.filter(**{f"{source}_id__in": pk_set}).values_list(
        f"{source}_id", f"{target}_id"
    ):
        now_linked[row_id].append(linked_id)
    by = services.who()
    entries = []
    for row in rows:
        after = sorted(now_linked[row.pk])
        if action == "post_add":
            before = sorted(set(after) - {instance.pk})
        else:
            before = sorted({*after, instance.pk})
        if before == after:
            continue
        entries.append(
            services.entry(
                action="changed",
                label=spec.label,
                object_id=row.pk,
                staff_id=spec.staff_id_of(row),
                changes={field.name: [before, after]},
                by=by,
            )
        )
    services.write(entries)


def connect_signals() -> None:
    for spec in TRACKED.values():
        model = spec.model
        uid = f"audit:{spec.label}"
        pre_save.connect(_before_save, sender=model, weak=False, dispatch_uid=uid)
        post_save.connect(_after_save, sender=model, weak=False, dispatch_uid=uid)
        pre_delete.connect(_before_delete, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(_after_delete, sender=model, weak=False, dispatch_uid=uid)
        for field in spec.many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(
                _links_changed,
                sender=through,
                weak=False,
                dispatch_uid=f"audit:{through._meta.label}",
            )

"""The data's generation: a name that changes whenever the data calendars and reports show
changes, read in one small query. What is cached under a generation (a rendered personal feed)
is therefore never served after a change, without asking the big tables whether anything moved.

Every write to a model of the tracked apps (the district and its plan, the catalog, enrollments
and completions) records a change in the writer's own transaction: saves, deletes and changes
of many-to-many links through Django's signals, wired by `connect_signals`; writes that bypass
signals (QuerySet.update, bulk_create and bulk_update, the imports' and generate_district's
plain rows) call `record()` themselves. A rolled-back write leaves no change behind, and a
change is seen exactly when the data it stands for is committed.

The generation is the smallest id, the largest id and the number of DataChange rows. The count
grows with every committed change whatever order concurrent transactions commit in (ids are
handed out before commit, so the largest id alone could miss a change that commits late);
pruning old rows raises the smallest id, so a generation never comes back.
"""

from __future__ import annotations

from functools import partial

from django.apps import apps
from django.db import transaction
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import DataChange, PasswordResetRequest

TRACKED_APPS = ("learning", "catalog", "enrollment")
# Models of those apps that no calendar or report shows: their writes change no generation (a
# password reset request must not void every cached feed).
UNTRACKED_MODELS = (DataChange, PasswordResetRequest)
# Rows kept when pruning, and how often (in ids) pruning runs.
KEEP = 1_000
PRUNE_EVERY = 1_000
M2M_ACTIONS = frozenset({"post_add", "post_remove", "post_clear"})


class _Recorded:
    """Stands in the transaction's on-commit callbacks while its change row is part of the
    transaction: Django drops the callbacks of a rolled-back savepoint or transaction together
    with the row, so while this is there, further writes of the same transaction need no row
    of their own. Reading the generation makes it stale: a write after the read must change
    the generation again (only a test reads and writes in one transaction)."""

    stale = False

    def __call__(self) -> None:
        """Nothing to do at commit: the row is committed with the data."""


def _live_marks(connection) -> list[_Recorded]:
    return [
        callback
        for _savepoints, callback, *_robust in getattr(connection, "run_on_commit", ())
        if isinstance(callback, _Recorded)
    ]


def record() -> None:
    """Record that the data changed, in the current transaction (once per transaction)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        if any(not mark.stale for mark in _live_marks(connection)):
            return
        change = DataChange.objects.create()
        transaction.on_commit(_Recorded())
    else:
        change = DataChange.objects.create()
    if change.pk % PRUNE_EVERY == 0:
        transaction.on_commit(partial(_prune, below=change.pk - KEEP))


def _prune(*, below: int) -> None:
    DataChange.objects.filter(pk__lt=below).delete()


def generation() -> str:
    """The data's generation, in one query. Every feed poll asks, so the query is written
    out (it takes no input) rather than built by the ORM on each call."""
    connection = transaction.get_connection()
    note_read(connection)
    with connection.cursor() as cursor:
        cursor.execute(_generation_sql(connection.ops.quote_name))
        return cursor.fetchone()[0]


def generation_subquery() -> RawSQL:
    """The generation as a value of another query's rows (`.annotate(generation=...)`), for a
    reader that needs it beside its own rows in one round trip: a feed poll. Whoever runs such
    a query calls note_read() with it."""
    connection = transaction.get_connection()
    return RawSQL(f"({_generation_sql(connection.ops.quote_name)})", (), output_field=TextField())


def note_read(connection) -> None:
    """The generation was read on this connection: a write after it, in the same transaction,
    must change it again."""
    for mark in _live_marks(connection):
        mark.stale = True


def _generation_sql(quote_name) -> str:
    # Identifiers from the model only, quoted: nothing from outside goes into this string. One
    # text value, so that it can also stand as a subquery; an empty table gives "--0".
    table = quote_name(DataChange._meta.db_table)
    pk = quote_name(DataChange._meta.pk.column)
    low, high, count = (
        f"COALESCE(CAST({aggregate} AS TEXT), '')"
        for aggregate in (f"MIN({pk})", f"MAX({pk})", "COUNT(*)")
    )
    return f"SELECT {low} || '-' || {high} || '-' || {count} FROM {table}"


def _saved_or_deleted(sender, **kwargs) -> None:
    record()


def _links_changed(sender, action: str, **kwargs) -> None:
    if action in M2M_ACTIONS:
        record()


def tracked_models() -> list[type]:
    return [
        model
        for label in TRACKED_APPS
        for model in apps.get_app_config(label).get_models()
        if model not in UNTRACKED_MODELS
    ]


def connect_signals() -> None:
    """Listen to the tracked models only: a listener on every model would keep Django from
    deleting any model's rows in bulk."""
    for model in tracked_models():
        uid = f"learning.changes:{model._meta.label}"
        post_save.connect(_saved_or_deleted, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(_saved_or_deleted, sender=model, weak=False, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(
                _links_changed,
                sender=through,
                weak=False,
                dispatch_uid=f"learning.changes:{through._meta.label}",
            )

"""Every write of the imports: a preview stores what a file would change in an ImportRun; a
commit applies exactly that, in one transaction, or refuses. The command, the HR page and the
API call these.

    preview = roster_preview(source=upload, file_name=upload.name, sync=True, actor=user)
    preview.counts, preview.errors, preview.updates ...        # show it
    run = roster_commit(run=preview.run, actor=user)           # after HR confirms

completions_preview / completions_commit do the same for a file of completions.

A refusal (ImportRefused) and a failure (any other exception) are recorded on the run (outcome
refused / failed, with the message) and then raised; the database is left exactly as it was. Call
these outside a transaction of your own, or a rollback of yours also drops that record."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from audit import services as audit
from audit.choices import AuditAction, AuditSource
from audit.context import acting
from audit.models import AuditEntry
from catalog import services as catalog_services
from catalog.services import FACILITATOR_FIELDS_IN_CALENDARS
from core.db import bulk
from enrollment.choices import CompletionSource
from enrollment.models import Completion
from learning import access, changes
from learning.choices import StaffStatus
from learning.models import Building, Position, StaffMember
from learning.selectors import active_logins_among
from learning.services import staff_assignments_record, staff_placements

from . import completions, roster
from .choices import ImportKind, ImportOutcome
from .completions import CompletionsPreview
from .models import ImportRun
from .readers import Table, UnreadableFile, read_table
from .roster import RosterPreview

logger = logging.getLogger(__name__)

# Rows per INSERT/UPDATE statement (the database's own limit on parameters may lower it).
BULK_BATCH_SIZE = 500

MSG_NOT_PERMITTED = "Only HR and administrators may import the staff roster."
MSG_NOT_A_ROSTER = "This import run is not a roster import."
MSG_ALREADY_COMMITTED = "This preview was already committed."
MSG_NOT_PREVIEWED = "This file could not be read, so there is nothing to commit."
MSG_HAS_ERRORS = (
    "The file has {errors} error(s) in {rows} row(s). Fix them and preview the file again, or "
    "commit only the valid rows (skip invalid rows)."
)
MSG_SYNC_ROWS_WITHOUT_ID = (
    "{rows} row(s) with errors have no employee ID, so a sync cannot tell whether those people "
    "still work here and might deactivate them. Fix those rows and preview the file again."
)
MSG_STALE = "The staff list changed since this preview; preview the file again."
MSG_DEACTIVATION_CAP = (
    "This sync would deactivate {count} of {active} active staff ({percent:.0f}%), more than "
    "the {cap}% allowed without confirmation. Check that the file is the whole roster, then "
    "confirm the deactivation."
)
MSG_FAILED = "The import failed and nothing was changed ({error}). The error was logged."
MSG_COMMITTED = (
    "Committed: {created} created, {updated} updated, {reactivated} reactivated, "
    "{deactivated} deactivated, {unchanged} unchanged."
)
MSG_PREVIEWED = "Previewed {rows} row(s): {invalid_rows} with errors."

# Refusals that leave the run's outcome as it was: it was committed, or never previewed.
KEEP_OUTCOME = ("wrong_kind", "already_committed", "not_previewed")

AnyUser = User | AnonymousUser


@dataclass
class ImportRefused(Exception):
    """A commit was refused; nothing was written. `code` is stable for the API: wrong_kind,
    already_committed, not_previewed, has_errors, sync_rows_without_id, stale,
    needs_confirmation (`details` then holds the numbers). Someone who is not HR gets
    PermissionDenied instead."""

    code: str
    message: str
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file's rows are read, checked or written.
    They are hundreds of thousands of small containers without cycles, which every collection
    would walk again: a third of a 100,000-row preview's time. Cycles made meanwhile are
    collected once it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_actor(actor: AnyUser | None) -> None:
    """None is the command line (whoever runs manage.py); anyone else must hold the HR role."""
    if actor is not None and not access.is_hr(actor):
        raise PermissionDenied(MSG_NOT_PERMITTED)


def _user(actor: AnyUser | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


# Preview


def _table_of(
    source, *, kind, columns, file_name, sheet, mapping, actor, options, meanwhile=None
) -> tuple[Table, object]:
    """The file read as a table of `columns`, and what `meanwhile()` returns: it runs while the
    file is read in a thread of its own. A workbook is parsed in a child process (the thread
    waits on it without the interpreter's lock), so the database is read meanwhile (100,000
    people's records took as long as a third of a large file's parse). An unusable file is
    recorded as a refused run
    (`error.run`) before UnreadableFile goes on to the caller."""
    if isinstance(source, Table):
        return source, meanwhile() if meanwhile else None

    def read() -> Table:
        return read_table(
            source, columns=columns, file_name=file_name, sheet=sheet, mapping=mapping
        )

    other = None
    try:
        if meanwhile is None:
            table = read()
        else:
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(read)
                other = meanwhile()
                table = reading.result()
    except UnreadableFile as error:
        file = error.file
        error.run = ImportRun.objects.create(
            kind=kind,
            file_name=(file.name if file else file_name or "upload")[:255],
            file_sha256=file.sha256 if file else "",
            file_size=file.size if file else 0,
            created_by=_user(actor),
            options=options,
            outcome=ImportOutcome.REFUSED,
            message=error.message,
        )
        raise
    return table, other


def _previewed_run(kind: str, table: Table, comparison, *, actor, options: dict) -> ImportRun:
    """Record a preview of either kind: the file, who previewed it, its counts, change set and
    errors."""
    return ImportRun.objects.create(
        kind=kind,
        file_name=table.file.name[:255],
        file_sha256=table.file.sha256,
        file_size=table.file.size,
        created_by=_user(actor),
        options=options,
        outcome=ImportOutcome.PREVIEWED,
        counts=comparison.counts,
        change_set=comparison.change_set,
        errors=[error.as_dict() for error in comparison.errors],
        message=MSG_PREVIEWED.format(**comparison.counts),
    )


@_collector_paused()
def roster_preview(
    *,
    source: Table | str | BinaryIO | bytes,
    file_name: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    sync: bool = False,
    create_missing: bool = False,
    skip_invalid: bool = False,
    actor: AnyUser | None,
    progress: Callable[[int, int], None] | None = None,
) -> RosterPreview:
    """Read a roster file (a path, bytes, an uploaded file, or a Table already read), check
    every row and compare it with the staff list; store the result in a new ImportRun (outcome
    previewed) and return it as a RosterPreview. Nothing else is written.

    An unusable file raises UnreadableFile, after recording a refused run (`error.run`)."""
    _check_actor(actor)
    options = {
        "sync": sync,
        "create_missing": create_missing,
        "skip_invalid": skip_invalid,
        "sheet": sheet,
        "mapping": dict(mapping or {}),
    }
    table, snapshot = _table_of(
        source,
        kind=ImportKind.ROSTER,
        columns=roster.ROSTER_COLUMNS,
        file_name=file_name,
        sheet=sheet,
        mapping=mapping,
        actor=actor,
        options=options,
        # The staff list and its lookups are built while the file is parsed.
        meanwhile=lambda: roster.load_snapshot().indexed(),
    )
    comparison = roster.compare_roster(
        table,
        snapshot,
        sync=sync,
        create_missing=create_missing,
        today=timezone.localdate(),
        progress=progress,
    )
    # Whose sign-in the commit ends (accounts.services.access_end), for HR to see first.
    comparison.counts["losing_access"] = active_logins_among(
        roster.separating_ids(comparison.change_set)
    )
    run = _previewed_run(ImportKind.ROSTER, table, comparison, actor=actor, options=options)
    return RosterPreview(run)


# Commit


def _check_run_committable(run: ImportRun, *, kind: str, wrong_kind: str, skip_invalid: bool):
    """The refusals every commit shares: a run of another kind, one committed already, one
    without a preview, one with errors unless invalid rows are skipped."""
    if run.kind != kind:
        raise ImportRefused("wrong_kind", wrong_kind)
    if run.outcome == ImportOutcome.COMMITTED:
        raise ImportRefused("already_committed", MSG_ALREADY_COMMITTED)
    if not run.change_set:
        raise ImportRefused("not_previewed", MSG_NOT_PREVIEWED)
    if run.errors and not skip_invalid:
        raise ImportRefused(
            "has_errors",
            MSG_HAS_ERRORS.format(errors=run.counts["errors"], rows=run.counts["invalid_rows"]),
        )


def _check_committable(
    run: ImportRun, *, skip_invalid: bool, confirm_large_deactivation: bool
) -> None:
    _check_run_committable(
        run, kind=ImportKind.ROSTER, wrong_kind=MSG_NOT_A_ROSTER, skip_invalid=skip_invalid
    )
    counts = run.counts
    if run.errors and run.change_set.get("sync") and counts.get("rows_without_employee_id"):
        raise ImportRefused(
            "sync_rows_without_id",
            MSG_SYNC_ROWS_WITHOUT_ID.format(rows=counts["rows_without_employee_id"]),
        )
    if not confirm_large_deactivation and roster.deactivation_needs_confirmation(counts):
        active = counts["active_staff"]
        raise ImportRefused(
            "needs_confirmation",
            MSG_DEACTIVATION_CAP.format(
                count=counts["deactivated"],
                active=active,
                percent=100 * counts["deactivated"] / active,
                cap=settings.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT,
            ),
            {"deactivated": counts["deactivated"], "active_staff": active},
        )


def _lock_table(model) -> None:
    """Keep other writers out of the table from the fingerprint check to the commit. On SQLite
    the IMMEDIATE transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _create_places(model, entries: list[dict], known: dict[str, int], fields: tuple) -> None:
    """Create buildings or positions (`fields` of each entry) and add their ids to `known`."""
    if not entries:
        return
    objects = model.objects.bulk_create(
        [model(**{key: entry[key] for key in fields}) for entry in entries]
    )
    if any(obj.pk is None for obj in objects):
        objects = model.objects.filter(code__in=[entry["code"] for entry in entries])
    known.update({obj.code: obj.pk for obj in objects})


def _field_value(key: str, value, buildings, positions) -> tuple[str, object]:
    """A compared field's change as (model field, value): building and position as ids, dates
    as dates."""
    if key == "building":
        return "building", buildings[value] if value else None
    if key == "position":
        return "position", positions[value] if value else None
    if key in roster.DATE_FIELDS:
        return key, _date(value)
    return key, value


def _update_rows(model, field_names: Sequence[str], rows: list[tuple], *, now: dt.datetime) -> None:
    """Set `field_names`, and updated_at to `now`, on rows given as (pk, *values): one prepared
    UPDATE run for every row. bulk_update writes a CASE over the whole batch for every field,
    which took seconds for 20,000 people."""
    if not rows:
        return
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in field_names]
    stamp = ops.adapt_datetimefield_value(now)
    assignments = ", ".join(
        f"{ops.quote_name(field.column)} = %s"
        for field in (*fields, model._meta.get_field("updated_at"))
    )
    table = ops.quote_name(model._meta.db_table)
    primary_key = ops.quote_name(model._meta.pk.column)
    params = [
        (
            *(
                field.get_db_prep_save(value, connection)
                for field, value in zip(fields, values, strict=True)
            ),
            stamp,
            pk,
        )
        for pk, *values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {primary_key} = %s", params)


def _free_moving_emails(entries: list[dict], *, now: dt.datetime) -> None:
    """Emails are unique, and the database checks that row by row: when an address moves from
    one person to another in the same import, first park every changing address on a unique
    placeholder, so no intermediate state holds one address twice."""
    moving = [entry for entry in entries if "email" in entry["changes"]]
    released = {entry["changes"]["email"][0].lower() for entry in moving}
    if not any(entry["changes"]["email"][1].lower() in released for entry in moving):
        return
    parked = [(entry["id"], f"moving-{entry['id']}@import.invalid") for entry in moving]
    _update_rows(StaffMember, ("email",), parked, now=now)


def _update_staff(entries: list[dict], buildings, positions, *, now: dt.datetime) -> None:
    """One prepared UPDATE per set of changed fields (a handful, whatever the number of rows)."""
    groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
    for entry in entries:
        changed = sorted(
            _field_value(key, after, buildings, positions)
            for key, (_before, after) in entry["changes"].items()
        )
        names = tuple(name for name, _value in changed)
        groups[names].append((entry["id"], *(value for _name, value in changed)))
    for names, rows in groups.items():
        _update_rows(StaffMember, names, rows, now=now)


def _deactivate_staff(entries: list[dict], *, now: dt.datetime) -> None:
    rows = [(entry["id"], StaffStatus.SEPARATED, _date(entry["separated_on"])) for entry in entries]
    _update_rows(StaffMember, ("status", "separated_on"), rows, now=now)


@contextmanager
def _inserting(
    model,
    field_names: Sequence[str],
    *,
    now: dt.datetime,
    constants: Mapping[str, object] | None = None,
) -> Iterator[Callable[[Sequence[tuple]], None]]:
    """A function inserting chunks of rows that hold the values of `field_names` in their
    database form (dates as ISO strings); `constants` (field name: database value) are the same
    in every row, and every other column gets its default (created_at and updated_at: `now`).
    COPY on PostgreSQL, ended with the block; elsewhere one prepared INSERT run for every row.
    bulk_create would build a model instance per row and prepare every value through its
    field, which was most of a 100,000-person commit; no model here has save() logic or
    signals that bulk_create would have run."""
    ops = connection.ops
    constants = constants or {}
    given = [model._meta.get_field(name) for name in field_names]
    fixed = [model._meta.get_field(name) for name in constants]
    others = [
        field
        for field in model._meta.concrete_fields
        if field not in given and field not in fixed and not field.primary_key
    ]
    if any(field.has_default() and callable(field.default) for field in others):
        # One default serves every row here; a callable one (a uuid...) must be given instead.
        raise ValueError(f"{model.__name__} has a callable default: give its value per row.")
    stamp = ops.adapt_datetimefield_value(now)
    defaults = (
        *constants.values(),
        *(
            stamp
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            else field.get_db_prep_save(field.get_default(), connection)
            for field in others
        ),
    )
    table = ops.quote_name(model._meta.db_table)
    columns = [ops.quote_name(field.column) for field in (*given, *fixed, *others)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with bulk.copying(cursor, table, columns, constants=defaults) as copy:
                yield copy.write
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"

        def insert(rows: Sequence[tuple]) -> None:
            cursor.executemany(sql, [(*row, *defaults) for row in rows])

        yield insert


def _insert_rows(
    model,
    field_names: Sequence[str],
    rows: Sequence[tuple],
    *,
    now: dt.datetime,
    constants: Mapping[str, object] | None = None,
) -> None:
    """Insert `rows` as _inserting does."""
    if not rows:
        return
    with _inserting(model, field_names, now=now, constants=constants) as insert:
        for start in range(0, len(rows), bulk.CHUNK_ROWS):
            insert(rows[start : start + bulk.CHUNK_ROWS])


STAFF_CREATE_FIELDS = (
    "employee_id",
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "building",
    "position",
    "status",
    "hired_on",
    "separated_on",
)


def _create_staff(
    change_set: dict, buildings, positions, *, now: dt.datetime
) -> audit.CreationHistory | None:
    """Insert the new people with ids reserved beforehand, and return their creation entries
    to be written. Each entry is spelled as its person is written: on PostgreSQL the database
    stores the people meanwhile, so their history costs little more than its own rows."""
    rows = [
        (
            employee_id,
            first_name,
            last_name,
            preferred_name,
            email,
            buildings[building] if building else None,
            positions[position] if position else None,
            status,
            hired_on,
            separated_on,
        )
        for (
            _row,
            employee_id,
            first_name,
            last_name,
            preferred_name,
            email,
            building,
            position,
            status,
            hired_on,
            separated_on,
        ) in roster.create_rows(change_set)
    ]
    if not rows:
        return None
    # In the order of their addresses: the unique index on the lowercase address is the
    # costliest to fill, and entries arriving in its order are appended, not looked for
    # (a fifth of storing 100,000 people).
    rows.sort(key=lambda row: row[4].lower())
    # The values are already as the history stores them: ids, ISO dates, text.
    history = audit.CreationHistory(StaffMember, STAFF_CREATE_FIELDS)
    ids = bulk.reserve_ids(StaffMember, len(rows))
    with _inserting(StaffMember, ("id", *STAFF_CREATE_FIELDS), now=now) as insert:
        for start in range(0, len(rows), bulk.CHUNK_ROWS):
            chunk, chunk_ids = (
                rows[start : start + bulk.CHUNK_ROWS],
                ids[start : start + bulk.CHUNK_ROWS],
            )
            insert([(pk, *row) for pk, row in zip(chunk_ids, chunk, strict=True)])
            # While the database stores this chunk, its people's entries are spelled.
            history.add(chunk_ids, chunk)
    return history


def _staff_changes(changes: dict, buildings, positions) -> dict:
    return {
        key: [
            audit.staff_value(key, before, buildings=buildings, positions=positions),
            audit.staff_value(key, after, buildings=buildings, positions=positions),
        ]
        for key, (before, after) in changes.items()
    }


def _audit_roster(
    change_set: dict,
    buildings,
    positions,
    separated_before: dict,
    created: audit.CreationHistory | None,
    *,
    now: dt.datetime,
) -> None:
    """The audit history of a roster commit: changes from its change set (which holds every
    changed field before and after), then the new people's entries (`created`), written as
    plain rows like the staff themselves."""
    entries = [
        (AuditAction.CHANGED, entry["id"], _staff_changes(entry["changes"], buildings, positions))
        for entry in change_set["update"] + change_set["reactivate"]
    ]
    for entry in change_set["deactivate"]:
        changes = {"status": [entry["status"], StaffStatus.SEPARATED]}
        before = audit.iso(separated_before.get(entry["id"]))
        if before != entry["separated_on"]:
            changes["separated_on"] = [before, entry["separated_on"]]
        entries.append((AuditAction.CHANGED, entry["id"], changes))
    rows = audit.entry_rows(StaffMember._meta.label, entries, staff_is_object=True)
    _insert_rows(AuditEntry, audit.ENTRY_FIELDS, rows, now=now)
    if created is not None:
        _insert_rows(AuditEntry, created.fields, created.rows, constants=created.constants, now=now)


def _apply(change_set: dict, snapshot: roster.Snapshot, *, now: dt.datetime) -> None:
    buildings = {code: pk for pk, code, _name in snapshot.buildings}
    positions = {code: pk for pk, code, _name in snapshot.positions}
    _create_places(Building, change_set["create_buildings"], buildings, ("code", "name"))
    _create_places(
        Position, change_set["create_positions"], positions, ("code", "name", "category")
    )
    changed = change_set["update"] + change_set["reactivate"]
    # Reports count people where they were on a due date: keep where they were before.
    placed_before = staff_placements([entry["id"] for entry in changed + change_set["deactivate"]])
    _free_moving_emails(changed, now=now)
    _update_staff(changed, buildings, positions, now=now)
    # A facilitator's name is shown in calendar events: subscribed calendars must see the change.
    catalog_services.facilitators_renamed(
        staff_ids=[
            entry["id"]
            for entry in changed
            if FACILITATOR_FIELDS_IN_CALENDARS.intersection(entry["changes"])
        ]
    )
    separated_before = dict(
        StaffMember.objects.filter(
            pk__in=[entry["id"] for entry in change_set["deactivate"]]
        ).values_list("pk", "separated_on")
    )
    _deactivate_staff(change_set["deactivate"], now=now)
    staff_assignments_record(before=placed_before, on=timezone.localdate(now))
    created = _create_staff(change_set, buildings, positions, now=now)
    _audit_roster(change_set, buildings, positions, separated_before, created, now=now)


def _record(run: ImportRun, outcome: str, message: str) -> None:
    run.outcome = outcome
    run.message = message
    run.save(update_fields=["outcome", "message", "updated_at"])


COMMITTED_FIELDS = ("outcome", "committed_at", "message", "options", "updated_at")


@_collector_paused()
def _commit_run(
    run: ImportRun,
    *,
    label: str,
    skip_invalid: bool,
    apply: Callable[[ImportRun, dt.datetime], str],
    actor: User | None,
) -> ImportRun:
    """Commit a previewed run of either kind in one transaction: `apply` checks the locked run,
    writes its change set and returns the run's message. A refusal is recorded on the run
    (unless the run is not one to commit at all); any other failure rolls everything back, is
    recorded as failed and logged; both are raised."""
    try:
        with transaction.atomic():
            # A run's change set is written once, by its preview, and never changed (the admin
            # only reads runs): when the caller holds it, it is not read again (100,000 people
            # are megabytes of JSON).
            held = "change_set" not in run.get_deferred_fields() and run.change_set
            query = ImportRun.objects.select_for_update()
            locked = (query.defer("change_set") if held else query).get(pk=run.pk)
            if held:
                locked.change_set = run.change_set
            now = timezone.now()
            # The change set is written as plain rows, without signals.
            changes.record()
            with acting(actor=actor, source=AuditSource.IMPORT, reference=f"import run {run.pk}"):
                locked.message = apply(locked, now)
            locked.outcome = ImportOutcome.COMMITTED
            locked.committed_at = now
            if skip_invalid != bool(locked.options.get("skip_invalid")):
                locked.options = {**locked.options, "skip_invalid": skip_invalid}
            locked.save(update_fields=list(COMMITTED_FIELDS))
    except ImportRefused as refusal:
        if refusal.code not in KEEP_OUTCOME:
            _record(run, ImportOutcome.REFUSED, refusal.message)
        raise
    except Exception as error:
        logger.exception("%s import %s failed", label, run.pk)
        _record(run, ImportOutcome.FAILED, MSG_FAILED.format(error=type(error).__name__))
        raise
    for name in COMMITTED_FIELDS:
        setattr(run, name, getattr(locked, name))
    return run


def roster_commit(
    *,
    run: ImportRun,
    actor: AnyUser | None,
    confirm_large_deactivation: bool = False,
    skip_invalid: bool = False,
) -> ImportRun:
    """Apply a roster preview exactly as it was previewed, in one transaction with bulk
    operations, and mark the run committed (with the counts and a message).

    Refused (ImportRefused, recorded on the run, nothing written) when the run has errors,
    unless it was previewed with skip_invalid or skip_invalid is given here (then only the valid
    rows are applied); when the staff list, buildings or positions changed since the preview;
    when a sync would deactivate more than IMPORT_SYNC_DEACTIVATE_CAP_PERCENT of active staff
    without confirm_large_deactivation; when the run was committed already. Any other failure
    rolls everything back, is recorded as failed, and is raised."""
    _check_actor(actor)
    skip_invalid = skip_invalid or bool(run.options.get("skip_invalid"))

    def apply(locked: ImportRun, now: dt.datetime) -> str:
        _check_committable(
            locked,
            skip_invalid=skip_invalid,
            confirm_large_deactivation=confirm_large_deactivation,
        )
        _lock_table(StaffMember)
        snapshot = roster.load_snapshot(staff=False)
        if snapshot.fingerprint != locked.change_set.get("fingerprint"):
            raise ImportRefused("stale", MSG_STALE)
        _apply(locked.change_set, snapshot, now=now)
        return MSG_COMMITTED.format(**locked.counts)

    return _commit_run(
        run, label="Roster", skip_invalid=skip_invalid, apply=apply, actor=_user(actor)
    )


# Completions

MSG_COMPLETIONS_NOT_PERMITTED = "Only HR, district PD and administrators may import completions."
MSG_NOT_COMPLETIONS = "This import run is not a completion import."
MSG_COMPLETIONS_STALE = (
    "Staff, courses or completions changed since this preview; preview the file again."
)
MSG_COMPLETIONS_COMMITTED = "Committed: {created} completion(s) recorded, {unchanged} unchanged."


def _check_completions_actor(actor: AnyUser | None) -> None:
    """None is the command line; anyone else must be HR or district PD (admins are both)."""
    if actor is not None and not (access.is_hr(actor) or access.is_district_pd(actor)):
        raise PermissionDenied(MSG_COMPLETIONS_NOT_PERMITTED)


@_collector_paused()
def completions_preview(
    *,
    source: Table | str | BinaryIO | bytes,
    file_name: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    actor: AnyUser | None,
    progress: Callable[[int, int], None] | None = None,
) -> CompletionsPreview:
    """Read a completions file, check every row and compare it with the recorded completions;
    store the result in a new ImportRun (outcome previewed). Nothing else is written.

    An unusable file raises UnreadableFile, after recording a refused run (`error.run`)."""
    _check_completions_actor(actor)
    options = {"skip_invalid": skip_invalid, "sheet": sheet, "mapping": dict(mapping or {})}
    table, _nothing = _table_of(
        source,
        kind=ImportKind.COMPLETIONS,
        columns=completions.COMPLETION_COLUMNS,
        file_name=file_name,
        sheet=sheet,
        mapping=mapping,
        actor=actor,
        options=options,
    )
    comparison = completions.compare_completions(
        table, today=timezone.localdate(), progress=progress
    )
    run = _previewed_run(ImportKind.COMPLETIONS, table, comparison, actor=actor, options=options)
    return CompletionsPreview(run)


def _create_completions(entries: list[dict], *, actor: User | None) -> None:
    created = Completion.objects.bulk_create(
        [
            Completion(
                staff_id=entry["staff_id"],
                course_id=entry["course_id"],
                completed_on=_date(entry["completed_on"]),
                clock_hours=Decimal(entry["clock_hours"]),
                source=CompletionSource.IMPORT,
                evidence=entry["evidence"],
                recorded_by=actor,
            )
            for entry in entries
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    audit.record_created(created)


def completions_commit(
    *, run: ImportRun, actor: AnyUser | None, skip_invalid: bool = False
) -> ImportRun:
    """Record the completions of a preview exactly as previewed (source "import", recorded by
    the actor), in one transaction with one bulk insert, and mark the run committed.

    Refused (ImportRefused, recorded on the run, nothing written) when the run has errors and
    neither it nor this call skips invalid rows; when staff IDs, courses or the completions the
    file touches changed since the preview; when the run was committed already. Any other
    failure rolls everything back, is recorded as failed, and is raised."""
    _check_completions_actor(actor)
    skip_invalid = skip_invalid or bool(run.options.get("skip_invalid"))

    def apply(locked: ImportRun, now: dt.datetime) -> str:
        _check_run_committable(
            locked,
            kind=ImportKind.COMPLETIONS,
            wrong_kind=MSG_NOT_COMPLETIONS,
            skip_invalid=skip_invalid,
        )
        counts = locked.counts
        _lock_table(Completion)
        snapshot = completions.load_snapshot(locked.change_set["scope"])
        if snapshot.fingerprint != locked.change_set.get("fingerprint"):
            raise ImportRefused("stale", MSG_COMPLETIONS_STALE)
        _create_completions(locked.change_set["create"], actor=_user(actor))
        return MSG_COMPLETIONS_COMMITTED.format(**counts)

    return _commit_run(
        run, label="Completion", skip_invalid=skip_invalid, apply=apply, actor=_user(actor)
    )


# Either kind, for the HR page and the API


def import_preview(
    *,
    kind: str,
    source: str | BinaryIO | bytes,
    file_name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    sync: bool = False,
    create_missing: bool = False,
    skip_invalid: bool = False,
    actor: AnyUser | None,
    progress: Callable[[int, int], None] | None = None,
) -> RosterPreview | CompletionsPreview:
    """roster_preview or completions_preview, by kind (sync and create_missing are the
    roster's)."""
    if kind == ImportKind.COMPLETIONS:
        return completions_preview(
            source=source,
            file_name=file_name,
            mapping=mapping,
            skip_invalid=skip_invalid,
            actor=actor,
            progress=progress,
        )
    return roster_preview(
        source=source,
        file_name=file_name,
        mapping=mapping,
        sync=sync,
        create_missing=create_missing,
        skip_invalid=skip_invalid,
        actor=actor,
        progress=progress,
    )


def import_commit(
    *,
    run: ImportRun,
    actor: AnyUser | None,
    confirm_large_deactivation: bool = False,
    skip_invalid: bool = False,
) -> ImportRun:
    """roster_commit or completions_commit, by the run's kind. skip_invalid: apply the valid
    rows of a preview with errors, leaving the rows with errors out."""
    if run.kind == ImportKind.COMPLETIONS:
        return completions_commit(run=run, actor=actor, skip_invalid=skip_invalid)
    return roster_commit(
        run=run,
        actor=actor,
        confirm_large_deactivation=confirm_large_deactivation,
        skip_invalid=skip_invalid,
    )

"""The whole service's data as files, and back: `export_all` writes every table as JSON in
Django's serialization format (one file per table, one object per line, so `loaddata` reads it
and `import_all` streams it) plus the main tables as xlsx for people, and a manifest; `import_all`
loads such an export into an empty, migrated database of the same migrations, in one
transaction.

What an export holds: every model of the project's own apps (learning, catalog, enrollment,
calendars, imports, and any app added beside them), the logins with their password hashes,
groups and permission assignments, the API tokens and the admin's change log. Calendar feed keys,
API tokens and password hashes are kept as they are, because a restore must keep every
subscription, script and login working: the export is as sensitive as the database.

Left out, because the database makes them or they are not data: content types and permissions
(made by `migrate`; rows that refer to them do so by natural key, since their ids differ between
databases), sessions (a restore signs everyone out), learning.DataChange (the cache
generation's bookkeeping; a restore records a change of its own) and
learning.PasswordResetRequest (the password reset throttle's last hour)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Prefetch
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
JSON_DIR = "json"
XLSX_DIR = "xlsx"
CHUNK_SIZE = 2000

# Tables of Django's and DRF's apps that are data: logins (with their groups and permissions),
# groups, API tokens, the admin's change log. Groups load first: users name them by name.
FRAMEWORK_TABLES_FIRST = ("auth.group", "auth.user", "authtoken.token")
FRAMEWORK_TABLES_LAST = ("admin.logentry",)
# Project tables that are not data.
LEFT_OUT = {
    "learning.datachange": (
        "the cache generation's bookkeeping, pruned as it goes; import_all records a change of "
        "its own"
    ),
    "learning.passwordresetrequest": (
        "the password reset throttle's last hour of requests, pruned as it goes; not data"
    ),
    "core.outboxmessage": (
        "mail sent or on its way when the export ran; a restored service must not mail anyone again"
    ),
    "worker.heartbeat": "which workers were running; each says so again when it starts",
    "worker.scheduledrun": "which scheduled jobs ran; their work is in the data itself",
    "worker.job": (
        "long jobs in flight and the files they made (an import preview's result is its import "
        "run, which is exported)"
    ),
}
LEFT_OUT_FRAMEWORK = {
    "contenttypes.contenttype": "made by migrate; rows refer to content types by natural key",
    "auth.permission": "made by migrate; rows refer to permissions by natural key",
    "sessions.session": "sign-ins; a restored service asks everyone to sign in again",
    "usersessions.usersession": "which browsers are signed in; a restored service has none",
    "socialaccount.socialaccount": (
        "which identity provider account opened which login; linked again through the roster at "
        "each person's next sign-in"
    ),
    "mfa.authenticator": (
        "second factors, which hold secrets; after a restore each administrator, HR and district "
        "PD login sets one up again at its next sign-in"
    ),
}
# Tables a migrated database already holds rows of: the role groups come from a data
# migration. They are matched by name (natural key) and updated in place.
MADE_BY_MIGRATIONS = frozenset({"auth.group"})
# Models whose ids differ from one database to the next (made by migrate): referred to by
# natural key.
UNSTABLE_IDS = (ContentType, Permission)


class BackupError(Exception):
    """An export or restore that cannot go ahead; the message says what is wrong and where."""


@dataclass(frozen=True)
class TableResult:
    label: str
    rows: int


# --- which tables ----------------------------------------------------------------------------


def project_app_labels() -> list[str]:
    """The apps of this checkout (a package directly under BASE_DIR), in INSTALLED_APPS order."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
    ]


def exported_models() -> list[type[models.Model]]:
    """Every table an export holds, in the order import_all loads them."""
    project = [
        model
        for label in project_app_labels()
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in LEFT_OUT
    ]
    first = [apps.get_model(label) for label in FRAMEWORK_TABLES_FIRST]
    last = [apps.get_model(label) for label in FRAMEWORK_TABLES_LAST]
    return [*first, *project, *last]


def left_out_tables() -> dict[str, str]:
    """Every table an export does not hold, and why."""
    exported = set(exported_models())
    return {
        model._meta.label_lower: LEFT_OUT.get(model._meta.label_lower)
        or LEFT_OUT_FRAMEWORK.get(model._meta.label_lower)
        or "another installed app's bookkeeping, not the service's data"
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model not in exported
    }


def _by_natural_key(model: type[models.Model]) -> bool:
    """Rows of these are named by natural key wherever they are referred to: their ids are not
    the same from one database to the next. Everything else keeps its id."""
    return issubclass(model, UNSTABLE_IDS) or _uses_natural_primary_key(model)


def _refers_by_natural_key(model: type[models.Model]) -> bool:
    return any(
        field.is_relation
        and field.concrete
        and field.related_model is not None
        and _by_natural_key(field.related_model)
        for field in model._meta.get_fields()
    )


def _uses_natural_primary_key(model: type[models.Model]) -> bool:
    return model._meta.label_lower in MADE_BY_MIGRATIONS


def table_file(model: type[models.Model]) -> str:
    return f"{JSON_DIR}/{model._meta.label_lower}.json"


# --- migrations ------------------------------------------------------------------------------


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The latest applied migration(s) of every app in the database: the schema's version."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    latest: dict[str, list[str]] = {}
    for app_label, name in applied:
        node = loader.graph.node_map.get((app_label, name))
        children = {child.key for child in node.children} if node is not None else set()
        if not any(key[0] == app_label and key in applied for key in children):
            latest.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(latest.items())}


def migration_differences(
    exported: dict[str, list[str]], database: dict[str, list[str]]
) -> list[str]:
    def shown(names: list[str] | None) -> str:
        return ", ".join(names) if names else "no migrations"

    return [
        f"{app_label}: the export is at {shown(exported.get(app_label))}, this database at "
        f"{shown(database.get(app_label))}"
        for app_label in sorted(set(exported) | set(database))
        if exported.get(app_label) != database.get(app_label)
    ]


# --- writing ---------------------------------------------------------------------------------


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's encoder cuts them to milliseconds, which would change
    every timestamp (and could reorder a waitlist) on the way back."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time) and not timezone.is_aware(o):
            return o.isoformat()
        return super().default(o)


class _LineSerializer(JSONSerializer):
    """Django's JSON format with one object per line: still one JSON array for loaddata, and
    readable a line at a time by import_all."""

    def start_serialization(self):
        self._init_options()
        self.json_kwargs["cls"] = _ExactJSONEncoder
        self.stream.write("[\n")

    def end_object(self, obj):
        if not self.first:
            self.stream.write(",\n")
        json.dump(self.get_dump_object(obj), self.stream, **self.json_kwargs)
        self._current = None

    def end_serialization(self):
        self.stream.write("]\n" if self.first else "\n]\n")

    # Django names every row of a model with a natural key by that key once asked to; users are
    # named by id here (their ids are restored), so that loaddata can read the files in any
    # order and a log entry does not wait for its user.
    def handle_fk_field(self, obj, field):
        with self._natural_keys_for(field.related_model):
            super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        with self._natural_keys_for(field.related_model):
            super().handle_m2m_field(obj, field)

    @contextmanager
    def _natural_keys_for(self, model):
        asked = self.use_natural_foreign_keys
        self.use_natural_foreign_keys = asked and _by_natural_key(model)
        try:
            yield
        finally:
            self.use_natural_foreign_keys = asked


def _rows_for_export(model: type[models.Model]) -> models.QuerySet:
    """The table in id order, with its links fetched a chunk at a time (never a query per row)."""
    queryset = model._base_manager.order_by("pk")
    related = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and _by_natural_key(field.related_model)
    ]
    if related:
        queryset = queryset.select_related(*related)
    lookups = []
    for field in model._meta.local_many_to_many:
        if not field.remote_field.through._meta.auto_created:
            continue  # rows of an explicit through model are a table of their own
        target = field.related_model
        linked = target._base_manager.order_by("pk")
        if _by_natural_key(target):
            if target is Permission:
                linked = linked.select_related("content_type")
        else:
            linked = linked.only("pk")
        lookups.append(Prefetch(field.name, queryset=linked))
    return queryset.prefetch_related(*lookups)


def _counted(rows, counter: list[int]):
    for row in rows:
        counter[0] += 1
        yield row


def _write_table(model: type[models.Model], path: Path) -> int:
    counter = [0]
    rows = _counted(_rows_for_export(model).iterator(chunk_size=CHUNK_SIZE), counter)
    with _private_file(path) as stream:
        _LineSerializer().serialize(
            rows,
            stream=stream,
            use_natural_foreign_keys=_refers_by_natural_key(model),
            use_natural_primary_keys=_uses_natural_primary_key(model),
        )
    return counter[0]


class _private_file:
    """A file only the service's user may read (the export holds password hashes and keys)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.stream = open(descriptor, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        return self.stream

    def __exit__(self, *exc_info):
        self.stream.close()


def prepare_directory(out: Path, *, force: bool) -> None:
    """Refuse a directory that holds anything (unless forced) or cannot be written; make it,
    readable by its owner only."""
    if out.exists() and not out.is_dir():
        raise BackupError(f"{out} exists and is not a directory.")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise BackupError(
                f"{out} is not empty. Give an empty or new directory, or --force to replace "
                f"an earlier export there."
            )
        _remove_earlier_export(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o700)
        for name in (JSON_DIR, XLSX_DIR):
            (out / name).mkdir(mode=0o700, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise BackupError(f"Cannot write to {out}: {error.strerror or error}.") from error


def _remove_earlier_export(out: Path) -> None:
    """What an earlier export wrote there, and nothing else: a table that no longer exists must
    not come back from an old file."""
    try:
        (out / MANIFEST).unlink(missing_ok=True)
        for name, pattern in ((JSON_DIR, "*.json"), (XLSX_DIR, "*.xlsx")):
            if (out / name).is_dir():
                for path in (out / name).glob(pattern):
                    path.unlink()
    except OSError as error:
        raise BackupError(f"Cannot replace the export in {out}: {error.strerror or error}.") from (
            error
        )


@dataclass(frozen=True)
class ExportResult:
    tables: list[TableResult]
    workbooks: dict[str, dict[str, int]]
    manifest: dict


def export_all(
    *,
    out: Path,
    force: bool = False,
    report: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write every table to `out` (see the module's docstring); the manifest goes last, so a
    directory without one is an export that did not finish. `progress(done, total)` counts the
    tables, and the workbooks as one more step."""
    from .workbooks import write_workbooks

    out = Path(out)
    prepare_directory(out, force=force)
    report = report or (lambda line: None)
    exported_at = timezone.now()
    with _consistent_snapshot():
        migrations = applied_migrations()
        tables = []
        models_to_write = exported_models()
        steps = len(models_to_write) + 1
        progress = progress or (lambda done, total: None)
        for done, model in enumerate(models_to_write):
            progress(done, steps)
            rows = _write_table(model, out / table_file(model))
            tables.append(TableResult(model._meta.label_lower, rows))
            report(f"{model._meta.label_lower}: {rows} rows")
        progress(len(models_to_write), steps)
        workbooks = write_workbooks(out / XLSX_DIR)
        progress(steps, steps)
        for file_name, sheets in workbooks.items():
            shown = ", ".join(f"{title} {rows}" for title, rows in sheets.items())
            report(f"{XLSX_DIR}/{file_name}: {shown}")
    manifest = {
        "format": FORMAT,
        "exported_at": exported_at.isoformat(),
        "database": connections[DEFAULT_DB_ALIAS].vendor,
        "migrations": migrations,
        "tables": [
            {"model": table.label, "file": f"{JSON_DIR}/{table.label}.json", "rows": table.rows}
            for table in tables
        ],
        "workbooks": {f"{XLSX_DIR}/{name}": sheets for name, sheets in workbooks.items()},
        "left_out": left_out_tables(),
        "sensitive": (
            "Holds password hashes, API tokens and calendar feed keys: store it as you store "
            "the database."
        ),
    }
    with _private_file(out / MANIFEST) as stream:
        json.dump(manifest, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    return ExportResult(tables=tables, workbooks=workbooks, manifest=manifest)


class _consistent_snapshot:
    """Every table as of one moment while the service keeps writing. PostgreSQL: a repeatable
    read, read-only transaction. SQLite (WAL): a deferred read transaction, which sees one
    snapshot without taking the write lock the service's own transactions take (BEGIN
    IMMEDIATE), so writers are not held up for the length of the export. Inside a transaction
    already (tests), that one."""

    def __enter__(self):
        connection = connections[DEFAULT_DB_ALIAS]
        self._atomic = None
        self._manual = False
        if connection.in_atomic_block:
            return self
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("BEGIN DEFERRED")
            self._manual = True
        else:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return self

    def __exit__(self, *exc_info):
        if self._manual:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("COMMIT")
        elif self._atomic is not None:
            return self._atomic.__exit__(*exc_info)
        return False


# --- reading back ----------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not Path(source).is_dir():
        raise BackupError(f"{source} is not a directory.")
    if not path.is_file():
        raise BackupError(
            f"{source} has no {MANIFEST}: it is not an export_all directory, or the export "
            "did not finish."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read as JSON: {error}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} is not a manifest of this service's export (format {FORMAT} expected)."
        )
    for key in ("migrations", "tables"):
        if key not in manifest:
            raise BackupError(f'{path} has no "{key}".')
    return manifest


def _table_models(manifest: dict, source: Path) -> list[tuple[type[models.Model], Path, int]]:
    tables = []
    for entry in manifest["tables"]:
        label = entry.get("model", "")
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise BackupError(
                f'{MANIFEST} lists the table "{label}", which this version of the service '
                "does not have."
            ) from None
        path = source / entry.get("file", table_file(model))
        if not path.is_file():
            raise BackupError(f"{path} is missing: the export is incomplete.")
        tables.append((model, path, int(entry.get("rows", 0))))
    return tables


def tables_holding_data(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Exported tables that already have rows (the groups migrations make aside)."""
    holding = []
    for model in exported_models():
        if model._meta.label_lower in MADE_BY_MIGRATIONS:
            continue
        rows = model._base_manager.using(using).count()
        if rows:
            holding.append(f"{model._meta.label_lower} ({rows} row{'' if rows == 1 else 's'})")
    return holding


def _lines(path: Path) -> Iterator[tuple[int, dict]]:
    """The objects of a table file, one per line, with their line numbers."""
    with path.open(encoding="utf-8") as stream:
        if stream.readline().strip() != "[":
            raise BackupError(f'{path}, line 1: expected "[", as export_all writes it.')
        for number, line in enumerate(stream, start=2):
            line = line.rstrip("\n")
            if line == "]":
                return
            try:
                yield number, json.loads(line.removesuffix(","))
            except ValueError as error:
                raise BackupError(f"{path}, line {number}: not a JSON object ({error}).") from None
        raise BackupError(f'{path} ends before its closing "]": the file is cut short.')


def _load_table(model: type[models.Model], path: Path, using: str) -> int:
    position = {"line": 1}

    def objects():
        for number, data in _lines(path):
            position["line"] = number
            if data.get("model") != model._meta.label_lower:
                raise BackupError(
                    f'{path}, line {number}: a row of "{data.get("model")}" in the file of '
                    f"{model._meta.label_lower}."
                )
            yield data

    deserialized = serializers.deserialize(
        "python", objects(), using=using, handle_forward_references=False
    )
    rows = 0
    try:
        if _uses_natural_primary_key(model):
            # Matched by natural key to the rows migrations made: saved one by one, in place.
            for item in deserialized:
                item.save(using=using)
                rows += 1
            return rows
        while batch := list(itertools.islice(deserialized, CHUNK_SIZE)):
            _insert(model, batch, using)
            rows += len(batch)
    except DeserializationError as error:
        raise BackupError(f"{path}, line {position['line']}: {error}") from None
    return rows


def _insert(model: type[models.Model], batch, using: str) -> None:
    """Rows as they were: a raw insert, like a fixture's save, so created_at and updated_at
    keep their values (bulk_create would stamp auto_now fields with the time of the restore),
    and no signals fire (a restore is not a change anyone made)."""
    objects = [item.object for item in batch]
    fields = model._meta.local_concrete_fields
    connection = connections[using]
    size = max(connection.ops.bulk_batch_size(fields, objects), 1)
    manager = model._base_manager.using(using)
    for start in range(0, len(objects), size):
        manager._insert(objects[start : start + size], fields=fields, using=using, raw=True)
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            continue
        source = field.m2m_field_name()
        target = field.m2m_reverse_field_name()
        links = [
            through(**{f"{source}_id": item.object.pk, f"{target}_id": target_pk})
            for item in batch
            for target_pk in item.m2m_data.get(field.name, ())
        ]
        through._base_manager.using(using).bulk_create(links, batch_size=size)


def import_all(
    *, source: Path, using: str = DEFAULT_DB_ALIAS, report: Callable[[str], None] | None = None
) -> list[TableResult]:
    """Load an export into this database: it must be migrated to the export's migrations and
    hold no data. One transaction: all of it, or nothing."""

    source = Path(source)
    report = report or (lambda line: None)
    manifest = read_manifest(source)
    database = applied_migrations(using)
    if not database:
        raise BackupError(
            "This database is not migrated. Run `manage.py migrate` first, then import."
        )
    differences = migration_differences(manifest["migrations"], database)
    if differences:
        raise BackupError(
            "The export's migrations do not match this database's: "
            + "; ".join(differences)
            + ". Restore with the release that made the export (then migrate), or migrate "
            "this database to the export's migrations."
        )
    tables = _table_models(manifest, source)
    holding = tables_holding_data(using)
    if holding:
        raise BackupError(
            "This database already holds data: "
            + ", ".join(holding)
            + ". import_all restores into an empty database only: create a new one, migrate "
            "it, then import."
        )
    try:
        return _load_all(tables, using=using, report=report)
    except IntegrityError as error:
        raise BackupError(f"The export's rows do not fit together: {error}") from error


def _load_all(tables, *, using: str, report: Callable[[str], None]) -> list[TableResult]:
    from learning.changes import record

    results = []
    with transaction.atomic(using=using):
        for model, path, expected in tables:
            rows = _load_table(model, path, using)
            if rows != expected:
                raise BackupError(
                    f"{path} holds {rows} rows, the manifest {expected}: the export is damaged."
                )
            results.append(TableResult(model._meta.label_lower, rows))
            report(f"{model._meta.label_lower}: {rows} rows")
        connection = connections[using]
        connection.check_constraints(
            table_names=[model._meta.db_table for model, _path, _rows in tables]
        )
        _reset_sequences([model for model, _path, _rows in tables], using)
        record()
    return results


def _reset_sequences(models_loaded: list[type[models.Model]], using: str) -> None:
    """Rows came with their ids: the next id the database hands out must come after them."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), models_loaded)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

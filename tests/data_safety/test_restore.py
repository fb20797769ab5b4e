"""A whole export restored into a new, empty database by another process (manage.py with its
own DATABASE_URL: a second SQLite file, or a scratch database `export_restore_<pid>` on the
PostgreSQL server the suite runs on) holds the same rows, field for field, in every table."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import call_command
from django.db import connection

from backups.services import MANIFEST, exported_models, table_file
from learning.models import Building
from tests.data_safety.dataset import JOSE, VOID_REASON, seed_district
from tests.deploy import servers

pytestmark = pytest.mark.django_db
SCRATCH_PREFIX = f"export_restore_{os.getpid()}"


class ScratchDatabases:
    """Empty migrated databases for restores, made from one migrated template: files beside
    the test's on SQLite, databases on the suite's server on PostgreSQL (dropped afterwards)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.vendor = connection.vendor
        self.created: list[str] = []
        self.count = 0
        self.template = self._url(f"{SCRATCH_PREFIX}_template")
        if self.vendor == "postgresql":
            self._execute(f'CREATE DATABASE "{SCRATCH_PREFIX}_template"')
            self.created.append(f"{SCRATCH_PREFIX}_template")
        manage(self.template, "migrate", "--noinput")

    def _url(self, name: str) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.directory / name}.sqlite3"
        return servers.database_url(connection.settings_dict | {"NAME": name})

    def _execute(self, statement: str) -> None:
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(
            dbname="postgres",
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            autocommit=True,
        ) as server:
            server.execute(statement)

    def new(self) -> str:
        """The URL of a new empty, migrated database."""
        self.count += 1
        name = f"{SCRATCH_PREFIX}_{self.count}"
        if self.vendor == "sqlite":
            # The backup API, never a file copy: the consistent way to copy an SQLite database.
            with (
                sqlite3.connect(self.directory / f"{SCRATCH_PREFIX}_template.sqlite3") as source,
                sqlite3.connect(self.directory / f"{name}.sqlite3") as target,
            ):
                source.backup(target)
        else:
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{SCRATCH_PREFIX}_template"')
            self.created.append(name)
        return self._url(name)

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def scratch_databases(django_db_setup, django_db_blocker, tmp_path_factory):
    databases = ScratchDatabases(tmp_path_factory.mktemp("restores"))
    try:
        yield databases
    finally:
        databases.drop_all()


def manage(database_url: str, *args: str) -> str:
    """manage.py in another process on that database, as an operator runs it; its output."""
    env = servers.production_environment(
        DEBUG="true",
        DATABASE_URL=database_url,
        CACHE_URL="",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=servers.CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _sorted_links(value):
    return sorted(value, key=json.dumps) if isinstance(value, list) else value


def rows_by_table(directory: Path) -> dict[str, dict]:
    """Every row of an export, by table and key (the id, or the name for groups), with its
    links in a stable order."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    tables = {}
    for entry in manifest["tables"]:
        rows = json.loads((directory / entry["file"]).read_text(encoding="utf-8"))
        tables[entry["model"]] = {
            json.dumps(row.get("pk", row["fields"].get("name"))): {
                name: _sorted_links(value) for name, value in row["fields"].items()
            }
            for row in rows
        }
    return tables


def assert_export_matches_database(directory: Path) -> None:
    """Each file read back gives every row of its table with every field as the database
    holds it (so the export loses nothing: microseconds, decimals, JSON, links)."""
    for model in exported_models():
        items = list(
            serializers.deserialize(
                "json", (directory / table_file(model)).read_text(encoding="utf-8")
            )
        )
        assert len(items) == model._base_manager.count(), model._meta.label
        stored = model._base_manager.in_bulk([item.object.pk for item in items])
        for item in items:
            row = stored[item.object.pk]
            for field in model._meta.concrete_fields:
                assert field.value_from_object(item.object) == field.value_from_object(row), (
                    f"{model._meta.label} {row.pk}: {field.name}"
                )
            for name, linked in item.m2m_data.items():
                in_database = getattr(row, name).values_list("pk", flat=True)
                assert sorted(linked) == sorted(in_database), f"{model._meta.label}.{name}"


FACTS = """
import json
from django.contrib.auth import get_user_model
from calendars.models import FeedToken
from enrollment.models import Completion
from imports.models import ImportRun
from learning.models import Building, StaffMember
from rest_framework.authtoken.models import Token
jose = StaffMember.objects.get(employee_id=%(employee_id)r)
voided = Completion.objects.get(pk=%(voided)d)
highest = Building.objects.order_by("-pk")[0].pk
new = Building.objects.create(code="after-restore", name="After the restore")
print(json.dumps({
    "name": f"{jose.first_name} {jose.last_name}",
    "login": jose.user.username,
    "password": jose.user.password,
    "groups": sorted(jose.staff_groups.values_list("name", flat=True)),
    "feed_key": FeedToken.objects.get(staff=jose).key,
    "api_token": Token.objects.get(user__username="zoë.obrien").key,
    "void_reason": voided.void_reason,
    "voided_at": voided.voided_at.isoformat(),
    "change_set": ImportRun.objects.get(pk=%(run)d).change_set,
    "new_building_after_highest": new.pk > highest,
}))
"""


def facts_of_source(seeded) -> dict:
    jose = seeded["jose"]
    jose.refresh_from_db()
    return {
        "name": JOSE,
        "login": "jose",
        "password": seeded["jose_login"].password,
        "groups": sorted(jose.staff_groups.values_list("name", flat=True)),
        "feed_key": seeded["feed"].key,
        "api_token": seeded["token"].key,
        "void_reason": VOID_REASON,
        "voided_at": seeded["voided"].voided_at.isoformat(),
        "change_set": seeded["run"].change_set,
        "new_building_after_highest": True,
    }


@pytest.mark.parametrize("restore_with", ["import_all", "loaddata"])
def test_an_export_restored_into_an_empty_database_holds_the_same_rows(
    scratch_databases, tmp_path, restore_with
):
    seeded = seed_district()
    exported = tmp_path / "export"
    call_command("export_all", out=str(exported), verbosity=0)
    assert_export_matches_database(exported)
    original = rows_by_table(exported)
    # The dataset reaches every table, so every table's round trip is checked below.
    assert [label for label, rows in original.items() if not rows] == []
    assert len(original) == len(exported_models())

    target = scratch_databases.new()
    if restore_with == "import_all":
        output = manage(target, "import_all", "--from", str(exported))
        assert f"Restored {len(original)} tables" in output
    else:
        files = sorted(str(path) for path in (exported / "json").glob("*.json"))
        manage(target, "loaddata", *files)
    facts = json.loads(
        manage(
            target,
            "shell",
            "--no-imports",
            "-c",
            FACTS
            % {
                "employee_id": seeded["jose"].employee_id,
                "voided": seeded["voided"].pk,
                "run": seeded["run"].pk,
            },
        )
    )
    assert facts == facts_of_source(seeded)

    # The restored database, exported in turn, matches the original row for row (the building
    # made after the restore aside).
    again = tmp_path / "again"
    manage(target, "export_all", "--out", str(again))
    restored = rows_by_table(again)
    added = restored["learning.building"].pop(
        json.dumps(Building.objects.order_by("-pk")[0].pk + 1)
    )
    assert added["code"] == "after-restore"
    for label, rows in original.items():
        assert restored[label].keys() == rows.keys(), label
        for key, fields in rows.items():
            assert restored[label][key] == fields, f"{label} {key}"

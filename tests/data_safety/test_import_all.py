"""import_all refuses what it cannot restore, saying what is wrong, and writes nothing then.
(A full restore into an empty database by another process: test_restore.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from backups.services import MANIFEST, applied_migrations
from learning.models import Building, DataChange
from tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db


def export(out: Path) -> Path:
    call_command("export_all", out=str(out), verbosity=0)
    return out


def restore(source: Path) -> None:
    call_command("import_all", source=str(source), verbosity=0)


def edit_manifest(source: Path, change) -> None:
    path = source / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def building_row(pk: int, code: str) -> str:
    fields = {
        "created_at": "2026-01-02T03:04:05.123456Z",
        "updated_at": "2026-01-02T03:04:05.123456Z",
        "code": code,
        "name": "Escuela Núñez",
        "kind": "other",
        "address": "",
        "active": True,
        "is_demo": False,
    }
    return json.dumps({"model": "learning.building", "pk": pk, "fields": fields})


def test_refuses_a_database_that_holds_data(tmp_path):
    BuildingFactory(code="maple")
    source = export(tmp_path / "out")
    with pytest.raises(
        CommandError,
        match=r"already holds data: learning\.building \(1 row\)\. .*empty database only",
    ):
        restore(source)
    assert Building.objects.count() == 1


def test_refuses_an_export_of_other_migrations(tmp_path):
    source = export(tmp_path / "out")
    here = applied_migrations()["learning"]

    def future(manifest):
        manifest["migrations"]["learning"] = ["0099_future"]

    edit_manifest(source, future)
    with pytest.raises(
        CommandError,
        match=(
            r"migrations do not match this database's: learning: the export is at "
            rf"0099_future, this database at {here[0]}\. Restore with the release"
        ),
    ):
        restore(source)


def test_refuses_a_directory_without_a_manifest(tmp_path):
    (tmp_path / "json").mkdir()
    with pytest.raises(CommandError, match=rf"{tmp_path} has no manifest\.json.*did not finish"):
        restore(tmp_path)
    with pytest.raises(CommandError, match=rf"{tmp_path / 'nothing'} is not a directory"):
        restore(tmp_path / "nothing")


def test_refuses_a_table_the_service_does_not_have(tmp_path):
    source = export(tmp_path / "out")
    edit_manifest(
        source,
        lambda m: m["tables"].append({"model": "learning.spaceship", "file": "x.json", "rows": 0}),
    )
    with pytest.raises(CommandError, match='lists the table "learning.spaceship"'):
        restore(source)


def test_restores_an_export_into_an_empty_database_and_records_a_change(tmp_path):
    source = export(tmp_path / "out")
    path = source / "json" / "learning.building.json"
    path.write_text(f"[\n{building_row(41, 'nunez')}\n]\n", encoding="utf-8")
    edit_manifest(source, lambda m: _set_rows(m, "learning.building", 1))
    changes = DataChange.objects.count()
    restore(source)
    building = Building.objects.get()
    assert (building.pk, building.name) == (41, "Escuela Núñez")
    # The file's times, not the time of the restore.
    assert building.updated_at.isoformat() == "2026-01-02T03:04:05.123456+00:00"
    assert DataChange.objects.count() == changes + 1
    # New rows are numbered after the restored ones.
    assert BuildingFactory().pk > 41


def _set_rows(manifest, label: str, rows: int) -> None:
    next(t for t in manifest["tables"] if t["model"] == label)["rows"] = rows


def test_a_damaged_file_is_refused_and_nothing_is_written(tmp_path):
    source = export(tmp_path / "out")
    path = source / "json" / "learning.building.json"
    path.write_text(f"[\n{building_row(1, 'one')},\n{{not json\n]\n", encoding="utf-8")
    edit_manifest(source, lambda m: _set_rows(m, "learning.building", 2))
    with pytest.raises(CommandError, match=rf"{path}, line 3: not a JSON object"):
        restore(source)
    assert not Building.objects.exists()

    path.write_text(f"[\n{building_row(1, 'one')},\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"ends before its closing .*cut short"):
        restore(source)
    assert not Building.objects.exists()


def test_a_file_with_fewer_rows_than_the_manifest_is_refused(tmp_path):
    source = export(tmp_path / "out")
    (source / "json" / "learning.building.json").write_text(
        f"[\n{building_row(1, 'one')}\n]\n", encoding="utf-8"
    )
    edit_manifest(source, lambda m: _set_rows(m, "learning.building", 3))
    with pytest.raises(CommandError, match=r"holds 1 rows, the manifest 3: the export is damaged"):
        restore(source)
    assert not Building.objects.exists()

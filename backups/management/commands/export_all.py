"""export_all: every table of the service as JSON (restorable with import_all or loaddata), the
main tables as xlsx, and a manifest, in one directory."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, export_all
from core import progress


class Command(BaseCommand):
    help = (
        "Write every table of the service to DIR: json/<app>.<model>.json in Django's "
        "serialization format (import_all or loaddata restores it), xlsx/ with staff, "
        "buildings, positions, courses, sessions and meetings, enrollments, completions and "
        "requirements, and manifest.json (tables, row counts, migrations, time of export). "
        "The export holds password hashes, API tokens and calendar feed keys, as a restore "
        "needs them: it is as sensitive as the database; store it accordingly (docs/backup.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, metavar="DIR", help="A new or empty directory to write."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Write into a directory that is not empty, replacing an earlier export there.",
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        report = self.stdout.write if options["verbosity"] > 1 else None
        try:
            result = export_all(
                out=out,
                force=options["force"],
                report=report,
                progress=progress.bar(
                    self.stdout, description="Exporting", unit="table", finished=""
                ),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table.rows for table in result.tables)
        self.stdout.write(
            f"Wrote {len(result.tables)} tables ({rows} rows) and {len(result.workbooks)} "
            f"workbooks to {out}. It holds password hashes, API tokens and calendar feed keys: "
            "store it as you store the database."
        )

"""import_all: load an export_all directory into an empty, migrated database, in one
transaction."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, import_all


class Command(BaseCommand):
    help = (
        "Restore an export_all directory into this database, which must be migrated to the "
        "export's migrations and hold no data (create it, run migrate, then import_all). "
        "All or nothing: one transaction. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            metavar="DIR",
            help="The directory export_all wrote.",
        )

    def handle(self, *args, **options):
        source = Path(options["source"])
        report = self.stdout.write if options["verbosity"] > 1 else None
        try:
            tables = import_all(source=source, report=report)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table.rows for table in tables)
        self.stdout.write(f"Restored {len(tables)} tables ({rows} rows) from {source}.")

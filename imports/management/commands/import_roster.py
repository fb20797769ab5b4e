"""import_roster: preview (and with --commit, apply) HR's staff roster from a CSV, XLSX, XLS or
ODS file."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from core import progress
from imports import services
from imports.exporters import RowErrorsExporter
from imports.readers import FORMAT_NAMES, UnreadableFile
from imports.roster import ROSTER_COLUMNS, RosterPreview

# Exit statuses.
OK = 0
FILE_HAS_ERRORS = 1
UNUSABLE_INPUT = 2

SHOWN = 20

MSG_NO_FILE = "No such file: {path}"
MSG_BAD_MAPPING = 'A mapping is written COLUMN=FIELD (e.g. "Emp Code=employee_id"), not "{item}".'
MSG_NO_USER = "No user named {username}."
MSG_PREVIEW_ONLY = "Preview only: nothing was written. Run again with --commit to apply it."
MSG_HAS_ERRORS = (
    "The file has {errors} error(s) in {rows} row(s); nothing was written. Fix them, or add "
    "--skip-invalid to commit only the valid rows."
)
MSG_SKIPPED = "{rows} row(s) with errors were skipped; fix them and import the file again."
MSG_REPORT_WRITTEN = "Wrote the rows with errors to {path}."

SUMMARY = (
    ("rows", "rows read"),
    ("created", "to create"),
    ("updated", "to update"),
    ("reactivated", "to reactivate"),
    ("deactivated", "to deactivate"),
    ("losing_access", "to lose access"),
    ("unchanged", "unchanged"),
    ("invalid_rows", "rows with errors"),
    ("buildings_created", "new buildings"),
    ("positions_created", "new positions"),
    ("kept_managed_manually", "kept (managed manually)"),
)


class Command(BaseCommand):
    help = (
        "Preview the staff roster in FILE (CSV, XLSX, XLS or ODS) against the staff list: who "
        "would be created, updated, reactivated and (with --sync) deactivated, and every row "
        "error with its row and column. Nothing is written without --commit. Exit status: 0 "
        "done, 1 the file has errors (or the commit was refused), 2 the file cannot be used."
    )

    # What differs between the two import commands' shared options (import_completions).
    file_help = "The roster file."
    commit_help = "Apply the changes."
    user_help = "The username recorded as having run the import (an HR login)."
    columns = ROSTER_COLUMNS

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--commit", action="store_true", help=self.commit_help)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Commit the valid rows even though other rows have errors.",
        )
        parser.add_argument("--sheet", help="The sheet to read (default: the first).")
        fields = ", ".join(column.field for column in self.columns)
        parser.add_argument(
            "--mapping",
            nargs="+",
            action="extend",
            default=[],
            metavar="COLUMN=FIELD",
            help=(
                f"Read a column as a field, whatever its name; the fields are: {fields}. "
                'An empty field ignores the column ("Notes=").'
            ),
        )
        parser.add_argument("--user", help=self.user_help)
        parser.add_argument(
            "--error-report",
            metavar="PATH",
            help="Write the rows with errors to PATH (.xlsx, or .csv), with a column of problems.",
        )
        self.add_kind_arguments(parser)

    def add_kind_arguments(self, parser):
        """The roster's own options."""
        parser.add_argument(
            "--sync",
            action="store_true",
            help=(
                "The file is the whole roster: deactivate staff who are not in it (never those "
                "managed manually)."
            ),
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create buildings and positions the file names but the service does not know.",
        )
        parser.add_argument(
            "--confirm-deactivation",
            action="store_true",
            help=(
                "Go ahead with a sync that deactivates more than "
                "IMPORT_SYNC_DEACTIVATE_CAP_PERCENT of active staff."
            ),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(MSG_NO_FILE.format(path=path), returncode=UNUSABLE_INPUT)
        mapping = self._mapping(options["mapping"])
        actor = self._actor(options["user"])
        self.bar = None
        self.stdout.write(f"Reading {path.name}")
        try:
            preview = self._preview(path, mapping=mapping, actor=actor, options=options)
        except UnreadableFile as error:
            raise CommandError(error.message, returncode=UNUSABLE_INPUT) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=UNUSABLE_INPUT) from None
        self._write_preview(preview)
        if preview.has_errors and options["error_report"]:
            self._write_report(preview, Path(options["error_report"]))
        counts = preview.counts
        if not options["commit"]:
            if preview.has_errors:
                raise CommandError(
                    MSG_HAS_ERRORS.format(errors=counts["errors"], rows=counts["invalid_rows"]),
                    returncode=FILE_HAS_ERRORS,
                )
            self.stdout.write(MSG_PREVIEW_ONLY)
            return
        self.stdout.write("Committing")
        try:
            run = self._commit(preview, actor=actor, options=options)
        except services.ImportRefused as refusal:
            raise CommandError(refusal.message, returncode=FILE_HAS_ERRORS) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=UNUSABLE_INPUT) from None
        except Exception:
            raise CommandError(preview.run.message, returncode=FILE_HAS_ERRORS) from None
        self.stdout.write(self.style.SUCCESS(run.message))
        if preview.has_errors:
            raise CommandError(
                MSG_SKIPPED.format(rows=counts["invalid_rows"]), returncode=FILE_HAS_ERRORS
            )

    # The kind of import: the completions command overrides these two.

    def _preview(self, path: Path, *, mapping: dict, actor, options: dict):
        return services.roster_preview(
            source=path,
            sheet=options["sheet"],
            mapping=mapping,
            sync=options["sync"],
            create_missing=options["create_missing"],
            skip_invalid=options["skip_invalid"],
            actor=actor,
            progress=self._progress,
        )

    def _commit(self, preview, *, actor, options: dict):
        return services.roster_commit(
            run=preview.run,
            actor=actor,
            confirm_large_deactivation=options["confirm_deactivation"],
            skip_invalid=options["skip_invalid"],
        )

    # Options

    @staticmethod
    def _mapping(items: list[str]) -> dict[str, str]:
        mapping = {}
        for item in items:
            column, separator, field = item.rpartition("=")
            if not separator or not column.strip():
                raise CommandError(MSG_BAD_MAPPING.format(item=item), returncode=UNUSABLE_INPUT)
            mapping[column.strip()] = field.strip()
        return mapping

    @staticmethod
    def _actor(username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                MSG_NO_USER.format(username=username), returncode=UNUSABLE_INPUT
            ) from None

    # Output

    def _progress(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress.Bar(
                self.stdout,
                description="Checking rows",
                unit="row",
                finished="Checked {total:,} rows",
            )
        self.bar.update(done, total)

    def _write_preview(self, preview: RosterPreview) -> None:
        run = preview.run
        described = preview.change_set.get("file", {})
        where = FORMAT_NAMES.get(described.get("format"), "")
        if described.get("sheet"):
            where += f', sheet "{described["sheet"]}"'
        self.stdout.write(
            f"Import run #{run.pk}: {run.file_name} ({where}, header on row "
            f"{described.get('header_row')})"
        )
        counts = preview.counts
        width = max(len(label) for _key, label in SUMMARY)
        for key, label in SUMMARY:
            if counts.get(key) or key in ("rows", "created", "updated", "unchanged"):
                self.stdout.write(f"  {label:<{width}}  {counts.get(key, 0):>7,}")
        if preview.needs_confirmation:
            self.stdout.write(
                self.style.WARNING(
                    f"  The sync would deactivate {counts['deactivated']:,} of "
                    f"{counts['active_staff']:,} active staff: --confirm-deactivation is needed."
                )
            )
        for label in ("new buildings", "new positions"):
            entries = preview.new_buildings if label == "new buildings" else preview.new_positions
            for entry in entries:
                extra = f" ({entry['category']})" if "category" in entry else ""
                self.stdout.write(f"  {label[:-1]}: {entry['name']} [{entry['code']}]{extra}")
        changes = [
            *(("create", entry) for entry in preview.creates),
            *(("update", entry) for entry in preview.updates),
            *(("reactivate", entry) for entry in preview.reactivations),
            *(("deactivate", entry) for entry in preview.deactivations),
        ]
        if changes:
            self.stdout.write(f"Changes ({self._first(len(changes))}):")
            shown = changes[:SHOWN]
            id_width = max(len(entry["employee_id"]) for _action, entry in shown)
            for action, entry in shown:
                self.stdout.write(
                    f"  {action:<10}  {entry['employee_id']:<{id_width}}  {entry['name']}: "
                    f"{preview.describe(entry)}"
                )
        errors = preview.errors
        if errors:
            self.stdout.write(self.style.ERROR(f"Errors ({self._first(len(errors))}):"))
            for error in errors[:SHOWN]:
                self.stdout.write(f"  {error}")

    @staticmethod
    def _first(count: int) -> str:
        return f"{count:,}" if count <= SHOWN else f"the first {SHOWN} of {count:,}"

    def _write_report(self, preview: RosterPreview, path: Path) -> None:
        exporter = RowErrorsExporter(preview.run)
        export = exporter.csv() if path.suffix.lower() == ".csv" else exporter.xlsx()
        path.write_bytes(export.content)
        self.stdout.write(MSG_REPORT_WRITTEN.format(path=path))

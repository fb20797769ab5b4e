"""import_completions: preview (and with --commit, record) completions from a CSV, XLSX, XLS or
ODS file: external PD and legacy records."""

from __future__ import annotations

from pathlib import Path

from imports import services
from imports.completions import COMPLETION_COLUMNS, CompletionsPreview
from imports.readers import FORMAT_NAMES

from .import_roster import (
    SHOWN,
)
from .import_roster import Command as RosterCommand

SUMMARY = (
    ("rows", "rows read"),
    ("created", "to record"),
    ("unchanged", "unchanged (already recorded)"),
    ("invalid_rows", "rows with errors"),
)


class Command(RosterCommand):
    help = (
        "Preview the completions in FILE (CSV, XLSX, XLS or ODS: employee ID, course code, "
        "completed on, clock hours, evidence): which would be recorded, which are already "
        "recorded, and every row error with its row and column. Nothing is written without "
        "--commit. Exit status: 0 done, 1 the file has errors (or the commit was refused), 2 "
        "the file cannot be used."
    )

    file_help = "The completions file."
    commit_help = "Record the completions."
    user_help = "The username recorded as having run the import (an HR or district PD login)."
    columns = COMPLETION_COLUMNS

    def add_kind_arguments(self, parser):
        """Completions take no options of their own."""

    def _preview(self, path: Path, *, mapping: dict, actor, options: dict):
        return services.completions_preview(
            source=path,
            sheet=options["sheet"],
            mapping=mapping,
            skip_invalid=options["skip_invalid"],
            actor=actor,
            progress=self._progress,
        )

    def _commit(self, preview, *, actor, options: dict):
        return services.completions_commit(
            run=preview.run, actor=actor, skip_invalid=options["skip_invalid"]
        )

    def _write_preview(self, preview: CompletionsPreview) -> None:
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
            if counts.get(key) or key != "invalid_rows":
                self.stdout.write(f"  {label:<{width}}  {counts.get(key, 0):>7,}")
        creates = preview.creates
        if creates:
            self.stdout.write(f"To record ({self._first(len(creates))}):")
            shown = creates[:SHOWN]
            id_width = max(len(entry["employee_id"]) for entry in shown)
            for entry in shown:
                self.stdout.write(
                    f"  {entry['employee_id']:<{id_width}}  {entry['name']}: "
                    f"{preview.describe(entry)}"
                )
        errors = preview.errors
        if errors:
            self.stdout.write(self.style.ERROR(f"Errors ({self._first(len(errors))}):"))
            for error in errors[:SHOWN]:
                self.stdout.write(f"  {error}")

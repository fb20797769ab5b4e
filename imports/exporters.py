"""The error report of an import: the offending rows as they were in the file, each with its row
number and a column saying what is wrong, so HR can fix them in place and import again.

    report = RowErrorsExporter(run)
    report.xlsx()   # or report.csv(): ExportFile(filename, content_type, content)

And the template of each import: ImportTemplateExporter("roster").xlsx()."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from core.exporters import Exporter, Sheet

from .choices import ImportKind
from .completions import COMPLETION_COLUMNS
from .models import ImportRun
from .readers import Column, RowError
from .roster import ROSTER_COLUMNS

ROW_HEADER = "Row"
PROBLEMS_HEADER = "Problems"
SHEET_TITLE = "Rows with errors"


class RowErrorsExporter(Exporter):
    """Works for any import whose run stores its errors and change_set["report"] (the header
    and the cells of the rows with errors)."""

    def __init__(self, run: ImportRun):
        self.run = run
        self.filename = f"{run.kind}-import-{run.pk}-errors"

    def problems_by_row(self) -> dict[int, list[RowError]]:
        grouped: dict[int, list[RowError]] = defaultdict(list)
        for data in self.run.errors:
            error = RowError.from_dict(data)
            grouped[error.row].append(error)
        return grouped

    def rows(self) -> Iterator[list]:
        report = self.run.change_set.get("report", {})
        width = len(report.get("header", []))
        problems = self.problems_by_row()
        for number, cells in report.get("rows", []):
            cells = list(cells)[:width] + [""] * (width - len(cells))
            messages = "; ".join(
                f"{error.column}: {error.message}" if error.column else error.message
                for error in problems.get(number, [])
            )
            yield [number, *cells, messages]

    def sheets(self) -> Iterator[Sheet]:
        header = self.run.change_set.get("report", {}).get("header", [])
        yield Sheet(
            title=SHEET_TITLE,
            header=[ROW_HEADER, *header, PROBLEMS_HEADER],
            rows=self.rows(),
            widths=[6, *(18 for _ in header), 60],
        )


# What each column holds, for the template's second sheet and the upload page.
COLUMN_NOTES = {
    ImportKind.ROSTER: {
        "employee_id": "HR's identifier; it matches the person from one file to the next.",
        "first_name": "",
        "last_name": "",
        "preferred_name": "Shown instead of the first name where set.",
        "email": "The work address; sign-in and mail go to it.",
        "building": "The building's code or name as the service knows it.",
        "position": "The position's code or name as the service knows it.",
        "status": "Active, on leave or separated; blank keeps the stored status (active if new).",
        "hired_on": "A date: 2026-08-24, 8/24/2026 or a spreadsheet date.",
        "separated_on": "A date; the person's access ends then.",
    },
    ImportKind.COMPLETIONS: {
        "employee_id": "HR's identifier of the person.",
        "course": "The course's code, e.g. RP-101.",
        "completed_on": "A date: 2026-08-24, 8/24/2026 or a spreadsheet date.",
        "clock_hours": "The course's clock hours when empty.",
        "evidence": "Where the credit comes from, e.g. a certificate number.",
    },
}
EXAMPLE_ROWS = {
    ImportKind.ROSTER: {
        "employee_id": "E123456",
        "first_name": "Maya",
        "last_name": "Thompson",
        "preferred_name": "",
        "email": "maya.thompson@district.example",
        "building": "maple",
        "position": "teacher",
        "status": "active",
        "hired_on": "2019-08-19",
        "separated_on": "",
    },
    ImportKind.COMPLETIONS: {
        "employee_id": "E123456",
        "course": "RP-101",
        "completed_on": "2026-10-14",
        "clock_hours": "3",
        "evidence": "County equity summit, certificate 4471",
    },
}


def columns_of(kind: str) -> tuple[Column, ...]:
    return ROSTER_COLUMNS if kind == ImportKind.ROSTER else COMPLETION_COLUMNS


class ImportTemplateExporter(Exporter):
    """A file to fill in for an import: its first sheet has the columns the importer reads (with
    one example row to replace), its second says for each whether it is required, the other
    header names it is recognised by, and what it holds."""

    def __init__(self, kind: str):
        self.kind = kind
        self.filename = f"{kind}-import-template"

    def sheets(self) -> Iterator[Sheet]:
        columns = columns_of(self.kind)
        example = EXAMPLE_ROWS[self.kind]
        yield Sheet(
            title=str(ImportKind(self.kind).label),
            header=[column.label for column in columns],
            rows=[[example[column.field] for column in columns]],
            widths=[max(14, len(column.label) + 4) for column in columns],
            freeze_header=True,
        )
        notes = COLUMN_NOTES[self.kind]
        yield Sheet(
            title="Columns",
            header=["Column", "Required", "Also recognised as", "What it holds"],
            rows=[
                [
                    column.label,
                    "yes" if column.required else "no",
                    ", ".join(name for name in column.synonyms if name != column.label),
                    notes[column.field],
                ]
                for column in columns
            ],
            widths=[18, 10, 60, 60],
            wrap_columns=frozenset({2, 3}),
        )


def expected_columns() -> list[dict]:
    """Each import's columns as the upload page lists them: label, required, the other names
    it is recognised by, and what it holds."""
    return [
        {
            "value": kind.value,
            "label": kind.label,
            "columns": [
                {
                    "label": column.label,
                    "required": column.required,
                    "others": [name for name in column.synonyms if name != column.label],
                    "note": COLUMN_NOTES[kind][column.field],
                }
                for column in columns_of(kind)
            ],
        }
        for kind in ImportKind
    ]

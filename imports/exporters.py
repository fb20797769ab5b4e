"""The error report of an import: the offending rows as they were in the file, each with its row
number and a column saying what is wrong, so HR can fix them in place and import again.

    report = RowErrorsExporter(run)
    report.xlsx()   # or report.csv(): ExportFile(filename, content_type, content)"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from core.exporters import Exporter, Sheet

from .models import ImportRun
from .readers import RowError

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

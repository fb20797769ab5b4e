"""Spreadsheet exports: an exporter is a header and a generator of rows from one shaped queryset;
the base writes them to a write-only openpyxl workbook (or CSV) and returns the file.

Cells that come from people's input and start with = + - @ (or a tab or carriage return) are
written as text, never as formulas, so a name like "=HYPERLINK(...)" cannot run in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, a header row, rows, and optional column widths (characters)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] = ()
    # Lines written above the header (e.g. the report's title and as-of date).
    preamble: Sequence[str] = ()


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _plain(value: object) -> object:
    """Values openpyxl writes natively; aware datetimes become local naive ones (Excel has no
    time zones)."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


class Exporter:
    """Subclasses set `filename` (without extension) and implement `sheets()`."""

    filename = "export"

    def sheets(self) -> Iterator[Sheet]:
        raise NotImplementedError

    def xlsx(self) -> ExportFile:
        workbook = Workbook(write_only=True)
        bold = Font(bold=True)
        for sheet in self.sheets():
            worksheet = workbook.create_sheet(title=sheet.title[:31])
            for index, width in enumerate(sheet.widths):
                worksheet.column_dimensions[get_column_letter(index + 1)].width = width
            for line in sheet.preamble:
                worksheet.append([self._cell(worksheet, line, font=bold)])
            if sheet.preamble:
                worksheet.append([])
            worksheet.append([self._cell(worksheet, name, font=bold) for name in sheet.header])
            for row in sheet.rows:
                worksheet.append([self._cell(worksheet, value) for value in row])
        stream = io.BytesIO()
        workbook.save(stream)
        return ExportFile(f"{self.filename}.xlsx", XLSX_CONTENT_TYPE, stream.getvalue())

    def csv(self) -> ExportFile:
        """The first sheet as CSV (UTF-8 with BOM, so Excel opens accents correctly)."""
        stream = io.StringIO()
        writer = csv.writer(stream)
        sheet = next(iter(self.sheets()))
        # A header may come from an uploaded file (an import's error report): guarded like rows.
        writer.writerow([f"'{name}" if is_formula_like(name) else name for name in sheet.header])
        for row in sheet.rows:
            writer.writerow(
                [f"'{value}" if is_formula_like(value) else _plain(value) for value in row]
            )
        return ExportFile(
            f"{self.filename}.csv", CSV_CONTENT_TYPE, ("\ufeff" + stream.getvalue()).encode()
        )

    @staticmethod
    def _cell(worksheet, value, *, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(worksheet, value=_plain(value))
        if is_formula_like(value):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

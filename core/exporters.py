"""Spreadsheet exports: an exporter is a header and a generator of rows from one shaped queryset;
the base writes them to a write-only openpyxl workbook (or CSV) and returns the file.

Cells that come from people's input and start with = + - @ (or a tab or carriage return) are
written as text, never as formulas, so a name like "=HYPERLINK(...)" cannot run in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TIME_FORMATS
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


BOLD = Font(bold=True)
# Printing: sheets wider than this many columns print landscape; a wrapped line's height (pt).
PORTRAIT_MAX_COLUMNS = 4
LINE_HEIGHT = 15
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Styled:
    """A value with its own look: a number format (e.g. "0.0%") and/or bold. Rows may mix these
    with plain values; CSV writes the value alone."""

    value: object
    number_format: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class Layout:
    """Where a sheet's table landed, 1-based, for what is added after its rows (charts,
    conditional formatting) to refer to."""

    header_row: int
    first_row: int
    last_row: int  # the last data row; header_row when there are none
    columns: int


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, a header row, rows, and optional column widths (characters).

    The rest is optional: number formats by column index (0-based) for the data rows, a frozen
    header (and first `freeze_columns` columns), an autofilter over the table, wrapped text in
    the header and some columns, and `finish(worksheet, layout)`, called after the rows, to add
    conditional formatting or charts."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] = ()
    # Lines written above the header (e.g. the report's title and as-of date).
    preamble: Sequence[str] = ()
    number_formats: Mapping[int, str] = field(default_factory=dict)
    freeze_header: bool = False
    freeze_columns: int = 0
    autofilter: bool = False
    wrap_columns: frozenset[int] = frozenset()
    wrap_header: bool = False
    finish: Callable[[object, Layout], None] | None = None


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _plain(value: object) -> object:
    """Values openpyxl writes natively; aware datetimes become local naive ones (Excel has no
    time zones)."""
    if isinstance(value, Styled):
        value = value.value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _format_shows(value: object, number_format: str | None) -> bool:
    """Whether a number format changes how a value shows: only numbers and dates have one, and
    not when it is the format openpyxl gives a date of that type anyway."""
    if number_format is None or value is None or isinstance(value, bool | str):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return number_format != TIME_FORMATS.get(type(value))
    return True


@dataclass(frozen=True)
class _ColumnSpec:
    """How a column's values are written: `as_is`, the types written as they are, without a
    look of their own (strings, unless formula-like)."""

    column: int
    as_is: frozenset[type]
    number_format: str | None
    wrap: bool

    @classmethod
    def of(cls, sheet: Sheet, column: int) -> _ColumnSpec:
        number_format, wrap = sheet.number_formats.get(column), column in sheet.wrap_columns
        if wrap:
            as_is: set[type] = set()  # even a blank cell gets the alignment
        elif number_format is None:
            # Not datetime (an aware one is converted), Decimal (made a float), time...
            as_is = {type(None), bool, int, float, str, dt.date}
        else:
            as_is = {type(None), bool, str}
            if number_format == TIME_FORMATS[dt.date]:
                as_is.add(dt.date)
        return cls(column, frozenset(as_is), number_format, wrap)


class _Looks:
    """The cells with a look of one sheet: one cell per column and look, given each row its
    value anew. A write-only sheet writes a row as it is appended, so the cell is free again by
    the next row; this spares a cell object and its style lookups per value (the Outstanding
    list's session starts, a hundred thousand of them in a district)."""

    def __init__(self, worksheet) -> None:
        self.worksheet = worksheet
        self.cells: dict[tuple, WriteOnlyCell] = {}
        self.local_times: dict[dt.datetime, dt.datetime] = {}

    def cell(
        self, value: object, *, column: int, number_format: str | None, wrap: bool
    ) -> WriteOnlyCell:
        font = None
        if isinstance(value, Styled):
            number_format = value.number_format or number_format
            font = BOLD if value.bold else None
            value = value.value
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            local = self.local_times.get(value)
            if local is None:
                local = self.local_times[value] = _plain(value)
            plain = local
        else:
            plain = _plain(value)
        number_format = number_format if value is not None else None
        key = (column, font, number_format, wrap, is_formula_like(value))
        cell = self.cells.get(key)
        if cell is None:
            cell = Exporter._cell(
                self.worksheet, value, font=font, number_format=number_format, wrap=wrap
            )
            self.cells[key] = cell
            return cell
        cell.value = plain
        if key[4]:
            cell.data_type = "s"
        return cell


class Exporter:
    """Subclasses set `filename` (without extension) and implement `sheets()`."""

    filename = "export"

    def sheets(self) -> Iterator[Sheet]:
        raise NotImplementedError

    def xlsx(self) -> ExportFile:
        workbook = Workbook(write_only=True)
        for sheet in self.sheets():
            self._write_sheet(workbook, sheet)
        stream = io.BytesIO()
        workbook.save(stream)
        return ExportFile(f"{self.filename}.xlsx", XLSX_CONTENT_TYPE, stream.getvalue())

    def _write_sheet(self, workbook: Workbook, sheet: Sheet) -> None:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        # A write-only sheet writes its widths and panes with the first row: set them first.
        for index, width in enumerate(sheet.widths):
            worksheet.column_dimensions[get_column_letter(index + 1)].width = width
        header_row = len(sheet.preamble) + (2 if sheet.preamble else 1)
        self._print_setup(worksheet, sheet, header_row)
        if sheet.freeze_header or sheet.freeze_columns:
            worksheet.freeze_panes = (
                f"{get_column_letter(sheet.freeze_columns + 1)}{header_row + 1}"
            )
        for line in sheet.preamble:
            worksheet.append([self._cell(worksheet, line, font=BOLD)])
        if sheet.preamble:
            worksheet.append([])
        worksheet.append(
            [
                self._cell(worksheet, name, font=BOLD, wrap=sheet.wrap_header)
                for name in sheet.header
            ]
        )
        last_row, columns = header_row, len(sheet.header)
        specs = [_ColumnSpec.of(sheet, index) for index in range(columns)]
        looks = _Looks(worksheet)
        for row in sheet.rows:
            if len(row) > len(specs):
                specs.extend(_ColumnSpec.of(sheet, index) for index in range(len(specs), len(row)))
            # Most values go in as they are (the comprehension's test); the rest
            # through _value_or_cell. Same cells either way, a fifth of the time.
            worksheet.append(
                [
                    value
                    if (kind := type(value)) in spec.as_is
                    and (kind is not str or not value.startswith(FORMULA_TRIGGERS))
                    else self._value_or_cell(
                        worksheet,
                        value,
                        number_format=spec.number_format,
                        wrap=spec.wrap,
                        looks=looks,
                        column=spec.column,
                    )
                    for value, spec in zip(row, specs, strict=False)
                ]
            )
            last_row += 1
            columns = max(columns, len(row))
        if sheet.autofilter and columns:
            worksheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{last_row}"
        if columns:
            # What is printed: the table, not the empty columns a program would add to it.
            worksheet.print_area = f"A1:{get_column_letter(columns)}{last_row}"
        if sheet.finish is not None:
            sheet.finish(
                worksheet,
                Layout(
                    header_row=header_row,
                    first_row=header_row + 1,
                    last_row=last_row,
                    columns=columns,
                ),
            )

    @staticmethod
    def _print_setup(worksheet, sheet: Sheet, header_row: int) -> None:
        """Every sheet prints: as wide as the page (as many pages down as it takes), landscape
        when it has more than a few columns, its header repeated on each page, and a wrapped
        header row tall enough for its longest heading (spreadsheet programs do not grow a
        row's height for wrapped text they did not edit themselves)."""
        worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        worksheet.page_setup.fitToWidth = 1
        worksheet.page_setup.fitToHeight = 0
        worksheet.page_setup.paperSize = Worksheet.PAPERSIZE_LETTER
        if len(sheet.header) > PORTRAIT_MAX_COLUMNS:
            worksheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        worksheet.print_options.gridLines = True
        worksheet.print_title_rows = f"{header_row}:{header_row}"
        if sheet.wrap_header and sheet.widths:
            lines = max(
                (
                    math.ceil(len(str(name)) / max(1, width - 1))
                    for name, width in zip(sheet.header, sheet.widths, strict=False)
                ),
                default=1,
            )
            worksheet.row_dimensions[header_row].height = LINE_HEIGHT * max(1, lines)

    def csv(self) -> ExportFile:
        """The first sheet as CSV (UTF-8 with BOM, so Excel opens accents correctly)."""
        stream = io.StringIO()
        writer = csv.writer(stream)
        sheet = next(iter(self.sheets()))
        # A header may come from an uploaded file (an import's error report): guarded like rows.
        writer.writerow([f"'{name}" if is_formula_like(name) else name for name in sheet.header])
        for row in sheet.rows:
            values = [value.value if isinstance(value, Styled) else value for value in row]
            writer.writerow(
                [f"'{value}" if is_formula_like(value) else _plain(value) for value in values]
            )
        return ExportFile(
            f"{self.filename}.csv", CSV_CONTENT_TYPE, ("\ufeff" + stream.getvalue()).encode()
        )

    @classmethod
    def _value_or_cell(
        cls,
        worksheet,
        value,
        *,
        number_format: str | None = None,
        wrap: bool = False,
        looks: _Looks | None = None,
        column: int = 0,
    ) -> object:
        """A value with no look of its own goes in as it is: openpyxl writes plain values
        without a cell object each (a cell object costs it an exception), which saves about a
        sixth of a district workbook's time (1.5 million cells). A cell is made where there is
        a look (bold, wrapping, a number format that changes how the value shows), or for the
        formula guard."""
        plain, shown_format, bold = value, number_format, False
        if isinstance(value, Styled):
            plain, bold = value.value, value.bold
            shown_format = value.number_format or number_format
        if bold or wrap or _format_shows(plain, shown_format) or is_formula_like(plain):
            if looks is not None:
                return looks.cell(value, column=column, number_format=number_format, wrap=wrap)
            return cls._cell(worksheet, value, number_format=number_format, wrap=wrap)
        return _plain(plain)

    @staticmethod
    def _cell(
        worksheet,
        value,
        *,
        font: Font | None = None,
        number_format: str | None = None,
        wrap: bool = False,
    ) -> WriteOnlyCell:
        """Every cell with a look, and every formula-like string, goes through here (plain values
        through _value_or_cell), so the formula guard holds for every sheet."""
        if isinstance(value, Styled):
            number_format = value.number_format or number_format
            font = BOLD if value.bold else font
            value = value.value
        cell = WriteOnlyCell(worksheet, value=_plain(value))
        if is_formula_like(value):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        if number_format is not None and value is not None:
            cell.number_format = number_format
        if wrap:
            cell.alignment = WRAP
        return cell

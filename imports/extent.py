"""Where a workbook's sheet really ends, read from the file itself in bounded memory.

The reader's child process (imports/workbook_child.py) refuses a sheet whose used area is too
large, or dies trying to allocate it. To tell the person which cell to delete, this module walks
the sheet's XML as a stream, keeping only the farthest cells seen: memory follows the chunk
read, never the sheet's size. It covers the two XML formats (xlsx and ods), where a far cell
costs a few bytes; an .xls sheet cannot reach past IV65536, which the reader can hold, and .xlsb
is named by the used area the reader reported."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.parsers import expat

from .workbook_child import column_letter

CHUNK_BYTES = 1024 * 1024

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

# A row or cell start tag of SpreadsheetML, with or without a namespace prefix.
XLSX_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*?)(/?)>")
XLSX_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
XLSX_ROW = re.compile(rb'\br="([0-9]{1,7})"')


@dataclass(frozen=True)
class FarCells:
    """The used area's last row and column (1-based) and the cells that reach them: the
    lowest cell (the rightmost of its row) and the rightmost cell (the highest of its column),
    one name when they are the same cell."""

    last_row: int
    last_column: int
    cells: tuple[str, ...]


def cell_name(row: int, column: int) -> str:
    """(1048576, 16384) -> "XFD1048576"."""
    return f"{column_letter(column - 1)}{row}"


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


class _Farthest:
    def __init__(self) -> None:
        self.lowest = (0, 0)  # (row, column), the greatest row, then column
        self.rightmost = (0, 0)  # (column, -row): the greatest column, then the least row

    def see(self, row: int, column: int) -> None:
        if (row, column) > self.lowest:
            self.lowest = (row, column)
        if (column, -row) > self.rightmost:
            self.rightmost = (column, -row)

    def result(self) -> FarCells | None:
        if not self.lowest[0]:
            return None
        lowest = cell_name(*self.lowest)
        rightmost = cell_name(-self.rightmost[1], self.rightmost[0])
        cells = (lowest,) if lowest == rightmost else (lowest, rightmost)
        return FarCells(last_row=self.lowest[0], last_column=self.rightmost[0], cells=cells)


def far_cells(data: bytes, fmt: str, *, sheet: str | None = None) -> FarCells | None:
    """The farthest cells holding something in a sheet (the named one, else the first visible
    worksheet), or None when the format is not one this reads or the file cannot be walked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if fmt == "xlsx":
            path = _xlsx_sheet_path(archive, sheet)
            return _xlsx_far_cells(archive, path) if path else None
        if fmt == "ods":
            return _ods_far_cells(archive, sheet)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, ElementTree.ParseError):
        return None
    except expat.ExpatError:
        return None
    return None


def _xlsx_sheet_path(archive: zipfile.ZipFile, sheet: str | None) -> str | None:
    # workbook.xml and its relationships are small: the sheets' names, states and parts.
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iter(f"{{{PACKAGE_RELATIONSHIP_NS}}}Relationship")
    }
    chosen = None
    for element in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets.get(element.get(f"{{{RELATIONSHIP_NS}}}id"), "")
        if sheet is not None:
            if element.get("name") == sheet:
                chosen = target
                break
        elif "worksheets/" in target and element.get("state", "visible") == "visible":
            chosen = target
            break
    if not chosen:
        return None
    return chosen.lstrip("/") if chosen.startswith("/") else f"xl/{chosen}"


def _xlsx_far_cells(archive: zipfile.ZipFile, path: str) -> FarCells | None:
    farthest = _Farthest()
    row = column = 0
    carry = b""
    with archive.open(path) as stream:
        while True:
            chunk = stream.read(CHUNK_BYTES)
            text = carry + chunk
            # A tag cut by the chunk's end is read whole with the next chunk.
            cut = text.rfind(b"<") if chunk else len(text)
            cut = len(text) if cut < 0 else cut
            for match in XLSX_TAG.finditer(text, 0, cut):
                kind, attributes, empty = match.groups()
                if kind == b"row":
                    number = XLSX_ROW.search(attributes)
                    row = int(number.group(1)) if number else row + 1
                    column = 0
                    continue
                ref = XLSX_REF.search(attributes)
                if ref:
                    column, row = column_number(ref.group(1)), int(ref.group(2))
                else:
                    column += 1
                if not empty:
                    farthest.see(row, column)
            carry = text[cut:]
            if not chunk:
                break
    return farthest.result()


def _ods_far_cells(archive: zipfile.ZipFile, sheet: str | None) -> FarCells | None:
    farthest = _Farthest()
    table_tag = f"{TABLE_NS} table"
    row_tag = f"{TABLE_NS} table-row"
    cell_tags = {f"{TABLE_NS} table-cell", f"{TABLE_NS} covered-table-cell"}
    value_type = f"{OFFICE_NS} value-type"
    rows_repeated = f"{TABLE_NS} number-rows-repeated"
    columns_repeated = f"{TABLE_NS} number-columns-repeated"
    state = {"in_table": False, "done": False, "row": 0, "row_repeat": 1, "column": 0}
    cell: dict = {}

    def start(tag, attributes):
        if state["done"]:
            return
        if tag == table_tag:
            name = attributes.get(f"{TABLE_NS} name")
            state["in_table"] = sheet is None or name == sheet
            return
        if not state["in_table"]:
            return
        if tag == row_tag:
            state["row_repeat"] = int(attributes.get(rows_repeated, "1"))
            state["column"] = 0
        elif tag in cell_tags:
            cell["repeat"] = int(attributes.get(columns_repeated, "1"))
            cell["value"] = value_type in attributes
        elif tag.startswith(TEXT_NS) and cell:
            cell["value"] = True

    def end(tag):
        if state["done"] or not state["in_table"]:
            return
        if tag in cell_tags and cell:
            first = state["column"] + 1
            state["column"] += cell["repeat"]
            if cell["value"]:
                # A repeated value fills every cell of the run, in every repeated row.
                farthest.see(state["row"] + 1, first)
                farthest.see(state["row"] + state["row_repeat"], state["column"])
            cell.clear()
        elif tag == row_tag:
            state["row"] += state["row_repeat"]
        elif tag == table_tag:
            state["done"] = True

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with archive.open("content.xml") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            parser.Parse(chunk, False)
            if state["done"]:
                break
        else:
            parser.Parse(b"", True)
    return farthest.result()

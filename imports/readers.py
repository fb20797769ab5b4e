"""Reading an import file into a `Table`: the first pass of every import (read, validate, write).

    table = read_table(upload, file_name="roster.xlsx", columns=ROSTER_COLUMNS)
    for row in table.rows:
        table.value(row, "email"), row.number      # trimmed text, the row number Excel shows

What is read:

- CSV in UTF-8, UTF-8 with a byte-order mark, UTF-16 with a byte-order mark (Excel's "Unicode
  text") or Windows-1252 (Excel's default "CSV"), decided per file: strict UTF-8 first, else
  Windows-1252. A file mixing both is refused rather than read with garbled names. The delimiter
  is sniffed among comma, semicolon and tab; quoted fields may hold line breaks (a record is one
  row, as Excel shows it).
- XLSX, XLSB, XLS and ODS through python-calamine, in a child process with a memory and time
  limit (imports/workbook_child.py): the first visible sheet, or a named one. A sheet whose
  cells in use reach too far (a stray value at XFD1048576 would have the reader allocate the
  whole sheet) is refused naming the far cell (imports/extent.py finds it in the file).
  Formula cells give the value the spreadsheet saved with them; nothing is evaluated. A number
  becomes text the way a person reads it ("1234", never "1234.0"); text cells keep leading
  zeros. Date cells become ISO dates ("2019-08-20"); a date typed as a plain number stays an
  Excel serial ("43697"), which `imports.values.parse_date` understands.

The format comes from the content (zip, OLE2, PDF, text), never from the file name alone, so a
PDF or random bytes renamed .xlsx, an encrypted or damaged workbook, a zip bomb, an empty file,
a file with a header and no rows, or one with no recognizable columns is refused with an
`UnreadableFile` whose message says what is wrong in plain words. Limits (settings):
IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, IMPORT_MAX_UNCOMPRESSED_BYTES, IMPORT_MAX_SHEET_ROWS,
IMPORT_MAX_SHEET_COLUMNS, IMPORT_MAX_SHEET_CELLS, IMPORT_READER_MEMORY_MB and
IMPORT_READER_SECONDS.

The header is the first of the first HEADER_SEARCH_ROWS non-blank rows that names recognizable
columns (exports often carry a title or blank rows above it). Names match case-, space-,
accent- and punctuation-insensitively ("E-mail" = "email" = "EMAIL"), with each importer's
synonyms (`Column`); an explicit mapping {"Column as found": "field"} overrides them. Blank rows
are skipped; every other row keeps the number the spreadsheet shows for it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import marshal
import os
import re
import subprocess
import sys
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, compress, islice
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from django.conf import settings

from . import workbook_child
from .extent import FarCells, far_cells
from .workbook_child import column_letter

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 20
# The workbook reader's child process: its script, and how many rows each message carries.
CHILD_SCRIPT = workbook_child.__file__
CHILD_CHUNK_ROWS = 5000
# How long past IMPORT_READER_SECONDS of CPU time the child may take in all before it is killed.
CHILD_GRACE_SECONDS = 5
CSV_DELIMITERS = (",", ";", "\t")
# Rows the delimiter sniffer looks at.
SNIFF_RECORDS = 50

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF"
# An encrypted Office 2007+ file is an OLE2 container holding these streams (MS-OFFCRYPTO).
ENCRYPTED_OLE2_STREAMS = (
    "EncryptedPackage".encode("utf-16-le"),
    "EncryptionInfo".encode("utf-16-le"),
)
# Two- and three-byte UTF-8 sequences: in a file that is not valid UTF-8 as a whole, they mean
# part of it was saved as UTF-8 and part as something else.
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")

FORMAT_NAMES = {
    "csv": "CSV text",
    "xlsx": "Excel workbook (.xlsx)",
    "xlsb": "Excel binary workbook (.xlsb)",
    "xls": "Excel 97-2003 workbook (.xls)",
    "ods": "OpenDocument spreadsheet (.ods)",
}
WORKBOOK_FORMATS = ("xlsx", "xlsb", "xls", "ods")

# Messages: templates the tests assert on.
MSG_EMPTY = "{name} is empty."
MSG_TOO_LARGE = "{name} is {size}; files up to {limit} can be imported."
MSG_TOO_LARGE_STREAM = "{name} is larger than the {limit} that can be imported."
MSG_TOO_MANY_ROWS = (
    "{name} has more than {limit:,} rows of data; split it into files of at most {limit:,} rows."
)
MSG_ZIP_BOMB = (
    "{name} would unpack to {size}, more than the {limit} a workbook may hold; it is refused "
    "unopened."
)
MSG_ENCRYPTED = (
    "{name} is protected with a password. Open it in Excel, remove the password (File > Info > "
    "Protect Workbook), save it and import it again."
)
MSG_CORRUPT = (
    "{name} looks like {kind} but cannot be read: it may be damaged or only partly downloaded. "
    "Open it in Excel and save it again, or export it again."
)
MSG_PDF = (
    "{name} is a PDF document, not a spreadsheet. Export the list as CSV or as an Excel or "
    "OpenDocument workbook (.xlsx, .xls, .ods)."
)
MSG_HTML = (
    "{name} is a web page (HTML), not a spreadsheet, even if its name says otherwise. Open it in "
    "Excel and save it as .xlsx or CSV."
)
MSG_XML = (
    "{name} is an XML file (perhaps an Excel 2003 XML spreadsheet), which cannot be read. Open "
    "it in Excel and save it as .xlsx or CSV."
)
MSG_OTHER_ZIP = (
    "{name} is a zip archive but not a spreadsheet workbook. Import the .xlsx, .xls, .ods or "
    "CSV file itself."
)
MSG_BINARY = (
    "{name} is not a spreadsheet: it is neither an Excel or OpenDocument workbook nor a CSV "
    "text file."
)
MSG_MIXED_ENCODING = (
    "{name} mixes two text encodings (UTF-8 and Windows-1252), so some names would come out "
    'garbled. Open it in Excel and save it again as "CSV UTF-8".'
)
MSG_NOT_TEXT = (
    "{name} is not in a text encoding that can be read (UTF-8 or Windows-1252). Save it again "
    'as "CSV UTF-8".'
)
MSG_NO_SHEETS = "{name} has no worksheets."
MSG_SHEET_NOT_FOUND = '{name} has no sheet named "{sheet}"; its sheets are: {sheets}.'
MSG_SHEET_EMPTY = 'The sheet "{sheet}" of {name} is empty.'
MSG_NO_HEADER = (
    "No recognizable column names in the first {rows} rows of {name}. Columns found: {found}. "
    "Expected names such as: {expected}. Rename the columns, or give a column mapping."
)
MSG_MISSING_COLUMNS = (
    "{name} has no column for {missing}. Columns found: {found}. Rename the columns, or give a "
    "column mapping."
)
MSG_AMBIGUOUS_COLUMNS = (
    '{name} has more than one column named "{column}" (columns {letters}); give a column '
    "mapping to say which to use."
)
MSG_HEADER_ONLY = "{name} has a header row but no rows of data below it."
MSG_MAPPING_UNKNOWN_FIELD = (
    'The column mapping names an unknown field "{field}"; the fields are: {fields}.'
)
MSG_MAPPING_UNKNOWN_COLUMN = (
    'The column mapping names a column "{column}" that is not in {name}. Columns found: {found}.'
)
MSG_MAPPING_TWICE = 'The column mapping gives the field "{field}" to more than one column.'
MSG_SHEET_TOO_FAR = (
    "{name} has a value in cell {cells}, far beyond where a roster's data ends (a sheet may "
    "reach row {max_rows:,}, {max_columns:,} columns and {max_cells:,} cells in all). It is "
    "probably a stray entry: open the file, press Ctrl+End to go to the last cell in use, "
    "delete it (or the empty rows and columns up to it), save and import again."
)
MSG_SHEET_TOO_FAR_AREA = (
    "{name} has a sheet whose cells in use reach cell {columns}{rows} (row {rows:,}, column "
    "{columns}), far beyond where a roster's data ends (a sheet may reach row {max_rows:,}, "
    "{max_columns:,} columns and {max_cells:,} cells in all). It probably holds a stray entry: "
    "open the file, press Ctrl+End to go to the last cell in use, delete it (or the empty rows "
    "and columns up to it), save and import again."
)
MSG_READER_LIMIT = (
    "{name} could not be read within the {memory_mb:,} MB of memory and {seconds} seconds a "
    "workbook may take. If the sheet holds a stray value far below or to the right of the "
    "data, press Ctrl+End in Excel to find it, delete it, save and import again; otherwise "
    "split the file or save it as CSV."
)
MSG_BAD_CSV = "{name} cannot be read as CSV: {error}."


# What a character that cannot be kept is read as.
UNREADABLE = "\ufffd"


class UnreadableFile(Exception):
    """The file cannot be imported at all: nothing in it was checked and nothing was written.

    `message` is plain words for the person who uploaded the file; `code` is stable for the API
    (empty, too_large, too_many_rows, zip_bomb, encrypted, corrupt, not_a_spreadsheet, encoding,
    sheet_not_found, sheet_too_large, no_header, missing_columns, ambiguous_columns,
    header_only, bad_mapping).
    `file` is what is known of the file; `run` is the refused ImportRun when a service recorded
    one."""

    def __init__(self, message: str, *, code: str, file: SourceFile | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.file = file
        self.run = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Column:
    """A field an importer reads: its name in the code, its label for people, the header names
    it goes by in files (in order of preference: when a file has two of them, the earlier one
    is used), and whether a file without it is unusable."""

    field: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        names = (normalize_header(name) for name in (*self.synonyms, self.label))
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class SourceFile:
    """What is recorded of an imported file. `sha256` is empty when the file was refused before
    it was read (over the size limit)."""

    name: str
    size: int
    sha256: str


class Row(NamedTuple):
    """One data row: its number as the spreadsheet shows it (1-based) and its trimmed cells.
    A named tuple: a file holds up to IMPORT_MAX_ROWS of them."""

    number: int
    cells: tuple[str, ...]


# A Row from a (number, cells) pair, made in C: Row(*pair) runs the named tuple's Python
# __new__, a tenth of a second for every 100,000 rows.
_make_row = partial(tuple.__new__, Row)


@dataclass(frozen=True)
class RowError:
    """A problem with one value: the row number as the spreadsheet shows it, the column as named
    in the file, the value as found and a plain message."""

    row: int
    column: str
    value: str
    message: str
    field: str = ""

    def __str__(self) -> str:
        where = f'Row {self.row}, column "{self.column}"' if self.column else f"Row {self.row}"
        if self.value:
            return f'{where} ("{self.value}"): {self.message}'
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> RowError:
        return cls(
            row=data["row"],
            column=data.get("column", ""),
            value=data.get("value", ""),
            message=data["message"],
            field=data.get("field", ""),
        )


@dataclass
class Table:
    """A file's data: its header as found, the data rows (blank ones skipped), and which column
    holds which field (`columns`: field -> index into each row's cells)."""

    file: SourceFile
    format: str
    sheet: str | None
    header: tuple[str, ...]
    header_row: int
    columns: dict[str, int]
    rows: list[Row] = field(default_factory=list)

    def has(self, field_name: str) -> bool:
        return field_name in self.columns

    def value(self, row: Row, field_name: str) -> str:
        """The trimmed text of a field in a row; "" when blank or when the file has no such
        column."""
        index = self.columns.get(field_name)
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index]

    def column_name(self, field_name: str) -> str:
        """The header of the column holding a field, as written in the file."""
        index = self.columns.get(field_name)
        return "" if index is None else self.header[index]

    @property
    def used_columns(self) -> dict[str, str]:
        """field -> the column name as found, in file order."""
        return {
            name: self.header[index]
            for name, index in sorted(self.columns.items(), key=lambda item: item[1])
        }

    @property
    def unused_columns(self) -> list[str]:
        used = set(self.columns.values())
        return [name for index, name in enumerate(self.header) if name and index not in used]


# Header names


def normalize_header(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a column name:
    "E-mail Address" -> "emailaddress"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum() and char.isascii())


# Reading the bytes


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def load_source(
    source: str | os.PathLike | bytes | BinaryIO,
    *,
    file_name: str | None = None,
    max_bytes: int | None = None,
) -> tuple[SourceFile, bytes]:
    """The bytes of a path, a bytes object or a file-like object (an uploaded file), refused
    beyond IMPORT_MAX_BYTES without reading further."""
    limit = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = file_name or "upload"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = file_name or path.name
        size = path.stat().st_size
        if size > limit:
            raise UnreadableFile(
                MSG_TOO_LARGE.format(name=name, size=_size(size), limit=_size(limit)),
                code="too_large",
                file=SourceFile(name, size, ""),
            )
        data = path.read_bytes()
    else:
        name = file_name or Path(getattr(source, "name", "") or "upload").name
        size = getattr(source, "size", None)
        if not isinstance(size, int) and hasattr(source, "seek") and hasattr(source, "tell"):
            size = source.seek(0, io.SEEK_END)
        if isinstance(size, int) and size > limit:
            raise UnreadableFile(
                MSG_TOO_LARGE.format(name=name, size=_size(size), limit=_size(limit)),
                code="too_large",
                file=SourceFile(name, size, ""),
            )
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(
            MSG_TOO_LARGE_STREAM.format(name=name, limit=_size(limit)),
            code="too_large",
            file=SourceFile(name, len(data), ""),
        )
    return SourceFile(name, len(data), hashlib.sha256(data).hexdigest()), data


def detect_format(data: bytes, *, name: str = "The file") -> str:
    """csv, xlsx, xlsb, xls or ods, from the content; anything else is refused."""
    if not data.strip():
        raise UnreadableFile(MSG_EMPTY.format(name=name), code="empty")
    if data.startswith(PDF_MAGIC):
        raise UnreadableFile(MSG_PDF.format(name=name), code="not_a_spreadsheet")
    if data.startswith(ZIP_MAGIC):
        return _zip_format(data, name=name)
    if data.startswith(OLE2_MAGIC):
        if any(stream in data for stream in ENCRYPTED_OLE2_STREAMS):
            raise UnreadableFile(MSG_ENCRYPTED.format(name=name), code="encrypted")
        return "xls"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in data[:65536]:
        raise UnreadableFile(MSG_BINARY.format(name=name), code="not_a_spreadsheet")
    start = data[:1024].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise UnreadableFile(MSG_HTML.format(name=name), code="not_a_spreadsheet")
    if start.startswith(b"<?xml"):
        raise UnreadableFile(MSG_XML.format(name=name), code="not_a_spreadsheet")
    return "csv"


def _member_start(archive: zipfile.ZipFile, member: str, size: int, *, name: str) -> bytes:
    """The first `size` bytes of a small member, b"" when there is no such member."""
    if member not in archive.NameToInfo:
        return b""
    try:
        with archive.open(member) as stream:
            return stream.read(size)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
        raise UnreadableFile(
            MSG_CORRUPT.format(name=name, kind="a workbook"), code="corrupt"
        ) from None


def _zip_format(data: bytes, *, name: str) -> str:
    """xlsx, xlsb or ods, after checking what the members would unpack to. The sizes are the
    ones the archive declares; nothing is decompressed here."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UnreadableFile(
            MSG_CORRUPT.format(name=name, kind="a workbook"), code="corrupt"
        ) from None
    unpacked = sum(member.file_size for member in members)
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    if unpacked > limit:
        raise UnreadableFile(
            MSG_ZIP_BOMB.format(name=name, size=_size(unpacked), limit=_size(limit)),
            code="zip_bomb",
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise UnreadableFile(MSG_ENCRYPTED.format(name=name), code="encrypted")
    names = {member.filename for member in members}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names:
        mimetype = _member_start(archive, "mimetype", 100, name=name)
        if not mimetype or b"opendocument.spreadsheet" in mimetype:
            # A password-protected OpenDocument file lists how each member is encrypted.
            manifest = _member_start(archive, "META-INF/manifest.xml", 1024 * 1024, name=name)
            if b"encryption-data" in manifest:
                raise UnreadableFile(MSG_ENCRYPTED.format(name=name), code="encrypted")
            return "ods"
    raise UnreadableFile(MSG_OTHER_ZIP.format(name=name), code="not_a_spreadsheet")


# CSV


def decode_text(data: bytes, *, name: str = "The file") -> tuple[str, str]:
    """(text, encoding): UTF-16 when it says so with a byte-order mark, UTF-8 (with or without a
    byte-order mark) when the whole file is valid UTF-8, else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFile(MSG_NOT_TEXT.format(name=name), code="encoding") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if UTF8_SEQUENCE.search(data):
        raise UnreadableFile(MSG_MIXED_ENCODING.format(name=name), code="encoding")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise UnreadableFile(MSG_NOT_TEXT.format(name=name), code="encoding") from None


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first records into the most rows of one common width
    (more than one column); a comma when nothing tells them apart."""
    best, best_score = ",", (0, 0)
    for delimiter in CSV_DELIMITERS:
        widths: dict[int, int] = {}
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for index, record in enumerate(reader):
                if index >= SNIFF_RECORDS:
                    break
                if any(cell.strip() for cell in record):
                    widths[len(record)] = widths.get(len(record), 0) + 1
        except csv.Error:
            continue
        common = [(count, width) for width, count in widths.items() if width > 1]
        score = max(common, default=(0, 0))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(text: str, *, name: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    # A NUL character (UTF-16 files, or past the start the binary check reads) cannot be stored
    # anywhere, not even in the run's error report: it becomes the replacement character, which
    # the importers refuse in any cell, naming its row and column.
    text = text.replace("\x00", UNREADABLE)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    max_columns = settings.IMPORT_MAX_SHEET_COLUMNS
    try:
        for number, record in enumerate(reader, start=1):
            cells = [cell.strip() for cell in record]
            if len(cells) > max_columns:
                # The same limit as a workbook's: trailing empty fields are only separators.
                while cells and not cells[-1]:
                    cells.pop()
                if len(cells) > max_columns:
                    cell = f"{column_letter(len(cells) - 1)}{number}"
                    raise UnreadableFile(
                        MSG_SHEET_TOO_FAR.format(name=name, cells=cell, **_sheet_limits()),
                        code="sheet_too_large",
                    )
            yield number, tuple(cells)
    except csv.Error as error:
        raise UnreadableFile(
            MSG_BAD_CSV.format(name=name, error=error), code="not_a_spreadsheet"
        ) from None


# Workbooks


def _reader_options(sheet: str | None) -> dict:
    return {
        "sheet": sheet,
        "memory_bytes": settings.IMPORT_READER_MEMORY_MB * 1024 * 1024,
        "cpu_seconds": settings.IMPORT_READER_SECONDS,
        "max_rows": settings.IMPORT_MAX_SHEET_ROWS,
        "max_columns": settings.IMPORT_MAX_SHEET_COLUMNS,
        "max_cells": settings.IMPORT_MAX_SHEET_CELLS,
        "chunk_rows": CHILD_CHUNK_ROWS,
    }


def _sheet_limits() -> dict:
    return dict(
        max_rows=settings.IMPORT_MAX_SHEET_ROWS,
        max_columns=settings.IMPORT_MAX_SHEET_COLUMNS,
        max_cells=settings.IMPORT_MAX_SHEET_CELLS,
    )


def _far_cell_refusal(
    data: bytes, fmt: str, *, name: str, sheet: str | None
) -> UnreadableFile | None:
    """The refusal naming the cells past a limit, when the file's own cells reach past one."""
    found = far_cells(data, fmt, sheet=sheet)
    if found is None or not _beyond_limits(found.last_row, found.last_column):
        return None
    cells = " and ".join(_cells_beyond_limits(found))
    return UnreadableFile(
        MSG_SHEET_TOO_FAR.format(name=name, cells=cells, **_sheet_limits()),
        code="sheet_too_large",
    )


def _too_far(data: bytes, fmt: str, *, name: str, sheet: str | None, used: tuple | None):
    """The refusal of a sheet that reaches too far, naming the far cell when the file tells (the
    used area the reader reported, when it got that far, otherwise); when neither reaches past
    a limit, the reader ran out of its memory or time for another reason, and says so."""
    refusal = _far_cell_refusal(data, fmt, name=name, sheet=sheet)
    if refusal is not None:
        return refusal
    if used and _beyond_limits(*used):
        return UnreadableFile(
            MSG_SHEET_TOO_FAR_AREA.format(
                name=name, rows=used[0], columns=column_letter(used[1] - 1), **_sheet_limits()
            ),
            code="sheet_too_large",
        )
    return UnreadableFile(
        MSG_READER_LIMIT.format(
            name=name,
            memory_mb=settings.IMPORT_READER_MEMORY_MB,
            seconds=settings.IMPORT_READER_SECONDS,
        ),
        code="sheet_too_large",
    )


class _WorkbookChild:
    """The child process reading one workbook (imports/workbook_child.py): its sheet's name,
    then its non-blank rows as they arrive. Its death, by a signal, a limit or a timeout,
    becomes an UnreadableFile; the child never outlives the read."""

    def __init__(self, data: bytes, fmt: str, *, name: str, sheet: str | None):
        self.data, self.fmt, self.name, self.wanted = data, fmt, name, sheet
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-I", CHILD_SCRIPT],
            # A native reader's panic or allocation failure says one line, not a backtrace.
            env={**os.environ, "RUST_BACKTRACE": "0"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            close_fds=True,
        )
        # The wall-clock limit: the CPU limit in the child does not count time spent waiting.
        self.timer = threading.Timer(
            settings.IMPORT_READER_SECONDS + CHILD_GRACE_SECONDS, self.process.kill
        )
        self.timer.daemon = True
        self.timer.start()
        try:
            marshal.dump(_reader_options(sheet), self.process.stdin)
            self.process.stdin.write(data)
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the child died at once: its exit status says why, in _frame
        self.sheet = self._open()

    def _frame(self) -> tuple:
        stream = self.process.stdout
        size = int.from_bytes(stream.read(8) or b"\0", "little")
        body = stream.read(size) if size else b""
        if not size or len(body) != size:
            raise self._died()
        try:
            return marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            raise self._died() from None

    def _died(self) -> UnreadableFile:
        status = self.close()
        self.errors.seek(0)
        # The native reader's own first line says why ("memory allocation of ... failed").
        detail = self.errors.read(1000).decode("utf-8", "replace").strip().partition("\n")[0]
        self.errors.close()
        logger.warning(
            "The workbook reader's child process for %s ended with status %s: %s",
            self.name,
            status,
            detail or "(nothing written)",
        )
        return _too_far(self.data, self.fmt, name=self.name, sheet=self.wanted, used=None)

    def _refusal(self, code: str, detail) -> UnreadableFile:
        self.close()
        name = self.name
        if code == "encrypted":
            return UnreadableFile(MSG_ENCRYPTED.format(name=name), code="encrypted")
        if code == "no_sheets":
            return UnreadableFile(MSG_NO_SHEETS.format(name=name), code="corrupt")
        if code == "sheet_not_found":
            return UnreadableFile(
                MSG_SHEET_NOT_FOUND.format(name=name, sheet=self.wanted, sheets=", ".join(detail)),
                code="sheet_not_found",
            )
        if code == "too_far":
            return _too_far(self.data, self.fmt, name=name, sheet=self.sheet, used=detail)
        # A far cell can make a reader give up on a file that is not damaged (calamine refuses
        # an .ods sheet with a million repeated rows): say so rather than call it damaged.
        return _far_cell_refusal(
            self.data, self.fmt, name=name, sheet=self.wanted
        ) or UnreadableFile(
            MSG_CORRUPT.format(name=name, kind=f"an {FORMAT_NAMES[self.fmt]}"), code="corrupt"
        )

    def _open(self) -> str:
        frame = self._frame()
        if frame[0] == "error":
            raise self._refusal(frame[1], frame[2])
        self.sheet = frame[1]
        return frame[1]

    def chunks(self) -> Iterator[list[tuple[int, tuple[str, ...]]]]:
        """The sheet's non-blank rows as (number, cells) pairs, in the chunks the child sent."""
        try:
            while True:
                frame = self._frame()
                if frame[0] == "rows":
                    yield frame[1]
                elif frame[0] == "done":
                    return
                else:
                    raise self._refusal(frame[1], frame[2])
        finally:
            self.close()

    def close(self) -> int | None:
        self.timer.cancel()
        if self.process.poll() is None:
            self.process.kill()
        status = self.process.wait()
        self.process.stdout.close()
        return status


def _cells_beyond_limits(found: FarCells) -> tuple[str, ...]:
    """Of the lowest and the rightmost cell, those that reach past a limit on their own; both
    when only the area they span together is too large."""
    lowest, rightmost = found.cells[0], found.cells[-1]
    beyond = []
    if found.last_row > settings.IMPORT_MAX_SHEET_ROWS:
        beyond.append(lowest)
    if found.last_column > settings.IMPORT_MAX_SHEET_COLUMNS and rightmost not in beyond:
        beyond.append(rightmost)
    return tuple(beyond) or found.cells


def _beyond_limits(last_row: int, last_column: int) -> bool:
    return (
        last_row > settings.IMPORT_MAX_SHEET_ROWS
        or last_column > settings.IMPORT_MAX_SHEET_COLUMNS
        or last_row * last_column > settings.IMPORT_MAX_SHEET_CELLS
    )


# Header and table


def _blank(cells: Sequence[str]) -> bool:
    return not any(cells)


def _quoted(names: Iterable[str]) -> str:
    names = [f'"{name}"' for name in names if name]
    return ", ".join(names) if names else "none"


def _recognized(cells: Sequence[str], keys: set[str]) -> int:
    return sum(1 for cell in cells if cell and normalize_header(cell) in keys)


def _resolve_columns(
    header: Sequence[str],
    columns: Sequence[Column],
    mapping: Mapping[str, str] | None,
    *,
    name: str,
) -> dict[str, int]:
    normalized = [normalize_header(cell) for cell in header]
    fields = {column.field for column in columns}
    resolved: dict[str, int] = {}
    taken: set[int] = set()
    for column_name, field_name in (mapping or {}).items():
        field_name = (field_name or "").strip()
        if field_name and field_name not in fields:
            raise UnreadableFile(
                MSG_MAPPING_UNKNOWN_FIELD.format(
                    field=field_name, fields=", ".join(column.field for column in columns)
                ),
                code="bad_mapping",
            )
        key = normalize_header(column_name)
        matches = [index for index, cell in enumerate(normalized) if cell and cell == key]
        if not matches:
            raise UnreadableFile(
                MSG_MAPPING_UNKNOWN_COLUMN.format(
                    column=column_name, name=name, found=_quoted(header)
                ),
                code="bad_mapping",
            )
        taken.update(matches)
        if not field_name:
            continue  # mapped to nothing: the column is ignored
        if field_name in resolved or len(matches) > 1:
            if len(matches) > 1:
                raise UnreadableFile(
                    MSG_AMBIGUOUS_COLUMNS.format(
                        name=name,
                        column=header[matches[0]],
                        letters=", ".join(column_letter(index) for index in matches),
                    ),
                    code="ambiguous_columns",
                )
            raise UnreadableFile(MSG_MAPPING_TWICE.format(field=field_name), code="bad_mapping")
        resolved[field_name] = matches[0]
    for column in columns:
        if column.field in resolved:
            continue
        for key in column.keys:
            matches = [
                index for index, cell in enumerate(normalized) if cell == key and index not in taken
            ]
            if len(matches) > 1:
                raise UnreadableFile(
                    MSG_AMBIGUOUS_COLUMNS.format(
                        name=name,
                        column=header[matches[0]],
                        letters=", ".join(column_letter(index) for index in matches),
                    ),
                    code="ambiguous_columns",
                )
            if matches:
                resolved[column.field] = matches[0]
                taken.add(matches[0])
                break
    missing = [column for column in columns if column.required and column.field not in resolved]
    if missing:
        described = "; ".join(
            f"{column.label} (named e.g. {_quoted(column.synonyms[:4])})" for column in missing
        )
        raise UnreadableFile(
            MSG_MISSING_COLUMNS.format(name=name, missing=described, found=_quoted(header)),
            code="missing_columns",
        )
    return resolved


def _chunked(rows: Iterable) -> Iterator[list]:
    rows = iter(rows)
    while chunk := list(islice(rows, CHILD_CHUNK_ROWS)):
        yield chunk


def _non_blank(chunk: Sequence[tuple[int, Sequence[str]]]) -> Iterator:
    """The pairs whose cells are not all blank, picked in C."""
    return compress(chunk, map(any, map(itemgetter(1), chunk)))


def table_from_chunks(
    chunks: Iterable[Sequence[tuple[int, Sequence[str]]]],
    *,
    file: SourceFile,
    columns: Sequence[Column],
    fmt: str = "csv",
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> Table:
    """A Table from rows in chunks (lists of (number, cells) pairs, cells as tuples): finds the
    header, maps the columns, keeps the non-blank rows below it, and refuses beyond max_rows
    (IMPORT_MAX_ROWS). Below the header each chunk becomes Rows without a Python step per row,
    which is most of what reading 100,000 rows costs once the reader is done."""
    limit = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    name = file.name
    keys = {key for column in columns for key in column.keys}
    keys.update(normalize_header(column_name) for column_name in (mapping or {}))
    needed = 1 if len(columns) == 1 else 2
    chunks = iter(chunks)
    seen: list[tuple[int, Sequence[str]]] = []
    header: tuple[int, Sequence[str]] | None = None
    rest: list = []
    for chunk in chunks:
        for at, (number, cells) in enumerate(chunk):
            if _blank(cells):
                continue
            if _recognized(cells, keys) >= min(needed, len(keys)):
                header = (number, cells)
                rest = chunk[at + 1 :]
                break
            seen.append((number, cells))
            if len(seen) >= HEADER_SEARCH_ROWS:
                break
        if header is not None or len(seen) >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if not seen:
            raise UnreadableFile(MSG_EMPTY.format(name=name), code="empty")
        widest = max(seen, key=lambda item: sum(1 for cell in item[1] if cell))[1]
        expected = ", ".join(column.label for column in columns)
        raise UnreadableFile(
            MSG_NO_HEADER.format(
                rows=HEADER_SEARCH_ROWS, name=name, found=_quoted(widest), expected=expected
            ),
            code="no_header",
        )
    header_row, header_cells = header
    header_names = tuple(header_cells)
    resolved = _resolve_columns(header_names, columns, mapping, name=name)
    data: list[Row] = []
    for chunk in chain((rest,), chunks):
        data.extend(map(_make_row, _non_blank(chunk)))
        if len(data) > limit:
            raise UnreadableFile(
                MSG_TOO_MANY_ROWS.format(name=name, limit=limit), code="too_many_rows"
            )
    if not data:
        raise UnreadableFile(MSG_HEADER_ONLY.format(name=name), code="header_only")
    return Table(
        file=file,
        format=fmt,
        sheet=sheet,
        header=header_names,
        header_row=header_row,
        columns=resolved,
        rows=data,
    )


def _table(chunks, file, columns, fmt, sheet_name, mapping, max_rows) -> Table:
    try:
        return table_from_chunks(
            chunks,
            file=file,
            columns=columns,
            fmt=fmt,
            sheet=sheet_name,
            mapping=mapping,
            max_rows=max_rows,
        )
    except UnreadableFile as error:
        if error.code == "empty" and sheet_name is not None:
            raise UnreadableFile(
                MSG_SHEET_EMPTY.format(sheet=sheet_name, name=file.name), code="empty"
            ) from None
        raise


def read_table(
    source: str | os.PathLike | bytes | BinaryIO,
    *,
    columns: Sequence[Column],
    file_name: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> Table:
    """Read a path, bytes or an uploaded file into a Table with the given columns; raises
    UnreadableFile (with `file` set) when it cannot be used."""
    file = None
    try:
        file, data = load_source(source, file_name=file_name, max_bytes=max_bytes)
        name = file.name
        fmt = detect_format(data, name=name)
        if fmt == "csv":
            text, _encoding = decode_text(data, name=name)
            if not text.strip():
                raise UnreadableFile(MSG_EMPTY.format(name=name), code="empty")
            return _table(
                _chunked(_csv_rows(text, name=name)), file, columns, fmt, None, mapping, max_rows
            )
        child = _WorkbookChild(data, fmt, name=name, sheet=sheet)
        try:
            return _table(child.chunks(), file, columns, fmt, child.sheet, mapping, max_rows)
        finally:
            child.close()
    except UnreadableFile as error:
        error.file = error.file or file
        raise

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
- XLSX, XLSB, XLS and ODS through python-calamine: the first visible sheet, or a named one.
  Formula cells give the value the spreadsheet saved with them; nothing is evaluated. A number
  becomes text the way a person reads it ("1234", never "1234.0"); text cells keep leading
  zeros. Date cells become ISO dates ("2019-08-20"); a date typed as a plain number stays an
  Excel serial ("43697"), which `imports.values.parse_date` understands.

The format comes from the content (zip, OLE2, PDF, text), never from the file name alone, so a
PDF or random bytes renamed .xlsx, an encrypted or damaged workbook, a zip bomb, an empty file,
a file with a header and no rows, or one with no recognizable columns is refused with an
`UnreadableFile` whose message says what is wrong in plain words. Limits (settings):
IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, IMPORT_MAX_UNCOMPRESSED_BYTES.

The header is the first of the first HEADER_SEARCH_ROWS non-blank rows that names recognizable
columns (exports often carry a title or blank rows above it). Names match case-, space-,
accent- and punctuation-insensitively ("E-mail" = "email" = "EMAIL"), with each importer's
synonyms (`Column`); an explicit mapping {"Column as found": "field"} overrides them. Blank rows
are skipped; every other row keeps the number the spreadsheet shows for it."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from django.conf import settings
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

HEADER_SEARCH_ROWS = 20
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
MSG_BAD_CSV = "{name} cannot be read as CSV: {error}."


# What a character that cannot be kept is read as.
UNREADABLE = "\ufffd"


class UnreadableFile(Exception):
    """The file cannot be imported at all: nothing in it was checked and nothing was written.

    `message` is plain words for the person who uploaded the file; `code` is stable for the API
    (empty, too_large, too_many_rows, zip_bomb, encrypted, corrupt, not_a_spreadsheet, encoding,
    sheet_not_found, no_header, missing_columns, ambiguous_columns, header_only, bad_mapping).
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


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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


def _csv_rows(text: str, *, name: str) -> Iterator[tuple[int, list[str]]]:
    # A NUL character (UTF-16 files, or past the start the binary check reads) cannot be stored
    # anywhere, not even in the run's error report: it becomes the replacement character, which
    # the importers refuse in any cell, naming its row and column.
    text = text.replace("\x00", UNREADABLE)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in record]
    except csv.Error as error:
        raise UnreadableFile(
            MSG_BAD_CSV.format(name=name, error=error), code="not_a_spreadsheet"
        ) from None


# Workbooks


def cell_text(value: object) -> str:
    """A cell as the text a person reads in it: whole numbers without ".0", dates as ISO dates
    (with the time only when there is one), booleans as TRUE/FALSE, blanks as ""."""
    if value is None:
        return ""
    if type(value) is dt.date:  # the usual non-text cell of a roster: checked first
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _is_reader_panic(error: BaseException) -> bool:
    """A panic inside the Rust reader, which pyo3 raises as a BaseException."""
    return type(error).__name__ == "PanicException"


def _first_sheet(workbook: CalamineWorkbook) -> str:
    """The first visible worksheet (a hidden first sheet is rarely the data), else the first."""
    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return meta.name
    return workbook.sheet_names[0]


def _open_sheet(data: bytes, fmt: str, *, name: str, sheet: str | None):
    corrupt = UnreadableFile(
        MSG_CORRUPT.format(name=name, kind=f"an {FORMAT_NAMES[fmt]}"), code="corrupt"
    )
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise UnreadableFile(MSG_NO_SHEETS.format(name=name), code="corrupt")
        if sheet is not None and sheet not in names:
            raise UnreadableFile(
                MSG_SHEET_NOT_FOUND.format(name=name, sheet=sheet, sheets=", ".join(names)),
                code="sheet_not_found",
            )
        return workbook.get_sheet_by_name(sheet if sheet is not None else _first_sheet(workbook))
    except PasswordError:
        raise UnreadableFile(MSG_ENCRYPTED.format(name=name), code="encrypted") from None
    except CalamineError:
        raise corrupt from None
    except BaseException as error:
        if _is_reader_panic(error):
            raise corrupt from None
        raise


def _sheet_rows(worksheet) -> Iterator[tuple[int, list[str]]]:
    # iter_rows starts at the sheet's first row (A1), blank rows included, so the position is
    # the row number the spreadsheet shows. Most cells are text: those skip cell_text's checks.
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        yield number, [value.strip() if type(value) is str else cell_text(value) for value in cells]


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


def table_from_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    file: SourceFile,
    columns: Sequence[Column],
    fmt: str = "csv",
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> Table:
    """A Table from (row number, cells) pairs: finds the header, maps the columns, keeps the
    non-blank rows below it, and refuses beyond max_rows (IMPORT_MAX_ROWS)."""
    limit = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    name = file.name
    keys = {key for column in columns for key in column.keys}
    keys.update(normalize_header(column_name) for column_name in (mapping or {}))
    needed = 1 if len(columns) == 1 else 2
    iterator = iter(rows)
    seen: list[tuple[int, Sequence[str]]] = []
    header: tuple[int, Sequence[str]] | None = None
    for number, cells in iterator:
        if _blank(cells):
            continue
        if _recognized(cells, keys) >= min(needed, len(keys)):
            header = (number, cells)
            break
        seen.append((number, cells))
        if len(seen) >= HEADER_SEARCH_ROWS:
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
    for number, cells in iterator:
        if _blank(cells):
            continue
        if len(data) >= limit:
            raise UnreadableFile(
                MSG_TOO_MANY_ROWS.format(name=name, limit=limit), code="too_many_rows"
            )
        data.append(Row(number, tuple(cells)))
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
            rows = _csv_rows(text, name=name)
            sheet_name = None
        else:
            worksheet = _open_sheet(data, fmt, name=name, sheet=sheet)
            sheet_name = worksheet.name
            rows = _sheet_rows(worksheet)
        try:
            return table_from_rows(
                rows,
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
                    MSG_SHEET_EMPTY.format(sheet=sheet_name, name=name), code="empty"
                ) from None
            raise
    except UnreadableFile as error:
        error.file = error.file or file
        raise

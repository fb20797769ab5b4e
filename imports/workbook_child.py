"""A workbook's rows, read by python-calamine in a process of its own.

calamine builds a sheet as one dense block of rows x columns before a single row can be read, so
one stray value at XFD1048576 asks it for about 550 GB, and the allocation failure aborts the
process (no Python handler runs). `imports.readers` therefore starts this file as a child with
`python -I`, and the child caps its own address space and CPU time before it reads anything:
whatever the native reader does with a file, only the child dies, and the parent answers with a
clear message (naming the far cell, see `imports.extent`).

This module imports nothing of Django or of the project, so the child starts in a few tens of
milliseconds; `cell_text` (how a cell becomes text) and `column_letter` are imported from here
by the parent too, so each has one copy.

The protocol, on stdin and stdout, in marshal frames (marshal: the fastest way to move lists of
strings between two CPython processes of the same version):

- in: a dict of settings (sheet, memory_bytes, cpu_seconds, max_rows, max_columns, max_cells,
  chunk_rows), then the file's bytes to the end of the input;
- out: each frame prefixed by its length (8 bytes, little-endian): ("sheet", name), then
  ("rows", [(number, cells), ...]) chunks of the non-blank rows (cells: a tuple of texts),
  then ("done",). Or, at any point, ("error", code, detail): code `encrypted`, `no_sheets`,
  `sheet_not_found` (detail: the sheet names), `corrupt`, or `too_far` (detail: the sheet's used
  area as (last row, last column), 1-based)."""

from __future__ import annotations

import datetime as dt
import io
import marshal
import sys


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


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def _first_sheet(workbook) -> str:
    """The first visible worksheet (a hidden first sheet is rarely the data), else the first."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return meta.name
    return workbook.sheet_names[0]


def _is_reader_panic(error: BaseException) -> bool:
    """A panic inside the Rust reader, which pyo3 raises as a BaseException."""
    return type(error).__name__ == "PanicException"


def read(data: bytes, options: dict, out) -> None:
    """Write the frames for one workbook to `out` (a binary stream)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    def send(frame: tuple) -> None:
        # Length-prefixed: marshal.load on a pipe would read each string with a call of its own.
        body = marshal.dumps(frame)
        out.write(len(body).to_bytes(8, "little"))
        out.write(body)

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            return send(("error", "no_sheets", None))
        wanted = options.get("sheet")
        if wanted is not None and wanted not in names:
            return send(("error", "sheet_not_found", list(names)))
        name = wanted if wanted is not None else _first_sheet(workbook)
        send(("sheet", name))
        worksheet = workbook.get_sheet_by_name(name)
    except PasswordError:
        return send(("error", "encrypted", None))
    except CalamineError:
        return send(("error", "corrupt", None))
    except BaseException as error:
        if _is_reader_panic(error):
            return send(("error", "corrupt", None))
        raise
    # The used area's last row and column (1-based): what calamine allocated for, and what
    # iter_rows (which starts at A1) walks through.
    end = worksheet.end
    last_row, last_column = (end[0] + 1, end[1] + 1) if end else (0, 0)
    if (
        last_row > options["max_rows"]
        or last_column > options["max_columns"]
        or last_row * last_column > options["max_cells"]
    ):
        return send(("error", "too_far", (last_row, last_column)))
    chunk_rows = options["chunk_rows"]
    chunk: list = []
    # Most cells are text: those skip cell_text's checks. Blank rows are not sent; each row
    # keeps the number the spreadsheet shows for it.
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        texts = tuple(
            [value.strip() if type(value) is str else cell_text(value) for value in cells]
        )
        if any(texts):
            chunk.append((number, texts))
            if len(chunk) >= chunk_rows:
                send(("rows", chunk))
                chunk = []
    if chunk:
        send(("rows", chunk))
    send(("done",))


def main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    options = marshal.load(stdin)
    _limit_resources(options["memory_bytes"], options["cpu_seconds"])
    data = stdin.read()
    read(data, options, stdout)
    stdout.flush()


if __name__ == "__main__":
    main()

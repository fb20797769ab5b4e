"""Writes the roster test files in this folder. The files are committed; run this only to change
them. It needs packages the service does not (xlwt writes .xls, odfpy .ods, msoffcrypto-tool
encrypts a workbook), so run it from a throwaway environment:

    python3 -m venv /tmp/gen
    /tmp/gen/bin/pip install xlwt odfpy openpyxl msoffcrypto-tool
    /tmp/gen/bin/python tests/data/roster/generate.py

The clean files hold the same eight people: roster.csv (UTF-8, a quoted note with a line
break), roster-bom-semicolon.csv (UTF-8 with BOM, semicolons, ISO dates), roster-cp1252.csv and
roster-utf16.txt (accented names; Windows-1252, and Excel's tab-separated "Unicode text"),
roster-tab.txt, and roster.xlsx / .xls / .ods (a title row, an export date and a blank row above
the header on row 4; ids as text with leading zeros, one id as a number, dates as date cells and
one as a bare Excel serial; a second sheet "Notes"). numeric-ids.xlsx stores ids as numbers
formatted 000000; formulas.xlsx holds formulas with saved values, one without, and error cells;
errors.csv has one row error of each kind.

Bad files: empty.csv, header-only.csv, unrecognized-columns.csv, missing-email-column.csv,
pdf-renamed.xlsx, garbage.xlsx (random bytes), corrupt.xlsx (half a workbook), encrypted.xlsx
(password "district"), zip-bomb.xlsx (1.2 KB that declares a 1 GiB sheet), mixed-encoding.csv
(UTF-8 and Windows-1252 lines), web-page.xls (HTML named .xls), far-cell.xls (a stray value at
IV65536, the last cell of an .xls sheet)."""

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import openpyxl
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

HERE = Path(__file__).resolve().parent
EXCEL_EPOCH = dt.date(1899, 12, 30)

HEADER = [
    "Employee ID",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Work Email",
    "Building",
    "Job Title",
    "Status",
    "Hire Date",
    "Termination Date",
    "Notes",
]
D = dt.date
# (id, first, last, preferred, email, building, position, status, hired, separated, notes)
PEOPLE = [
    (
        "000101",
        "Ann",
        "Lee",
        "",
        "ann.lee@bps.example.org",
        "maple",
        "Teacher",
        "Active",
        D(2019, 8, 20),
        None,
        "",
    ),
    (
        "000102",
        "Robert",
        "Stone",
        "Bob",
        "bob.stone@bps.example.org",
        "Oak Middle",
        "teacher",
        "A",
        D(2015, 8, 24),
        None,
        "Moved from\nMaple in 2020",
    ),
    (
        "000103",
        "Carmen",
        "Diaz",
        "",
        "carmen.diaz@bps.example.org",
        "MAPLE",
        "Principal",
        "Active",
        D(2010, 7, 1),
        None,
        "",
    ),
    (
        "000104",
        "Dana",
        "White",
        "",
        "dana.white@bps.example.org",
        "oak",
        "Counselor",
        "Leave",
        D(2021, 1, 5),
        None,
        "",
    ),
    (
        4417,
        "Eli",
        "Park",
        "",
        "eli.park@bps.example.org",
        "maple",
        "Teacher",
        "Active",
        D(2022, 9, 1),
        None,
        "",
    ),
    (
        "000106",
        "Fay",
        "Gold",
        "",
        "fay.gold@bps.example.org",
        "Maple Elementary",
        "Teacher",
        "Terminated",
        D(2012, 8, 20),
        D(2024, 6, 15),
        "",
    ),
    (
        "000107",
        "Gus",
        "Hart",
        "",
        "gus.hart@bps.example.org",
        "oak",
        "Teacher",
        "",
        D(2023, 8, 25),
        None,
        "",
    ),
    (
        "000108",
        "Hana",
        "Ito",
        "",
        "hana.ito@bps.example.org",
        "oak",
        "Principal",
        "Active",
        None,
        None,
        "",
    ),
]
TITLE = "Birmingham Public Schools - Staff Roster"
EXPORTED = "Exported 10/01/2026"


def us(value):
    return f"{value.month}/{value.day}/{value.year}" if value else ""


def iso(value):
    return value.isoformat() if value else ""


def csv_rows(date=us):
    rows = [HEADER]
    for person in PEOPLE:
        *head, hired, separated, notes = person
        rows.append([str(value) for value in head] + [date(hired), date(separated), notes])
    return rows


def write_csv(name, rows, *, delimiter=",", encoding="utf-8"):
    stream = io.StringIO(newline="")
    csv.writer(stream, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(stream.getvalue().encode(encoding))


def serial(value):
    return (value - EXCEL_EPOCH).days


def workbook_rows():
    """Cells for the workbooks: ids as text (leading zeros kept) but 4417 as a number, dates as
    date cells, except Gus's hire date typed as a bare Excel serial number."""
    rows = []
    for person in PEOPLE:
        employee_id, *middle, hired, separated, notes = person
        cells = [employee_id if isinstance(employee_id, str) else float(employee_id), *middle]
        if employee_id == "000107":
            cells += [float(serial(hired)), separated, notes]
        else:
            cells += [hired, separated, notes]
        rows.append(cells)
    return rows


def write_xlsx(name="roster.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append([TITLE])
    sheet.append([EXPORTED])
    sheet.append([])
    sheet.append(HEADER)
    for cells in workbook_rows():
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "m/d/yyyy"
    other = workbook.create_sheet("Notes")
    other.append(["This sheet is not the roster."])
    workbook.save(HERE / name)


def write_xls():
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Staff")
    date_style = xlwt.easyxf(num_format_str="M/D/YYYY")
    sheet.write(0, 0, TITLE)
    sheet.write(1, 0, EXPORTED)
    for column, name in enumerate(HEADER):
        sheet.write(3, column, name)
    for index, cells in enumerate(workbook_rows(), start=4):
        for column, value in enumerate(cells):
            if isinstance(value, dt.date):
                sheet.write(index, column, value, date_style)
            elif value is not None:
                sheet.write(index, column, value)
    workbook.add_sheet("Notes").write(0, 0, "This sheet is not the roster.")
    workbook.save(str(HERE / "roster.xls"))


def write_far_cell_xls():
    """far-cell.xls: the header, one person, and a stray value in the last cell an .xls sheet
    has (IV65536), which makes the reader hold the whole 65,536 x 256 sheet."""
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Staff")
    for column, name in enumerate(HEADER):
        sheet.write(0, column, name)
    for column, value in enumerate(next(iter(workbook_rows()))):
        if value is not None and not isinstance(value, dt.date):
            sheet.write(1, column, value)
    sheet.write(65535, 255, "x")
    workbook.save(str(HERE / "far-cell.xls"))


def ods_cell(value):
    if value is None or value == "":
        return TableCell()
    if isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
        cell.addElement(P(text=us(value)))
    elif isinstance(value, float):
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=f"{value:g}"))
    else:
        cell = TableCell(valuetype="string")
        for line in str(value).split("\n"):
            cell.addElement(P(text=line))
    return cell


def write_ods():
    document = OpenDocumentSpreadsheet()
    table = Table(name="Staff")
    for cells in [[TITLE], [EXPORTED], [], HEADER, *workbook_rows()]:
        row = TableRow()
        for value in cells:
            row.addElement(ods_cell(value))
        table.addElement(row)
    document.spreadsheet.addElement(table)
    notes = Table(name="Notes")
    row = TableRow()
    row.addElement(ods_cell("This sheet is not the roster."))
    notes.addElement(row)
    document.spreadsheet.addElement(notes)
    document.save(str(HERE / "roster.ods"))


def write_numeric_ids():
    """Ids stored as numbers shown with six digits (the custom format "000000"): the cell holds
    101, not "000101"."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Employee ID", "First Name", "Last Name", "Email", "Building", "Position"])
    for number, first, last in ((101, "Ann", "Lee"), (102, "Robert", "Stone")):
        sheet.append(
            [
                number,
                first,
                last,
                f"{first.lower()}.{last.lower()}@bps.example.org",
                "maple",
                "teacher",
            ]
        )
        sheet.cell(row=sheet.max_row, column=1).number_format = "000000"
    workbook.save(HERE / "numeric-ids.xlsx")


def write_formulas():
    """Emails and a check column are formulas. openpyxl saves formulas without their values, so
    the values Excel would have saved are written into the sheet XML; one formula is left
    without a value and one holds an error (#N/A), as Excel saves them."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append(
        [
            "Employee ID",
            "First Name",
            "Last Name",
            "Email",
            "Building",
            "Position",
            "Check",
            "Preferred Name",
        ]
    )
    sheet.append(
        [
            "000301",
            "Iris",
            "Jones",
            '=LOWER(B2&"."&C2)&"@bps.example.org"',
            "maple",
            "teacher",
            "=1/0",
            "=VLOOKUP(A2,Other!A:B,2,FALSE)",
        ]
    )
    sheet.append(
        [
            "000302",
            "Jack",
            "King",
            '=LOWER(B3&"."&C3)&"@bps.example.org"',
            "oak",
            "teacher",
            "=A3*2",
            "",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    cached = {
        "D2": ("str", "iris.jones@bps.example.org"),
        "D3": ("str", "jack.king@bps.example.org"),
        "G2": ("e", "#DIV/0!"),
        "H2": ("e", "#N/A"),
        # G3 keeps no value: a formula never evaluated reads as blank.
    }
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(HERE / "formulas.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, (kind, value) in cached.items():
                    start = text.index(f'<c r="{ref}"')
                    end = text.index("</c>", start) + len("</c>")
                    formula = text[
                        text.index("<f>", start) : text.index("</f>", start) + len("</f>")
                    ]
                    text = (
                        text[:start]
                        + f'<c r="{ref}" t="{kind}">{formula}<v>{value}</v></c>'
                        + text[end:]
                    )
                data = text.encode()
            target.writestr(info, data)


def write_errors():
    """One problem per row (row numbers as Excel shows them): 3 no first name; 4 malformed
    email; 5 and 6 the same employee id; 7 the email of row 2 (so both are errors); 8 an email
    the tests give to someone already on staff; 9 unknown building; 10 unknown position; 11
    unreadable hire date; 12 unknown status; 13 separated before hired."""
    rows = [
        [
            "Employee ID",
            "First Name",
            "Last Name",
            "Email",
            "Building",
            "Position",
            "Status",
            "Hire Date",
            "Separation Date",
        ],
        [
            "000201",
            "Kim",
            "Lane",
            "kim.lane@bps.example.org",
            "maple",
            "teacher",
            "Active",
            "8/20/2019",
            "",
        ],
        ["000202", "", "Moss", "moss@bps.example.org", "maple", "teacher", "", "", ""],
        ["000203", "Nia", "Nash", "not-an-email", "maple", "teacher", "", "", ""],
        ["000204", "Omar", "Ortiz", "omar@bps.example.org", "maple", "teacher", "", "", ""],
        ["000204", "Olga", "Ortiz", "olga@bps.example.org", "maple", "teacher", "", "", ""],
        ["000205", "Pia", "Penn", "KIM.LANE@bps.example.org", "maple", "teacher", "", "", ""],
        ["000206", "Quinn", "Reed", "taken@bps.example.org", "maple", "teacher", "", "", ""],
        ["000207", "Rosa", "Sato", "rosa@bps.example.org", "Elm High", "teacher", "", "", ""],
        ["000208", "Sam", "Tate", "sam@bps.example.org", "oak", "Astronaut", "", "", ""],
        ["000209", "Tia", "Upton", "tia@bps.example.org", "oak", "teacher", "", "31/31/2020", ""],
        ["000210", "Uma", "Vance", "uma@bps.example.org", "oak", "teacher", "Sabbatical", "", ""],
        [
            "000211",
            "Vic",
            "Wong",
            "vic@bps.example.org",
            "oak",
            "teacher",
            "Terminated",
            "2020-08-20",
            "2019-06-30",
        ],
    ]
    write_csv("errors.csv", rows)


def write_bad_files():
    (HERE / "empty.csv").write_bytes(b"")
    write_csv("header-only.csv", [HEADER])
    write_csv("unrecognized-columns.csv", [["Foo", "Bar", "Baz"], ["1", "2", "3"]])
    write_csv(
        "missing-email-column.csv",
        [
            ["Employee ID", "First Name", "Last Name", "Building", "Position"],
            ["000101", "Ann", "Lee", "maple", "teacher"],
        ],
    )
    (HERE / "pdf-renamed.xlsx").write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    (HERE / "garbage.xlsx").write_bytes(random.Random(5).randbytes(4096))
    valid = (HERE / "roster.xlsx").read_bytes()
    (HERE / "corrupt.xlsx").write_bytes(valid[: len(valid) // 2])
    encrypted = io.BytesIO()
    with open(HERE / "roster.xlsx", "rb") as plain:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("district", encrypted)
    (HERE / "encrypted.xlsx").write_bytes(encrypted.getvalue())
    # A workbook whose sheet unpacks to 1 GiB of spaces, bzip2-compressed into under a KB.
    with zipfile.ZipFile(HERE / "zip-bomb.xlsx", "w") as bomb:
        bomb.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        bomb.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_BZIP2
        with bomb.open(info, "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(1024):
                member.write(chunk)
    mixed = "Employee ID,First Name,Last Name\r\n000101,José,Lee\r\n".encode()
    mixed += "000102,Zoë,Stone\r\n".encode("cp1252")
    (HERE / "mixed-encoding.csv").write_bytes(mixed)
    (HERE / "web-page.xls").write_bytes(
        b"<html><body><table><tr><td>Employee ID</td><td>Email</td></tr></table></body></html>"
    )


def main():
    write_csv("roster.csv", csv_rows())
    (HERE / "roster-bom-semicolon.csv").write_bytes(
        b"\xef\xbb\xbf" + _csv_text(csv_rows(date=iso), delimiter=";").encode()
    )
    accented = csv_rows()
    accented[1][1:3] = ["José", "Muñoz"]
    accented[2][1:4] = ["Zoë", "Brontë", "Zoé"]
    accented[3][2] = "O’Connor"
    write_csv("roster-cp1252.csv", accented, encoding="cp1252")
    write_csv("roster-tab.txt", csv_rows(), delimiter="\t")
    (HERE / "roster-utf16.txt").write_bytes(_csv_text(accented, delimiter="\t").encode("utf-16"))
    write_xlsx()
    write_xls()
    write_far_cell_xls()
    write_ods()
    write_numeric_ids()
    write_formulas()
    write_errors()
    write_bad_files()


def _csv_text(rows, *, delimiter):
    stream = io.StringIO(newline="")
    csv.writer(stream, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return stream.getvalue()


if __name__ == "__main__":
    main()

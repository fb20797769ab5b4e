"""A stray value far from the data (HR exports carry them) must not abort or exhaust the process
that reads the file: each workbook is read in a child process with a memory and time limit, a
sheet that reaches too far is refused naming the far cell, and the refusal is recorded on the
run like any unusable file, through the page, the API and the command alike.

Were the workbook read in this process, the XFD1048576 files would abort the test run itself
(calamine asks for about 550 GB and the allocation failure is a SIGABRT)."""

import html
import io
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from imports import readers, services
from imports.choices import ImportOutcome
from imports.extent import far_cells
from imports.management.commands import import_roster as command
from imports.models import ImportRun
from imports.readers import UnreadableFile, read_table
from imports.roster import ROSTER_COLUMNS
from learning.models import StaffMember
from tests.imports.conftest import DATA, ROSTER_HEADER

pytestmark = pytest.mark.django_db

PERSON = ["900001", "Ann", "Lee", "ann.lee@bps.example.org", "maple", "teacher"]


def xlsx_with(*strays: str) -> bytes:
    """A roster workbook (a header, one person) with a value in each of the given cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append(ROSTER_HEADER)
    sheet.append(PERSON)
    for ref in strays:
        sheet[ref] = "x"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_cells(values, *, repeat_after=0) -> str:
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
        for value in values
    )
    if repeat_after:
        cells += f'<table:table-cell table:number-columns-repeated="{repeat_after}"/>'
    return f"<table:table-row>{cells}</table:table-row>"


def ods_with_stray(*, blank_rows: int, blank_columns: int) -> bytes:
    """A roster .ods as LibreOffice writes one with a stray value below and right of the data:
    the blank rows and cells between are runs of repeated elements, a few bytes each."""
    width = len(ROSTER_HEADER)
    rows = [
        ods_cells(ROSTER_HEADER, repeat_after=16384 - width),
        ods_cells(PERSON, repeat_after=16384 - width),
        f'<table:table-row table:number-rows-repeated="{blank_rows}">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>',
        "<table:table-row>"
        f'<table:table-cell table:number-columns-repeated="{blank_columns}"/>'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
        "</table:table-row>",
    ]
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {ODS_NS} office:version="1.3"><office:body>'
        '<office:spreadsheet><table:table table:name="Staff">'
        '<table:table-column table:number-columns-repeated="16384"/>'
        f"{''.join(rows)}</table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return stream.getvalue()


# Each workbook format with a value where the reader would have to hold far more than a roster:
# (file name, content, the cell the message must name).
FAR_FILES = {
    "last-cell.xlsx": (lambda: xlsx_with("XFD1048576"), "XFD1048576"),
    "wide-and-deep.xlsx": (lambda: xlsx_with("ZZ200000"), "ZZ200000"),
    "last-row.xlsx": (lambda: xlsx_with("A1048576"), "A1048576"),
    "last-column.xlsx": (lambda: xlsx_with("XFD1"), "XFD1"),
    "last-cell.ods": (
        lambda: ods_with_stray(blank_rows=1048573, blank_columns=16383),
        "XFD1048576",
    ),
    "far-cell.xls": (lambda: (DATA / "far-cell.xls").read_bytes(), "IV65536"),
}


@pytest.mark.parametrize("name", FAR_FILES)
def test_a_far_cell_is_refused_naming_it(name):
    make, cell = FAR_FILES[name]

    with pytest.raises(UnreadableFile) as caught:
        read_table(make(), file_name=name, columns=ROSTER_COLUMNS)

    assert caught.value.code == "sheet_too_large"
    assert f"cell {cell}" in caught.value.message
    assert "Ctrl+End" in caught.value.message
    assert caught.value.file.name == name


def test_a_csv_row_reaching_too_far_is_refused_naming_its_last_cell():
    far = ",".join(PERSON + [""] * 600 + ["x"])
    trailing = ",".join(PERSON + [""] * 800)
    content = "\r\n".join([",".join(ROSTER_HEADER), trailing, far]).encode()

    with pytest.raises(UnreadableFile) as caught:
        read_table(content, file_name="r.csv", columns=ROSTER_COLUMNS)

    # Row 2's 800 empty fields are only separators; row 3 has a value in column 607.
    assert caught.value.code == "sheet_too_large"
    assert "cell WI3," in caught.value.message


def test_only_the_cell_beyond_a_limit_is_named():
    with pytest.raises(UnreadableFile) as caught:
        read_table(xlsx_with("A1048576"), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    # F2, the data's own last cell, is the rightmost cell but within every limit.
    assert "cell A1048576," in caught.value.message
    assert "F2" not in caught.value.message


def test_a_value_within_the_limits_is_read_as_a_row():
    table = read_table(xlsx_with("H300"), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert [row.number for row in table.rows] == [2, 300]


def test_the_limits_are_settings(settings):
    settings.IMPORT_MAX_SHEET_COLUMNS = 7

    with pytest.raises(UnreadableFile) as caught:
        read_table(xlsx_with("H3"), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert "cell H3" in caught.value.message
    assert "7 columns" in caught.value.message


def test_a_reader_that_runs_out_of_memory_gets_the_far_cell_named(settings):
    # ZZ20000 is within the default limits' columns; with the cell limit raised, the child
    # tries to hold 14 million cells (about 450 MB) in its 128 MB and dies.
    settings.IMPORT_MAX_SHEET_CELLS = 10**9
    settings.IMPORT_READER_MEMORY_MB = 128

    with pytest.raises(UnreadableFile) as caught:
        read_table(xlsx_with("ZZ20000"), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert caught.value.code == "sheet_too_large"
    assert "cell ZZ20000" in caught.value.message


def test_a_reader_that_dies_without_a_far_cell_says_the_limits(settings, monkeypatch, tmp_path):
    dies = tmp_path / "dies.py"
    dies.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    monkeypatch.setattr(readers, "CHILD_SCRIPT", str(dies))

    with pytest.raises(UnreadableFile) as caught:
        read_table((DATA / "roster.xlsx").read_bytes(), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert caught.value.code == "sheet_too_large"
    assert caught.value.message.startswith("r.xlsx could not be read within the 2,048 MB")


def test_a_reader_that_hangs_is_stopped(settings, monkeypatch, tmp_path):
    hangs = tmp_path / "hangs.py"
    hangs.write_text("import time\nwhile True:\n    time.sleep(1)\n")
    monkeypatch.setattr(readers, "CHILD_SCRIPT", str(hangs))
    monkeypatch.setattr(readers, "CHILD_GRACE_SECONDS", 0)
    settings.IMPORT_READER_SECONDS = 1

    with pytest.raises(UnreadableFile) as caught:
        read_table((DATA / "roster.xlsx").read_bytes(), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert "within the 2,048 MB of memory and 1 seconds" in caught.value.message


def test_the_child_is_the_project_python_and_leaves_nothing_running(monkeypatch):
    started = []
    real_popen = readers.subprocess.Popen

    def popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(readers.subprocess, "Popen", popen)

    read_table((DATA / "roster.ods").read_bytes(), file_name="r.ods", columns=ROSTER_COLUMNS)
    with pytest.raises(UnreadableFile):
        read_table(xlsx_with("XFD1"), file_name="r.xlsx", columns=ROSTER_COLUMNS)

    assert len(started) == 2
    assert all(process.args[0] == sys.executable for process in started)
    assert all(process.returncode is not None for process in started)


# The extent of a sheet, read from the file in bounded memory


def test_far_cells_reads_xlsx_with_prefixes_and_without_references():
    sheet = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:sheetData><x:row r="1"><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c><x:c s="1"/></x:row>'
        '<x:row r="70000"><x:c r="C70000"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    original = zipfile.ZipFile(io.BytesIO(xlsx_with()))
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as archive:
        for member in original.namelist():
            data = original.read(member)
            if member == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            archive.writestr(member, data)

    found = far_cells(rebuilt.getvalue(), "xlsx")

    # The styled empty cell C1 holds nothing; B1 is placed by position.
    assert (found.last_row, found.last_column, found.cells) == (70000, 3, ("C70000",))


def test_far_cells_follows_repeated_ods_cells():
    found = far_cells(ods_with_stray(blank_rows=10, blank_columns=2), "ods")

    assert (found.last_row, found.last_column) == (13, 6)
    assert found.cells == ("C13", "F1")


def test_far_cells_of_another_format_is_none():
    assert far_cells((DATA / "roster.xls").read_bytes(), "xls") is None
    assert far_cells(b"not a zip", "xlsx") is None


# Through every door: the page, the API and the command record the refused run


@pytest.fixture
def last_cell_file():
    return FAR_FILES["last-cell.xlsx"][0]()


def test_the_page_answers_400_and_records_the_run(client, hr, district, last_cell_file):
    client.force_login(hr.user)

    response = client.post(
        "/hr/imports/",
        {"file": SimpleUploadedFile("staff.xlsx", last_cell_file), "kind": "roster"},
    )

    assert response.status_code == 400
    run = ImportRun.objects.get()
    assert run.outcome == ImportOutcome.REFUSED
    assert "cell XFD1048576" in run.message
    assert run.message in html.unescape(response.content.decode())
    assert StaffMember.objects.filter(employee_id="900001").count() == 0


def test_the_api_answers_400_with_the_code(client, hr, district, last_cell_file):
    client.force_login(hr.user)

    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("staff.xlsx", last_cell_file), "kind": "roster"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "sheet_too_large"
    assert "cell XFD1048576" in response.json()["message"]
    assert ImportRun.objects.get().outcome == ImportOutcome.REFUSED


def test_the_command_exits_2_and_records_the_run(district, tmp_path, last_cell_file):
    path = Path(tmp_path / "staff.xlsx")
    path.write_bytes(last_cell_file)

    with pytest.raises(CommandError) as caught:
        call_command("import_roster", str(path), "--commit", stdout=io.StringIO())

    assert caught.value.returncode == command.UNUSABLE_INPUT
    assert "cell XFD1048576" in str(caught.value)
    assert ImportRun.objects.get().outcome == ImportOutcome.REFUSED


def test_the_completions_import_is_guarded_alike(db, last_cell_file):
    with pytest.raises(UnreadableFile) as caught:
        services.completions_preview(source=last_cell_file, file_name="c.xlsx", actor=None)

    assert caught.value.code == "sheet_too_large"
    assert caught.value.run.outcome == ImportOutcome.REFUSED

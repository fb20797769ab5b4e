"""Reading import files (imports.readers) and cell values (imports.values): every format and
encoding of the roster in tests/data/roster/, the header found under title rows, column names
and mappings, and every bad file refused with a plain message."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import readers
from imports.readers import UnreadableFile, read_table, sniff_delimiter
from imports.roster import ROSTER_COLUMNS
from imports.values import (
    MSG_DATE,
    MSG_DATE_RANGE,
    MSG_EMAIL,
    ValueProblem,
    clean_email,
    email_problem,
    email_problem_rows,
    parse_date,
)
from imports.workbook_child import cell_text
from tests.imports.conftest import DATA, csv_bytes
from tests.learning.test_settings import run_django

EMPLOYEE_IDS = ["000101", "000102", "000103", "000104", "4417", "000106", "000107", "000108"]
FULL_COLUMNS = {
    "employee_id": "Employee ID",
    "first_name": "First Name",
    "last_name": "Last Name",
    "preferred_name": "Preferred Name",
    "email": "Work Email",
    "building": "Building",
    "position": "Job Title",
    "status": "Status",
    "hired_on": "Hire Date",
    "separated_on": "Termination Date",
}


def read(source, **options):
    return read_table(source, columns=ROSTER_COLUMNS, **options)


def refused(source, **options) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read(source, **options)
    return caught.value


def column(table, field):
    return [table.value(row, field) for row in table.rows]


# The clean roster in every format


@pytest.mark.parametrize(
    ("name", "fmt", "header_row"),
    [
        ("roster.csv", "csv", 1),
        ("roster-bom-semicolon.csv", "csv", 1),
        ("roster-tab.txt", "csv", 1),
        ("roster-cp1252.csv", "csv", 1),
        ("roster-utf16.txt", "csv", 1),
        ("roster.xlsx", "xlsx", 4),
        ("roster.xls", "xls", 4),
        ("roster.ods", "ods", 4),
    ],
)
def test_every_format_reads_the_same_roster(name, fmt, header_row):
    table = read(DATA / name)

    assert table.format == fmt
    assert table.header_row == header_row
    assert table.used_columns == FULL_COLUMNS
    assert table.unused_columns == ["Notes"]
    assert column(table, "employee_id") == EMPLOYEE_IDS
    assert column(table, "email")[0] == "ann.lee@bps.example.org"
    assert column(table, "status") == [
        "Active",
        "A",
        "Active",
        "Leave",
        "Active",
        "Terminated",
        "",
        "Active",
    ]
    # Blank rows are skipped; the numbers stay those the spreadsheet shows.
    assert [row.number for row in table.rows] == list(range(header_row + 1, header_row + 9))
    hired = [parse_date(value) for value in column(table, "hired_on")]
    assert hired[0] == dt.date(2019, 8, 20)
    assert hired[6] == dt.date(2023, 8, 25)
    assert hired[7] is None
    assert parse_date(column(table, "separated_on")[5]) == dt.date(2024, 6, 15)
    assert table.file.name == name
    assert table.file.size == (DATA / name).stat().st_size
    assert len(table.file.sha256) == 64


def test_a_quoted_field_may_hold_a_line_break_and_row_numbers_follow_records():
    table = read(DATA / "roster.csv")

    notes = table.header.index("Notes")
    robert = table.rows[1]
    assert robert.number == 3
    assert robert.cells[notes] == "Moved from\nMaple in 2020"
    # Hana is on the ninth record although the file has ten lines.
    assert table.rows[-1].number == 9
    assert table.rows[-1].cells[1] == "Hana"


@pytest.mark.parametrize("name", ["roster-cp1252.csv", "roster-utf16.txt"])
def test_accented_names_are_decoded(name):
    table = read(DATA / name)

    assert column(table, "first_name")[:2] == ["José", "Zoë"]
    assert column(table, "last_name")[:3] == ["Muñoz", "Brontë", "O’Connor"]
    assert column(table, "preferred_name")[1] == "Zoé"


def test_the_byte_order_mark_is_not_part_of_the_first_column_name():
    table = read(DATA / "roster-bom-semicolon.csv")

    assert table.header[0] == "Employee ID"
    assert table.has("employee_id")


def test_workbook_numbers_and_dates_read_as_people_write_them():
    table = read(DATA / "roster.xlsx")

    eli = table.rows[4]
    assert table.value(eli, "employee_id") == "4417"  # a number cell, not "4417.0"
    assert table.value(table.rows[0], "employee_id") == "000101"  # text keeps its zeros
    assert table.value(table.rows[0], "hired_on") == "2019-08-20"  # a date cell
    assert table.value(table.rows[6], "hired_on") == "45163"  # a serial typed as a number
    assert parse_date("45163") == dt.date(2023, 8, 25)


def test_ids_stored_as_numbers_lose_their_zeros_but_never_gain_a_decimal():
    table = read(DATA / "numeric-ids.xlsx")

    assert column(table, "employee_id") == ["101", "102"]


def test_formula_cells_give_the_saved_value_and_are_never_evaluated():
    table = read(DATA / "formulas.xlsx")

    assert column(table, "email") == ["iris.jones@bps.example.org", "jack.king@bps.example.org"]
    check = table.header.index("Check")
    # =1/0 saved as #DIV/0!, and =A3*2 saved without a value: neither is computed here.
    assert [row.cells[check] for row in table.rows] == ["", ""]
    assert column(table, "preferred_name") == ["", ""]  # #N/A


def test_the_first_visible_sheet_is_read_unless_one_is_named():
    assert read(DATA / "roster.xlsx").sheet == "Staff"

    error = refused(DATA / "roster.xlsx", sheet="Notes")
    assert error.code == "no_header"

    error = refused(DATA / "roster.ods", sheet="Payroll")
    assert error.code == "sheet_not_found"
    assert error.message == 'roster.ods has no sheet named "Payroll"; its sheets are: Staff, Notes.'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        ("  Ann  ", "Ann"),
        (1234.0, "1234"),
        (1234, "1234"),
        (12.5, "12.5"),
        (True, "TRUE"),
        # Spreadsheets have no time zones: calamine gives naive datetimes.
        (dt.datetime(2019, 8, 20), "2019-08-20"),  # noqa: DTZ001
        (dt.datetime(2019, 8, 20, 7, 30), "2019-08-20 07:30:00"),  # noqa: DTZ001
        (dt.date(2019, 8, 20), "2019-08-20"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# Sources: path, bytes, file objects


def test_bytes_file_objects_and_uploads_are_read_like_paths():
    content = (DATA / "roster.xlsx").read_bytes()
    from_path = read(DATA / "roster.xlsx")

    for source, name in (
        (content, "upload.xlsx"),
        (io.BytesIO(content), "upload.xlsx"),
        (SimpleUploadedFile("upload.xlsx", content), None),
    ):
        table = read(source, file_name=name)
        assert table.rows == from_path.rows
        assert table.file.name == "upload.xlsx"
        assert table.file.sha256 == from_path.file.sha256


# Delimiters, encodings


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        # Semicolons inside quoted values do not fool it.
        ('name,note\n"Lee; Ann","a;b;c"\n"Ito; H","x;y"\n', ","),
        # Commas inside values of a semicolon file neither.
        ("name;note\nLee, Ann;x\nIto, Hana;y\n", ";"),
        ("single\nvalue\n", ","),
    ],
)
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


def test_windows_1252_is_chosen_only_when_the_file_is_not_utf8():
    utf8 = csv_bytes([["000101", "José", "Lee", "j@x.org", "maple", "teacher"]])
    cp1252 = csv_bytes(
        [["000101", "José", "Lee", "j@x.org", "maple", "teacher"]], encoding="cp1252"
    )

    assert read(utf8).rows[0].cells[1] == "José"
    assert read(cp1252).rows[0].cells[1] == "José"
    assert readers.decode_text(utf8)[1] == "utf-8"
    assert readers.decode_text(cp1252)[1] == "cp1252"


# Header and columns


def test_the_header_is_found_below_title_and_blank_rows():
    content = b"Staff roster\r\nExported 2026-10-01,,\r\n,,\r\n" + csv_bytes(
        [["000101", "Ann", "Lee", "a@x.org", "maple", "teacher"]]
    )

    table = read(content)

    assert table.header_row == 4
    assert table.rows[0].number == 5


def test_a_header_below_the_first_twenty_rows_is_not_looked_for():
    content = b"".join(f"Title line {n}\r\n".encode() for n in range(21)) + csv_bytes(
        [["000101", "Ann", "Lee", "a@x.org", "maple", "teacher"]]
    )

    assert refused(content).code == "no_header"


@pytest.mark.parametrize(
    "header",
    [
        ["EmpID", "Given Name", "Surname", "E-mail", "Site", "Role"],
        ["Employee Number", "first name", "FAMILY NAME", "Email Address", "School", "Job Title"],
        ["Staff ID", "First_Name", "Last-Name", "work email", "Location", "Title"],
        ["  EMPLOYEE   id ", "Given Name", "Last Name", "e.mail", "Building Code", "Position"],
    ],
)
def test_header_names_match_synonyms_whatever_the_case_spaces_and_punctuation(header):
    table = read(
        csv_bytes([["000101", "Ann", "Lee", "a@x.org", "maple", "teacher"]], header=header)
    )

    assert set(table.columns) == {
        "employee_id",
        "first_name",
        "last_name",
        "email",
        "building",
        "position",
    }
    assert table.value(table.rows[0], "email") == "a@x.org"


def test_optional_column_synonyms():
    header = [
        "Employee ID",
        "First Name",
        "Last Name",
        "Nickname",
        "Email",
        "Building",
        "Position",
        "Employment Status",
        "Date Hired",
        "End Date",
    ]
    table = read(csv_bytes([["1", "A", "B", "C", "a@x.org", "m", "t", "A", "", ""]], header=header))

    assert table.column_name("preferred_name") == "Nickname"
    assert table.column_name("status") == "Employment Status"
    assert table.column_name("hired_on") == "Date Hired"
    assert table.column_name("separated_on") == "End Date"


def test_when_two_columns_could_serve_the_earlier_synonym_wins():
    header = [
        "Employee ID",
        "First Name",
        "Last Name",
        "Email",
        "Work Email",
        "Building",
        "Position",
    ]
    table = read(
        csv_bytes([["1", "A", "B", "home@x.org", "work@x.org", "maple", "teacher"]], header=header)
    )

    assert table.column_name("email") == "Work Email"
    assert table.unused_columns == ["Email"]


def test_two_columns_with_the_same_name_are_refused():
    header = ["Employee ID", "First Name", "Last Name", "Email", "Email", "Building", "Position"]
    error = refused(csv_bytes([["1", "A", "B", "a@x.org", "b@x.org", "m", "t"]], header=header))

    assert error.code == "ambiguous_columns"
    assert error.message == (
        'upload has more than one column named "Email" (columns D, E); give a column mapping '
        "to say which to use."
    )


def test_an_explicit_mapping_overrides_the_names():
    header = ["Emp Code", "First Name", "Last Name", "Email", "Site Name", "Position", "Building"]
    content = csv_bytes(
        [["X-1", "Ann", "Lee", "a@x.org", "Maple Elementary", "teacher", "ignored"]],
        header=header,
    )

    table = read(
        content, mapping={"emp code": "employee_id", "SITE NAME": "building", "Building": ""}
    )

    assert table.column_name("employee_id") == "Emp Code"
    assert table.value(table.rows[0], "building") == "Maple Elementary"
    assert "Building" in table.unused_columns


def test_a_mapping_alone_can_make_the_header_recognizable():
    header = ["Code", "Given", "Family", "Mail", "Place", "Job"]
    mapping = dict(
        zip(
            header,
            ["employee_id", "first_name", "last_name", "email", "building", "position"],
            strict=True,
        )
    )

    table = read(csv_bytes([["1", "A", "B", "a@x.org", "m", "t"]], header=header), mapping=mapping)

    assert table.value(table.rows[0], "email") == "a@x.org"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Email": "mail"}, 'The column mapping names an unknown field "mail"; the fields are: '),
        ({"Phone": "email"}, 'The column mapping names a column "Phone" that is not in upload.'),
        (
            {"Email": "email", "Building": "email"},
            'The column mapping gives the field "email" to more than one column.',
        ),
    ],
)
def test_a_bad_mapping_is_refused(mapping, message):
    error = refused(csv_bytes([["1", "A", "B", "a@x.org", "m", "t"]]), mapping=mapping)

    assert error.code == "bad_mapping"
    assert error.message.startswith(message)


def test_no_recognizable_columns_lists_what_was_found_and_what_is_expected():
    error = refused(DATA / "unrecognized-columns.csv")

    assert error.code == "no_header"
    assert error.message == (
        "No recognizable column names in the first 20 rows of unrecognized-columns.csv. "
        'Columns found: "Foo", "Bar", "Baz". Expected names such as: Employee ID, First Name, '
        "Last Name, Preferred Name, Email, Building, Position, Status, Hire Date, Separation "
        "Date. Rename the columns, or give a column mapping."
    )


def test_a_missing_required_column_is_named_with_the_names_it_goes_by():
    error = refused(DATA / "missing-email-column.csv")

    assert error.code == "missing_columns"
    assert error.message == (
        "missing-email-column.csv has no column for Email (named e.g. "
        '"Work Email", "Email", "E-mail", "Email Address"). Columns found: "Employee ID", '
        '"First Name", "Last Name", "Building", "Position". Rename the columns, or give a '
        "column mapping."
    )


# Bad files


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("empty.csv", "empty", "empty.csv is empty."),
        (
            "header-only.csv",
            "header_only",
            "header-only.csv has a header row but no rows of data below it.",
        ),
        (
            "pdf-renamed.xlsx",
            "not_a_spreadsheet",
            "pdf-renamed.xlsx is a PDF document, not a spreadsheet.",
        ),
        ("garbage.xlsx", "not_a_spreadsheet", "garbage.xlsx is not a spreadsheet:"),
        ("corrupt.xlsx", "corrupt", "corrupt.xlsx looks like a workbook but cannot be read:"),
        ("encrypted.xlsx", "encrypted", "encrypted.xlsx is protected with a password."),
        (
            "zip-bomb.xlsx",
            "zip_bomb",
            "zip-bomb.xlsx would unpack to 1024.0 MB, more than the 256.0 MB",
        ),
        ("mixed-encoding.csv", "encoding", "mixed-encoding.csv mixes two text encodings"),
        ("web-page.xls", "not_a_spreadsheet", "web-page.xls is a web page (HTML)"),
        ("unrecognized-columns.csv", "no_header", "No recognizable column names"),
        (
            "missing-email-column.csv",
            "missing_columns",
            "missing-email-column.csv has no column for Email",
        ),
    ],
)
def test_bad_files_are_refused_with_a_plain_message(name, code, message):
    error = refused(DATA / name)

    assert error.code == code
    assert error.message.startswith(message)
    assert error.file is not None
    assert error.file.name == name


def test_the_zip_bomb_check_reads_the_declared_sizes_not_the_data(settings):
    """A deflated member, a few KB on disk, over a lowered limit: refused before anything is
    unpacked (the real limit is IMPORT_MAX_UNCOMPRESSED_BYTES)."""
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (2 * 1024 * 1024))
    assert len(buffer.getvalue()) < 10_000

    error = refused(buffer.getvalue(), file_name="bomb.xlsx")

    assert error.code == "zip_bomb"
    assert read(DATA / "roster.xlsx").rows  # a real workbook is far below it


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/1.jpg", b"\xff\xd8")

    error = refused(buffer.getvalue(), file_name="roster.zip")

    assert error.code == "not_a_spreadsheet"
    assert "is a zip archive but not a spreadsheet workbook" in error.message


def test_a_password_protected_opendocument_file_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", b"\x8f\x02 encrypted bytes")
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
            '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>'
            "</manifest:file-entry></manifest:manifest>",
        )

    error = refused(buffer.getvalue(), file_name="roster.ods")

    assert error.code == "encrypted"
    assert error.message.startswith("roster.ods is protected with a password.")


def test_a_csv_renamed_xlsx_is_read_by_its_content():
    table = read(DATA / "roster.csv", file_name="roster.xlsx")

    assert table.format == "csv"
    assert column(table, "employee_id") == EMPLOYEE_IDS


@pytest.mark.parametrize("as_path", [True, False])
def test_files_over_the_size_limit_are_refused_unread(settings, as_path):
    settings.IMPORT_MAX_BYTES = 500
    source = DATA / "roster.csv" if as_path else io.BytesIO((DATA / "roster.csv").read_bytes())

    error = refused(source, file_name="roster.csv")

    assert error.code == "too_large"
    assert error.message == "roster.csv is 772 bytes; files up to 500 bytes can be imported."
    assert error.file.size == 772


def test_a_stream_of_unknown_size_is_read_no_further_than_the_limit(settings):
    settings.IMPORT_MAX_BYTES = 500

    class Stream:
        name = "roster.csv"
        asked = []

        def read(self, size):
            self.asked.append(size)
            return (DATA / "roster.csv").read_bytes()[:size]

    error = refused(Stream())

    assert Stream.asked == [501]
    assert error.code == "too_large"
    assert error.message == "roster.csv is larger than the 500 bytes that can be imported."


def test_the_limits_come_from_the_environment():
    result = run_django(
        "from django.conf import settings as s\n"
        "print(s.IMPORT_MAX_BYTES, s.IMPORT_MAX_ROWS, s.IMPORT_MAX_UNCOMPRESSED_BYTES, "
        "s.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT)",
        IMPORT_MAX_BYTES="1000",
        IMPORT_MAX_ROWS="50",
        IMPORT_MAX_UNCOMPRESSED_BYTES="9000",
        IMPORT_SYNC_DEACTIVATE_CAP_PERCENT="3",
    )
    assert result.stdout.split() == ["1000", "50", "9000", "3"], result.stderr

    defaults = run_django(
        "from django.conf import settings as s\n"
        "print(s.IMPORT_MAX_BYTES, s.IMPORT_MAX_ROWS, s.IMPORT_SYNC_DEACTIVATE_CAP_PERCENT)"
    )
    assert defaults.stdout.split() == [str(20 * 1024 * 1024), "200000", "10"], defaults.stderr


def test_rows_over_the_row_limit_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 7
    error = refused(DATA / "roster.xlsx")
    assert error.code == "too_many_rows"
    assert error.message == (
        "roster.xlsx has more than 7 rows of data; split it into files of at most 7 rows."
    )

    settings.IMPORT_MAX_ROWS = 8
    assert len(read(DATA / "roster.xlsx").rows) == 8


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5000])
@pytest.mark.parametrize("name", ["roster.csv", "roster.xlsx", "roster.ods"])
def test_rows_read_the_same_whatever_the_chunks_they_arrive_in(monkeypatch, name, chunk_rows):
    """Rows come from the reader in chunks: the header may sit in any chunk, the data starts in
    the middle of one, and every row keeps its number and its cells as a tuple."""
    expected = read(DATA / name)
    monkeypatch.setattr(readers, "CHILD_CHUNK_ROWS", chunk_rows)

    table = read(DATA / name)

    assert table.header_row == expected.header_row
    assert table.rows == expected.rows
    assert [row.number for row in table.rows] == [row.number for row in expected.rows]
    assert all(type(row) is readers.Row and type(row.cells) is tuple for row in table.rows)


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 8])
def test_the_row_limit_holds_at_any_chunk_boundary(monkeypatch, settings, chunk_rows):
    monkeypatch.setattr(readers, "CHILD_CHUNK_ROWS", chunk_rows)
    content = b"Employee ID,First,Last,Email,Building,Position\r\n" + b"".join(
        f"{n},Ann,Lee,a{n}@x.org,maple,teacher\r\n,,,,,\r\n".encode() for n in range(8)
    )
    settings.IMPORT_MAX_ROWS = 7
    assert refused(content).code == "too_many_rows"

    settings.IMPORT_MAX_ROWS = 8
    table = read(content)
    assert [row.number for row in table.rows] == [2, 4, 6, 8, 10, 12, 14, 16]


# Values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("2019-08-20", dt.date(2019, 8, 20)),
        ("2019-08-20 00:00:00", dt.date(2019, 8, 20)),
        ("2019-8-5", dt.date(2019, 8, 5)),
        ("8/20/2019", dt.date(2019, 8, 20)),
        ("08/20/2019", dt.date(2019, 8, 20)),
        ("08-20-2019", dt.date(2019, 8, 20)),
        ("8/20/19", dt.date(2019, 8, 20)),
        ("1/5/65", dt.date(1965, 1, 5)),
        ("8/20/2019 12:00 AM", dt.date(2019, 8, 20)),
        ("43697", dt.date(2019, 8, 20)),
        ("43697.5", dt.date(2019, 8, 20)),
        ("20190820", dt.date(2019, 8, 20)),
        ("Aug 20, 2019", dt.date(2019, 8, 20)),
        ("20-Aug-2019", dt.date(2019, 8, 20)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, today=dt.date(2026, 10, 5)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/31/2020", MSG_DATE),
        ("20/08/2019", MSG_DATE),
        ("2019-02-30", MSG_DATE),
        ("next Tuesday", MSG_DATE),
        ("8/20", MSG_DATE),
        ("12", MSG_DATE_RANGE),
        ("1850-01-01", MSG_DATE_RANGE),
    ],
)
def test_unreadable_dates_say_how_to_write_them(text, message):
    with pytest.raises(ValueProblem) as caught:
        parse_date(text)
    assert str(caught.value) == message


def test_clean_email():
    assert clean_email(" Ann.Lee@bps.example.org ") == "Ann.Lee@bps.example.org"
    for bad in ("ann", "ann@", "@bps.example.org", "ann lee@bps.example.org", "ann@@x.org"):
        with pytest.raises(ValueProblem, match=MSG_EMAIL):
            clean_email(bad)


def test_the_column_check_of_addresses_flags_exactly_what_the_row_check_does():
    texts = [
        "Ann.Lee@bps.example.org",
        "ann",
        "ann@",
        "@bps.example.org",
        "",
        "ann lee@bps.example.org",
        "ann@@x.org",
        "ann@localhost",
        "ann@[127.0.0.1]",
        "ann@bps..org",
        "ann@-bps.org",
        '"ann lee"@bps.example.org',
        "a@b@bps.example.org",
        "x" * 250 + "@bps.org",
        "x" * 240 + "@bps.org",
        "ann@bps.example.org.",
        "Ann@BPS.Example.ORG",
    ]
    for max_length in (254, 20):
        by_row = {
            index
            for index, text in enumerate(texts)
            if email_problem(text, max_length=max_length) is not None
        }
        assert set(email_problem_rows(texts, max_length=max_length)) == by_row
    assert set(email_problem_rows(texts)) == {1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 15}

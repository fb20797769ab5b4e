"""The exporter base (core.exporters): every value written with its look, row after row,
whether it goes in as it is or through a cell with a look (one per column and look, reused by
each row), read back with openpyxl."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.exporters import Exporter, Sheet, Styled

STARTS = "yyyy-mm-dd h:mm AM/PM"
CHICAGO = ZoneInfo("America/Chicago")


def rows() -> list[list]:
    """Many rows, so that reused cells would show any value or look left over from a row
    before."""
    made = []
    for i in range(60):
        starts = dt.datetime(2027, 1, 1 + i % 5, 9 + i % 3, tzinfo=dt.UTC)
        made.append(
            [
                f'=HYPERLINK("x{i}")' if i % 4 == 0 else f"Name {i}",
                dt.date(2027, 3, 1 + i % 28),
                starts if i % 6 else None,
                Styled(i / 60, "0.0%", bold=i % 2 == 0) if i % 7 else None,
                Decimal("1.50") + i,
                f"Wrapped {i}" if i % 5 else f"-{i}",
                i,
                dt.date(2027, 4, 1 + i % 28),
            ]
        )
    return made


class Example(Exporter):
    filename = "example"

    def sheets(self):
        yield Sheet(
            title="Example",
            header=("Name", "Due on", "Starts", "Rate", "Hours", "Notes"),
            rows=rows(),
            number_formats={1: "yyyy-mm-dd", 2: STARTS, 7: "d mmm yyyy"},
            wrap_columns=frozenset({5}),
        )


@pytest.fixture
def sheet(settings):
    settings.TIME_ZONE = "America/Chicago"
    with timezone.override(CHICAGO):
        content = Example().xlsx().content
    return load_workbook(io.BytesIO(content))["Example"]


def test_every_value_is_written_with_its_look_row_after_row(sheet):
    for index, row in enumerate(rows()):
        cells = sheet[index + 2]
        name, due, starts, rate, hours, notes, number, other_date = row

        assert cells[0].value == name and cells[0].data_type == "s"  # never a formula
        assert cells[1].value == dt.datetime.combine(due, dt.time())
        assert cells[1].number_format == "yyyy-mm-dd"
        if starts is None:
            assert cells[2].value is None
        else:
            local = starts.astimezone(CHICAGO).replace(tzinfo=None)
            assert (cells[2].value, cells[2].number_format) == (local, STARTS)
        if rate is None:
            assert cells[3].value is None
        else:
            assert cells[3].value == pytest.approx(rate.value)
            assert (cells[3].number_format, cells[3].font.b) == ("0.0%", rate.bold)
        assert cells[4].value == float(hours) and cells[4].number_format == "General"
        assert cells[5].value == notes and cells[5].data_type == "s"
        assert cells[5].alignment.wrap_text
        assert cells[6].value == number and not cells[6].font.b
        assert cells[7].value == dt.datetime.combine(other_date, dt.time())
        assert cells[7].number_format == "d mmm yyyy"


def test_the_header_is_bold_and_plain_columns_have_no_look(sheet):
    assert [cell.value for cell in sheet[1]][:6] == [
        "Name",
        "Due on",
        "Starts",
        "Rate",
        "Hours",
        "Notes",
    ]
    assert all(cell.font.b for cell in sheet[1][:6])
    assert not sheet["A3"].font.b and not sheet["A3"].alignment.wrap_text

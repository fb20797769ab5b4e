"""Reports on the shared district: the district's completions workbook (the report built from the
database, then written), against openpyxl alone writing the same cells; its peak memory; and the
district's completion rates as JSON (/api/v1/progress/ as district PD), with a query count that
must not grow with the district."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from core.exporters import Styled
from enrollment.models import Enrollment
from plan.progress import DISTRICT, Filters, default_plan_year, next_sessions, progress_report
from plan.seats import seats_against_plan
from plan.workbooks import CompletionsWorkbook

from . import core

RATES_TARGET_MS = 500
MEMORY_TARGET_MB = 300
# The district the query count is compared with: the same generator, a hundredth of the staff.
SMALL_DISTRICT = {"staff": 250, "buildings": 5, "sessions": 40, "seed": 1}
# A login of its own, made alike in both districts (bench_api links its login to a person).
USERNAME = "bench-reports-district-pd"

WORKBOOK = "district workbook, 25,000 staff x 10 requirements"
WORKBOOK_MEMORY = "district workbook, peak memory"
RATES = "district completion rates (JSON)"
RATES_QUERIES = "district completion rates (JSON), queries"
FIGURES = (WORKBOOK, WORKBOOK_MEMORY, RATES, RATES_QUERIES)


# The workbook and its floor


def district_workbook() -> bytes:
    """What export_completions and the leaders' download do for the whole district."""
    report = progress_report(scope=DISTRICT, filters=Filters(plan_year=default_plan_year()))
    sessions = next_sessions(item.requirement for item in report.requirements)
    seats = seats_against_plan(report)
    return CompletionsWorkbook(report, sessions=sessions, seats=seats).xlsx().content


@dataclass(frozen=True)
class PlainSheet:
    title: str
    preamble: Sequence[str]
    header: Sequence[str]
    rows: list[list]


def _plain(value: object) -> object:
    if isinstance(value, Styled):
        value = value.value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


def workbook_cells() -> tuple[list[PlainSheet], int]:
    """Every sheet's cells as plain values, and how many people the report counts."""
    report = progress_report(scope=DISTRICT, filters=Filters(plan_year=default_plan_year()))
    sessions = next_sessions(item.requirement for item in report.requirements)
    sheets = [
        PlainSheet(
            sheet.title,
            list(sheet.preamble),
            list(sheet.header),
            [[_plain(value) for value in row] for row in sheet.rows],
        )
        for sheet in CompletionsWorkbook(
            report, sessions=sessions, seats=seats_against_plan(report)
        ).sheets()
    ]
    return sheets, len(report.people_ids())


def openpyxl_floor(sheets: list[PlainSheet]) -> bytes:
    """The same cells written by a write-only openpyxl workbook, nothing else."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title)
        for line in sheet.preamble:
            worksheet.append([line])
        if sheet.preamble:
            worksheet.append([])
        worksheet.append(sheet.header)
        for row in sheet.rows:
            worksheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# The figures


def workbook_against_floor() -> core.Figure:
    sheets, people = workbook_cells()
    cells = sum(len(row) for sheet in sheets for row in sheet.rows)
    requirements = len(sheets[0].header) - 2 if sheets else 0
    subject, floor = core.compare(
        district_workbook, lambda: openpyxl_floor(sheets), repeat=3, warmup=0
    )
    return core.against_floor(
        WORKBOOK,
        subject,
        floor,
        unit="s",
        note=f"{people:,} people x {requirements} requirements, {len(sheets)} sheets, "
        f"{cells:,} data cells; best of 3",
    )


# A child process sets Django up on the run's database and builds the workbook; its peak resident
# memory is the whole process's: interpreter, Django, the report, the workbook.
CHILD_WORKBOOK = (
    "import django; django.setup(); "
    "from bench.bench_reports import district_workbook; print(len(district_workbook()))"
)
CHILD_BARE = "import django; django.setup(); import plan.workbooks; print(0)"


def _child(context: core.Context, code: str) -> core.ChildRun:
    env = os.environ | {
        "DATABASE_URL": context.database_url,
        "DJANGO_SETTINGS_MODULE": "learning.settings",
        "DEBUG": "true",
        "CACHE_URL": "",
    }
    child = core.run_child([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR)
    if child.returncode != 0:
        raise RuntimeError(f"The workbook's child process failed:\n{child.stderr[-2000:]}")
    return child


def workbook_memory(context: core.Context) -> core.Figure:
    bare = _child(context, CHILD_BARE)
    child = _child(context, CHILD_WORKBOOK)
    return core.at_most(
        WORKBOOK_MEMORY,
        child.peak_rss / core.MB,
        MEMORY_TARGET_MB,
        unit="MB",
        note=f"peak resident memory of a process building the report and the workbook "
        f"({int(child.stdout):,} bytes); the same process with Django alone: "
        f"{bare.peak_rss / core.MB:.0f} MB",
    )


def figures(context: core.Context) -> Iterator[core.Figure]:
    context.district()

    yield workbook_against_floor()

    yield workbook_memory(context)

    client = core.district_pd_client(USERNAME)
    url = reverse("progress")

    def rates() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    seconds = core.timed(rates, repeat=5, warmup=1)
    enrollments = Enrollment.objects.count()
    yield core.at_most(
        RATES,
        seconds * 1000,
        RATES_TARGET_MS,
        unit="ms",
        note=f"GET {url} as district PD; {enrollments:,} enrollments; best of 5",
    )

    queries, _ = core.count_queries(rates)
    with context.scratch_database():
        from demo.synthetic import generate_district

        generate_district(**SMALL_DISTRICT)
        small_client = core.district_pd_client(USERNAME)
        small_queries, response = core.count_queries(lambda: small_client.get(url))
        assert response.status_code == 200, response.status_code
    yield core.Figure(
        RATES_QUERIES,
        queries,
        "queries",
        target=f"= {small_queries} (a {SMALL_DISTRICT['staff']}-staff district)",
        met=queries == small_queries,
    )

"""The completions workbook and the Outstanding list: the progress report (plan.progress) to
take away. Every number comes from the report as the pages show it; nothing here counts again or
queries the database, so a workbook costs the report's queries plus next_sessions' whatever the
number of people.

    report = progress_report(scope=..., filters=..., as_of=...)
    sessions = next_sessions(item.requirement for item in report.requirements)
    CompletionsWorkbook(report, sessions=sessions, seats=seats).xlsx()   # Summary, buildings...
    OutstandingExporter(report, sessions=sessions).csv()    # the Outstanding list alone
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

from django.conf import settings
from django.utils import formats, timezone
from django.utils.text import slugify
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from core.exporters import Exporter, Layout, Sheet, Styled
from learning.choices import RequirementKind
from plan.progress import (
    AT_RISK_POINTS,
    DEFINITIONS,
    PersonState,
    ProgressReport,
    RequirementProgress,
    Status,
    Tally,
)
from plan.seats import RequirementSeats

RATE_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
NOT_APPLICABLE = "—"
NO_BUILDING = "No building"

SUMMARY_TITLE = "Summary"
OUTSTANDING_TITLE = "Outstanding"
DEFINITIONS_TITLE = "Definitions"
SEATS_TITLE = "Seats"
SEATS_HEADER = (
    "Requirement",
    "Building",
    "Due on",
    "Target",
    "Audience",
    "Completed",
    "Holding a place",
    "Still needed by the due date",
    "Seats left in time",
    "Sessions counted",
    "Short",
    "Warning",
)
SEATS_WIDTHS = (28, 30, 12, 9, 10, 11, 10, 12, 10, 10, 9, 60)
# Excel reserves "History" for its change tracking.
RESERVED_TITLES = (SUMMARY_TITLE, OUTSTANDING_TITLE, SEATS_TITLE, DEFINITIONS_TITLE, "History")

MAX_TITLE = 31
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")

# Fills matching the status colours of the pages: met, on track, at risk, behind.
FILL_MET = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
FILL_ON_TRACK = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
FILL_AT_RISK = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
FILL_BEHIND = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")

OUTSTANDING_HEADER = (
    "Last name",
    "First name",
    "Employee ID",
    "Building",
    "Position",
    "Requirement",
    "Due on",
    "State",
    "Next session",
    "Next session starts",
    "Seats left",
)
OUTSTANDING_WIDTHS = (18, 16, 13, 26, 20, 40, 12, 10, 44, 18, 10)

PERSON_HEADER = ("Last name", "First name", "Employee ID", "Position")
PERSON_WIDTHS = (18, 16, 13, 20)


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid sheet title, unique among `taken` (compared without case, as Excel does), which
    it joins: forbidden characters replaced, no apostrophe at either end, at most 31
    characters. Building names are typed by people, so anything may come in."""
    base = _TITLE_FORBIDDEN.sub("-", name).strip().strip("'").strip() or "Building"
    title = base[:MAX_TITLE].rstrip().rstrip("'").rstrip()
    number = 1
    while title.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: MAX_TITLE - len(suffix)].rstrip().rstrip("'").rstrip() + suffix
    taken.add(title.casefold())
    return title


def requirement_label(requirement) -> str:
    """A requirement's short name for a column header: its title, else what it asks."""
    if requirement.title:
        return requirement.title
    if requirement.kind == RequirementKind.CLOCK_HOURS:
        return f"{requirement.clock_hours.normalize():f} clock hours in {requirement.strand.name}"
    return str(requirement.course)


def scope_slug(report: ProgressReport) -> str:
    """The scope in a file name: district, or the codes of the buildings it is narrowed to."""
    building_ids = report.filters.building_ids or report.scope.building_ids
    if not building_ids:
        return "district"
    codes = sorted(
        slugify(report.buildings[pk].code) for pk in building_ids if pk in report.buildings
    )
    if len(codes) > 3:
        return f"{len(codes)}-buildings"
    return "-".join(codes) or "buildings"


def scope_label(report: ProgressReport) -> str:
    """Whose numbers these are, in words."""
    building_ids = report.filters.building_ids or report.scope.building_ids
    if not building_ids:
        return "District"
    names = sorted(
        (report.buildings[pk].name for pk in building_ids if pk in report.buildings),
        key=str.casefold,
    )
    return ", ".join(names)


def export_name(report: ProgressReport, what: str) -> str:
    """e.g. birmingham-public-schools-completions-district-2026-11-22 (no extension)."""
    district = slugify(settings.DISTRICT_NAME) or "district"
    return f"{district}-{what}-{scope_slug(report)}-{report.as_of.isoformat()}"


def _long_date(day: dt.date) -> str:
    return formats.date_format(day, "F j, Y")


def _rate(tally: Tally | None) -> Styled | None:
    if tally is None or not tally.audience:
        return None
    return Styled(tally.rate, number_format=RATE_FORMAT)


def _next_session(sessions: Sequence) -> object | None:
    """The session to suggest: the soonest with a seat left, else the soonest (its waitlist)."""
    for session in sessions:
        if (session.seats_left or 0) > 0:
            return session
    return sessions[0] if sessions else None


OUTSTANDING_STATES = frozenset(state for state in PersonState if state.outstanding)


class _Base(Exporter):
    def __init__(self, report: ProgressReport, *, sessions: Mapping[int, list]) -> None:
        self.report = report
        self.sessions = sessions
        self._rank: dict[int, int] | None = None

    def name_rank(self) -> dict[int, int]:
        """Each person counted by the report -> their place in name order: the people are
        ordered by name once, then compared by number."""
        if self._rank is None:
            staff = self.report.staff
            ids = {entry.staff_id for item in self.report.requirements for entry in item.entries}
            ordered = sorted(ids, key=lambda pk: staff[pk].sort_name)
            self._rank = {pk: index for index, pk in enumerate(ordered)}
        return self._rank

    def _building_name(self, building_id: int | None) -> str:
        building = self.report.buildings.get(building_id) if building_id is not None else None
        return building.name if building is not None else ""

    def _position_name(self, position_id: int | None) -> str:
        position = self.report.positions.get(position_id) if position_id is not None else None
        return position.name if position is not None else ""

    def outstanding_rows(self) -> Iterator[tuple]:
        """Who still needs what, by building, person and requirement, with the next session
        that would give it to them."""
        report = self.report
        rank = self.name_rank()
        # What a row takes from its requirement, building and position, worked out once each.
        requirement_cells = []
        for item in report.requirements:
            requirement = item.requirement
            session = _next_session(self.sessions.get(requirement.pk, ()))
            requirement_cells.append(
                (
                    requirement_label(requirement),
                    requirement.due_on,
                    session.display_title if session is not None else "",
                    getattr(session, "first_starts_at", None),
                    session.seats_left if session is not None else None,
                )
            )
        building_names: dict[int | None, str] = {}
        position_names: dict[int | None, str] = {}
        rows = []
        for order, item in enumerate(report.requirements):
            for entry in item.entries:
                if entry.state in OUTSTANDING_STATES:
                    building_id = entry.building_id
                    name = building_names.get(building_id)
                    if name is None:
                        name = building_names[building_id] = self._building_name(building_id)
                    rows.append((name.casefold(), rank[entry.staff_id], order, name, entry))
        rows.sort(key=lambda row: row[:3])
        labels = {state: state.label for state in PersonState}
        for _key, _rank, order, building_name, entry in rows:
            person = report.staff[entry.staff_id]
            label, due_on, title, starts_at, seats_left = requirement_cells[order]
            position_name = position_names.get(entry.position_id)
            if position_name is None:
                position_name = position_names[entry.position_id] = self._position_name(
                    entry.position_id
                )
            yield (
                person.last_name,
                person.preferred_name or person.first_name,
                person.employee_id,
                building_name,
                position_name,
                label,
                due_on,
                labels[entry.state],
                title,
                starts_at,
                seats_left,
            )

    def outstanding_sheet(self) -> Sheet:
        return Sheet(
            title=OUTSTANDING_TITLE,
            header=OUTSTANDING_HEADER,
            rows=self.outstanding_rows(),
            widths=OUTSTANDING_WIDTHS,
            number_formats={6: DATE_FORMAT, 9: "yyyy-mm-dd h:mm AM/PM"},
            freeze_header=True,
            autofilter=True,
        )


class OutstandingExporter(_Base):
    """The Outstanding list alone, for CSV: one row per person and requirement not completed."""

    def __init__(self, report: ProgressReport, *, sessions: Mapping[int, list]) -> None:
        super().__init__(report, sessions=sessions)
        self.filename = export_name(report, "outstanding")

    def sheets(self) -> Iterator[Sheet]:
        yield self.outstanding_sheet()


class CompletionsWorkbook(_Base):
    """Summary (building x requirement rates against the targets, with a chart), one sheet per
    building with its people x requirements, Outstanding, and Definitions."""

    def __init__(
        self,
        report: ProgressReport,
        *,
        sessions: Mapping[int, list],
        seats: Sequence[RequirementSeats] = (),
    ) -> None:
        super().__init__(report, sessions=sessions)
        self.seats = seats
        self.filename = export_name(report, "completions")
        self._by_person: dict[int, list] | None = None
        self._people_in: dict[int | None, set[int]] = {}

    def building_ids(self) -> list[int | None]:
        """The Summary's rows and the building sheets: the buildings with anyone counted, by
        name, then "No building" when someone is counted under none."""
        return [place.pk if place else None for place in self.report.breakdown_places("building")]

    def sheets(self) -> Iterator[Sheet]:
        taken = {title.casefold() for title in RESERVED_TITLES}
        building_ids = self.building_ids()
        yield self.summary_sheet(building_ids)
        for building_id in building_ids:
            name = self._building_name(building_id) or NO_BUILDING
            yield self.building_sheet(building_id, sheet_title(name, taken))
        yield self.outstanding_sheet()
        yield self.seats_sheet()
        yield self.definitions_sheet()

    # Seats against the plan

    def seats_sheet(self) -> Sheet:
        return Sheet(
            title=SEATS_TITLE,
            header=SEATS_HEADER,
            rows=self.seats_rows(),
            widths=SEATS_WIDTHS,
            preamble=[
                f"{settings.DISTRICT_NAME}: seats against the plan, counted "
                f"{_long_date(timezone.localdate())}",
                "For each requirement still to come due: the completions its target still "
                "needs, the places held, and the seats left in sessions that end by the due "
                "date, open to its audience and not yet started.",
            ],
            number_formats={2: DATE_FORMAT, 3: RATE_FORMAT},
            freeze_header=True,
            wrap_header=True,
            wrap_columns=frozenset({11}),
        )

    def seats_rows(self) -> Iterator[list]:
        for seats in self.seats:
            requirement = seats.item.requirement
            for count in (seats.overall, *seats.by_building):
                overall = count is seats.overall
                if overall:
                    place = Styled(scope_label(self.report), bold=True)
                else:
                    place = count.building.name if count.building else NO_BUILDING
                yield [
                    Styled(seats.short_label, bold=True) if overall else seats.short_label,
                    place,
                    requirement.due_on,
                    requirement.target_percent / 100,
                    count.audience,
                    count.completed,
                    count.enrolled,
                    count.needed,
                    count.seats_left,
                    count.sessions,
                    count.short if overall else None,
                    seats.warning if overall else "",
                ]

    # Summary

    def preamble(self) -> list[str]:
        report = self.report
        year = report.plan_year.name if report.plan_year is not None else "every plan year"
        return [
            f"{settings.DISTRICT_NAME}: completions against the plan, {year}",
            f"As of {_long_date(report.as_of)}",
            f"Scope: {scope_label(report)}",
        ]

    def summary_sheet(self, building_ids: list[int | None]) -> Sheet:
        report = self.report
        items = report.requirements
        header = ["Building", *(requirement_label(item.requirement) for item in items)]
        header.append("All requirements")
        return Sheet(
            title=SUMMARY_TITLE,
            header=header,
            rows=self.summary_rows(building_ids),
            widths=(30, *(22 for _ in items), 16),
            preamble=self.preamble(),
            freeze_header=True,
            freeze_columns=1,
            wrap_header=True,
            finish=lambda worksheet, layout: self.finish_summary(
                worksheet, layout, buildings=len(building_ids)
            ),
        )

    def total_label(self) -> str:
        report = self.report
        if report.scope.district and not report.filters.building_ids:
            return "District total"
        return f"Total: {scope_label(report)}"

    def summary_rows(self, building_ids: list[int | None]) -> Iterator[list]:
        items = self.report.requirements
        for building_id in building_ids:
            combined = Tally()
            row: list = [self._building_name(building_id) or NO_BUILDING]
            for item in items:
                tally = item.by_building.get(building_id)
                row.append(_rate(tally))
                if tally is not None:
                    combined.add(tally)
            row.append(_rate(combined))
            yield row
        bold_rate = [
            Styled(item.tally.rate, number_format=RATE_FORMAT, bold=True)
            if item.tally.audience
            else None
            for item in items
        ]
        total = self.report.total
        yield [
            Styled(self.total_label(), bold=True),
            *bold_rate,
            Styled(total.rate, number_format=RATE_FORMAT, bold=True) if total.audience else None,
        ]
        yield [
            "Target",
            *(Styled(item.requirement.target_percent / 100, RATE_FORMAT) for item in items),
        ]
        yield [
            f"Expected by {self.report.as_of.isoformat()}",
            *(
                Styled(item.expected_percent / 100, RATE_FORMAT)
                if item.expected_percent is not None
                else None
                for item in items
            ),
        ]
        yield ["Status", *(item.status.label for item in items)]
        yield ["Completed", *(item.tally.completed for item in items), total.completed]
        yield ["Audience", *(item.tally.audience for item in items), total.audience]
        yield ["Due on", *(Styled(item.requirement.due_on, DATE_FORMAT) for item in items)]
        yield ["Counted on", *(Styled(item.count_date, DATE_FORMAT) for item in items)]

    def finish_summary(self, worksheet, layout: Layout, *, buildings: int) -> None:
        """Colour each requirement's rates against its target and the rate expected today, and
        chart the buildings' rates."""
        items = self.report.requirements
        first, last_building = layout.first_row, layout.first_row + buildings - 1
        total_row = last_building + 1
        target_row, expected_row = total_row + 1, total_row + 2
        for index, item in enumerate(items):
            column = get_column_letter(index + 2)
            cells = f"{column}{first}:{column}{total_row}"
            top = f"{column}{first}"
            target = f"{column}${target_row}"
            expected = f"{column}${expected_row}"
            # Blank cells (nobody counted) are not zero: leave them uncoloured.
            number = f"ISNUMBER({top})"
            rules = [(f"AND({number},{top}>={target})", FILL_MET)]
            # Until the due date, the day itself included, a rate can be on track or at risk.
            if item.status != Status.NO_AUDIENCE and self.report.as_of <= item.requirement.due_on:
                rules.append((f"AND({number},{top}>={expected})", FILL_ON_TRACK))
                rules.append(
                    (f"AND({number},{top}>={expected}-{AT_RISK_POINTS / 100})", FILL_AT_RISK)
                )
            rules.append((number, FILL_BEHIND))
            for formula, fill in rules:
                worksheet.conditional_formatting.add(
                    cells, FormulaRule(formula=[formula], fill=fill, stopIfTrue=True)
                )
        if buildings and items:
            chart = BarChart()
            chart.type = "col"
            chart.title = "Completion rate by building"
            chart.y_axis.title = "Rate"
            chart.y_axis.number_format = "0%"
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = 1
            chart.x_axis.delete = False
            chart.y_axis.delete = False
            # As wide as the table above it (a column is about 0.2 cm a character), so that
            # the page printed at the table's width holds the chart whole.
            table_width = 30 + 22 * len(items) + 16
            chart.width = min(max(16, 0.2 * table_width), 48)
            chart.height = 10
            data = Reference(
                worksheet,
                min_col=2,
                max_col=len(items) + 1,
                min_row=layout.header_row,
                max_row=last_building,
            )
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(
                Reference(worksheet, min_col=1, min_row=first, max_row=last_building)
            )
            worksheet.add_chart(chart, f"A{layout.last_row + 3}")
            # The chart prints with the table: about two rows a centimetre below it.
            chart_rows = math.ceil(chart.height * 2) + 3
            worksheet.print_area = (
                f"A1:{get_column_letter(layout.columns)}{layout.last_row + chart_rows}"
            )

    # One sheet per building

    def building_sheet(self, building_id: int | None, title: str) -> Sheet:
        items = self.report.requirements
        return Sheet(
            title=title,
            header=[
                *PERSON_HEADER,
                *(requirement_label(item.requirement) for item in items),
                "Completed",
                "Outstanding",
            ],
            rows=self.building_rows(building_id),
            widths=(*PERSON_WIDTHS, *(20 for _ in items), 11, 12),
            preamble=[
                f"{self._building_name(building_id) or NO_BUILDING}: completions by person",
                f"As of {_long_date(self.report.as_of)}",
            ],
            number_formats={len(PERSON_HEADER) + i: DATE_FORMAT for i in range(len(items))},
            freeze_header=True,
            freeze_columns=2,
            autofilter=True,
            wrap_header=True,
            finish=self.finish_building,
        )

    def _index(self) -> None:
        """Each person's entry for every requirement (None where it does not count them), in
        requirement order, and who is counted in each building: once for all the sheets."""
        items = self.report.requirements
        by_person: dict[int, list] = {}
        people_in: dict[int | None, set[int]] = defaultdict(set)
        for index, item in enumerate(items):
            for entry in item.entries:
                row = by_person.get(entry.staff_id)
                if row is None:
                    row = by_person[entry.staff_id] = [None] * len(items)
                row[index] = entry
                people_in[entry.building_id].add(entry.staff_id)
        self._by_person, self._people_in = by_person, dict(people_in)

    def building_rows(self, building_id: int | None) -> Iterator[list]:
        """One row per person counted here by any requirement: the date they completed it, or
        where they stand. A requirement that does not apply to them shows a dash; one that
        counts them in another building (they moved before its count date) says which."""
        report = self.report
        if self._by_person is None:
            self._index()
        people = sorted(self._people_in.get(building_id, ()), key=self.name_rank().__getitem__)
        elsewhere: dict[int | None, str] = {}
        labels = {state: state.label for state in PersonState}
        completed_state, late_state = PersonState.COMPLETED, PersonState.LATE
        for staff_id in people:
            person, entries = report.staff[staff_id], self._by_person[staff_id]
            cells: list = []
            completed = outstanding = 0
            position_id = None
            # state_cell, written out: this loop runs for every person and requirement.
            for entry in entries:
                if entry is None:
                    cells.append(NOT_APPLICABLE)
                elif entry.building_id != building_id:
                    text = elsewhere.get(entry.building_id)
                    if text is None:
                        name = self._building_name(entry.building_id) or NO_BUILDING
                        text = elsewhere[entry.building_id] = f"Counted at {name}"
                    cells.append(text)
                else:
                    if position_id is None:
                        position_id = entry.position_id
                    state = entry.state
                    if state is completed_state:
                        completed += 1
                        cells.append(entry.completed_on)
                    elif state is late_state:
                        cells.append(f"{labels[state]} {entry.completed_on.isoformat()}")
                    else:
                        outstanding += 1
                        cells.append(labels[state])
            yield [
                person.last_name,
                person.preferred_name or person.first_name,
                person.employee_id,
                self._position_name(position_id),
                *cells,
                completed,
                outstanding,
            ]

    @staticmethod
    def state_cell(entry) -> object:
        if entry.state == PersonState.COMPLETED:
            return entry.completed_on
        if entry.state == PersonState.LATE:
            return f"{entry.state.label} {entry.completed_on.isoformat()}"
        return entry.state.label

    def finish_building(self, worksheet, layout: Layout) -> None:
        items = self.report.requirements
        if not items or layout.last_row < layout.first_row:
            return
        first_col = len(PERSON_HEADER) + 1
        cells = (
            f"{get_column_letter(first_col)}{layout.first_row}:"
            f"{get_column_letter(first_col + len(items) - 1)}{layout.last_row}"
        )
        top = f"{get_column_letter(first_col)}{layout.first_row}"
        for label, fill in (
            (PersonState.MISSING.label, FILL_BEHIND),
            (PersonState.ENROLLED.label, FILL_AT_RISK),
        ):
            worksheet.conditional_formatting.add(
                cells, FormulaRule(formula=[f'{top}="{label}"'], fill=fill)
            )

    # Definitions

    def definitions_rows(self) -> Iterator[tuple]:
        report = self.report
        filters = report.filters
        yield ("As of", Styled(report.as_of, DATE_FORMAT))
        yield ("Scope", scope_label(report))
        yield (
            "Plan year",
            report.plan_year.name if report.plan_year is not None else "Every plan year",
        )
        if filters.strand_id is not None:
            strand = report.strands.get(filters.strand_id)
            yield ("Strand", strand.name if strand is not None else f"#{filters.strand_id}")
        if filters.building_ids:
            yield ("Buildings", scope_label(report))
        if filters.position_ids:
            names = sorted(
                (
                    report.positions[pk].name
                    for pk in filters.position_ids
                    if pk in report.positions
                ),
                key=str.casefold,
            )
            yield ("Positions", ", ".join(names))
        if filters.requirement_id is not None:
            chosen = [
                requirement_label(item.requirement)
                for item in report.requirements
                if item.requirement.pk == filters.requirement_id
            ]
            yield ("Requirement", chosen[0] if chosen else f"#{filters.requirement_id}")
        yield ("", "")
        yield from DEFINITIONS
        yield (
            "Outstanding",
            "Everyone counted who has not completed a requirement: enrolled or missing. The "
            "next session is the soonest published one that would satisfy it, with a seat left "
            "if there is one.",
        )
        yield ("", "")
        for item in report.requirements:
            yield (requirement_label(item.requirement), self.requirement_text(item))

    def requirement_text(self, item: RequirementProgress) -> str:
        requirement = item.requirement
        since = (
            "any earlier date" if item.window_start is None else f"{item.window_start.isoformat()}"
        )
        return (
            f"Goal: {requirement.goal.title}. {requirement.describe()}. Counted on "
            f"{item.count_date.isoformat()}; completions from {since} count. "
            f"{item.tally.completed} of {item.tally.audience} completed; "
            f"status: {item.status.label}."
        )

    def definitions_sheet(self) -> Sheet:
        return Sheet(
            title=DEFINITIONS_TITLE,
            header=("Term", "How it is computed"),
            rows=self.definitions_rows(),
            widths=(30, 100),
            preamble=[f"{settings.DISTRICT_NAME}: how the completions workbook is computed"],
            wrap_columns=frozenset({1}),
        )

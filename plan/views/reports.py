"""/leaders/ report pages: progress against the plan (goals, buildings, positions, strands and two
charts), the people behind each number, and who still needs each requirement with the sessions
that would give it to them. Every number comes from plan.progress, already scoped to the
user; these views only arrange it and link each number to its people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from core.filters import without_blank_values
from learning import access
from learning.choices import RequirementKind
from plan import charts
from plan import jobs as plan_jobs
from plan.filters import ProgressFilterSet
from plan.progress import (
    DEFINITIONS,
    PersonState,
    ProgressReport,
    RequirementProgress,
    Tally,
    next_sessions,
    people_of,
)
from plan.views.common import filtered_report, require_reports

# The filter form's single-choice prompts. Building and position accept several codes (the
# downloads and API use that); the page offers one per select, which arrives as a one-item list.
PROMPTS = {
    "plan_year": "The current plan year",
    "strand": "All strands",
    "building": "All buildings",
    "position": "All positions",
    "requirement": "All requirements",
}

# people?state=: which of a requirement's audience to list.
STATES: dict[str, frozenset[PersonState] | None] = {
    "all": None,
    "completed": frozenset({PersonState.COMPLETED}),
    "late": frozenset({PersonState.LATE}),
    "enrolled": frozenset({PersonState.ENROLLED}),
    "missing": frozenset({PersonState.MISSING}),
    "outstanding": frozenset({PersonState.ENROLLED, PersonState.MISSING}),
}
STATE_LABELS = {
    "all": "Everyone counted",
    "completed": "Completed",
    "late": "Completed late",
    "enrolled": "Enrolled, not yet completed",
    "missing": "Missing: not completed, not enrolled",
    "outstanding": "Still need it",
}
MSG_UNKNOWN_STATE = "Choose one of: {choices}."
MSG_UNKNOWN_CHART = "Choose one of the requirements this report shows."

# Parameters of these pages that are not report filters: links set them anew.
PAGE_PARAMS = ("state", "chart")
ASSIGNING_ROLES = frozenset({access.Role.BUILDING_LEADER, access.Role.DISTRICT_PD})


@dataclass(frozen=True)
class Cell:
    """One rate of a comparison table: completed of audience, against the target."""

    tally: Tally
    met: bool
    url: str


class _Links:
    """URLs of the report pages under the current filters, with some parameters replaced."""

    def __init__(self, request: HttpRequest) -> None:
        self.params = without_blank_values(request.GET)
        for name in PAGE_PARAMS:
            self.params.pop(name, None)

    def url(self, name: str, **replace) -> str:
        params: QueryDict = self.params.copy()
        for key, value in replace.items():
            if value is None:
                params.pop(key, None)
            else:
                params.setlist(key, [str(value)])
        query = params.urlencode()
        return f"{reverse(name)}?{query}" if query else reverse(name)

    def people(self, item: RequirementProgress | None = None, **replace) -> str:
        if item is not None:
            replace["requirement"] = item.requirement.pk
        return self.url("leaders:people", **replace)

    @property
    def url_dashboard(self) -> str:
        return self.url("leaders:dashboard")

    @property
    def url_outstanding(self) -> str:
        return self.url("leaders:outstanding")

    @property
    def url_workbook(self) -> str:
        return self.url("leaders:workbook")

    @property
    def url_outstanding_csv(self) -> str:
        return self.url("leaders:outstanding-csv")

    @property
    def url_subscribe(self) -> str:
        return self.url("leaders:subscriptions", as_of=None)

    def hidden_inputs(self) -> list[tuple[str, str]]:
        return [(key, value) for key, values in self.params.lists() for value in values]


def _present_form(filterset: ProgressFilterSet) -> forms.Form:
    """Widgets and labels for the page; the form is already validated, so only rendering
    changes."""
    form = filterset.form
    for name, prompt in PROMPTS.items():
        field = form.fields[name]
        field.empty_label = prompt
        if isinstance(field.widget, forms.SelectMultiple):
            field.widget = forms.Select()
        if name == "requirement":
            field.queryset = field.queryset.select_related("course", "strand", "goal__plan_year")
            field.label_from_instance = _requirement_choice
        field.widget.choices = field.choices
    form.fields["as_of"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return form


def _requirement_choice(requirement) -> str:
    return f"{requirement.goal.plan_year.name}: {requirement}"


def _errors(filterset: ProgressFilterSet, extra: dict[str, tuple[str, str]]) -> list[dict]:
    """Every problem with the parameters, each named by its label and its parameter; extra:
    parameter -> (label, message) for the page's own parameters."""
    form = filterset.form
    summary = []
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        for message in messages:
            summary.append(
                {
                    "label": field.label if field else "",
                    "param": name,
                    "message": message,
                    "anchor": form[name].id_for_label if field else "",
                }
            )
    for name, (label, message) in extra.items():
        summary.append({"label": label, "param": name, "message": message, "anchor": f"id_{name}"})
    return summary


def scope_name(report: ProgressReport) -> str:
    if report.scope.district:
        return "District"
    names = sorted(
        (report.buildings[pk].name for pk in report.scope.building_ids if pk in report.buildings),
        key=str.casefold,
    )
    return ", ".join(names) or "Your buildings"


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    return render(request, f"plan/reports/{template}", context, status=status)


def _base_context(filterset, report, links, errors) -> dict:
    return {
        "form": _present_form(filterset),
        "errors": errors,
        "report": report,
        "links": links,
        "scope_name": scope_name(report) if report is not None else "",
    }


def _outstanding_count(item: RequirementProgress) -> int:
    return sum(1 for entry in item.entries if entry.state.outstanding)


def _cell(item: RequirementProgress, tally: Tally | None, url: str) -> Cell | None:
    if tally is None or not tally.audience:
        return None
    return Cell(tally, tally.reaches(item.requirement.target_percent), url)


def _short(requirement) -> str:
    """A column heading for a requirement: its course code, or its hours and strand."""
    if requirement.kind == RequirementKind.CLOCK_HOURS:
        return f"{requirement.clock_hours.normalize():f} h {requirement.strand.name}"
    return requirement.course.code.upper()


# The rows' labels for people counted under no building or no position. The page links a row to
# its people only for a named place: the filters cannot ask for "no building".
NONE_LABELS = {"building": "No building", "position": "No position"}


def _breakdown_rows(report: ProgressReport, links: _Links, dimension: str) -> list[dict]:
    """Building (or position) x requirement: only the places in the report, which holds only the
    scope's."""
    tallies = "by_building" if dimension == "building" else "by_position"
    rows = []
    for place in report.breakdown_places(dimension):
        key = place.pk if place is not None else None
        cells = [
            _cell(
                item,
                getattr(item, tallies).get(key),
                links.people(item, **{dimension: place.code}) if place is not None else "",
            )
            for item in report.requirements
        ]
        rows.append({"name": place.name if place else NONE_LABELS[dimension], "cells": cells})
    return rows


def _strand_rows(report: ProgressReport, links: _Links) -> list[dict]:
    rows = []
    for strand_id, tally in report.by_strand.items():
        strand = report.strands.get(strand_id)
        if strand is None:
            continue
        rows.append(
            {
                "name": strand.name,
                "tally": tally,
                "all_url": links.people(requirement=None, strand=strand.code),
                "completed_url": links.people(
                    requirement=None, strand=strand.code, state="completed"
                ),
            }
        )
    return sorted(rows, key=lambda row: row["name"].casefold())


def _goal_rows(report: ProgressReport, links: _Links) -> list[dict]:
    return [
        {
            "progress": goal,
            "requirements": [
                {
                    "item": item,
                    "outstanding": _outstanding_count(item),
                    "all_url": links.people(item),
                    "completed_url": links.people(item, state="completed"),
                    "outstanding_url": links.people(item, state="outstanding"),
                }
                for item in goal.requirements
            ],
        }
        for goal in report.goals
    ]


def _chart_item(report: ProgressReport, raw: str | None) -> tuple[RequirementProgress | None, str]:
    """The requirement the charts show: ?chart=, else the filtered requirement, else the first
    with anyone counted. A chart id not in the report is an error message."""
    if raw:
        for item in report.requirements:
            if str(item.requirement.pk) == raw:
                return item, ""
        return None, MSG_UNKNOWN_CHART
    counted = [item for item in report.requirements if item.tally.audience]
    if counted:
        return counted[0], ""
    return (report.requirements[0] if report.requirements else None), ""


def _charts(report: ProgressReport, item: RequirementProgress) -> dict:
    requirement = item.requirement
    buildings = [
        (place.name if place else NONE_LABELS["building"], tally.completed, tally.audience)
        for place in report.breakdown_places("building")
        if (tally := item.by_building.get(place.pk if place else None)) is not None
    ]
    bars = charts.rate_bars(buildings, target_percent=requirement.target_percent)
    met = sum(1 for bar in bars.bars if bar.met)
    as_of = f"{item.count_date:%B} {item.count_date.day}, {item.count_date.year}"
    bar_svg = charts.bar_chart_svg(
        bars,
        chart_id="chart-buildings",
        title=f"Completion rate by building: {requirement}",
        description=(
            f"One horizontal bar per building: the share of its audience that completed, "
            f"counted on {as_of}. The vertical line marks the target of "
            f"{requirement.target_percent}%. {met} of {len(bars.bars)} "
            f"building{'s' if len(bars.bars) != 1 else ''} meet it. The table beside the chart "
            "holds the same numbers."
        ),
    )
    starts_on = requirement.goal.plan_year.starts_on
    line = charts.progress_line(
        item.trend,
        starts_on=starts_on,
        due_on=requirement.due_on,
        target_percent=requirement.target_percent,
    )
    line_svg = charts.line_chart_svg(
        line,
        chart_id="chart-trend",
        title=f"Progress over the year: {requirement}",
        description=(
            "A line of the share of the audience that had completed by the end of each month, "
            f"from {starts_on:%B} {starts_on.year} to {as_of}, beside the straight line of "
            f"the expected rate (0% on the plan year's first day to the target of "
            f"{requirement.target_percent}% on the due date, {requirement.due_on:%B} "
            f"{requirement.due_on.day}, {requirement.due_on.year}) and the target. The table "
            "beside the chart holds the same numbers."
        ),
    )
    expected = []
    span = (requirement.due_on - starts_on).days
    for point in line.points:
        days = (point.day - starts_on).days
        share = min(max(days / span, 0), 1) if span > 0 else 1
        expected.append(round(requirement.target_percent * share, 1))
    return {
        "item": item,
        "bars": bars,
        "bar_svg": bar_svg,
        "line": line,
        "line_svg": line_svg,
        "trend_rows": list(zip(line.points, expected, strict=True)),
    }


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    filterset, report = filtered_report(request)
    links = _Links(request)
    chart_item, chart_error = (None, "")
    if report is not None:
        chart_item, chart_error = _chart_item(report, request.GET.get("chart", "").strip())
    extra = {"chart": ("Chart", chart_error)} if chart_error else {}
    errors = _errors(filterset, extra)
    context = _base_context(filterset, report if not errors else None, links, errors)
    if errors:
        return _page(request, "dashboard.html", context, status=400)
    context.update(
        {
            "columns": [
                {"item": item, "short": _short(item.requirement)} for item in report.requirements
            ],
            "goals": _goal_rows(report, links),
            "buildings": _breakdown_rows(report, links, "building"),
            "positions": _breakdown_rows(report, links, "position"),
            "strands": _strand_rows(report, links),
            "charts": _charts(report, chart_item) if chart_item is not None else None,
            "total_url": links.people(),
            "definitions": DEFINITIONS,
            "workbook_in_background": plan_jobs.in_background(report),
        }
    )
    return _page(request, "dashboard.html", context)


@login_required
@require_safe
def people(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    filterset, report = filtered_report(request)
    links = _Links(request)
    state = request.GET.get("state", "").strip() or "all"
    extra = {}
    if state not in STATES:
        extra["state"] = ("State", MSG_UNKNOWN_STATE.format(choices=", ".join(STATES)))
    errors = _errors(filterset, extra)
    context = _base_context(filterset, report if not errors else None, links, errors)
    context.update(
        {"state": state, "state_invalid": "state" in extra, "states": list(STATE_LABELS.items())}
    )
    if errors:
        return _page(request, "people.html", context, status=400)
    groups: list[dict] = []
    for item, entry in people_of(report, states=STATES[state]):
        if not groups or groups[-1]["item"] is not item:
            groups.append({"item": item, "key": str(item.requirement.pk), "rows": []})
        groups[-1]["rows"].append(_person_row(report, entry))
    context.update(
        {
            "state_label": STATE_LABELS[state],
            "groups": groups,
            "count": sum(len(group["rows"]) for group in groups),
        }
    )
    return _page(request, "people.html", context)


def _person_row(report: ProgressReport, entry) -> dict:
    building = report.buildings.get(entry.building_id)
    position = report.positions.get(entry.position_id)
    return {
        "person": report.staff[entry.staff_id],
        "building": building.name if building else "",
        "position": position.name if position else "",
        "entry": entry,
    }


@login_required
@require_safe
def outstanding(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    filterset, report = filtered_report(request)
    links = _Links(request)
    errors = _errors(filterset, {})
    context = _base_context(filterset, report if not errors else None, links, errors)
    if errors:
        return _page(request, "outstanding.html", context, status=400)
    sessions = next_sessions(item.requirement for item in report.requirements)
    outstanding_states = STATES["outstanding"]
    sections = []
    for item in report.requirements:
        rows = [
            _person_row(report, entry)
            for _item, entry in people_of(
                report, requirement_ids=[item.requirement.pk], states=outstanding_states
            )
        ]
        counts = Counter(row["entry"].state for row in rows)
        sections.append(
            {
                "item": item,
                "key": str(item.requirement.pk),
                "rows": rows,
                "enrolled": counts[PersonState.ENROLLED],
                "missing": counts[PersonState.MISSING],
                "sessions": sessions.get(item.requirement.pk, []),
                "people_url": links.people(item, state="outstanding"),
            }
        )
    context.update(
        {
            "sections": sections,
            "may_assign": bool(ASSIGNING_ROLES & access.roles_of(request.user)),
        }
    )
    return _page(request, "outstanding.html", context)

"""Progress against the plan as JSON, and the leaders' completions workbook and outstanding CSV at
stable API URLs, for building leaders and district PD.

Every number comes from plan.progress through plan.selectors.progress_for, under the one
ProgressFilterSet the /leaders/ pages use, so a rate here is the rate on the page and in the
files. A building leader's report only ever holds the people who were in their buildings on each
requirement's count date."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.exceptions import refusal_responses
from core.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, ExportFile
from core.refusals import NOT_PERMITTED
from learning import access
from learning.models import StaffMember
from plan import selectors
from plan.filters import IdChoiceFilter, ProgressFilterSet
from plan.progress import (
    PersonState,
    ProgressReport,
    RequirementProgress,
    Tally,
    next_sessions,
    people_of,
)
from plan.seats import RequirementSeats, SeatCount, seats_against_plan
from plan.workbooks import CompletionsWorkbook, OutstandingExporter

MSG_NOT_PERMITTED = "Progress reports are for building leaders and district PD."
NO_BUILDING = "No building"
NO_POSITION = "No position"

OUTSTANDING = "outstanding"
STATE_CHOICES = [
    *((state.value, state.label) for state in PersonState),
    (OUTSTANDING, "Outstanding (enrolled or missing)"),
]


# Filters: the pages' FilterSet, plus the state of a person for the people list


class ProgressPeopleFilterSet(ProgressFilterSet):
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, method="keep", label="State")

    def states(self) -> set[PersonState] | None:
        """The person states asked for (call is_valid() first); None: every state."""
        state = self.form.cleaned_data.get("state")
        if not state:
            return None
        if state == OUTSTANDING:
            return {s for s in PersonState if s.outstanding}
        return {PersonState(state)}


PARAMETER_HELP = {
    "plan_year": "Id of a plan year. Default: the requirement's year when `requirement` is "
    "given, else the year holding today.",
    "strand": "Code of a strand: only its requirements.",
    "building": "Code of a building in your scope (repeat for several); another building is a "
    "400. Counts the people who were there on each requirement's count date.",
    "position": "Code of a position (repeat for several), held on the count date.",
    "requirement": "Id of one requirement.",
    "as_of": "Count as of this day (YYYY-MM-DD); default today.",
    "state": "`completed`, `late` (completed after the due date), `enrolled`, `missing`, or "
    "`outstanding` (enrolled or missing).",
}


def filter_parameters(filterset_class: type[ProgressFilterSet]) -> list[OpenApiParameter]:
    """The FilterSet's parameters for the schema, typed the way the API reads them (ids as
    integers, natural keys as strings). They are listed here because these views call the
    FilterSet themselves rather than through a filter backend."""
    parameters = []
    for name, field in filterset_class.base_filters.items():
        many = isinstance(field, django_filters.ModelMultipleChoiceFilter)
        if isinstance(field, IdChoiceFilter):
            kind = OpenApiTypes.INT
        elif isinstance(field, django_filters.DateFilter):
            kind = OpenApiTypes.DATE
        else:
            kind = OpenApiTypes.STR
        choices = field.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                OpenApiParameter.QUERY,
                description=PARAMETER_HELP.get(name, str(field.label or name)),
                many=many or None,
                explode=True if many else None,
                enum=[value for value, _label in choices] if choices else None,
            )
        )
    return parameters


# A schema for the 400 an invalid filter answers: DRF's `{field: [messages]}`.
FILTER_ERRORS = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"plan_year": ["Select a valid choice."]},
    },
    description="Invalid filters: `{parameter: [messages]}`.",
)


# Serializers: the report's numbers as JSON. Every count comes with its audience, completed and
# rate (0..1, null with nobody counted), declared in each serializer so names come first.


def _audience():
    return serializers.IntegerField(help_text="People counted (the denominator).")


def _completed():
    return serializers.IntegerField(help_text="Of them, completed by the due date.")


def _rate():
    return serializers.FloatField(
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="Completed / audience, 0..1; null with nobody counted.",
    )


STATUS_HELP = "met, on_track, at_risk, behind or no_audience."


class ProgressTallySerializer(serializers.Serializer):
    audience = _audience()
    completed = _completed()
    rate = _rate()


class ProgressBuildingSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProgressScopeSerializer(serializers.Serializer):
    district = serializers.BooleanField(help_text="Whether the whole district is counted.")
    buildings = ProgressBuildingSerializer(
        many=True, help_text="A building leader's buildings; empty when `district` is true."
    )


class ProgressPlanYearSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class ProgressGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    audience = _audience()
    completed = _completed()
    rate = _rate()
    status = serializers.CharField(help_text=f"Its worst requirement's: {STATUS_HELP}")
    requirements_met = serializers.IntegerField()
    requirement_ids = serializers.ListField(child=serializers.IntegerField())


class ProgressBuildingTallySerializer(serializers.Serializer):
    building = serializers.CharField(
        allow_null=True, help_text="Building code; null for people with no building."
    )
    name = serializers.CharField()
    audience = _audience()
    completed = _completed()
    rate = _rate()


class ProgressPositionTallySerializer(serializers.Serializer):
    position = serializers.CharField(
        allow_null=True, help_text="Position code; null for people with no position."
    )
    name = serializers.CharField()
    audience = _audience()
    completed = _completed()
    rate = _rate()


class ProgressTrendPointSerializer(serializers.Serializer):
    month_end = serializers.DateField(help_text="Last day of the month (or the count date).")
    completed = serializers.IntegerField(help_text="Completed on time by then.")
    audience = serializers.IntegerField(help_text="The requirement's audience on its count date.")
    rate = _rate()


class ProgressRequirementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(help_text='e.g. "By Jun 30, 2027, 90% complete ...".')
    kind = serializers.CharField(help_text="course or clock_hours.")
    course = serializers.CharField(allow_null=True, help_text="Course code (course kind).")
    strand = serializers.CharField(
        allow_null=True, help_text="Strand code: the course's, or the clock hours' strand."
    )
    clock_hours = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Hours asked (clock_hours kind).",
    )
    target_percent = serializers.IntegerField()
    due_on = serializers.DateField()
    count_date = serializers.DateField(help_text="The due date, or the as-of date before it.")
    audience = _audience()
    completed = _completed()
    rate = _rate()
    expected_percent = serializers.FloatField(
        allow_null=True, help_text="Where the rate should be by now, in percent."
    )
    status = serializers.CharField(help_text=STATUS_HELP)
    by_building = ProgressBuildingTallySerializer(many=True)
    by_position = ProgressPositionTallySerializer(many=True)
    trend = ProgressTrendPointSerializer(many=True)


class ProgressStrandTallySerializer(serializers.Serializer):
    strand = serializers.CharField()
    name = serializers.CharField()
    audience = _audience()
    completed = _completed()
    rate = _rate()


class ProgressSerializer(serializers.Serializer):
    """The report: totals, goals, requirements with their breakdowns, and strands."""

    as_of = serializers.DateField()
    scope = ProgressScopeSerializer()
    plan_year = ProgressPlanYearSerializer(allow_null=True)
    total = ProgressTallySerializer()
    goals = ProgressGoalSerializer(many=True)
    requirements = ProgressRequirementSerializer(many=True)
    strands = ProgressStrandTallySerializer(many=True)


class ProgressStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee_id = serializers.CharField()
    name = serializers.CharField()


class ProgressPersonSerializer(serializers.Serializer):
    """One person of one requirement's audience."""

    requirement = serializers.IntegerField(help_text="Requirement id.")
    staff = ProgressStaffSerializer()
    building = serializers.CharField(allow_null=True, help_text="Building code on the count date.")
    position = serializers.CharField(allow_null=True, help_text="Position code on the count date.")
    state = serializers.CharField(
        help_text="completed, late (after the due date), enrolled or missing."
    )
    completed_on = serializers.DateField(
        allow_null=True, help_text="When they completed it (also when late); null otherwise."
    )


# Shaping the report for the serializers


def _tally(tally: Tally) -> dict:
    return {"audience": tally.audience, "completed": tally.completed, "rate": tally.rate}


def _breakdown(report: ProgressReport, item: RequirementProgress, dimension: str) -> list[dict]:
    """A requirement's tallies by building (or position): code, name and tally, by name, people
    with no building (or position) last."""
    if dimension == "building":
        places, tallies, nobody = report.buildings, item.by_building, NO_BUILDING
    else:
        places, tallies, nobody = report.positions, item.by_position, NO_POSITION
    rows = []
    for key, tally in tallies.items():
        place = places.get(key) if key is not None else None
        rows.append(
            {
                dimension: place.code if place else None,
                "name": place.name if place else nobody,
                **_tally(tally),
            }
        )
    return sorted(rows, key=lambda row: (row[dimension] is None, row["name"].casefold()))


def _requirement(report: ProgressReport, item: RequirementProgress) -> dict:
    requirement = item.requirement
    strand = report.strands.get(item.strand_id)
    return {
        "id": requirement.pk,
        "title": str(requirement),
        "description": requirement.describe(),
        "kind": requirement.kind,
        "course": requirement.course.code if requirement.course_id else None,
        "strand": strand.code if strand else None,
        "clock_hours": requirement.clock_hours,
        "target_percent": requirement.target_percent,
        "due_on": requirement.due_on,
        "count_date": item.count_date,
        **_tally(item.tally),
        "expected_percent": item.expected_percent,
        "status": item.status.value,
        "by_building": _breakdown(report, item, "building"),
        "by_position": _breakdown(report, item, "position"),
        "trend": [
            {
                "month_end": point.month_end,
                "completed": point.completed,
                "audience": point.audience,
                "rate": point.completed / point.audience if point.audience else None,
            }
            for point in item.trend
        ],
    }


def progress_data(report: ProgressReport) -> dict:
    """The report in the shape of ProgressSerializer."""
    scope_ids = report.scope.building_ids
    scope_buildings = sorted(
        (report.buildings[pk] for pk in scope_ids or () if pk in report.buildings),
        key=lambda building: building.name.casefold(),
    )
    plan_year = report.plan_year
    strands = sorted(
        (
            (report.strands[strand_id], tally)
            for strand_id, tally in report.by_strand.items()
            if strand_id in report.strands
        ),
        key=lambda pair: pair[0].name.casefold(),
    )
    return {
        "as_of": report.as_of,
        "scope": {
            "district": report.scope.district,
            "buildings": [{"code": b.code, "name": b.name} for b in scope_buildings],
        },
        "plan_year": plan_year
        and {
            "id": plan_year.pk,
            "name": plan_year.name,
            "starts_on": plan_year.starts_on,
            "ends_on": plan_year.ends_on,
        },
        "total": _tally(report.total),
        "goals": [
            {
                "id": goal.goal.pk,
                "title": goal.goal.title,
                **_tally(goal.tally),
                "status": goal.status.value,
                "requirements_met": goal.met,
                "requirement_ids": [item.requirement.pk for item in goal.requirements],
            }
            for goal in report.goals
        ],
        "requirements": [_requirement(report, item) for item in report.requirements],
        "strands": [
            {"strand": strand.code, "name": strand.name, **_tally(tally)}
            for strand, tally in strands
        ],
    }


def _person(report: ProgressReport, item: RequirementProgress, entry) -> dict:
    person = report.staff[entry.staff_id]
    building = report.buildings.get(entry.building_id) if entry.building_id else None
    position = report.positions.get(entry.position_id) if entry.position_id else None
    return {
        "requirement": item.requirement.pk,
        "staff": {"id": person.pk, "employee_id": person.employee_id, "name": person.display_name},
        "building": building.code if building else None,
        "position": position.code if position else None,
        "state": entry.state.value,
        "completed_on": entry.completed_on,
    }


class SeatCountSerializer(serializers.Serializer):
    building = serializers.CharField(
        allow_null=True, help_text="Building code; null for the whole scope or no building."
    )
    name = serializers.CharField()
    audience = _audience()
    completed = _completed()
    enrolled = serializers.IntegerField(help_text="Holding a place, not yet completed.")
    needed = serializers.IntegerField(
        help_text="More completions the target needs by the due date (never below 0)."
    )
    seats_left = serializers.IntegerField(
        help_text="Seats left in the sessions counted (for a building: held at or kept for it)."
    )
    sessions = serializers.IntegerField(help_text="Sessions counted.")
    short = serializers.IntegerField(
        help_text="Completions needed beyond every place held and every seat left."
    )


class RequirementSeatsSerializer(serializers.Serializer):
    """One requirement still to come due: its seats against its target."""

    requirement = serializers.IntegerField(help_text="Requirement id.")
    title = serializers.CharField()
    label = serializers.CharField(help_text='Its course code, or hours and strand ("RP-101").')
    target_percent = serializers.IntegerField()
    due_on = serializers.DateField()
    reachable = serializers.BooleanField(
        help_text="Whether the places held and seats left can reach the target."
    )
    warning = serializers.CharField(help_text='The shortfall in words; "" when reachable.')
    overall = SeatCountSerializer()
    by_building = SeatCountSerializer(many=True)
    session_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="The sessions counted."
    )


def _seat_count(count: SeatCount, name: str) -> dict:
    return {
        "building": count.building.code if count.building else None,
        "name": count.building.name if count.building else name,
        "audience": count.audience,
        "completed": count.completed,
        "enrolled": count.enrolled,
        "needed": count.needed,
        "seats_left": count.seats_left,
        "sessions": count.sessions,
        "short": count.short,
    }


def seats_data(seats: list[RequirementSeats], scope_name: str) -> list[dict]:
    return [
        {
            "requirement": item.item.requirement.pk,
            "title": str(item.item.requirement),
            "label": item.short_label,
            "target_percent": item.item.requirement.target_percent,
            "due_on": item.item.requirement.due_on,
            "reachable": item.reachable,
            "warning": item.warning,
            "overall": _seat_count(item.overall, scope_name),
            "by_building": [_seat_count(row, NO_BUILDING) for row in item.by_building],
            "session_ids": [session.pk for session in item.sessions],
        }
        for item in seats
    ]


# Views


class MaySeeReports(BasePermission):
    message = MSG_NOT_PERMITTED
    code = NOT_PERMITTED

    def has_permission(self, request, view) -> bool:
        return access.may_see_reports(request.user)


def filtered_report(
    request: Request,
    filterset_class: type[ProgressFilterSet],
    *,
    people: bool = True,
) -> tuple[ProgressFilterSet, ProgressReport]:
    """The report the query string asks for, in the user's scope; invalid filters are a 400
    naming each parameter. A building outside the user's scope is not a choice at all.
    people=False: its numbers alone (see plan.progress.progress_totals)."""
    filterset = filterset_class(request.query_params, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    report = selectors.progress_for(
        user=request.user,
        filters=filterset.report_filters(),
        as_of=filterset.as_of_date(),
        people=people,
    )
    return filterset, report


class ProgressView(APIView):
    permission_classes = [IsAuthenticated, MaySeeReports]
    filterset_class = ProgressFilterSet

    @extend_schema(
        summary="Progress against the plan",
        description=(
            "Completion rates of the plan year's requirements and goals, by building, position "
            "and strand, with each requirement's month-by-month trend; district-wide for "
            "district PD, a building leader's own buildings otherwise. The counting rules are "
            "the leaders' pages' (see their Definitions)."
        ),
        parameters=filter_parameters(ProgressFilterSet),
        responses={200: ProgressSerializer, 400: FILTER_ERRORS, **refusal_responses(403)},
    )
    def get(self, request: Request) -> Response:
        # The rates name no one: the totals-only report counts the same numbers faster.
        _filterset, report = filtered_report(request, self.filterset_class, people=False)
        return Response(ProgressSerializer(progress_data(report)).data)


class ProgressSeatsView(APIView):
    permission_classes = [IsAuthenticated, MaySeeReports]
    filterset_class = ProgressFilterSet

    @extend_schema(
        summary="Seats against the plan",
        description=(
            "For each requirement of the report not yet due: the completions its target still "
            "needs by the due date, the places already held, and the seats left in published "
            "sessions that give it, have not started, still take registrations, end by the due "
            "date and are open to its audience; overall (the user's scope) and by building, "
            "with a warning in words when the schedule cannot reach the target. Same filters "
            "and scope as the progress report."
        ),
        parameters=filter_parameters(ProgressFilterSet),
        responses={
            200: RequirementSeatsSerializer(many=True),
            400: FILTER_ERRORS,
            **refusal_responses(403),
        },
    )
    def get(self, request: Request) -> Response:
        _filterset, report = filtered_report(request, self.filterset_class)
        scope = "District" if report.scope.district else "Your buildings"
        data = seats_data(seats_against_plan(report), scope)
        return Response(RequirementSeatsSerializer(data, many=True).data)


class ProgressPeopleView(generics.ListAPIView):
    """The people behind the numbers, by requirement then name."""

    permission_classes = [IsAuthenticated, MaySeeReports]
    serializer_class = ProgressPersonSerializer
    # The FilterSet is applied to the report, not to a queryset (so by no filter backend).
    filterset_class = ProgressPeopleFilterSet
    filter_backends = []

    @extend_schema(
        summary="The people behind the numbers",
        description=(
            "Everyone counted by the chosen requirements, with their building and position on "
            "the count date and whether they completed it; a building leader only gets the "
            "people of their buildings."
        ),
        parameters=filter_parameters(ProgressPeopleFilterSet),
        responses={
            200: ProgressPersonSerializer(many=True),
            400: FILTER_ERRORS,
            **refusal_responses(403),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        filterset, report = filtered_report(request, self.filterset_class)
        rows = people_of(report, states=filterset.states())
        page = self.paginate_queryset(rows)
        data = [_person(report, item, entry) for item, entry in page]
        return self.get_paginated_response(ProgressPersonSerializer(data, many=True).data)

    def get_queryset(self) -> QuerySet[StaffMember]:
        # The rows come from the report, not from a queryset; the browsable API still asks for
        # one to build its filter form (there is none here).
        return StaffMember.objects.none()


class AnyAcceptNegotiation(BaseContentNegotiation):
    """A download is the file whatever the client accepts (`Accept: text/csv` included); errors
    are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _attachment(export: ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _download_schema(operation_id: str, summary: str, description: str, content_type: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=filter_parameters(ProgressFilterSet),
        responses={
            (200, content_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment with its filename."
            ),
            400: FILTER_ERRORS,
            **refusal_responses(403),
        },
    )


class DownloadView(APIView):
    permission_classes = [IsAuthenticated, MaySeeReports]
    content_negotiation_class = AnyAcceptNegotiation
    filterset_class = ProgressFilterSet

    def export(self, report: ProgressReport, sessions: dict) -> ExportFile:
        raise NotImplementedError

    def get(self, request: Request) -> HttpResponse:
        _filterset, report = filtered_report(request, self.filterset_class)
        sessions = next_sessions(item.requirement for item in report.requirements)
        return _attachment(self.export(report, sessions))


class CompletionsWorkbookView(DownloadView):
    @_download_schema(
        "v1_progress_completions_xlsx",
        "The completions workbook",
        "The leaders' completions workbook (xlsx) under the same filters and scope as the JSON.",
        XLSX_CONTENT_TYPE,
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)

    def export(self, report: ProgressReport, sessions: dict) -> ExportFile:
        seats = seats_against_plan(report)
        return CompletionsWorkbook(report, sessions=sessions, seats=seats).xlsx()


class OutstandingCsvView(DownloadView):
    @_download_schema(
        "v1_progress_outstanding_csv",
        "Who still needs what (CSV)",
        "The leaders' outstanding list as CSV under the same filters and scope as the JSON.",
        CSV_CONTENT_TYPE.split(";")[0],
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)

    def export(self, report: ProgressReport, sessions: dict) -> ExportFile:
        return OutstandingExporter(report, sessions=sessions).csv()

"""The one FilterSet for progress reports, shared by /leaders/ pages, their downloads, the API and
(through the same Filters) the export command: plan year, strand, building, position and
requirement. Buildings are offered only inside the user's report scope, so a filter never
confirms another building's numbers."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import QuerySet

from catalog.models import Strand
from core.filters import BlankMeansAnyFilterSet, IdChoiceFilter
from learning import access
from learning.models import Building, PlanYear, Position, Requirement
from plan.progress import Filters, default_plan_year


def scoped_buildings(request) -> QuerySet[Building]:
    if request is None:
        return Building.objects.none()
    building_ids = access.report_building_ids(request.user)
    if building_ids is None:
        return Building.objects.all()
    return Building.objects.filter(pk__in=building_ids)


def plan_years(request) -> QuerySet[PlanYear]:
    return PlanYear.objects.select_related("plan").order_by("-starts_on")


class ProgressFilterSet(BlankMeansAnyFilterSet):
    """Narrow a progress report. plan_year, requirement: ids; strand, building, position: codes
    (building and position may repeat). No plan year means the one holding today."""

    plan_year = IdChoiceFilter(queryset=plan_years, method="keep", label="Plan year")
    strand = django_filters.ModelChoiceFilter(
        queryset=Strand.objects.all(), to_field_name="code", method="keep", label="Strand"
    )
    building = django_filters.ModelMultipleChoiceFilter(
        queryset=scoped_buildings, to_field_name="code", method="keep", label="Building"
    )
    position = django_filters.ModelMultipleChoiceFilter(
        queryset=Position.objects.all(), to_field_name="code", method="keep", label="Position"
    )
    requirement = IdChoiceFilter(
        queryset=Requirement.objects.select_related("goal__plan_year", "course", "strand"),
        method="keep",
        label="Requirement",
    )
    as_of = django_filters.DateFilter(method="keep", label="As of")

    class Meta:
        model = Requirement
        fields = ["plan_year", "strand", "building", "position", "requirement", "as_of"]

    def keep(self, queryset, name, value):
        # The report reads the cleaned values through `report_filters()`; nothing to filter here.
        return queryset

    def report_filters(self) -> Filters:
        """The report's filters from valid data (call is_valid() first). A requirement chosen
        without a plan year brings its own year."""
        data = self.form.cleaned_data
        requirement = data.get("requirement")
        plan_year = data.get("plan_year")
        if plan_year is None:
            plan_year = requirement.goal.plan_year if requirement else default_plan_year()
        return Filters(
            plan_year=plan_year,
            strand_id=data["strand"].pk if data.get("strand") else None,
            building_ids=frozenset(b.pk for b in data.get("building") or ()),
            position_ids=frozenset(p.pk for p in data.get("position") or ()),
            requirement_id=requirement.pk if requirement else None,
        )

    def errors_in_words(self) -> str:
        """The filters' problems in one line, each named by its parameter (after is_valid())."""
        return "; ".join(
            f"{name}: {' '.join(str(message) for message in messages)}"
            for name, messages in self.form.errors.items()
        )

    def as_of_date(self) -> dt.date | None:
        return self.form.cleaned_data.get("as_of")

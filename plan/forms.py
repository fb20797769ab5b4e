"""Forms of the plan pages. They only turn posted text into typed values (dates, numbers, chosen
objects) for plan.services, which holds every rule and its message; so most fields are
optional here and an empty one is named by the service."""

from __future__ import annotations

from django import forms

from catalog.models import Course, Strand
from core.ids import IdChoiceField, IdMultipleChoiceField
from learning.choices import RequirementKind
from learning.models import Building, Goal, Plan, PlanYear, Position, Requirement, StaffGroup


class AudienceField(IdMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


def _day(value) -> str:
    return f"{value:%b} {value.day}, {value.year}"


class YearChoiceField(IdChoiceField):
    def label_from_instance(self, year: PlanYear) -> str:
        return f"{year.name} ({_day(year.starts_on)} to {_day(year.ends_on)})"


class DateField(forms.DateField):
    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class PlanYearForm(forms.Form):
    name = forms.CharField(
        label="Name", required=False, max_length=20, help_text='The school year, e.g. "2026-27".'
    )
    starts_on = DateField(label="First day", required=False)
    ends_on = DateField(
        label="Last day", required=False, help_text="The year includes its last day."
    )

    @staticmethod
    def initial_from(year: PlanYear) -> dict:
        return {"name": year.name, "starts_on": year.starts_on, "ends_on": year.ends_on}


class GoalForm(forms.Form):
    plan_year = YearChoiceField(
        queryset=PlanYear.objects.none(), label="Plan year", required=False, empty_label=None
    )
    title = forms.CharField(label="Title", required=False, max_length=300)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    order = forms.IntegerField(
        label="Order",
        required=False,
        help_text="Goals of a year are listed by this number, lowest first.",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        # A goal may move between the years of its own plan, not to another plan.
        self.fields["plan_year"].queryset = plan.years.order_by("starts_on")

    @staticmethod
    def initial_from(goal: Goal) -> dict:
        return {
            "plan_year": goal.plan_year_id,
            "title": goal.title,
            "description": goal.description,
            "order": goal.order,
        }


class RequirementForm(forms.Form):
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=300,
        help_text="Optional: without one, the requirement is shown as its sentence.",
    )
    kind = forms.ChoiceField(
        label="What it asks",
        choices=RequirementKind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    course = IdChoiceField(
        queryset=Course.objects.select_related("strand"),
        label="Course",
        required=False,
        empty_label="Choose a course",
        help_text="For a course requirement.",
    )
    strand = IdChoiceField(
        queryset=Strand.objects.all(),
        label="Strand",
        required=False,
        empty_label="Choose a strand",
        help_text="For a clock-hours requirement.",
    )
    clock_hours = forms.DecimalField(
        label="Clock hours",
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text="For a clock-hours requirement: the hours each person needs in the strand.",
    )
    target_percent = forms.IntegerField(
        label="Target (percent)",
        required=False,
        help_text="The share of the audience that should have completed it by the due date.",
    )
    due_on = DateField(label="Due date", required=False)
    count_completions_before_plan_year = forms.BooleanField(
        label="Count completions from before the plan year",
        required=False,
        help_text=Requirement._meta.get_field("count_completions_before_plan_year").help_text,
    )
    audience_positions = AudienceField(
        queryset=Position.objects.all(), label="Positions", required=False
    )
    audience_buildings = AudienceField(
        queryset=Building.objects.all(), label="Buildings", required=False
    )
    audience_groups = AudienceField(
        queryset=StaffGroup.objects.all(), label="Groups", required=False
    )

    AUDIENCE_FIELDS = ("audience_positions", "audience_buildings", "audience_groups")

    @staticmethod
    def initial_from(requirement: Requirement) -> dict:
        return {
            "title": requirement.title,
            "kind": requirement.kind,
            "course": requirement.course_id,
            "strand": requirement.strand_id,
            "clock_hours": requirement.clock_hours,
            "target_percent": requirement.target_percent,
            "due_on": requirement.due_on,
            "count_completions_before_plan_year": requirement.count_completions_before_plan_year,
            "audience_positions": [p.pk for p in requirement.audience_positions.all()],
            "audience_buildings": [b.pk for b in requirement.audience_buildings.all()],
            "audience_groups": [g.pk for g in requirement.audience_groups.all()],
        }

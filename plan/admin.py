"""Admin of the plan: plans, their years, goals and requirements, with the rules the plan pages
apply (plan.services). The models are the district's (learning); their admin pages keep their
addresses (/admin/learning/...)."""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest

from core.admin import TIMESTAMPS, KnownKeysAutocompleteMixin, TabularInline
from learning.models import Goal, Plan, PlanYear, Requirement

from .services import plan_year_date_errors, requirement_due_errors


class PlanYearListFilter(admin.RelatedFieldListFilter):
    """The default choices call str() on every plan year, and that reads its plan once per year;
    here the plans come in the same query."""

    def field_choices(self, field, request, model_admin):
        years = PlanYear.objects.select_related("plan").order_by("-plan__starts_on", "starts_on")
        return [(year.pk, str(year)) for year in years]


class PlanRulesForm(forms.ModelForm):
    """An admin form that applies the rules the plan pages apply (dates of a year within its
    plan and apart from its other years; a requirement due within its year), once the model's
    own checks have filled in the instance."""

    plan_rules: Callable[[Model], dict[str, list[str]]]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        for name, messages in type(self).plan_rules(self.instance).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class PlanYearForm(PlanRulesForm):
    plan_rules = staticmethod(plan_year_date_errors)


class RequirementForm(PlanRulesForm):
    plan_rules = staticmethod(requirement_due_errors)


class PlanYearInline(TabularInline):
    model = PlanYear
    form = PlanYearForm
    fields = ("name", "starts_on", "ends_on")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanYear]:
        # str() of each row names its plan.
        return super().get_queryset(request).select_related("plan")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "starts_on", "ends_on")
    search_fields = ("name", "slug")
    ordering = ("-starts_on",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS
    inlines = (PlanYearInline,)


class GoalInline(TabularInline):
    model = Goal
    fields = ("order", "title", "description")
    extra = 0
    show_change_link = True


@admin.register(PlanYear)
class PlanYearAdmin(admin.ModelAdmin):
    form = PlanYearForm
    list_display = ("name", "plan", "starts_on", "ends_on")
    list_select_related = ("plan",)
    list_filter = ("plan",)
    search_fields = ("name", "plan__name")
    ordering = ("-plan__starts_on", "starts_on")
    readonly_fields = TIMESTAMPS
    inlines = (GoalInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanYear]:
        # str() of a plan year names its plan: autocompletes and inlines need it joined too.
        return super().get_queryset(request).select_related(*self.list_select_related)


class RequirementInline(KnownKeysAutocompleteMixin, TabularInline):
    model = Requirement
    form = RequirementForm
    fields = ("title", "kind", "course", "strand", "clock_hours", "target_percent", "due_on")
    autocomplete_fields = ("course", "strand")
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requirement]:
        # str() of an untitled requirement describes its course or strand.
        return super().get_queryset(request).select_related("course", "strand")


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("title", "plan_year", "order", "requirement_count")
    list_select_related = ("plan_year__plan",)
    list_filter = (("plan_year", PlanYearListFilter),)
    search_fields = ("title", "description")
    ordering = ("-plan_year__plan__starts_on", "plan_year__starts_on", "order", "id")
    readonly_fields = TIMESTAMPS
    inlines = (RequirementInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Goal]:
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(requirement_total=Count("requirements"))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan_year":
            # Each choice's label names its plan.
            kwargs["queryset"] = PlanYear.objects.select_related("plan")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="requirements", ordering="requirement_total")
    def requirement_count(self, goal: Goal) -> int:
        return goal.requirement_total


@admin.register(Requirement)
class RequirementAdmin(KnownKeysAutocompleteMixin, admin.ModelAdmin):
    form = RequirementForm
    list_display = ("__str__", "goal", "plan_year", "kind", "target_percent", "due_on")
    list_select_related = ("goal__plan_year__plan", "course", "strand")
    list_filter = (("goal__plan_year", PlanYearListFilter), "kind")
    search_fields = ("title", "goal__title", "course__code", "course__title", "strand__name")
    ordering = ("due_on", "id")
    autocomplete_fields = (
        "goal",
        "course",
        "strand",
        "audience_positions",
        "audience_buildings",
        "audience_groups",
    )
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("goal", "title", "kind", "course", "strand", "clock_hours")}),
        ("Target", {"fields": ("target_percent", "due_on", "count_completions_before_plan_year")}),
        (
            "Audience",
            {
                "description": "Leave all three empty for every active staff member.",
                "fields": ("audience_positions", "audience_buildings", "audience_groups"),
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )

    @admin.display(description="plan year", ordering="goal__plan_year__starts_on")
    def plan_year(self, requirement: Requirement) -> PlanYear:
        return requirement.goal.plan_year

"""/leaders/plan/: the plan's years, goals and requirements with their progress, for building
leaders (their buildings' numbers) and district PD; and the pages where district PD keeps the
years, goals and requirements. The edit pages do not exist for anyone else (404)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Model, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from core.ids import id_from_text
from learning import access
from learning.models import Goal, Plan, PlanYear, Requirement
from plan import selectors, services
from plan.forms import GoalForm, PlanYearForm, RequirementForm
from plan.progress import Filters, GoalProgress, RequirementProgress, default_plan_year
from plan.views.common import require_reports

MSG_UNKNOWN_PLAN = "plan: no plan has the short name “{slug}”. Choose one of the plans listed."
MSG_YEAR_SAVED = "Saved the plan year {name}."
MSG_GOAL_SAVED = "Saved the goal “{title}”."
MSG_GOAL_DELETED = "Deleted the goal “{title}” and its {count} requirement(s)."
MSG_REQUIREMENT_SAVED = "Saved the requirement “{name}”."
MSG_REQUIREMENT_DELETED = "Deleted the requirement “{name}”."


# The plan page


@dataclass
class RequirementRow:
    progress: RequirementProgress
    audience: list[tuple[str, str]]  # (label, names); empty means all staff

    @property
    def requirement(self) -> Requirement:
        return self.progress.requirement


@dataclass
class GoalBlock:
    goal: Goal
    progress: GoalProgress | None
    rows: list[RequirementRow]

    @property
    def met(self) -> int:
        return self.progress.met if self.progress else 0


def _audience(requirement: Requirement) -> list[tuple[str, str]]:
    """The audience in words, from the relations the report already loaded."""
    parts = [
        ("Positions", requirement.audience_positions.all()),
        ("Buildings", requirement.audience_buildings.all()),
        ("Groups", requirement.audience_groups.all()),
    ]
    return [(label, ", ".join(str(item) for item in items)) for label, items in parts if items]


def _chosen_plan(request: HttpRequest, plans: list[Plan]) -> tuple[Plan | None, str]:
    """The plan named by ?plan=<slug>, else the one holding today's plan year, else the latest;
    and a message naming the parameter when the slug is unknown."""
    slug = request.GET.get("plan", "").strip()
    if slug:
        for candidate in plans:
            if candidate.slug == slug:
                return candidate, ""
        return None, MSG_UNKNOWN_PLAN.format(slug=slug[:80])
    year = default_plan_year()
    if year is not None:
        return next((p for p in plans if p.pk == year.plan_id), None), ""
    return (plans[0] if plans else None), ""


@login_required
@require_safe
def plan(request: HttpRequest) -> HttpResponse:
    require_reports(request)
    plans = list(Plan.objects.order_by("-starts_on", "name"))
    chosen, error = _chosen_plan(request, plans)
    years = []
    report = None
    if chosen is not None:
        # One report for every requirement of every plan: a fixed number of queries.
        report = selectors.progress_for(user=request.user, filters=Filters())
        by_goal: dict[int, list[RequirementRow]] = {}
        for item in report.requirements:
            row = RequirementRow(item, _audience(item.requirement))
            by_goal.setdefault(item.requirement.goal_id, []).append(row)
        goal_progress = {g.goal.pk: g for g in report.goals}
        for year in chosen.years.order_by("starts_on").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("order", "pk"))
        ):
            goals = [
                GoalBlock(goal, goal_progress.get(goal.pk), by_goal.get(goal.pk, []))
                for goal in year.goals.all()
            ]
            years.append({"year": year, "goals": goals})
    scope_buildings = []
    if report is not None and not report.scope.district:
        scope_buildings = sorted(
            (report.buildings[pk] for pk in report.scope.building_ids if pk in report.buildings),
            key=lambda b: b.name.casefold(),
        )
    return render(
        request,
        "plan/plan.html",
        {
            "plans": plans,
            "plan": chosen,
            "error": error,
            "years": years,
            "report": report,
            "scope_buildings": scope_buildings,
            "can_edit": access.is_district_pd(request.user),
            "people_url": reverse("leaders:people"),
        },
        status=400 if error else 200,
    )


# The edit pages (district PD only)


def _require_district_pd(request: HttpRequest) -> None:
    if not access.is_district_pd(request.user):
        raise Http404("No such page.")


def _by_id_or_404(queryset: QuerySet, raw) -> Model:
    """The object with this id, or a 404 for anything else: missing, not a number, beyond the
    database's range."""
    pk = id_from_text(str(raw or ""))
    if pk is None:
        raise Http404("No such page.")
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404("No such page.")
    return found


def _plan_url(plan: Plan, anchor: str) -> str:
    return f"{reverse('leaders:plan')}?{urlencode({'plan': plan.slug})}#{anchor}"


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: beside the field it names, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, found in error.message_dict.items():
        form.add_error(name if name in form.fields else None, found)


def _error_summary(form: forms.Form) -> list[dict]:
    """Every message, named by its field's label and linked to the field."""
    summary = []
    for name, found in form.errors.items():
        field = form.fields.get(name)
        anchor = ""
        if field is not None:
            anchor = form[name].id_for_label or f"field-{name}"
        for message in found:
            summary.append(
                {"label": field.label if field else "", "message": message, "anchor": anchor}
            )
    return summary


def _form_page(request: HttpRequest, template: str, form: forms.Form, context: dict):
    context = {**context, "form": form, "errors": _error_summary(form)}
    return render(request, template, context, status=400 if form.errors else 200)


def _data(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@login_required
@require_http_methods(["GET", "POST"])
def year_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_district_pd(request)
    if pk is None:
        year = None
        plan = _by_id_or_404(Plan.objects.all(), request.GET.get("plan"))
        initial = {}
    else:
        year = _by_id_or_404(PlanYear.objects.select_related("plan"), pk)
        plan = year.plan
        initial = PlanYearForm.initial_from(year)
    heading = f"Edit the plan year {year.name}" if year else "Add a plan year"
    form = PlanYearForm(_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.plan_year_save(plan=plan, plan_year=year, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, MSG_YEAR_SAVED.format(name=saved.name))
            return redirect(_plan_url(plan, f"year-{saved.pk}"))
    back = _plan_url(plan, f"year-{year.pk}" if year else "years")
    return _form_page(
        request,
        "plan/year_form.html",
        form,
        {"plan": plan, "heading": heading, "back": back},
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_district_pd(request)
    if pk is None:
        goal = None
        year = _by_id_or_404(PlanYear.objects.select_related("plan"), request.GET.get("plan_year"))
        last = year.goals.aggregate(last=Max("order"))["last"]
        initial = {"plan_year": year.pk, "order": 0 if last is None else last + 1}
    else:
        goal = _by_id_or_404(Goal.objects.select_related("plan_year__plan"), pk)
        year = goal.plan_year
        initial = GoalForm.initial_from(goal)
    plan = year.plan
    heading = f"Edit the goal “{goal.title}”" if goal else f"Add a goal to {year.name}"
    form = GoalForm(_data(request), initial=initial, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.goal_save(goal=goal, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, MSG_GOAL_SAVED.format(title=saved.title))
            return redirect(_plan_url(plan, f"goal-{saved.pk}"))
    back = _plan_url(plan, f"goal-{goal.pk}" if goal else f"year-{year.pk}")
    return _form_page(
        request,
        "plan/goal_form.html",
        form,
        {"plan": plan, "heading": heading, "back": back},
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_district_pd(request)
    goal = _by_id_or_404(Goal.objects.select_related("plan_year__plan"), pk)
    year = goal.plan_year
    if request.method == "POST":
        count = services.goal_delete(goal=goal)
        messages.success(request, MSG_GOAL_DELETED.format(title=goal.title, count=count))
        return redirect(_plan_url(year.plan, f"year-{year.pk}"))
    requirements = goal.requirements.select_related("course", "strand").order_by("due_on", "pk")
    return render(
        request,
        "plan/goal_delete.html",
        {
            "goal": goal,
            "year": year,
            "plan": year.plan,
            "requirements": list(requirements),
            "back": _plan_url(year.plan, f"goal-{goal.pk}"),
        },
    )


def _requirement_or_404(pk) -> Requirement:
    return _by_id_or_404(
        Requirement.objects.select_related(
            "goal__plan_year__plan", "course", "strand"
        ).prefetch_related("audience_positions", "audience_buildings", "audience_groups"),
        pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_district_pd(request)
    if pk is None:
        requirement = None
        goal = _by_id_or_404(
            Goal.objects.select_related("plan_year__plan"), request.GET.get("goal")
        )
        initial = {"kind": RequirementForm.base_fields["kind"].choices[0][0]}
    else:
        requirement = _requirement_or_404(pk)
        goal = requirement.goal
        initial = RequirementForm.initial_from(requirement)
    year = goal.plan_year
    heading = (
        f"Edit the requirement “{requirement}”" if requirement else f"Add a requirement to “{goal}”"
    )
    form = RequirementForm(_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.requirement_save(
                goal=goal, requirement=requirement, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, MSG_REQUIREMENT_SAVED.format(name=saved))
            return redirect(_plan_url(year.plan, f"goal-{goal.pk}"))
    return _form_page(
        request,
        "plan/requirement_form.html",
        form,
        {
            "plan": year.plan,
            "year": year,
            "goal": goal,
            "heading": heading,
            "back": _plan_url(year.plan, f"goal-{goal.pk}"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_district_pd(request)
    requirement = _requirement_or_404(pk)
    goal = requirement.goal
    plan = goal.plan_year.plan
    if request.method == "POST":
        name = str(requirement)
        services.requirement_delete(requirement=requirement)
        messages.success(request, MSG_REQUIREMENT_DELETED.format(name=name))
        return redirect(_plan_url(plan, f"goal-{goal.pk}"))
    return render(
        request,
        "plan/requirement_delete.html",
        {
            "requirement": requirement,
            "goal": goal,
            "plan": plan,
            "audience": _audience(requirement),
            "back": _plan_url(plan, f"goal-{goal.pk}"),
        },
    )

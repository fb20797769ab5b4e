"""Writes to the plan: its years, goals and requirements, managed by district PD in the plan
pages (the models are the district's, in learning); and leaders' report subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Course, Strand
from core import outbox
from learning import access
from learning.choices import RequirementKind
from learning.models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffGroup,
)
from learning.selectors import mail_address

from . import report_mail
from .models import Frequency, ReportSubscription

# The plan's years, goals and requirements, managed by district PD in pages of their own. Each
# save checks the rules that tie the levels together (a year inside its plan, a due date inside
# its year) before the model's own checks, so a refusal names the field at fault and a database
# constraint is never what says no.

MSG_YEAR_NAME_REQUIRED = 'Give the plan year a name, such as "2026-27".'
MSG_YEAR_NAME_TAKEN = "This plan already has a year named {name}."
MSG_DATE_REQUIRED = "Enter a date."
MSG_YEAR_ENDS_BEFORE_START = "The end date must be after the start date."
MSG_YEAR_OUTSIDE_PLAN = "A plan year must lie within the plan's dates, {start} to {end}."
MSG_YEAR_OVERLAPS = "These dates overlap the plan year {name}, {start} to {end}."
MSG_YEAR_STRANDS_REQUIREMENTS = (
    "Requirements of this year are due outside these dates (the first on {due}). "
    "Change their due dates first."
)
MSG_GOAL_TITLE_REQUIRED = "Give the goal a title."
MSG_GOAL_YEAR_REQUIRED = "Choose the plan year the goal belongs to."
MSG_GOAL_ORDER_RANGE = "The order must be a whole number from 0 to 32767."
MSG_GOAL_STRANDS_REQUIREMENTS = (
    "Requirements of this goal are due outside {year}, {start} to {end} (the first on {due}). "
    "Change their due dates first."
)
MSG_REQUIREMENT_GOAL_REQUIRED = "Choose the goal the requirement belongs to."
MSG_KIND_UNKNOWN = "Choose what the requirement asks: a course, or clock hours in a strand."
MSG_COURSE_REQUIRED = "A course requirement needs a course."
MSG_STRAND_REQUIRED = "A clock-hours requirement needs a strand."
MSG_HOURS_POSITIVE = "A clock-hours requirement needs a number of clock hours above 0."
MSG_TARGET_RANGE = "The target must be a whole number of percent from 1 to 100."
MSG_DUE_OUTSIDE_YEAR = "The due date must fall within the plan year {year}, {start} to {end}."

GOAL_ORDER_MAX = 32767  # a small integer column; SQLite would store more, PostgreSQL refuses


def _day(value: dt.date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def _field_errors(instance, replace: dict[str, str]) -> dict[str, list[str]]:
    """The model's own field checks (blank, length, digits, choices), with this module's words
    for the fields in `replace`. Constraints are left to the final full_clean: the rules checked
    before it give the messages that name a field."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = {name: list(messages) for name, messages in error.message_dict.items()}
    else:
        errors = {}
    for name, message in replace.items():
        if name in errors:
            errors[name] = [message]
    return errors


def _save(instance, errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)
    instance.full_clean()
    instance.save()


@transaction.atomic
def plan_year_save(
    *,
    plan: Plan,
    name: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    plan_year: PlanYear | None = None,
) -> PlanYear:
    """Create a year of a plan, or change one (plan_year). The year lies within the plan's dates,
    overlaps no other year of the plan, and keeps every requirement of its goals due within
    it. Raises ValidationError keyed by field; nothing is written then."""
    # One writer per plan at a time, so two saves cannot both pass the overlap check.
    Plan.objects.select_for_update().filter(pk=plan.pk).exists()
    year = plan_year if plan_year is not None else PlanYear()
    year.plan = plan
    year.name = (name or "").strip()
    year.starts_on = starts_on
    year.ends_on = ends_on
    errors = _field_errors(year, {"starts_on": MSG_DATE_REQUIRED, "ends_on": MSG_DATE_REQUIRED})
    others = PlanYear.objects.filter(plan=plan).exclude(pk=year.pk).order_by("starts_on")
    if not year.name:
        errors["name"] = [MSG_YEAR_NAME_REQUIRED]
    elif "name" not in errors and others.filter(name__iexact=year.name).exists():
        errors["name"] = [MSG_YEAR_NAME_TAKEN.format(name=year.name)]
    if "starts_on" not in errors and "ends_on" not in errors:
        errors.update(_year_date_errors(year, others))
    _save(year, errors)
    return year


def _year_date_errors(year: PlanYear, others) -> dict[str, list[str]]:
    plan = year.plan
    if year.ends_on <= year.starts_on:
        return {"ends_on": [MSG_YEAR_ENDS_BEFORE_START]}
    if year.starts_on < plan.starts_on or year.ends_on > plan.ends_on:
        starts_outside = not plan.starts_on <= year.starts_on <= plan.ends_on
        name = "starts_on" if starts_outside else "ends_on"
        return {
            name: [MSG_YEAR_OUTSIDE_PLAN.format(start=_day(plan.starts_on), end=_day(plan.ends_on))]
        }
    overlap = others.filter(starts_on__lte=year.ends_on, ends_on__gte=year.starts_on).first()
    if overlap is not None:
        message = MSG_YEAR_OVERLAPS.format(
            name=overlap.name, start=_day(overlap.starts_on), end=_day(overlap.ends_on)
        )
        return {"starts_on": [message]}
    if year.pk is None:
        return {}
    stranded = list(
        Requirement.objects.filter(goal__plan_year_id=year.pk)
        .exclude(due_on__range=(year.starts_on, year.ends_on))
        .order_by("due_on")
        .values_list("due_on", flat=True)
    )
    if not stranded:
        return {}
    name = "ends_on" if stranded[-1] > year.ends_on else "starts_on"
    return {name: [MSG_YEAR_STRANDS_REQUIREMENTS.format(due=_day(stranded[0]))]}


@transaction.atomic
def goal_save(
    *,
    plan_year: PlanYear | None,
    title: str,
    description: str = "",
    order: int | None = 0,
    goal: Goal | None = None,
) -> Goal:
    """Create a goal of a plan year, or change one (goal). A goal moved to another year takes
    its requirements along, so their due dates must fall within that year."""
    goal = goal if goal is not None else Goal()
    moved = goal.pk is not None and plan_year is not None and goal.plan_year_id != plan_year.pk
    goal.plan_year = plan_year
    goal.title = (title or "").strip()
    goal.description = (description or "").strip()
    goal.order = 0 if order is None else order
    errors = _field_errors(
        goal, {"plan_year": MSG_GOAL_YEAR_REQUIRED, "order": MSG_GOAL_ORDER_RANGE}
    )
    if not goal.title:
        errors["title"] = [MSG_GOAL_TITLE_REQUIRED]
    if not isinstance(goal.order, int) or not 0 <= goal.order <= GOAL_ORDER_MAX:
        errors["order"] = [MSG_GOAL_ORDER_RANGE]
    if moved and "plan_year" not in errors:
        first = (
            goal.requirements.exclude(due_on__range=(plan_year.starts_on, plan_year.ends_on))
            .order_by("due_on")
            .values_list("due_on", flat=True)
            .first()
        )
        if first is not None:
            errors["plan_year"] = [
                MSG_GOAL_STRANDS_REQUIREMENTS.format(
                    year=plan_year.name,
                    start=_day(plan_year.starts_on),
                    end=_day(plan_year.ends_on),
                    due=_day(first),
                )
            ]
    _save(goal, errors)
    return goal


@transaction.atomic
def goal_delete(*, goal: Goal) -> int:
    """Delete a goal and its requirements (the confirmation page lists them); returns how many
    requirements went with it. Completions and enrollments do not depend on a goal."""
    _total, deleted = goal.delete()
    return deleted.get(Requirement._meta.label, 0)


@transaction.atomic
def requirement_save(
    *,
    goal: Goal | None,
    kind: str,
    target_percent: int | None,
    due_on: dt.date | None,
    course: Course | None = None,
    strand: Strand | None = None,
    clock_hours: Decimal | None = None,
    title: str = "",
    count_completions_before_plan_year: bool = False,
    audience_positions: Iterable[Position] = (),
    audience_buildings: Iterable[Building] = (),
    audience_groups: Iterable[StaffGroup] = (),
    requirement: Requirement | None = None,
) -> Requirement:
    """Create a requirement of a goal, or change one (requirement), with its audience (no
    positions, buildings or groups: all staff). A course requirement keeps only its course, a
    clock-hours one only its strand and hours, so a changed kind leaves nothing stale behind.
    The due date falls within the goal's plan year."""
    item = requirement if requirement is not None else Requirement()
    item.goal = goal
    item.title = (title or "").strip()
    item.kind = kind
    is_hours = kind == RequirementKind.CLOCK_HOURS
    item.course = None if is_hours else course
    item.strand = strand if is_hours else None
    if is_hours and clock_hours is not None and not isinstance(clock_hours, Decimal):
        clock_hours = Decimal(str(clock_hours))
    item.clock_hours = clock_hours if is_hours else None
    item.target_percent = target_percent
    item.due_on = due_on
    item.count_completions_before_plan_year = bool(count_completions_before_plan_year)
    errors = _field_errors(
        item,
        {
            "goal": MSG_REQUIREMENT_GOAL_REQUIRED,
            "kind": MSG_KIND_UNKNOWN,
            "target_percent": MSG_TARGET_RANGE,
            "due_on": MSG_DATE_REQUIRED,
        },
    )
    if kind == RequirementKind.COURSE and course is None:
        errors["course"] = [MSG_COURSE_REQUIRED]
    if is_hours:
        if strand is None:
            errors["strand"] = [MSG_STRAND_REQUIRED]
        if clock_hours is None or not clock_hours.is_finite() or clock_hours <= 0:
            errors["clock_hours"] = [MSG_HOURS_POSITIVE]
    if not isinstance(target_percent, int) or not 1 <= target_percent <= 100:
        errors["target_percent"] = [MSG_TARGET_RANGE]
    if "due_on" not in errors:
        errors.update(requirement_due_errors(item))
    _save(item, errors)
    item.audience_positions.set(list(audience_positions))
    item.audience_buildings.set(list(audience_buildings))
    item.audience_groups.set(list(audience_groups))
    return item


def requirement_due_errors(requirement: Requirement) -> dict[str, list[str]]:
    """The due date falls within the goal's plan year (also checked by the admin's forms)."""
    if requirement.goal_id is None or requirement.due_on is None:
        return {}
    year = requirement.goal.plan_year
    if year.starts_on <= requirement.due_on <= year.ends_on:
        return {}
    message = MSG_DUE_OUTSIDE_YEAR.format(
        year=year.name, start=_day(year.starts_on), end=_day(year.ends_on)
    )
    return {"due_on": [message]}


def plan_year_date_errors(year: PlanYear) -> dict[str, list[str]]:
    """A year's dates lie within its plan, overlap no other year of it, and keep its
    requirements due within it (also checked by the admin's forms)."""
    if year.plan_id is None or year.starts_on is None or year.ends_on is None:
        return {}
    others = PlanYear.objects.filter(plan_id=year.plan_id).exclude(pk=year.pk)
    return _year_date_errors(year, others.order_by("starts_on"))


@transaction.atomic
def requirement_delete(*, requirement: Requirement) -> None:
    """Delete a requirement; its audience links go with it, nobody's completions do."""
    requirement.delete()


# Report subscriptions


@dataclass(frozen=True)
class SubscriptionsSent:
    sent: int
    paused: int


def report_subscription_create(
    *, user: User, frequency: str, query: str, now: dt.datetime | None = None
) -> ReportSubscription:
    """Subscribe a building leader or district PD to the completion report with these filters.
    The first report comes at the start of the next week or month. Asking again for the same
    report gives the one already there."""
    if not access.may_see_reports(user):
        raise ValidationError("Only building leaders and district PD receive completion reports.")
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": "Choose weekly or monthly."})
    filterset = report_mail.filterset_for(user, query)
    if not filterset.is_valid():
        raise ValidationError(
            {name: [str(m) for m in messages] for name, messages in filterset.form.errors.items()}
        )
    now = now or timezone.now()
    with transaction.atomic():
        existing = ReportSubscription.objects.filter(
            user=user, frequency=frequency, query=query, active=True
        ).first()
        if existing is not None:
            return existing
        return ReportSubscription.objects.create(
            user=user,
            frequency=frequency,
            query=query,
            last_period=report_mail.period_of(frequency, timezone.localdate(now)),
            created_at=now,
        )


@transaction.atomic
def report_subscription_stop(
    *, subscription: ReportSubscription, now: dt.datetime | None = None
) -> bool:
    """Stop a subscription; returns False when it was already stopped."""
    if not subscription.active:
        return False
    subscription.active = False
    subscription.stopped_at = now or timezone.now()
    subscription.save(update_fields=["active", "stopped_at"])
    return True


def report_subscriptions_send(*, now: dt.datetime | None = None) -> SubscriptionsSent:
    """Mail each active subscription whose week or month has begun and has had no report yet:
    its report as its owner may see it today, recorded in the outbox with the period in one
    transaction, so that running this twice sends nothing twice. A subscription whose scope or
    filters are no longer its owner's sends nothing and keeps the reason for its settings page;
    it resumes by itself if the access comes back."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = paused = 0
    for pk, frequency, last_period in ReportSubscription.objects.filter(active=True).values_list(
        "pk", "frequency", "last_period"
    ):
        period = report_mail.period_of(frequency, today)
        if last_period == period:
            continue
        with transaction.atomic():
            subscription = (
                ReportSubscription.objects.select_for_update(of=("self",))
                .select_related("user__staff_member")
                .filter(pk=pk, active=True)
                .exclude(last_period=period)
                .first()
            )
            if subscription is None:
                continue
            prepared = report_mail.prepare(subscription, as_of=today)
            subscription.last_period = period
            if prepared.report is None:
                subscription.paused_reason = prepared.reason
                subscription.save(update_fields=["last_period", "paused_reason"])
                paused += 1
                continue
            message = report_mail.message_for(
                subscription, prepared.report, to=mail_address(subscription.user)
            )
            outbox.record([message], kind=report_mail.REPORT_SUBSCRIPTION)
            subscription.last_numbers = report_mail.numbers_of(prepared.report)
            subscription.last_sent_at = now
            subscription.paused_reason = ""
            subscription.save(
                update_fields=["last_period", "last_numbers", "last_sent_at", "paused_reason"]
            )
            sent += 1
    return SubscriptionsSent(sent=sent, paused=paused)

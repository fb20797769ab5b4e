"""The completion report by mail (report subscriptions): which period a report belongs to, the
report a subscription asks for as its owner may see it today, the message with the headline
rates against the targets and what changed since the last one, and the signed link that stops
it in one click."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format

from catalog.models import Strand
from learning import access
from learning.models import Building, PlanYear, Position, Requirement

from . import selectors, workbooks
from .filters import ProgressFilterSet, scoped_buildings
from .models import Frequency, ReportSubscription
from .progress import ProgressReport, progress_totals

UNSUBSCRIBE_SALT = "plan.report-subscription.unsubscribe"
REPORT_SUBSCRIPTION = "report_subscription"
MSG_NO_REPORTS = "You no longer see progress reports, so no report was sent."
MSG_NO_LOGIN = "This sign-in is no longer active, so no report was sent."
MSG_BUILDINGS_GONE = "You no longer see reports for {names}, so no report was sent."
MSG_FILTERS = "The report's filters no longer fit what you may see ({errors}), so none was sent."


def period_of(frequency: str, today: dt.date) -> str:
    """The week (2026-W50) or month (2026-12) a report for `today` covers: one a period."""
    if frequency == Frequency.WEEKLY:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{today.year}-{today.month:02d}"


def unsubscribe_token(subscription: ReportSubscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def subscription_for_token(token: str) -> ReportSubscription | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return ReportSubscription.objects.filter(pk=pk).select_related("user").first()


def unsubscribe_url(subscription: ReportSubscription) -> str:
    return settings.SITE_URL + reverse(
        "leaders:subscription-unsubscribe", args=[unsubscribe_token(subscription)]
    )


def filterset_for(user, query: str) -> ProgressFilterSet:
    return ProgressFilterSet(QueryDict(query), request=SimpleNamespace(user=user))


@dataclass(frozen=True)
class Prepared:
    report: ProgressReport | None
    reason: str = ""


def prepare(subscription: ReportSubscription, *, as_of: dt.date) -> Prepared:
    """The report the subscription asks for, counted in its owner's scope as it is today; or
    why there is none (they no longer lead the building, no longer see reports)."""
    user = subscription.user
    if not user.is_active:
        return Prepared(None, MSG_NO_LOGIN)
    if not access.may_see_reports(user):
        return Prepared(None, MSG_NO_REPORTS)
    filterset = filterset_for(user, subscription.query)
    if not filterset.is_valid():
        asked = set(QueryDict(subscription.query).getlist("building"))
        visible = set(scoped_buildings(SimpleNamespace(user=user)).values_list("code", flat=True))
        gone = Building.objects.filter(code__in=asked - visible).order_by("name")
        if gone:
            names = ", ".join(building.name for building in gone)
            return Prepared(None, MSG_BUILDINGS_GONE.format(names=names))
        return Prepared(None, MSG_FILTERS.format(errors=filterset.errors_in_words()))
    report = progress_totals(
        scope=selectors.report_scope(user), filters=filterset.report_filters(), as_of=as_of
    )
    return Prepared(report)


def numbers_of(report: ProgressReport) -> dict[str, list[int]]:
    return {
        str(item.requirement.pk): [item.tally.completed, item.tally.audience]
        for item in report.requirements
    }


@dataclass(frozen=True)
class Line:
    label: str
    completed: int
    audience: int
    percent: float | None
    target: int
    status: str
    change: str


def _change(now: tuple[int, int], before: list[int] | None) -> str:
    if before is None:
        return "new in this report"
    completed, audience = now
    was_completed, was_audience = before
    gained = completed - was_completed
    parts = [f"{gained:+d} completed"]
    if audience and was_audience:
        points = completed * 100 / audience - was_completed * 100 / was_audience
        parts.insert(0, f"{points:+.1f} points")
    return ", ".join(parts)


def message_for(
    subscription: ReportSubscription, report: ProgressReport, *, to: str
) -> EmailMessage:
    previous = subscription.last_numbers or {}
    lines = [
        Line(
            label=str(item.requirement),
            completed=item.tally.completed,
            audience=item.tally.audience,
            percent=item.tally.percent,
            target=item.requirement.target_percent,
            status=item.status.label,
            change=_change(
                (item.tally.completed, item.tally.audience),
                previous.get(str(item.requirement.pk)),
            ),
        )
        for item in report.requirements
    ]
    total_before = [sum(v[0] for v in previous.values()), sum(v[1] for v in previous.values())]
    query = subscription.query
    dashboard = settings.SITE_URL + reverse("leaders:dashboard") + (f"?{query}" if query else "")
    workbook = settings.SITE_URL + reverse("leaders:workbook") + (f"?{query}" if query else "")
    narrowed = report.filters.building_ids or report.scope.building_ids
    scope = workbooks.scope_label(report) if narrowed else settings.DISTRICT_NAME
    as_of = date_format(report.as_of, "M j, Y")
    values = {
        "subscription": subscription,
        "frequency": subscription.get_frequency_display().split(" ")[0].lower(),
        "scope": scope,
        "filters": describe_query(subscription.query),
        "as_of": as_of,
        "since": date_format(subscription.last_sent_at, "M j, Y")
        if subscription.last_sent_at
        else None,
        "lines": lines,
        "total": report.total,
        "total_change": _change((report.total.completed, report.total.audience), total_before)
        if previous
        else None,
        "dashboard_url": dashboard,
        "workbook_url": workbook,
        "settings_url": settings.SITE_URL + reverse("leaders:subscriptions"),
        "unsubscribe_url": unsubscribe_url(subscription),
        "district_name": settings.DISTRICT_NAME,
    }
    subject = f"Completion report for {scope}, {as_of}"
    body = render_to_string("plan/mail/report_subscription.txt", values)
    return EmailMessage(
        subject,
        body,
        to=[to],
        headers={
            # One click in the mail client (RFC 8058): a POST to the signed link.
            "List-Unsubscribe": f"<{values['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def describe_query(query: str) -> str:
    """A report's filters in words ("strand: Restorative Practices; building: Maple
    Elementary"), or "" for the whole report in its scope."""
    data = QueryDict(query)
    named = {
        "plan_year": ("plan year", PlanYear, "pk"),
        "strand": ("strand", Strand, "code"),
        "building": ("building", Building, "code"),
        "position": ("position", Position, "code"),
        "requirement": ("requirement", Requirement, "pk"),
    }
    parts = []
    for name, (label, model, key) in named.items():
        values = [value for value in data.getlist(name) if value.strip()]
        if not values:
            continue
        found = {}
        if key == "code" or all(value.isdigit() for value in values):
            found = {
                str(getattr(obj, key)): str(obj)
                for obj in model.objects.filter(**{f"{key}__in": values})
            }
        parts.append(f"{label}: {', '.join(found.get(value, value) for value in values)}")
    return "; ".join(parts)


def query_from(data: QueryDict) -> str:
    """The report filters of a request, in a stable order, blank ones left out."""
    pairs = [
        (name, value)
        for name in ("plan_year", "strand", "building", "position", "requirement")
        for value in data.getlist(name)
        if value.strip()
    ]
    return urlencode(pairs)

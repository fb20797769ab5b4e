"""The one FilterSet for sessions, shared by the API, the catalog page and the catalog feed."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.filters import BlankMeansAnyFilterSet, key_and_id_filters
from learning.models import Building, StaffGroup

from . import search
from .choices import SessionStatus
from .models import Course, Meeting, Session, Strand


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of a "YYYY-MM" month and of the month after, in the district's zone."""
    year, number = (int(part) for part in month.split("-"))
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, number, 1, tzinfo=tz)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=tz)
    return start, end


def month_choices() -> list[tuple[str, str]]:
    """Two years back (the plan's first year) to eighteen months ahead of today, as
    ("2026-11", "November 2026")."""
    today = timezone.localdate()
    choices = []
    for offset in range(-24, 19):
        index = today.year * 12 + today.month - 1 + offset
        first = dt.date(index // 12, index % 12 + 1, 1)
        choices.append((f"{first:%Y-%m}", f"{first:%B %Y}"))
    return choices


class SessionFilterSet(BlankMeansAnyFilterSet):
    """Filter sessions by strand, course, building (by code, or by id), audience and month, or
    search. None of the filters crosses a one-to-many relation, so none needs DISTINCT.

    A session's audience is the group it is restricted to (a committee or cohort), if any:
    sessions carry no position audience (that belongs to the plan's requirements). So `audience`
    takes group slugs, and "all" for the sessions open to all staff."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    strand, strand_id = key_and_id_filters("course__strand", Strand.objects.all(), label="Strand")
    course, course_id = key_and_id_filters("course", Course.objects.all(), label="Course")
    building, building_id = key_and_id_filters("building", Building.objects.all(), label="Building")
    audience = django_filters.ModelMultipleChoiceFilter(
        field_name="restricted_to_group__slug",
        to_field_name="slug",
        queryset=StaffGroup.objects.all(),
        null_value="all",
        null_label="All district staff",
        label="Audience",
        distinct=False,
    )
    month = django_filters.ChoiceFilter(
        choices=month_choices, method="filter_month", label="Month", empty_label="Any month"
    )
    status = django_filters.MultipleChoiceFilter(
        choices=SessionStatus.choices, label="Status", distinct=False
    )

    class Meta:
        model = Session
        fields = ["q", "strand", "course", "building", "audience", "month", "status"]

    def filter_q(self, queryset: QuerySet[Session], name: str, value: str) -> QuerySet[Session]:
        value = value.strip()
        if not value:
            return queryset
        found = search.matching(Course.objects.all(), value).values("pk")
        return queryset.filter(Q(course__in=found) | Q(title__icontains=value))

    def filter_month(self, queryset: QuerySet[Session], name: str, value: str) -> QuerySet[Session]:
        start, end = month_bounds(value)
        in_month = Meeting.objects.filter(
            session=OuterRef("pk"), starts_at__gte=start, starts_at__lt=end
        )
        return queryset.filter(Exists(in_month))


class CourseFilterSet(BlankMeansAnyFilterSet):
    """Filter courses by strand (by code, or by id) and whether they are active, or search."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    strand, strand_id = key_and_id_filters("strand", Strand.objects.all(), label="Strand")
    active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Course
        fields = ["q", "strand", "strand_id", "active"]

    def filter_q(self, queryset: QuerySet[Course], name: str, value: str) -> QuerySet[Course]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(pk__in=search.matching(Course.objects.all(), value).values("pk"))

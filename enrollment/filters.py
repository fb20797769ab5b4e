"""FilterSets for enrollments and completions, shared by the API and the pages. They narrow a
list the selectors already scoped. People and sessions named in a filter are looked up among
those the user may see, so a filter never confirms that someone outside the scope exists; and a
filter or search matches a person's details only where the list shows them (the user's
access.RecordScope): a facilitator's roster shows names, so no search there matches an employee
id."""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from catalog import access as session_access
from catalog.models import Course, Session
from core.filters import BlankMeansAnyFilterSet, IdMultipleChoiceFilter, key_and_id_filters
from learning import access
from learning.models import Building, PlanYear, StaffMember, display_name_of

from .choices import EnrollmentStatus
from .models import Completion, Enrollment
from .selectors import held_meetings_of_session

MSG_NOT_A_BOOLEAN = "Say true or false."
# The same answer whether nobody has the id or its holder's id is not shown to the user.
MSG_EMPLOYEE_ID_NOT_SHOWN = (
    'No one whose employee id you are shown has the employee id "%(value)s" (you are shown '
    "your own, your buildings' staff's as their building leader, and everyone's as district PD)."
)


class YesNoSelect(forms.NullBooleanSelect):
    def value_from_datadict(self, data, files, name):
        # Django's select reads any value it does not offer as "unknown"; pass it on instead.
        read = super().value_from_datadict(data, files, name)
        raw = data.get(name)
        return raw if read is None and raw not in (None, "", "unknown") else read


class YesNoField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error naming the filter, where Django's field
    would quietly read it as "any"."""

    widget = YesNoSelect

    def to_python(self, value):
        result = super().to_python(value)
        if result is None and value not in self.empty_values:
            raise ValidationError(MSG_NOT_A_BOOLEAN, code="invalid")
        return result


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


def visible_staff(request) -> QuerySet[StaffMember]:
    if request is None:
        return StaffMember.objects.none()
    return access.visible_staff(request.user)


def record_staff(request) -> QuerySet[StaffMember]:
    if request is None:
        return StaffMember.objects.none()
    return access.record_staff(request.user)


def employee_id_filter() -> django_filters.ModelMultipleChoiceFilter:
    """`staff`: people by employee id, among those whose employee id the user is shown."""
    return django_filters.ModelMultipleChoiceFilter(
        field_name="staff__employee_id",
        to_field_name="employee_id",
        queryset=record_staff,
        label="Staff (employee id)",
        distinct=False,
        error_messages={"invalid_choice": MSG_EMPLOYEE_ID_NOT_SHOWN},
    )


def visible_sessions(request) -> QuerySet[Session]:
    if request is None:
        return Session.objects.none()
    return session_access.visible_sessions(request.user)


def school_year_choices() -> list[tuple[str, str]]:
    """The plans' year names, newest first; plans may share a name."""
    names = PlanYear.objects.order_by("-starts_on").values_list("name", flat=True)
    return [(name, name) for name in dict.fromkeys(names)]


def school_year_days(name: str) -> list[tuple[dt.date, dt.date]]:
    return list(PlanYear.objects.filter(name=name).values_list("starts_on", "ends_on"))


class EnrollmentFilterSet(BlankMeansAnyFilterSet):
    """Filter enrollments by person, session, course and the person's building (by natural key
    or id), status, and school year (sessions whose first meeting falls in that plan year), or
    search: the person's name as shown, their employee id where it is shown, the course's code
    and title."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    staff = employee_id_filter()
    staff_id = IdMultipleChoiceFilter(
        field_name="staff", queryset=visible_staff, label="Staff (id)", distinct=False
    )
    session = IdMultipleChoiceFilter(
        field_name="session", queryset=visible_sessions, label="Session (id)", distinct=False
    )
    course, course_id = key_and_id_filters("session__course", Course.objects.all(), label="Course")
    building, building_id = key_and_id_filters(
        "staff__building",
        Building.objects.all(),
        label="Building (the person's)",
        id_label="Building (id, the person's)",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=EnrollmentStatus.choices, label="Status", distinct=False
    )
    school_year = django_filters.ChoiceFilter(
        choices=school_year_choices,
        method="filter_school_year",
        label="School year",
        empty_label="Any school year",
    )

    class Meta:
        model = Enrollment
        fields = [
            "q",
            "staff",
            "staff_id",
            "session",
            "course",
            "course_id",
            "building",
            "building_id",
            "status",
            "school_year",
        ]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        scope = access.record_scope(self.request.user if self.request else None)
        return queryset.alias(staff_name=display_name_of("staff")).filter(
            Q(staff_name__icontains=value)
            # The employee id only on rows that show it (a facilitator's roster does not).
            | (Q(staff__employee_id=value) & scope.staff_q("staff"))
            | Q(session__course__code__icontains=value)
            | Q(session__course__title__icontains=value)
        )

    def filter_school_year(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        first_start = held_meetings_of_session(Min("starts_at"))
        tz = timezone.get_current_timezone()
        within = Q(pk__in=[])
        for starts_on, ends_on in school_year_days(value):
            within |= Q(
                first_start__gte=dt.datetime.combine(starts_on, dt.time.min, tzinfo=tz),
                first_start__lt=dt.datetime.combine(
                    ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz
                ),
            )
        return queryset.alias(first_start=first_start).filter(within)


class CompletionFilterSet(BlankMeansAnyFilterSet):
    """Filter completions by person, course and the person's building (by natural key or id),
    the school year they were completed in, and whether they are voided."""

    staff = employee_id_filter()
    staff_id = IdMultipleChoiceFilter(
        field_name="staff", queryset=visible_staff, label="Staff (id)", distinct=False
    )
    course, course_id = key_and_id_filters("course", Course.objects.all(), label="Course")
    building, building_id = key_and_id_filters(
        "staff__building",
        Building.objects.all(),
        label="Building (the person's)",
        id_label="Building (id, the person's)",
    )
    school_year = django_filters.ChoiceFilter(
        choices=school_year_choices,
        method="filter_school_year",
        label="School year",
        empty_label="Any school year",
    )
    voided = YesNoFilter(method="filter_voided", label="Voided")

    class Meta:
        model = Completion
        fields = [
            "staff",
            "staff_id",
            "course",
            "course_id",
            "building",
            "building_id",
            "school_year",
            "voided",
        ]

    def filter_school_year(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        within = Q(pk__in=[])
        for starts_on, ends_on in school_year_days(value):
            within |= Q(completed_on__gte=starts_on, completed_on__lte=ends_on)
        return queryset.filter(within)

    def filter_voided(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(voided_at__isnull=not value)

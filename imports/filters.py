"""The staff directory's filters: a search over names, email and employee id, and building,
position and status."""

import django_filters
from django.db.models import Q

from core.filters import BlankMeansAnyFilterSet
from learning.choices import StaffStatus
from learning.models import Building, Position, StaffMember


class StaffDirectoryFilterSet(BlankMeansAnyFilterSet):
    q = django_filters.CharFilter(method="search", label="Name, email or employee ID")
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.order_by("name"),
        to_field_name="code",
        empty_label="All buildings",
        label="Building",
    )
    position = django_filters.ModelChoiceFilter(
        queryset=Position.objects.order_by("name"),
        to_field_name="code",
        empty_label="All positions",
        label="Position",
    )
    status = django_filters.ChoiceFilter(
        choices=StaffStatus.choices, empty_label="Every status", label="Status"
    )

    class Meta:
        model = StaffMember
        fields = ["q", "building", "position", "status"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(email__icontains=word)
                | Q(employee_id__icontains=word)
            )
        return queryset

"""What every FilterSet of the project shares: a blank parameter means no filter, ids beyond the
database's range are invalid choices (core.ids), and a relation filtered both by its natural
key (a code) and by id is declared once."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django.http import QueryDict

from .ids import IdChoiceMixin, IdMultipleChoiceMixin


def without_blank_values(data: Mapping) -> QueryDict:
    """The parameters minus empty values, so `?strand=` (a form's "All strands") means no filter
    rather than an unknown strand."""
    kept = QueryDict(mutable=True)
    lists = data.lists() if isinstance(data, QueryDict) else data.items()
    for key, values in lists:
        values = values if isinstance(values, list | tuple) else [values]
        filled = [value for value in values if value is not None and str(value).strip()]
        if filled:
            kept.setlist(key, filled)
    return kept


class IdsFilterField(IdMultipleChoiceMixin, django_filters.fields.ModelMultipleChoiceField):
    pass


class IdFilterField(IdChoiceMixin, django_filters.fields.ModelChoiceField):
    pass


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """Filter by one id of a model."""

    field_class = IdFilterField


class IdMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Filter by one or more ids of a model."""

    field_class = IdsFilterField


class BlankMeansAnyFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, *args, **kwargs):
        super().__init__(None if data is None else without_blank_values(data), *args, **kwargs)


def key_and_id_filters(
    path: str,
    queryset,
    *,
    label: str,
    key: str = "code",
    id_label: str | None = None,
) -> tuple[django_filters.ModelMultipleChoiceFilter, IdMultipleChoiceFilter]:
    """The two filters of a relation: by its natural key (`?building=maple`) and by id
    (`?building_id=4`), as `building, building_id = key_and_id_filters("building", ...)`."""
    return (
        django_filters.ModelMultipleChoiceFilter(
            field_name=f"{path}__{key}",
            to_field_name=key,
            queryset=queryset,
            label=label,
            distinct=False,
        ),
        IdMultipleChoiceFilter(
            field_name=path,
            queryset=queryset,
            label=id_label or f"{label} (id)",
            distinct=False,
        ),
    )

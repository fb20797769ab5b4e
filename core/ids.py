"""The 64-bit id guard: a number no database id can be is an unknown choice (a 400 naming the
field), never a database error. One copy, for forms, filters, serializers and commands."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

# Database ids are 64-bit signed integers.
MAX_ID = 2**63 - 1


def beyond_id_range(value) -> bool:
    """A number no database id can be (a non-number is left to the field, which names it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return False
    return not 0 < number <= MAX_ID


def id_from_text(text: str) -> int | None:
    """The id a text of digits names, or None when it is not one (not digits, or out of range)."""
    if not (text.isascii() and text.isdigit()) or beyond_id_range(text):
        return None
    return int(text)


class IdChoiceMixin:
    """For a ModelChoiceField (Django's or django-filter's): an id out of range is an invalid
    choice."""

    def to_python(self, value):
        if value not in self.empty_values and beyond_id_range(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceMixin:
    """For a ModelMultipleChoiceField: each id out of range is an invalid choice, named."""

    def _check_values(self, value):
        for candidate in value if isinstance(value, list | tuple) else ():
            if beyond_id_range(candidate):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": candidate},
                )
        return super()._check_values(value)


class IdChoiceField(IdChoiceMixin, forms.ModelChoiceField):
    """One object by id, for a form."""


class IdMultipleChoiceField(IdMultipleChoiceMixin, forms.ModelMultipleChoiceField):
    """Several objects by id, for a form."""

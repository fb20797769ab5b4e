"""Filters for the progress report pages."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(value) -> str:
    """A percentage with at most one decimal ("72.5%", "80%"); a dash when nobody is counted."""
    if value is None or value == "":
        return "—"
    return f"{floatformat(value, -1)}%"

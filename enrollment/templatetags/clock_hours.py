"""Clock hours as people write them on forms and transcripts: 12.5, 3, 0.25."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def hours(value) -> str:
    """A number of clock hours without trailing zeros ("12.50" -> "12.5", "3.00" -> "3")."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:f}".rstrip("0").rstrip(".")

"""The site menu's count of requests waiting for the user's decision."""

from django import template

from enrollment import selectors
from learning import access

register = template.Library()


@register.simple_tag
def approvals_waiting(user) -> int:
    """How many enrollment requests wait for this building leader or district PD (one query;
    none for anyone else)."""
    if not access.may_see_reports(user):
        return 0
    return selectors.pending_approvals(user=user).count()

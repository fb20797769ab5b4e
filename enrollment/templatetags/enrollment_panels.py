"""What pages outside the enrollment app show of it: the session page's "your place" panel
(enroll, waitlist, withdraw, evaluation, certificate; roster and assign for those who may), and
the catalog's marks of the signed-in person's places, completions and requirements."""

from django import template
from django.conf import settings

from enrollment.models import REQUEST_NOTE_MAX_LENGTH
from enrollment.selectors import catalog_marks, session_place

register = template.Library()


@register.inclusion_tag("enrollment/_session_panel.html", takes_context=True)
def session_panel(context, session, at):
    """The user's place in the session as of `at` (the moment the page shows the session at)."""
    request = context["request"]
    # Django gives an inclusion tag's template the page's CSRF token.
    return {
        "session": session,
        "request": request,
        "user": request.user,
        # The page's roles, from learning's context processor.
        "roles": context.get("roles", ()),
        "place": session_place(user=request.user, session=session, at=at),
        "approval_hold_days": settings.APPROVAL_HOLD_DAYS,
        "request_note_max": REQUEST_NOTE_MAX_LENGTH,
    }


@register.simple_tag(takes_context=True)
def mark_catalog(context, page, at):
    """Mark the catalog page's sessions and courses for the signed-in person (their places,
    what a click would do, completed and required courses); whether anything was marked."""
    entries = [entry for strand in page.strands for entry in strand.courses]
    return catalog_marks(
        user=context["request"].user,
        sessions=[session for entry in entries for session in entry.sessions],
        courses=[entry.course for entry in entries],
        at=at,
    )

"""What pages outside the calendars app show of it: subscription links for the public feeds,
and a person's "Your calendar" panel."""

from django import template
from django.conf import settings
from django.urls import reverse

from calendars.links import FeedLinks, feed_links
from calendars.views.feeds import CATALOG_NAME

register = template.Library()


@register.simple_tag
def catalog_feed_links(query: str = "") -> FeedLinks:
    """The ways to subscribe to the public catalog feed with these filters (a query string)."""
    return feed_links(
        reverse("calendars:catalog"),
        name=CATALOG_NAME.format(district=settings.DISTRICT_NAME),
        query=query,
    )


@register.inclusion_tag("calendars/_subscription_panel.html")
def subscription_panel(staff, now):
    """The "Your calendar" panel of a person's own page (calendars.views.subscription): the
    calendars app renders its own panel wherever a page shows it."""
    from calendars.views.subscription import subscription_panel as panel

    # Django gives an inclusion tag's template the page's CSRF token.
    return {"calendar": panel(staff=staff, now=now)}

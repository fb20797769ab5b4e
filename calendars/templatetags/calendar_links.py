"""Subscription links for the public feeds, for pages outside the calendars app."""

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

"""The addresses a calendar app is given to subscribe to a feed: the plain https URL (new Outlook
strips webcal://), the webcal:// one (Apple Calendar and Thunderbird open it directly), and the
Google Calendar and Outlook "add" links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from django.conf import settings

GOOGLE_ADD = "https://calendar.google.com/calendar/r?cid={cid}"
OUTLOOK_ADD = "https://outlook.office.com/calendar/addcalendar?{query}"


@dataclass(frozen=True)
class FeedLinks:
    https: str
    webcal: str
    google: str
    outlook: str


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def webcal(url: str) -> str:
    """The same address with the webcal scheme, which hands it to the calendar app."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def feed_links(path: str, *, name: str, query: str = "") -> FeedLinks:
    """Every way to subscribe to the feed at `path` (site-relative), with an optional query
    string (without "?"); `name` is what Outlook calls the calendar."""
    url = absolute(path) + (f"?{query}" if query else "")
    webcal_url = webcal(url)
    return FeedLinks(
        https=url,
        webcal=webcal_url,
        google=GOOGLE_ADD.format(cid=quote(webcal_url, safe="")),
        outlook=OUTLOOK_ADD.format(query=urlencode({"url": url, "name": name})),
    )

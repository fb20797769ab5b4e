"""The calendar pages: feeds for calendar apps, and a person's subscription settings."""

from . import feeds, subscription

__all__ = ["feeds", "subscription"]

"""Secret calendar feed URLs, one per staff member."""

import secrets

from django.db import models

from learning.models import StaffMember, TimeStampedModel


def new_feed_key() -> str:
    """256 bits of randomness, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class FeedToken(TimeStampedModel):
    """The secret part of a person's personal feed URL. Rotating replaces the key (the old URL
    stops working at once); revoking removes it. Grants nothing but that feed."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="feed_token")
    key = models.CharField(max_length=64, unique=True, default=new_feed_key, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_client = models.CharField(
        max_length=300, blank=True, help_text="The calendar app's User-Agent at the last fetch."
    )
    fetch_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["staff"]
        verbose_name = "feed token"

    def __str__(self) -> str:
        # Never the key itself: this string shows up in the admin and in logs.
        return f"Calendar feed of {self.staff.display_name}"

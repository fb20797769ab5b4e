"""Secret calendar feed URLs, one per staff member."""

import hashlib
import secrets

from django.db import models

from learning.models import StaffMember, TimeStampedModel


def new_feed_key() -> str:
    """256 bits of randomness, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def feed_key_digest(key: str) -> str:
    """What a feed URL's key is looked up by: its SHA-256. An index search takes longer the more
    of its input matches a stored value; searching by the digest, that tells nothing of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


class FeedToken(TimeStampedModel):
    """The secret part of a person's personal feed URL. Rotating replaces the key (the old URL
    stops working at once); revoking removes it. Grants nothing but that feed."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="feed_token")
    key = models.CharField(max_length=64, unique=True, default=new_feed_key, editable=False)
    # Kept by save(); a bulk_create must set it (feed_key_digest).
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_client = models.CharField(
        max_length=300, blank=True, help_text="The calendar app's User-Agent at the last fetch."
    )
    fetch_count = models.PositiveIntegerField(default=0)
    # The person's feed as last rendered (calendars.views.feeds): under which version of the
    # data, builder and settings, with which validators. A poll reads them with the token, so a
    # calendar app's current copy is answered 304 without reading the rendered feed.
    feed_version = models.CharField(max_length=120, blank=True, editable=False)
    feed_etag = models.CharField(max_length=64, blank=True, editable=False)
    feed_last_modified = models.DateTimeField(null=True, blank=True, editable=False)
    feed_changes_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["staff"]
        verbose_name = "feed token"

    def save(self, *args, **kwargs) -> None:
        self.key_digest = feed_key_digest(self.key)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "key" in update_fields:
            kwargs["update_fields"] = {*update_fields, "key_digest"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        # Never the key itself: this string shows up in the admin and in logs.
        return f"Calendar feed of {self.staff.display_name}"

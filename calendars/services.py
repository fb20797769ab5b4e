"""Writes to calendar feed tokens. A token's key is the secret part of a person's feed URL."""

from django.db import transaction

from .models import FeedToken, new_feed_key


@transaction.atomic
def feed_token_rotate(*, token: FeedToken) -> FeedToken:
    """Give the token a new random key; the old URL stops working at once."""
    token.key = new_feed_key()
    token.full_clean()
    # Only the key: a feed fetch may be counting on the same row right now.
    token.save(update_fields=["key", "updated_at"])
    return token


@transaction.atomic
def feed_token_revoke(*, token: FeedToken) -> None:
    """Remove the token, so no URL reaches the person's feed until a new token is made."""
    token.delete()

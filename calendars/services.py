"""Writes to calendar feed tokens and to how a person's sessions reach their calendar. A token's
key is the secret part of a person's feed URL."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from learning.choices import CalendarDelivery
from learning.models import StaffMember

from .models import FeedToken, new_feed_key
from .selectors import FeedPoll, ServedFeed

# A fetch of the personal feed is written to its token at most this often (and whenever the
# calendar app changes): the panel and the admin show when it was last fetched and by what, and
# a write on every poll would cost more than the poll.
FETCH_RECORD_EVERY = dt.timedelta(minutes=1)

MSG_UNKNOWN_DELIVERY = "Choose the feed, invitations by mail, or neither."
MSG_NOT_YOURS = "Only the person themselves chooses how sessions reach their calendar."


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


@transaction.atomic
def feed_token_for(*, staff: StaffMember) -> FeedToken | None:
    """The person's feed token, made on first need. None unless they chose the feed: a person who
    gets invitations by mail (or neither) has no feed URL, so no event shows up twice."""
    if staff.calendar_delivery != CalendarDelivery.FEED:
        return None
    token, _created = FeedToken.objects.get_or_create(staff=staff)
    return token


@transaction.atomic
def calendar_delivery_set(*, staff: StaffMember, delivery: str, actor: User | None) -> StaffMember:
    """Choose how the person's sessions reach their calendar. Invitations or neither revoke the
    feed token (its URL stops working at once); the feed makes a token if there is none, with a
    new key, so a URL revoked earlier stays dead. The person (or an admin) chooses."""
    if actor is None or not (
        actor.is_superuser or (staff.user_id is not None and staff.user_id == actor.pk)
    ):
        raise PermissionDenied(MSG_NOT_YOURS)
    if delivery not in CalendarDelivery.values:
        raise ValidationError({"calendar_delivery": MSG_UNKNOWN_DELIVERY})
    staff.calendar_delivery = delivery
    staff.clean_fields(
        exclude=[f.name for f in staff._meta.fields if f.name != "calendar_delivery"]
    )
    staff.save(update_fields=["calendar_delivery", "updated_at"])
    if delivery == CalendarDelivery.FEED:
        FeedToken.objects.get_or_create(staff=staff)
    elif (token := FeedToken.objects.filter(staff=staff).first()) is not None:
        feed_token_revoke(token=token)
    return staff


def feed_poll_record(
    *, poll: FeedPoll, client: str, now: dt.datetime, served: ServedFeed | None = None
) -> None:
    """Note a poll of the personal feed on its token, in one UPDATE or none: the fetch, unless
    the same calendar app was noted less than FETCH_RECORD_EVERY ago (counted in the database,
    so concurrent fetches that are noted all count: fetch_count counts the noted fetches), and
    the feed `served`, when the token holds another. The key is left alone: a rotation may be
    replacing it right now."""
    fields = {}
    last = poll.last_fetched_at
    if last is None or client != poll.last_client or now - last >= FETCH_RECORD_EVERY:
        fields.update(last_fetched_at=now, last_client=client, fetch_count=F("fetch_count") + 1)
    if served is not None and served != poll.served:
        fields.update(
            feed_version=served.version,
            feed_etag=served.etag,
            feed_last_modified=served.last_modified,
            feed_changes_at=served.changes_at,
        )
    if fields:
        FeedToken.objects.filter(pk=poll.token_id).update(**fields)

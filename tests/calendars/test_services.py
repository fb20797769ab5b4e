"""Rotating a feed key retires the old URL at once; revoking removes the token; a poll is noted
on the token in one write at most."""

import datetime as dt

import pytest
from django.utils import timezone

from calendars import selectors, services
from calendars.models import FeedToken, feed_key_digest
from calendars.services import FETCH_RECORD_EVERY
from tests.factories import FeedTokenFactory

pytestmark = pytest.mark.django_db


def test_rotate_gives_a_new_key_and_the_old_one_stops_working():
    token = FeedTokenFactory(fetch_count=5)
    old_key = token.key

    rotated = services.feed_token_rotate(token=token)

    assert rotated.key != old_key
    assert len(rotated.key) >= 43  # 256 bits in base64url
    assert not FeedToken.objects.filter(key=old_key).exists()
    stored = FeedToken.objects.get(key=rotated.key)
    assert (stored.pk, stored.staff_id, stored.fetch_count) == (token.pk, token.staff_id, 5)


def test_rotate_twice_gives_two_different_keys():
    token = FeedTokenFactory()
    first = services.feed_token_rotate(token=token).key
    second = services.feed_token_rotate(token=token).key
    assert first != second
    token.refresh_from_db()
    assert token.key == second


def test_revoke_removes_the_token_and_keeps_the_person():
    token = FeedTokenFactory()
    other = FeedTokenFactory()

    services.feed_token_revoke(token=token)

    assert not FeedToken.objects.filter(key=token.key).exists()
    assert not FeedToken.objects.filter(staff=token.staff).exists()
    assert token.staff._meta.model.objects.filter(pk=token.staff_id).exists()
    assert FeedToken.objects.filter(pk=other.pk).exists()


# Noting a poll of the personal feed


def _poll(token: FeedToken):
    return selectors.feed_poll(feed_key_digest(token.key))


def _served(version: str, etag: str) -> selectors.ServedFeed:
    return selectors.ServedFeed(
        version=version,
        etag=etag,
        last_modified=dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC),
        changes_at=None,
    )


def test_the_first_poll_notes_the_fetch_and_the_feed_served_in_one_update(
    django_assert_num_queries,
):
    token = FeedTokenFactory()
    now = timezone.now()
    poll = _poll(token)

    with django_assert_num_queries(1):
        services.feed_poll_record(
            poll=poll, client="Google-Calendar-Importer", now=now, served=_served("1-1-1:ab", "e1")
        )

    token.refresh_from_db()
    assert (token.fetch_count, token.last_client, token.last_fetched_at) == (
        1,
        "Google-Calendar-Importer",
        now,
    )
    assert _poll(token).served == _served("1-1-1:ab", "e1")


def test_a_poll_of_the_same_app_within_a_minute_of_the_same_feed_writes_nothing(
    django_assert_num_queries,
):
    token = FeedTokenFactory()
    now = timezone.now()
    services.feed_poll_record(
        poll=_poll(token), client="Outlook", now=now, served=_served("1-1-1:ab", "e1")
    )
    poll = _poll(token)

    with django_assert_num_queries(0):
        services.feed_poll_record(poll=poll, client="Outlook", now=now + dt.timedelta(seconds=59))
        services.feed_poll_record(
            poll=poll,
            client="Outlook",
            now=now + dt.timedelta(seconds=59),
            served=_served("1-1-1:ab", "e1"),
        )


def test_a_new_feed_is_noted_without_counting_a_fetch_noted_a_moment_ago():
    token = FeedTokenFactory()
    now = timezone.now()
    services.feed_poll_record(
        poll=_poll(token), client="Outlook", now=now, served=_served("1-1-1:ab", "e1")
    )

    services.feed_poll_record(
        poll=_poll(token),
        client="Outlook",
        now=now + dt.timedelta(seconds=5),
        served=_served("1-1-2:ab", "e2"),
    )

    token.refresh_from_db()
    assert (token.fetch_count, token.last_fetched_at) == (1, now)
    assert (token.feed_version, token.feed_etag) == ("1-1-2:ab", "e2")


def test_a_fetch_is_counted_again_after_a_minute_or_from_another_app():
    token = FeedTokenFactory()
    now = timezone.now()
    services.feed_poll_record(poll=_poll(token), client="Outlook", now=now)
    services.feed_poll_record(poll=_poll(token), client="Outlook", now=now + FETCH_RECORD_EVERY)
    services.feed_poll_record(
        poll=_poll(token), client="iOS/18.0 dataaccessd", now=now + FETCH_RECORD_EVERY
    )

    token.refresh_from_db()
    assert (token.fetch_count, token.last_client) == (3, "iOS/18.0 dataaccessd")
    assert token.feed_version == ""  # nothing served was named

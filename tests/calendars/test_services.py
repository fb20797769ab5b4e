"""Rotating a feed key retires the old URL at once; revoking removes the token."""

import pytest

from calendars import services
from calendars.models import FeedToken
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

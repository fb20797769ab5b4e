"""Feed tokens: one per person, unguessable keys that never show up in their string."""

import hashlib
import re

import pytest

from calendars import services
from calendars.models import FeedToken
from tests.assertions import refused
from tests.factories import FeedTokenFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def test_one_feed_token_per_staff_member():
    token = FeedTokenFactory()
    with refused(FeedToken, "feedtoken.staff_id"):
        FeedToken.objects.create(staff=token.staff)


def test_feed_key_is_unique():
    token = FeedTokenFactory()
    other = StaffMemberFactory()
    with refused(FeedToken, "feedtoken.key"):
        FeedToken.objects.create(staff=other, key=token.key)


def test_default_key_has_at_least_256_bits_and_is_url_safe():
    first, second = FeedTokenFactory(), FeedTokenFactory()
    assert first.key != second.key
    for token in (first, second):
        # 43 base64url characters carry 258 bits; 256 bits need at least 43.
        assert len(token.key) >= 43
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token.key)


def test_str_names_the_person_and_never_the_key():
    token = FeedTokenFactory(staff__first_name="Tess", staff__last_name="Teacher")
    assert str(token) == "Calendar feed of Tess Teacher"
    assert token.key not in str(token)
    assert token.key not in repr(token)


def test_the_keys_digest_follows_the_key_through_creation_and_rotation():
    token = FeedTokenFactory()
    stored = FeedToken.objects.get(pk=token.pk)
    assert stored.key_digest == hashlib.sha256(stored.key.encode()).hexdigest()

    services.feed_token_rotate(token=token)
    stored = FeedToken.objects.get(pk=token.pk)
    assert stored.key == token.key
    assert stored.key_digest == hashlib.sha256(token.key.encode()).hexdigest()

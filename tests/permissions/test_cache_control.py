"""Caching over every URL of the permission matrix: every answer made for a signed-in person (by
session or by API token) is `Cache-Control: private, no-store`, so a shared computer's browser
keeps none of it; the calendar feeds keep the policy they choose (their ETag/304 answers rely on
it), and anonymous answers (the public catalog) are left as their views make them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.http import HttpResponse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from calendars.views.feeds import PERSONAL_CACHE_CONTROL, PUBLIC_CACHE_CONTROL
from core.private_responses import PRIVATE_NO_STORE

from .test_matrix import API, BROWSABLE, MATRIX, Row, _is_api, _request, expect
from .world import ROLES, World

pytestmark = pytest.mark.django_db

SIGNED_IN = [role for role in ROLES if role != "anon"]
# The feeds' own policies, on the feeds they serve (200, or 304 to a conditional request).
OWN_POLICY = {
    "calendars:feed": PERSONAL_CACHE_CONTROL,
    "calendars:catalog": PUBLIC_CACHE_CONTROL,
    "calendars:session": PERSONAL_CACHE_CONTROL,
}
FEED_ANSWERS = (200, 304)
PUBLIC_PAGES = {"catalog:index", "catalog:session"}


def directives(response: HttpResponse) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part}


def answers(
    client, role: str, w: World, rows: list[Row]
) -> Iterator[tuple[str, Row, str, HttpResponse]]:
    """(label, row, method, response) for every method of every row, and for the API's reads also as
    the browsable API; each request's writes are rolled back."""
    signed_in = "_auth_user_id" in client.session
    for row in rows:
        for method in row.methods:
            variants = [{}]
            if method == "get" and _is_api(row):
                variants.append(dict(BROWSABLE))
            for headers in variants:
                shown = " (browsable)" if headers else ""
                with transaction.atomic():
                    response = _request(client, role, row, method, w, headers)
                    transaction.set_rollback(True)
                yield f"{role} {method.upper()}{shown} {row.key}", row, method, response
            if signed_in and "_auth_user_id" not in client.session:
                # Signing out or a new password ended the session (and was rolled back).
                client.force_login(w.users[role])


def is_private_no_store(response) -> bool:
    return {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_answer_to_a_signed_in_person_is_private_and_not_stored(world, role):
    client = APIClient()
    client.force_login(world.users[role])
    wrong = []
    for label, row, _method, response in answers(client, role, world, MATRIX):
        own = OWN_POLICY.get(row.name)
        if own and response.status_code in FEED_ANSWERS:
            if response["Cache-Control"] != own:
                wrong.append(f"{label}: {response['Cache-Control']!r}, not the feed's {own!r}")
        elif not is_private_no_store(response):
            wrong.append(f"{label} ({response.status_code}): {response.get('Cache-Control')!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_api_answer_to_a_token_is_private_and_not_stored(world, role):
    user = world.users[role]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    wrong = []
    for label, row, method, response in answers(client, role, world, API):
        wanted = expect(row.methods[method][ROLES.index(role)], write=False)
        if method == "get" and response.status_code != wanted.status:
            # The token must have signed the request in, as the session does in the matrix.
            wrong.append(f"{label}: answered {response.status_code}, not {wanted!r}")
        if not is_private_no_store(response):
            wrong.append(f"{label} ({response.status_code}): {response.get('Cache-Control')!r}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_answers_keep_their_own_caching(world):
    """The public catalog and the feeds keep what their views say; nothing anonymous is marked
    as a signed-in person's."""
    client = APIClient()
    seen = set()
    wrong = []
    for label, row, _method, response in answers(client, "anon", world, MATRIX):
        cache_control = response.get("Cache-Control")
        own = OWN_POLICY.get(row.name)
        if own and response.status_code in FEED_ANSWERS:
            seen.add(row.name)
            if cache_control != own:
                wrong.append(f"{label}: {cache_control!r}, not the feed's {own!r}")
        elif row.name in PUBLIC_PAGES and response.status_code == 200:
            seen.add(row.name)
            if cache_control is not None:
                wrong.append(f"{label}: {cache_control!r} on a public page")
        elif cache_control == PRIVATE_NO_STORE:
            wrong.append(f"{label}: marked private though nobody is signed in")
    assert not wrong, "\n".join(wrong)
    assert seen == set(OWN_POLICY) | PUBLIC_PAGES


def test_a_signed_in_persons_feed_poll_keeps_the_feeds_policy_and_304(world):
    """A person who opens their own feed address in the browser they are signed in with gets
    the feed's policy, and its conditional request still answers 304."""
    client = APIClient()
    client.force_login(world.users["teacher"])
    url = f"/calendars/feed/{world.o.teacher_feed_key}.ics"
    first = client.get(url)

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304
    assert again["Cache-Control"] == first["Cache-Control"] == PERSONAL_CACHE_CONTROL
    assert again["ETag"] == first["ETag"]

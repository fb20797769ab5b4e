"""The permission tests' data, built once per module inside a transaction that is rolled back
when the module is done; each test still runs in its own savepoint (the `db` fixture)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from .world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    # Rendered feeds are cached under the person's id; none may outlive the rolled-back data.
    cache.clear()
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
    cache.clear()

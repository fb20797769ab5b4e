"""Assertions shared by the tests."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


@contextmanager
def refused(model, constraint: str):
    """The write inside is refused by the database, and no row of model is left behind.
    constraint is searched for in the error: SQLite names a check constraint or an expression
    index, or the columns of a unique one; PostgreSQL names the constraint or index."""
    before = model.objects.count()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield
    assert model.objects.count() == before

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Rendered feeds are cached by version; each test starts without any."""
    cache.clear()
    yield
    cache.clear()

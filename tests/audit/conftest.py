"""The district the roster tests name (buildings maple and oak, three positions)."""

from tests.imports.conftest import district  # noqa: F401

"""HTML pages of enrollment, one module per audience. Thin: they resolve objects through the
scoped selectors (an object outside one's scope is a 404) and call the services."""

from . import facilitator, leaders, outside, participant

__all__ = ["facilitator", "leaders", "outside", "participant"]

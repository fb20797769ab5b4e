"""Seat counts on sessions. The catalog shows them (its pages, API and feeds) but does not hold
enrollments: the enrollment app counts them and plugs its counting in here when it starts
(enrollment.apps), so that the catalog imports nothing from the app built on top of it."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from .models import Session

# Annotates seats_taken, seats_left and waitlist_length on each session.
SeatCounter = Callable[[QuerySet[Session]], QuerySet[Session]]

_counter: SeatCounter | None = None


def count_seats_with(counter: SeatCounter) -> None:
    global _counter
    _counter = counter


def with_seats(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """The sessions with seats_taken, seats_left and waitlist_length annotated."""
    if _counter is None:
        raise ImproperlyConfigured(
            "Nothing counts the catalog's seats: the enrollment app does when it starts. "
            "Is 'enrollment' in INSTALLED_APPS?"
        )
    return _counter(sessions)

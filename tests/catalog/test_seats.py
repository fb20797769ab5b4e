"""The catalog's seat counts come from the enrollment app, plugged in when it starts: the
catalog's own reads show the enrollment rules' counts, and without a counter they say so
plainly rather than show made-up seats."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog import seats, selectors
from catalog.models import Session
from enrollment.choices import EnrollmentStatus
from enrollment.selectors import sessions_with_seats
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_catalog_counts_seats_by_the_enrollment_rules():
    session = f.SessionFactory(capacity=3)
    f.EnrollmentFactory.create_batch(2, session=session, status=EnrollmentStatus.ENROLLED)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)

    shaped = selectors.shape_sessions(Session.objects.filter(pk=session.pk)).get()
    counted = sessions_with_seats(Session.objects.filter(pk=session.pk)).get()

    assert (shaped.seats_taken, shaped.seats_left, shaped.waitlist_length) == (2, 1, 1)
    assert (shaped.seats_taken, shaped.seats_left, shaped.waitlist_length) == (
        counted.seats_taken,
        counted.seats_left,
        counted.waitlist_length,
    )


def test_without_a_seat_counter_the_catalog_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(seats, "_counter", None)
    with pytest.raises(ImproperlyConfigured, match="'enrollment' in INSTALLED_APPS"):
        seats.with_seats(Session.objects.all())

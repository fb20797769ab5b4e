"""Reads about enrollments. Seats are an enrollment fact, so the seat annotations live here and
the catalog's selectors use them."""

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Session

from .choices import SEAT_HOLDING_STATUSES, EnrollmentStatus
from .models import Enrollment


def _count_of(enrollments: QuerySet[Enrollment]) -> Coalesce:
    counted = (
        enrollments.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def sessions_with_seats(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate seats_taken, seats_left and waitlist_length. Correlated subqueries, not joins, so
    the counts stay right when other relations are joined or aggregated in the same query."""
    return sessions.annotate(
        seats_taken=_count_of(Enrollment.objects.filter(status__in=SEAT_HOLDING_STATUSES)),
        waitlist_length=_count_of(Enrollment.objects.filter(status=EnrollmentStatus.WAITLISTED)),
    ).annotate(
        seats_left=Greatest(F("capacity") - F("seats_taken"), Value(0), output_field=IntegerField())
    )

"""learning.compiled: a query compiled once, run with new values in the markers' places, gives
what the ORM query built with those values gives."""

import datetime as dt

import pytest
from django.utils import timezone

from learning.compiled import CompiledQuery
from learning.models import StaffMember
from tests import factories as f

pytestmark = pytest.mark.django_db

HIRED_MARK = dt.date(1901, 1, 2)
SINCE_MARK = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def people(building, hired, since):
    return (
        StaffMember.objects.filter(building=building, hired_on__gte=hired, updated_at__gte=since)
        .order_by("pk")
        .values_list("pk", "last_name", "hired_on", "updated_at")
    )


def test_each_run_gives_what_the_orm_gives_for_its_values(building, other_building):
    maple = [f.StaffMemberFactory(building=building, hired_on=dt.date(2020, 8, n)) for n in (1, 2)]
    f.StaffMemberFactory(building=other_building, hired_on=dt.date(2021, 8, 1))
    compiled = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    long_ago = timezone.now() - dt.timedelta(days=1)

    for building_id, hired, since in (
        (building.pk, dt.date(2020, 1, 1), long_ago),
        (building.pk, dt.date(2020, 8, 2), long_ago),
        (other_building.pk, dt.date(2020, 1, 1), long_ago),
        (building.pk, dt.date(2020, 1, 1), timezone.now() + dt.timedelta(days=1)),
    ):
        assert compiled.rows(building=building_id, hired=hired, since=since) == list(
            people(building_id, hired, since)
        )
    rows = compiled.rows(building=building.pk, hired=dt.date(2020, 1, 1), since=long_ago)
    assert [row[0] for row in rows] == [person.pk for person in maple]
    # Values come back as the ORM gives them: dates, aware datetimes.
    assert rows[0][2] == dt.date(2020, 8, 1) and timezone.is_aware(rows[0][3])


def test_a_marker_the_query_does_not_hold_is_an_error(building):
    compiled = CompiledQuery(
        lambda building, unused: StaffMember.objects.filter(building=building).values_list("pk"),
        building=-7_300_912_345,
        unused="never-used",
    )
    with pytest.raises(ValueError, match="unused"):
        compiled.rows(building=building.pk, unused="x")

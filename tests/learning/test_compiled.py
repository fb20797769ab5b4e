"""learning.compiled: a query compiled once, run with new values in the markers' places, gives
what the ORM query built with those values gives."""

import datetime as dt

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, connection, connections
from django.test.utils import CaptureQueriesContext
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


# Prepared statements (PostgreSQL)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared_statements() -> dict[str, tuple[int, int]]:
    """The connection's prepared statements: SQL text -> (generic plans, custom plans)."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


def _planned(statements: dict[str, tuple[int, int]], table: str) -> int:
    return sum(sum(plans) for text, plans in statements.items() if table in text)


@on_postgresql
def test_a_prepared_query_is_planned_once_per_connection_and_gives_the_same_rows(
    building, other_building
):
    for hired_on in (dt.date(2020, 8, 1), dt.date(2020, 8, 2)):
        f.StaffMemberFactory(building=building, hired_on=hired_on)
    f.StaffMemberFactory(building=other_building, hired_on=dt.date(2021, 8, 1))
    prepared = CompiledQuery(
        people, prepare=True, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    long_ago = timezone.now() - dt.timedelta(days=1)
    before = _planned(_prepared_statements(), "learning_staffmember")

    runs = [
        (building.pk, dt.date(2020, 1, 1)),
        (building.pk, dt.date(2020, 8, 2)),
        (other_building.pk, dt.date(2020, 1, 1)),
    ] * 3
    for building_id, hired in runs:
        assert prepared.rows(building=building_id, hired=hired, since=long_ago) == list(
            people(building_id, hired, long_ago)
        )

    statements = _prepared_statements()
    mine = [text for text in statements if "learning_staffmember" in text]
    assert len(mine) == 1 and "$1" in mine[0]
    assert _planned(statements, "learning_staffmember") - before == len(runs)


@on_postgresql
def test_a_prepared_query_is_in_djangos_query_log_with_its_sql(building):
    prepared = CompiledQuery(
        people, prepare=True, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    with CaptureQueriesContext(connection) as queries:
        prepared.rows(building=building.pk, hired=dt.date(2020, 1, 1), since=timezone.now())
    assert len(queries.captured_queries) == 1
    assert 'FROM "learning_staffmember"' in queries.captured_queries[0]["sql"]


@on_postgresql
def test_without_prepared_statements_allowed_nothing_is_prepared(building, monkeypatch):
    # DATABASE_PREPARED_STATEMENTS=false leaves Django's default: psycopg's threshold off.
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    prepared = CompiledQuery(
        people, prepare=True, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    before = _prepared_statements()

    for _run in range(3):
        prepared.rows(building=building.pk, hired=dt.date(2020, 1, 1), since=timezone.now())

    assert _prepared_statements() == before


def test_prepare_changes_nothing_on_sqlite_or_in_the_rows(building):
    f.StaffMemberFactory(building=building, hired_on=dt.date(2020, 8, 1))
    markers = {"building": -7_300_912_345, "hired": HIRED_MARK, "since": SINCE_MARK}
    values = {"building": building.pk, "hired": dt.date(2020, 1, 1), "since": SINCE_MARK}
    assert (
        CompiledQuery(people, prepare=True, **markers).rows(**values)
        == CompiledQuery(people, **markers).rows(**values)
        == list(people(building.pk, dt.date(2020, 1, 1), SINCE_MARK))
    )


# The query as the connection's health check (PostgreSQL: CONN_HEALTH_CHECKS is on there)

on_health_checked_connections = pytest.mark.skipif(
    not connection.settings_dict["CONN_HEALTH_CHECKS"],
    reason="the settings turn health checks on for PostgreSQL only",
)


def _a_request_begins() -> None:
    """What Django does as a request starts: a kept connection is checked again before use."""
    connection.close_if_unusable_or_obsolete()


def _spy_health_checks(monkeypatch) -> list[int]:
    checks = []
    database = connections[DEFAULT_DB_ALIAS]
    real = database.is_usable

    def is_usable():
        checks.append(1)
        return real()

    monkeypatch.setattr(database, "is_usable", is_usable)
    return checks


@on_health_checked_connections
@pytest.mark.django_db(transaction=True)
def test_a_query_that_checks_the_connection_spares_the_separate_check(building, monkeypatch):
    compiled = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    values = {"building": building.pk, "hired": dt.date(2020, 1, 1), "since": SINCE_MARK}
    connection.ensure_connection()
    checks = _spy_health_checks(monkeypatch)

    _a_request_begins()
    compiled.rows(**values)
    assert checks == [1]  # Django's own check before the first query

    _a_request_begins()
    compiled.rows(checks_connection=True, **values)
    compiled.rows(**values)
    assert checks == [1]


@on_health_checked_connections
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [False, True], ids=["bound-on-client", "prepared"])
def test_a_connection_the_server_closed_is_replaced_and_the_query_sent_again(
    building, prepare, monkeypatch
):
    f.StaffMemberFactory(building=building, hired_on=dt.date(2020, 8, 1))
    compiled = CompiledQuery(
        people, prepare=prepare, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    values = {"building": building.pk, "hired": dt.date(2020, 1, 1), "since": SINCE_MARK}
    expected = compiled.rows(**values)
    assert len(expected) == 1
    backend = connection.connection.info.backend_pid
    # Another session ends this one, as a server restart would.
    with psycopg.connect(**_connection_parameters(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    _a_request_begins()

    assert compiled.rows(checks_connection=True, **values) == expected
    assert connection.connection.info.backend_pid != backend


@on_health_checked_connections
@pytest.mark.django_db(transaction=True)
def test_a_failure_on_a_working_connection_is_not_retried(building, monkeypatch):
    broken = CompiledQuery(
        lambda building: (
            StaffMember.objects.filter(building=building).extra(where=["1/0 = 1"]).values_list("pk")
        ),
        building=-7_300_912_345,
    )
    connection.ensure_connection()
    _a_request_begins()
    sent = []
    monkeypatch.setattr(
        connections[DEFAULT_DB_ALIAS],
        "execute_wrappers",
        [lambda execute, *args: sent.append(1) or execute(*args)],
    )

    with pytest.raises(DataError):
        broken.rows(building=building.pk, checks_connection=True)
    assert sent == [1]


def _connection_parameters() -> dict:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"],
        "dbname": settings["NAME"],
        "password": settings["PASSWORD"] or None,
    }

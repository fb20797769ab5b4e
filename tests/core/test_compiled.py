"""core.db.compiled: a query compiled once, run with new values in the markers' places, gives
what the ORM query built with those values gives."""

import datetime as dt

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.checks import compiled_queries_check
from core.db.compiled import DJANGO_INTERNALS, CompiledQuery, changed_internals
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


# Prepared statements (PostgreSQL; on SQLite `prepare` changes nothing)


def _prepared_statements() -> dict[str, tuple[int, int]]:
    """The connection's prepared statements: SQL text -> (generic plans, custom plans)."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


def _plans_of_staff_queries() -> tuple[int, list[str]]:
    """How often the connection's prepared queries of the staff table were planned or run
    from a kept plan, and their texts."""
    if connection.vendor != "postgresql":
        return 0, []
    statements = _prepared_statements()
    mine = [text for text in statements if "learning_staffmember" in text]
    return sum(sum(statements[text]) for text in mine), mine


def test_a_prepared_query_gives_the_orms_rows_and_is_planned_once_per_connection(
    building, other_building
):
    for hired_on in (dt.date(2020, 8, 1), dt.date(2020, 8, 2)):
        f.StaffMemberFactory(building=building, hired_on=hired_on)
    f.StaffMemberFactory(building=other_building, hired_on=dt.date(2021, 8, 1))
    markers = {"building": -7_300_912_345, "hired": HIRED_MARK, "since": SINCE_MARK}
    prepared = CompiledQuery(people, prepare=True, **markers)
    plain = CompiledQuery(people, **markers)
    long_ago = timezone.now() - dt.timedelta(days=1)
    runs_before, _ = _plans_of_staff_queries()

    runs = [
        (building.pk, dt.date(2020, 1, 1)),
        (building.pk, dt.date(2020, 8, 2)),
        (other_building.pk, dt.date(2020, 1, 1)),
    ] * 3
    for building_id, hired in runs:
        values = {"building": building_id, "hired": hired, "since": long_ago}
        assert prepared.rows(**values) == plain.rows(**values)
        assert prepared.rows(**values) == list(people(building_id, hired, long_ago))

    if connection.vendor == "postgresql":
        runs_after, texts = _plans_of_staff_queries()
        # One statement, with its parameters apart, run from its plan every time.
        assert len(texts) == 1 and "$1" in texts[0]
        assert runs_after - runs_before == 2 * len(runs)


def test_a_prepared_query_is_in_djangos_query_log_with_its_sql(building):
    prepared = CompiledQuery(
        people, prepare=True, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    with CaptureQueriesContext(connection) as queries:
        prepared.rows(building=building.pk, hired=dt.date(2020, 1, 1), since=timezone.now())
    assert len(queries.captured_queries) == 1
    assert 'FROM "learning_staffmember"' in queries.captured_queries[0]["sql"]


def test_without_prepared_statements_allowed_nothing_is_prepared(building, monkeypatch):
    # DATABASE_PREPARED_STATEMENTS=false leaves Django's default: psycopg's threshold off.
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    prepared = CompiledQuery(
        people, prepare=True, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    before = _plans_of_staff_queries()

    for _run in range(3):
        rows = prepared.rows(building=building.pk, hired=dt.date(2020, 1, 1), since=SINCE_MARK)
        assert rows == list(people(building.pk, dt.date(2020, 1, 1), SINCE_MARK))

    assert _plans_of_staff_queries() == before


# The query as the connection's health check (CONN_HEALTH_CHECKS: on for PostgreSQL in the
# settings, turned on here for SQLite too)


@pytest.fixture
def health_checked(monkeypatch):
    """The connection, open and kept, with Django's health checks on; the checks it makes."""
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    monkeypatch.setattr(database, "health_check_enabled", True)
    # Kept between requests (SQLite's settings close it after each).
    monkeypatch.setattr(database, "close_at", None)
    checks = []
    real = database.is_usable

    def is_usable():
        checks.append(1)
        return real()

    monkeypatch.setattr(database, "is_usable", is_usable)
    return checks


def _a_request_begins() -> None:
    """What Django does as a request starts: a kept connection is checked again before use."""
    connection.close_if_unusable_or_obsolete()


def _the_server_ends_the_session(monkeypatch) -> None:
    """What a server restart does to a kept connection. On PostgreSQL, another session ends
    this one; SQLite has no server: there the next query fails as on a dropped connection,
    and the connection then says it no longer works."""
    database = connections[DEFAULT_DB_ALIAS]
    if database.vendor == "postgresql":
        with psycopg.connect(**_connection_parameters(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [database.connection.info.backend_pid])
        return
    dropped = database.connection

    def fail_on_the_dropped_connection(execute, sql, params, many, context):
        if database.connection is dropped:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    monkeypatch.setattr(database, "execute_wrappers", [fail_on_the_dropped_connection])
    monkeypatch.setattr(database, "is_usable", lambda: database.connection is not dropped)


@pytest.mark.django_db(transaction=True)
def test_a_query_that_checks_the_connection_spares_the_separate_check(building, health_checked):
    compiled = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    values = {"building": building.pk, "hired": dt.date(2020, 1, 1), "since": SINCE_MARK}

    _a_request_begins()
    compiled.rows(**values)
    assert health_checked == [1]  # Django's own check before the request's first query

    _a_request_begins()
    compiled.rows(checks_connection=True, **values)
    compiled.rows(**values)
    assert health_checked == [1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [False, True], ids=["bound-on-client", "prepared"])
def test_a_connection_the_server_closed_is_replaced_and_the_query_sent_again(
    building, prepare, health_checked, monkeypatch
):
    f.StaffMemberFactory(building=building, hired_on=dt.date(2020, 8, 1))
    compiled = CompiledQuery(
        people, prepare=prepare, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK
    )
    values = {"building": building.pk, "hired": dt.date(2020, 1, 1), "since": SINCE_MARK}
    expected = compiled.rows(**values)
    assert len(expected) == 1
    before = connections[DEFAULT_DB_ALIAS].connection
    _the_server_ends_the_session(monkeypatch)
    _a_request_begins()

    assert compiled.rows(checks_connection=True, **values) == expected
    assert connections[DEFAULT_DB_ALIAS].connection is not before


@pytest.mark.django_db(transaction=True)
def test_a_failure_on_a_working_connection_is_not_retried(building, health_checked, monkeypatch):
    compiled = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    sent = []

    def failing(execute, sql, params, many, context):
        sent.append(sql)
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "execute_wrappers", [failing])
    _a_request_begins()

    with pytest.raises(OperationalError, match="statement timeout"):
        compiled.rows(
            checks_connection=True, building=building.pk, hired=HIRED_MARK, since=SINCE_MARK
        )
    assert len(sent) == 1


def _connection_parameters() -> dict:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"],
        "dbname": settings["NAME"],
        "password": settings["PASSWORD"] or None,
    }


def test_with_compiled_queries_off_the_orm_runs_the_same_read(settings, building):
    f.StaffMemberFactory(building=building, hired_on=dt.date(2020, 1, 1))
    compiled = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    values = dict(building=building.pk, hired=dt.date(2019, 1, 1), since=SINCE_MARK)
    expected = compiled.rows(**values)

    settings.COMPILED_QUERIES = False
    fresh = CompiledQuery(people, building=-7_300_912_345, hired=HIRED_MARK, since=SINCE_MARK)
    with CaptureQueriesContext(connection) as queries:
        rows = fresh.rows(**values)

    assert rows == expected and len(rows) == 1
    assert fresh._compiled == {}  # nothing was compiled: the ORM ran the read
    assert len(queries) == 1


@pytest.mark.parametrize("name", DJANGO_INTERNALS)
def test_each_django_internal_relied_on_is_still_there(name):
    """Fails, naming the internal, when a Django upgrade changes one that core.db.compiled
    uses: then bring the module up to date, or set COMPILED_QUERIES=false."""
    assert name not in changed_internals(), (
        f"Django's {name} changed: core.db.compiled must be brought up to date."
    )


def test_the_system_check_names_a_changed_internal(monkeypatch):
    from django.db.backends.utils import CursorDebugWrapper

    assert compiled_queries_check() == []
    monkeypatch.delattr(CursorDebugWrapper, "debug_sql")

    errors = compiled_queries_check()

    assert [error.id for error in errors] == ["core.E001"]
    assert "CursorDebugWrapper.debug_sql" in errors[0].msg


def test_the_system_check_is_quiet_when_compiled_queries_are_off(settings, monkeypatch):
    from django.db.backends.utils import CursorDebugWrapper

    monkeypatch.delattr(CursorDebugWrapper, "debug_sql")
    settings.COMPILED_QUERIES = False

    assert compiled_queries_check() == []

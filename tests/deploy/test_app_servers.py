"""Several app servers, one database: two gunicorn instances, each with the deployment's
configuration and two workers, on two ports against the test database (PostgreSQL in CI's second
run, the SQLite file in the first), serving people who race for the last seats of a session
through both. The database alone keeps the seats: no overbooking, the waitlist in the order of
asking, no server error.

The servers share a Redis cache (REDIS_URL) as a deployment of several servers does."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from calendars.models import FeedToken
from enrollment.choices import SEAT_HOLDING_STATUSES, EnrollmentStatus
from enrollment.models import Enrollment
from tests.deploy import servers
from tests.factories import (
    EnrollmentFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 8
ALREADY_ENROLLED = 5
RACERS = 24
WORKERS_PER_SERVER = 2
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_url() -> str:
    """The Redis the servers share; "" (each worker caches for itself) only outside CI when
    none runs here."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if servers.in_ci():
            pytest.fail(f"CI needs Redis at {TEST_REDIS_URL}.")
        return ""
    return TEST_REDIS_URL


@pytest.fixture(scope="module")
def app_servers(django_db_setup, tmp_path_factory):
    """Two gunicorns on the test database, for the whole module (each test's data is committed
    and flushed afterwards, as transactional tests are)."""
    logs = tmp_path_factory.mktemp("app-servers")
    env = servers.production_environment(
        DEBUG="false",
        SECRET_KEY=servers.new_secret_key(),
        ALLOWED_HOSTS=servers.HOST,
        BEHIND_TLS_PROXY="true",
        DATABASE_URL=servers.database_url(connection.settings_dict),
        REDIS_URL=_redis_url(),
        WEB_CONCURRENCY=str(WORKERS_PER_SERVER),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    # As a deployment does before it starts: the error pages name hashed static files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=servers.CHECKOUT,
        env=env,
        check=True,
        capture_output=True,
    )
    command = servers.gunicorn_command("--bind", f"{servers.HOST}:0", "--access-logfile", "-")
    with (
        servers.running(command, env=env, log=logs / "first.log", ready_path="/api/v1/") as first,
        servers.running(command, env=env, log=logs / "second.log", ready_path="/api/v1/") as second,
    ):
        yield first, second


def racing_people(count: int) -> list[str]:
    """People with their own logins and API tokens; their tokens."""
    tokens = []
    for _ in range(count):
        user = login_for(StaffMemberFactory())
        tokens.append(Token.objects.create(user=user).key)
    return tokens


def test_two_app_servers_racing_for_the_last_seats_never_overbook(app_servers):
    session = SessionFactory(capacity=CAPACITY)
    for _ in range(ALREADY_ENROLLED):
        EnrollmentFactory(session=session, status=EnrollmentStatus.ENROLLED)
    tokens = racing_people(RACERS)
    path = f"/api/v1/sessions/{session.pk}/enroll/"
    barrier = threading.Barrier(RACERS)
    answers: list[servers.Response | BaseException | None] = [None] * RACERS

    def enroll(index: int) -> None:
        server = app_servers[index % 2]
        try:
            barrier.wait(timeout=30)
            answers[index] = servers.request(
                server.port,
                "POST",
                path,
                headers={
                    "Authorization": f"Token {tokens[index]}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                body=b"{}",
            )
        except BaseException as error:  # noqa: BLE001 - reported by the assertions
            answers[index] = error

    threads = [threading.Thread(target=enroll, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    # Every request, half through each server, was answered 201 (a seat or a waitlist place).
    failures = [a for a in answers if not isinstance(a, servers.Response) or a.status != 201]
    assert failures == [], failures
    bodies = [answer.json() for answer in answers]
    statuses = [body["status"] for body in bodies]
    last_seats = CAPACITY - ALREADY_ENROLLED
    assert statuses.count("enrolled") == last_seats
    assert statuses.count("waitlisted") == RACERS - last_seats

    held = Enrollment.objects.filter(session=session, status__in=SEAT_HOLDING_STATUSES)
    assert held.count() == CAPACITY
    waitlist = list(
        Enrollment.objects.filter(session=session, status=EnrollmentStatus.WAITLISTED).order_by(
            "requested_at", "pk"
        )
    )
    given = {body["id"]: body["waitlist_position"] for body in bodies if body["waitlist_position"]}
    assert [given[enrollment.pk] for enrollment in waitlist] == list(
        range(1, RACERS - last_seats + 1)
    )
    asked = {body["id"]: dt.datetime.fromisoformat(body["requested_at"]) for body in bodies}
    newly_seated = [asked[body["id"]] for body in bodies if body["status"] == "enrolled"]
    queued = [asked[body["id"]] for body in bodies if body["status"] == "waitlisted"]
    assert max(newly_seated) <= min(queued)
    for server in app_servers:
        assert " 500 " not in server.log_text()


def test_a_feed_built_by_one_server_is_served_by_the_other(app_servers):
    """Both servers answer a person's feed alike: the same bytes and ETag, and a copy fetched
    from one is current (304) at the other. With REDIS_URL the rendered feed is in the shared
    cache after the first fetch."""
    first, second = app_servers
    staff = StaffMemberFactory()
    session = SessionFactory()
    MeetingFactory(session=session)
    EnrollmentFactory(staff=staff, session=session)
    key = FeedToken.objects.create(staff=staff).key
    path = f"/calendars/feed/{key}.ics"

    built = servers.request(first.port, "GET", path)
    again = servers.request(second.port, "GET", path)
    current = servers.request(
        second.port, "GET", path, headers={"If-None-Match": built.headers["etag"]}
    )

    assert built.status == again.status == 200
    assert b"BEGIN:VEVENT" in built.body
    assert again.body == built.body
    assert again.headers["etag"] == built.headers["etag"]
    assert current.status == 304
    if redis_url := _redis_url():
        import redis

        # Kept under the person (and the data's generation), bytes and ETag in one entry.
        cached = redis.Redis.from_url(redis_url).keys(f"*calendars:personal:{staff.pk}:*")
        assert cached


def test_the_access_log_masks_personal_feed_keys(app_servers):
    first, _ = app_servers
    key = FeedToken.objects.create(staff=StaffMemberFactory()).key
    feed_lines = first.log_text().count("GET /calendars/feed/")

    answer = servers.request(first.port, "GET", f"/calendars/feed/{key}.ics")

    assert answer.status == 200
    log = first.log_text_once(lambda text: text.count("GET /calendars/feed/") > feed_lines)
    assert "/calendars/feed/<key>.ics" in log
    assert key not in log


def test_the_servers_run_in_production_mode(app_servers):
    first, _ = app_servers

    plain = servers.request(first.port, "GET", "/catalog/", https=False)
    missing = servers.request(first.port, "GET", "/no-such-page/")
    api = servers.request(first.port, "GET", "/api/v1/sessions/")

    assert plain.status == 301
    assert plain.headers["location"] == f"https://{servers.HOST}/catalog/"
    assert missing.status == 404
    assert b"URLconf" not in missing.body  # no debug page
    assert api.status == 200
    assert api.headers["strict-transport-security"].startswith("max-age=31536000")
    assert json.loads(api.body)["results"] == []

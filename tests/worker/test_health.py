"""The health endpoints and check_health: cheap, unauthenticated, revealing no data; "fail"
(503) when the server cannot serve, "degraded" when background work is behind."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage, OutboxStatus
from tests.faults.test_real_outage import Outage
from worker import runtime
from worker.models import Heartbeat

pytestmark = pytest.mark.django_db

LIVE = reverse("health:live")
READY = reverse("health:ready")


def a_worker_running(seen_seconds_ago: int = 0) -> None:
    now = timezone.now()
    runtime.beat("w1", started_at=now, now=now - dt.timedelta(seconds=seen_seconds_ago))


def ready(client):
    response = client.get(READY)
    return response.status_code, response.json()


def test_liveness_answers_without_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIVE)

    assert (response.status_code, response.content) == (200, b"ok\n")
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]


def test_ready_with_a_worker_running_and_nothing_waiting(client):
    a_worker_running(seen_seconds_ago=5)

    status, body = ready(client)

    assert status == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "cache": "ok",
        "worker": "ok",
        "queue": "ok",
        "outbox": "ok",
    }
    assert checks["worker"]["running"] == 1
    assert 5 <= checks["worker"]["last_seen_seconds"] < 60


def test_no_worker_is_degraded_but_still_serving(client):
    status, body = ready(client)

    assert (status, body["status"]) == (200, "degraded")
    assert body["checks"]["worker"] == {"status": "degraded", "message": "No worker is running."}


def test_a_worker_not_heard_from_is_degraded(client, settings):
    a_worker_running(seen_seconds_ago=settings.WORKER_LOST_SECONDS + 5)

    status, body = ready(client)

    assert body["checks"]["worker"]["status"] == "degraded"
    assert body["checks"]["worker"]["running"] == 0


def test_mail_waiting_too_long_is_degraded_and_counted_without_a_name(client, settings, teacher):
    a_worker_running()
    outbox.record([outbox.EmailMultiAlternatives("Secret subject", "body", to=[teacher.email])] * 3)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.HEALTH_OUTBOX_MAX_AGE_SECONDS + 60)
    OutboxMessage.objects.update(created_at=long_ago, next_attempt_at=long_ago)
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.first().pk).update(
        status=OutboxStatus.FAILED
    )

    response = client.get(READY)

    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["outbox"]["due"] == 2
    assert body["checks"]["outbox"]["failed"] == 1
    assert body["checks"]["outbox"]["oldest_seconds"] >= settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    text = response.content.decode()
    assert teacher.email not in text and "Secret subject" not in text


@pytest.mark.django_db(transaction=True)
def test_tasks_waiting_too_long_are_degraded(client, settings):
    from django_tasks_db.models import DBTaskResult

    from core.tasks import deliver_outbox

    a_worker_running()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(3):
        deliver_outbox.enqueue()
    DBTaskResult.objects.update(
        enqueued_at=timezone.now()
        - dt.timedelta(seconds=settings.HEALTH_QUEUE_MAX_AGE_SECONDS + 30)
    )

    status, body = ready(client)

    assert status == 200
    assert body["checks"]["queue"]["status"] == "degraded"
    assert body["checks"]["queue"]["depth"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_database_gone_fails_readiness_with_503(client):
    outage = Outage()
    outage.start()
    try:
        status, body = ready(client)
    finally:
        outage.end()

    assert status == 503
    assert body == {
        "status": "fail",
        "checks": {"database": {"status": "fail", "message": "The database does not answer."}},
    }


def test_the_cache_gone_fails_readiness(client, settings):
    a_worker_running()
    # Nothing listens on port 1.
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["cache"] == {"status": "fail", "message": "The cache does not answer."}


def test_readiness_costs_the_same_queries_for_5_or_500_waiting(client):
    a_worker_running()

    def queries_with(count: int) -> int:
        OutboxMessage.objects.all().delete()
        outbox.record(
            [
                outbox.EmailMultiAlternatives("s", "b", to=[f"p{n}@example.org"])
                for n in range(count)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            client.get(READY)
        return len(queries)

    assert queries_with(5) == queries_with(500)


@pytest.mark.parametrize(
    ("worker_seen", "exit_status", "first_line"),
    [(True, 0, "OK"), (False, 1, "DEGRADED")],
)
def test_check_health_exits_as_monitoring_expects(worker_seen, exit_status, first_line):
    if worker_seen:
        a_worker_running()
    out = StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("check_health", stdout=out)

    assert exited.value.code == exit_status
    lines = out.getvalue().splitlines()
    assert lines[0] == first_line
    assert any(line.startswith("  worker: ") for line in lines)


def test_check_health_as_json():
    a_worker_running()
    out = StringIO()

    with pytest.raises(SystemExit):
        call_command("check_health", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "cache", "worker", "queue", "outbox"}


@pytest.mark.django_db(transaction=True)
def test_check_health_with_the_database_gone_exits_2():
    outage = Outage()
    outage.start()
    out = StringIO()
    try:
        with pytest.raises(SystemExit) as exited:
            call_command("check_health", stdout=out)
    finally:
        outage.end()

    assert exited.value.code == 2
    assert out.getvalue().splitlines()[:2] == [
        "FAIL",
        "  database: fail (message The database does not answer.)",
    ]


def test_heartbeats_are_one_row_per_worker():
    a_worker_running(seen_seconds_ago=30)
    a_worker_running()

    assert Heartbeat.objects.count() == 1

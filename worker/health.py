"""Health for operators: liveness (the process answers) and readiness (the database, the cache,
a worker heard from lately, the task queue's depth and the age of its oldest job, the mail
outbox's). Counts and ages only: nothing here names a person, a session or a message.

Readiness is "fail" when this server cannot serve (its database or its cache is unreachable),
and "degraded" when it can serve but background work is not getting done (no worker, a queue
or an outbox falling behind): a load balancer takes a failing server out of rotation, and an
operator is alerted on either (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Max, Min
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.queue import database_queue

from .models import Heartbeat

OK = "ok"
DEGRADED = "degraded"
FAIL = "fail"


@dataclass
class Readiness:
    status: str = OK
    checks: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, level: str, **facts) -> None:
        self.checks[name] = {"status": level, **facts}
        order = (OK, DEGRADED, FAIL)
        if order.index(level) > order.index(self.status):
            self.status = level


def readiness(*, now: dt.datetime | None = None) -> Readiness:
    now = now or timezone.now()
    report = Readiness()
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        report.add("database", FAIL, message="The database does not answer.")
        return report
    report.add("database", OK, ms=_ms_since(started))

    started = time.perf_counter()
    try:
        key = "health:ready"
        cache.set(key, "1", 30)
        answered = cache.get(key) == "1"
    except Exception:  # noqa: BLE001 - any failure of the cache backend is the answer
        answered = False
    if answered:
        report.add("cache", OK, ms=_ms_since(started))
    else:
        report.add("cache", FAIL, message="The cache does not answer.")

    try:
        _background(report, now)
    except DatabaseError:
        report.add("database", FAIL, message="The database stopped answering.")
    return report


def _background(report: Readiness, now: dt.datetime) -> None:
    last_seen = Heartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    lost_after = settings.WORKER_LOST_SECONDS
    if last_seen is None:
        report.add("worker", DEGRADED, message="No worker is running.")
    else:
        age = _seconds(now - last_seen)
        alive = Heartbeat.objects.filter(seen_at__gte=now - dt.timedelta(seconds=lost_after))
        level = OK if age <= lost_after else DEGRADED
        report.add("worker", level, last_seen_seconds=age, running=alive.count())

    depth, oldest = _queue(now)
    level = OK if oldest is None or oldest <= settings.HEALTH_QUEUE_MAX_AGE_SECONDS else DEGRADED
    report.add("queue", level, depth=depth, oldest_seconds=oldest)

    due = OutboxMessage.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
    facts = due.aggregate(oldest=Min("created_at"))
    queued = due.count()
    oldest_mail = _seconds(now - facts["oldest"]) if facts["oldest"] else None
    failed = OutboxMessage.objects.filter(status=OutboxStatus.FAILED).count()
    late = oldest_mail is not None and oldest_mail > settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    report.add(
        "outbox",
        DEGRADED if late else OK,
        due=queued,
        oldest_seconds=oldest_mail,
        failed=failed,
    )


def _queue(now: dt.datetime) -> tuple[int, int | None]:
    """The tasks ready to run, and how long the oldest has waited (database backend only; other
    backends report their queue in their own tools)."""
    from django_tasks_db.models import DBTaskResult

    if not database_queue():
        return 0, None
    ready = DBTaskResult.objects.ready()
    depth = ready.count()
    oldest = ready.order_by().aggregate(oldest=Min("enqueued_at"))["oldest"]
    return depth, _seconds(now - oldest) if oldest else None


def _seconds(delta: dt.timedelta) -> int:
    return max(int(delta.total_seconds()), 0)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)

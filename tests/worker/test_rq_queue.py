"""The queue is a setting (docs/deployment.md, "A queue on Redis instead of the database"): with
TASKS_BACKEND set to django-tasks-rq's backend, the same code enqueues on RQ in the machine's
Redis (TEST_REDIS_URL) and an RQ worker delivers the outbox, with no change to the code."""

from __future__ import annotations

import os

import pytest
import redis
from django.db import transaction

from core import outbox
from core.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def rq_queue(settings):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI needs Redis at {REDIS_URL}.")
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    import django_rq

    queue = django_rq.get_queue("default")
    queue.empty()
    yield queue
    queue.empty()


def test_the_outbox_is_delivered_by_an_rq_worker(rq_queue, mailoutbox):
    import django_rq
    from rq.worker import SimpleWorker

    with transaction.atomic():
        outbox.record([outbox.EmailMultiAlternatives("Enrolled", "body", to=["ann@example.org"])])

    # Recorded and queued on Redis: nothing delivered yet.
    assert rq_queue.count == 1
    assert mailoutbox == []

    # As `rqworker --job-class django_tasks_rq.backend.Job default` runs it, in this process.
    worker = django_rq.get_worker(
        "default", worker_class=SimpleWorker, job_class="django_tasks_rq.backend.Job"
    )
    assert worker.work(burst=True)

    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert rq_queue.count == 0

"""What a worker does beside running tasks, on a thread of its own every
WORKER_HEARTBEAT_SECONDS: say it is alive, start the scheduled jobs that are due, run again the
tasks of workers that died, and ask for the outbox to be delivered when mail is due (a message
whose delivery task was lost, or one waiting for its retry)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.queue import database_queue

from . import schedule
from .models import Heartbeat

logger = logging.getLogger(__name__)


def beat(worker_id: str, *, started_at: dt.datetime, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )


def live_worker_ids(*, now: dt.datetime | None = None) -> set[str]:
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.WORKER_LOST_SECONDS)
    return set(Heartbeat.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True))


def recover_lost_tasks(*, now: dt.datetime | None = None) -> int:
    """Tasks left running by a worker no longer heard from go back to the queue, to be run
    again from the start: every task here does nothing twice (each commits its work in one
    transaction, or records what it has done)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    alive = live_worker_ids(now=now)
    started_before = now - dt.timedelta(seconds=settings.WORKER_LOST_SECONDS)
    lost = [
        result.pk
        for result in DBTaskResult.objects.running().filter(started_at__lt=started_before)
        if not result.worker_ids or result.worker_ids[-1] not in alive
    ]
    if lost:
        DBTaskResult.objects.filter(pk__in=lost, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        logger.warning("Running again %s task(s) of workers that stopped answering", len(lost))
    return len(lost)


def mail_is_due(*, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        status=OutboxStatus.QUEUED, next_attempt_at__lte=now
    ).exists()


def sweep_outbox(*, now: dt.datetime | None = None) -> bool:
    """Ask for a delivery when mail is due and none is waiting to run already; mail a dead
    worker had claimed is due again once its claim lapses."""
    from core import outbox
    from core.tasks import deliver_outbox

    outbox.reclaim_abandoned(now=now)
    if not mail_is_due(now=now) or _delivery_waiting():
        return False
    deliver_outbox.enqueue()
    return True


def _delivery_waiting() -> bool:
    """Whether a delivery is queued already (known of the database queue only: on another,
    a delivery is asked for at each beat while mail is due, and finds little to do)."""
    from django_tasks_db.models import DBTaskResult

    from core.tasks import deliver_outbox

    if not database_queue():
        return False
    return DBTaskResult.objects.ready().filter(task_path=deliver_outbox.module_path).exists()


class Housekeeper(threading.Thread):
    def __init__(self, worker_id: str, *, run_tasks: bool) -> None:
        super().__init__(name="worker-housekeeping", daemon=True)
        self.worker_id = worker_id
        self.run_tasks = run_tasks
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.once()
            self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS)

    def once(self) -> None:
        close_old_connections()
        try:
            beat(self.worker_id, started_at=self.started_at)
            schedule.tick()
            if self.run_tasks:
                recover_lost_tasks()
            sweep_outbox()
        except DatabaseError:
            # The database restarting: say so once a beat and carry on; the next beat retries.
            logger.warning("Worker housekeeping could not reach the database", exc_info=True)
            connection.close()
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopping.set()
        try:
            Heartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.warning("Could not sign the worker off", exc_info=True)


def release_own_tasks(worker_id: str) -> int:
    """After this worker lost its database in the middle of a task, the task goes back to the
    queue: the worker is alive, so no other would take it for lost."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    mine = [
        result.pk
        for result in DBTaskResult.objects.running()
        if result.worker_ids and result.worker_ids[-1] == worker_id
    ]
    return DBTaskResult.objects.filter(pk__in=mine).update(
        status=TaskResultStatus.READY, started_at=None
    )

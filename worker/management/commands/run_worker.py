"""run_worker: the background worker (Django's Tasks API, database backend): delivers the mail
outbox, runs the schedule and the long jobs. `make run` starts one beside the web server; a
deployment runs it as its own systemd unit (docs/deployment.md)."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db.management.commands.db_worker import Worker

from core.queue import database_queue
from worker.runtime import Housekeeper, release_own_tasks

logger = logging.getLogger("worker")

# Waits after losing the database, doubling up to the last.
RECONNECT_SECONDS = (1, 2, 4, 8, 15)


class Command(BaseCommand):
    help = (
        "Run the background worker: deliver the mail outbox, run scheduled jobs (approval-hold "
        "lapses hourly, reminders and report subscriptions each morning) and long jobs. Stop it "
        "with Ctrl-C or SIGTERM: it finishes the task in hand first. Several may run at once on "
        "PostgreSQL. With --schedule-only it runs no task, only starts the scheduled ones: for a "
        "queue other than the database's (RQ), whose own workers run them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument(
            "--schedule-only", action="store_true", help="Start scheduled jobs; run none."
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Do one round of upkeep, run every task that is ready, then exit.",
        )
        parser.add_argument("--worker-id", default="", help="Unique among running workers.")

    def handle(self, *args, interval, schedule_only, batch, worker_id, **options):
        worker_id = worker_id or get_random_string(32)
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not schedule_only and not database_queue():
            raise CommandError(
                f"TASKS_BACKEND is {type(backend).__module__}.{type(backend).__name__}, whose "
                "own workers run the tasks: run them, and this command with --schedule-only "
                "(docs/deployment.md)."
            )
        housekeeper = Housekeeper(worker_id, run_tasks=not schedule_only)
        if batch:
            housekeeper.once()
            if not schedule_only:
                self._worker(worker_id, interval, batch=True).run()
            housekeeper.stop()
            return
        housekeeper.start()
        logger.info("Worker %s started", worker_id)
        try:
            if schedule_only:
                housekeeper.join()
            else:
                self._run(worker_id, interval)
        finally:
            housekeeper.stop()

    def _worker(self, worker_id: str, interval: float, *, batch: bool = False) -> Worker:
        return Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    def _run(self, worker_id: str, interval: float) -> None:
        """django-tasks-db's worker loop, started again when the database goes away under it
        (a restart): the task it was running goes back to the queue."""
        worker = self._worker(worker_id, interval)
        worker.configure_signals()
        failures = 0
        while worker.running:
            try:
                worker.run()
                return
            except DatabaseError:
                wait = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                logger.warning("Lost the database; trying again in %s s", wait, exc_info=True)
                for connection in connections.all():
                    connection.close()
                time.sleep(wait)
                close_old_connections()
                try:
                    release_own_tasks(worker_id)
                except DatabaseError:
                    continue

"""The worker run for real (manage.py run_worker in a process of its own, on the test database)
against a real SMTP server: it delivers what a change recorded, stops cleanly on SIGTERM, and a
worker killed after the server took a message leaves the job to the next worker, which sends
that message again with the same Message-ID rather than losing it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from core import outbox
from core.models import OutboxMessage, OutboxStatus
from tests.deploy.servers import CHECKOUT, database_url
from worker.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Generous for a loaded machine; each wait ends as soon as its condition holds.
PATIENCE = 90


def start_worker(sink, log: Path) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}
    } | {
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_TIMEOUT": "10",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_LOST_SECONDS": "3",
        "MAIL_OUTBOX_CLAIM_SECONDS": "3",
        "DEBUG": "true",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=CHECKOUT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}. Worker log:\n{log.read_text()}")


def record(*recipients: str) -> list[OutboxMessage]:
    with override_settings(TASKS=DATABASE_QUEUE), transaction.atomic():
        return outbox.record(
            [outbox.EmailMultiAlternatives("Enrolled", "body", to=[to]) for to in recipients]
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(30)


def test_a_worker_delivers_recorded_mail_and_stops_cleanly_on_sigterm(smtp_up, tmp_path):
    log = tmp_path / "worker.log"
    worker = start_worker(smtp_up, log)
    try:
        wait_for(lambda: Heartbeat.objects.exists(), "the worker's first heartbeat", log)
        rows = record("ann@example.org", "bo@example.org")
        wait_for(lambda: len(smtp_up.received) == 2, "two messages at the SMTP server", log)

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(PATIENCE) == 0
    finally:
        stop(worker)

    assert sorted(r.message_id for r in smtp_up.received) == sorted(r.message_id for r in rows)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert not Heartbeat.objects.exists()  # signed off
    assert "Worker " in log.read_text() and " started" in log.read_text()


def test_a_worker_killed_after_the_server_took_a_message_leaves_it_to_the_next(smtp_up, tmp_path):
    log = tmp_path / "worker.log"
    first = start_worker(smtp_up, log)
    try:
        wait_for(lambda: Heartbeat.objects.exists(), "the first worker's heartbeat", log)
        # The server has the message; the worker dies before it hears "250".
        smtp_up.handler.after_data = lambda received: os.kill(first.pid, signal.SIGKILL)
        (row,) = record("ann@example.org")
        assert first.wait(PATIENCE) == -signal.SIGKILL
    finally:
        stop(first)
    smtp_up.handler.after_data = None
    assert OutboxMessage.objects.get().status == OutboxStatus.SENDING
    (lost,) = DBTaskResult.objects.running()

    second = start_worker(smtp_up, log)
    try:
        wait_for(
            lambda: OutboxMessage.objects.get().status == OutboxStatus.SENT,
            "the message sent again",
            log,
        )
        wait_for(
            lambda: DBTaskResult.objects.get(pk=lost.pk).status == "SUCCESSFUL",
            "the lost job run again",
            log,
        )
    finally:
        stop(second)

    first_copy, second_copy = smtp_up.received
    assert first_copy.message_id == second_copy.message_id == row.message_id
    assert len(smtp_up.received) == 2
    assert "Running again 1 task(s) of workers that stopped answering" in log.read_text()


def test_batch_runs_what_is_queued_and_exits(mailoutbox):
    from django.core.management import call_command

    (row,) = record("ann@example.org")
    with override_settings(TASKS=DATABASE_QUEUE):
        call_command("run_worker", "--batch", "--interval", "0")

    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    # It ran the schedule's due jobs too, and signed off.
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert not Heartbeat.objects.exists()


def test_with_another_queue_the_worker_only_runs_the_schedule(settings):
    from django.core.management import CommandError, call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with pytest.raises(CommandError, match="run them, and this command with --schedule-only"):
        call_command("run_worker", "--batch")
    call_command("run_worker", "--batch", "--schedule-only")
    from worker.models import ScheduledRun

    assert ScheduledRun.objects.filter(job="approval-hold-lapses").exists()


def test_the_database_going_away_under_a_worker_is_survived(smtp_up, tmp_path):
    """PostgreSQL restarting drops every connection: here the worker's are ended by the server
    (pg_terminate_backend). SQLite has no server to restart; what it has is the database locked
    by another writer for a while: here an exclusive lock held for three seconds."""
    import threading

    log = tmp_path / "worker.log"
    worker = start_worker(smtp_up, log)
    try:
        wait_for(lambda: Heartbeat.objects.exists(), "the worker's first heartbeat", log)
        record("ann@example.org")
        wait_for(lambda: len(smtp_up.received) == 1, "the first message", log)

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        else:
            locked = threading.Event()

            def hold() -> None:
                locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
                locker.execute("BEGIN EXCLUSIVE")
                locked.set()
                time.sleep(3)
                locker.rollback()
                locker.close()

            holding = threading.Thread(target=hold)
            holding.start()
            assert locked.wait(20)

        # On SQLite this waits for the lock, as the worker's queries do meanwhile.
        record("bo@example.org")
        if connection.vendor != "postgresql":
            holding.join()
        wait_for(lambda: len(smtp_up.received) == 2, "the message after the outage", log)
        assert worker.poll() is None, log.read_text()
    finally:
        stop(worker)

    assert [r.rcpt_tos for r in smtp_up.received] == [["ann@example.org"], ["bo@example.org"]]

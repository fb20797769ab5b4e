"""The README's first command: `make run` serves the demo with the background worker beside it,
writing the addresses of the port it serves on, and one Ctrl-C (SIGINT to the terminal's
process group) stops both, the worker cleanly (it signs off). Run from a copy of the checkout,
on a SQLite file of the test's own."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time

from tests.deploy import servers
from tests.deploy.test_deployment_doc import copy_checkout

PATIENCE = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((servers.HOST, 0))
        return probe.getsockname()[1]


def ready(port: int) -> dict | None:
    try:
        answer = servers.request(port, "GET", "/health/ready", host=servers.HOST)
    except OSError:
        return None
    return json.loads(answer.body) if answer.status == 200 else None


def worker_pids(database) -> list[int]:
    with sqlite3.connect(database) as db:
        return [pid for (pid,) in db.execute("SELECT pid FROM worker_heartbeat")]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_serves_with_a_worker_and_one_ctrl_c_stops_both(tmp_path):
    app_dir = copy_checkout(tmp_path / "checkout")
    database = tmp_path / "demo.sqlite3"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in servers.NOT_INHERITED and key not in {"PORT", "HOST", "SITE_URL"}
    } | {"DATABASE_URL": f"sqlite:///{database}"}
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "install", "run", f"PORT={port}"],
        cwd=app_dir,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # A terminal's Ctrl-C reaches processes whose SIGINT is not ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + PATIENCE
        report = None
        while time.monotonic() < deadline and process.poll() is None:
            report = ready(port)
            if report and report["checks"]["worker"]["status"] == "ok":
                break
            time.sleep(0.5)
        assert report and report["checks"]["worker"]["status"] == "ok", log.read_text()
        assert report["checks"]["database"]["status"] == "ok"
        (worker,) = worker_pids(database)
        assert alive(worker)
        # The addresses the demo writes follow the port it serves on.
        catalog = servers.request(port, "GET", "/catalog/", https=False).body.decode()
        assert f"http://127.0.0.1:{port}/calendars/catalog.ics" in catalog
        assert "127.0.0.1:8000" not in catalog

        os.killpg(process.pid, signal.SIGINT)
        process.wait(60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
            # The worker has a session of its own, out of the group's reach: a test that failed
            # before its Ctrl-C stops it here rather than leave it running.
            with contextlib.suppress(sqlite3.Error):
                for pid in worker_pids(database):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)

    deadline = time.monotonic() + 60
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(worker), log.read_text()
    assert worker_pids(database) == []  # it signed off
    assert ready(port) is None  # nothing answers on the port
    text = log.read_text()
    assert f"Serving the demo at http://127.0.0.1:{port}/" in text
    assert "Ctrl-C stops both" in text

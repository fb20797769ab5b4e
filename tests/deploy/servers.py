"""Running the service as deployed, for the deployment tests: gunicorn started from its
configuration in a subprocess on a free port, a production environment, and plain HTTP requests
to it as the TLS proxy would forward them."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

CHECKOUT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = CHECKOUT / "deploy" / "gunicorn.conf.py"
VENV_BIN = CHECKOUT / ".venv" / "bin"
HOST = "127.0.0.1"
# gunicorn binds port 0 and logs the port it was given: no race for a free port.
LISTENING = re.compile(r"Listening at: http://[^:\s]+:(\d+)")
START_TIMEOUT = 60
# What a developer's or CI's shell may hold that must not leak into a production process.
NOT_INHERITED = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CACHE_URL",
    "REDIS_URL",
    "BEHIND_TLS_PROXY",
    "DJANGO_SETTINGS_MODULE",
    "GUNICORN_CMD_ARGS",
    "WEB_CONCURRENCY",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def production_environment(**values: str) -> dict[str, str]:
    """The process environment of a deployment: the caller's (PATH and the like) without its
    Django settings, plus `values`."""
    inherited = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    return inherited | values


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a Django database's settings (the test database pytest-django made:
    `test_<name>` on PostgreSQL, a file on SQLite)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    host: str = HOST,
    https: bool = True,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 60,
) -> Response:
    """One request, sent the way the TLS proxy forwards it (X-Forwarded-Proto: https) unless
    `https` is false."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    sent = {"Host": host} | ({"X-Forwarded-Proto": "https"} if https else {}) | (headers or {})
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return Response(
            answer.status,
            {name.lower(): value for name, value in answer.getheaders()},
            answer.read(),
        )
    finally:
        connection.close()


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_text_once(self, written: Callable[[str], bool]) -> str:
        """The log once `written(log)` holds, or as it is after START_TIMEOUT. gunicorn writes a
        request's access line after the answer has gone, and each worker its own lines as it
        starts: what a test caused may not be in the log yet when the answer arrives."""
        deadline = time.monotonic() + START_TIMEOUT
        while not written(text := self.log_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return text


def gunicorn_command(*arguments: str) -> list[str]:
    return [str(VENV_BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG), *arguments]


def wait_for_port(process: subprocess.Popen, log: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return int(found[1])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text(errors='replace')}")


def wait_until_answering(port: int, path: str, *, host: str = HOST, process=None, log=None):
    deadline = time.monotonic() + START_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            last = request(port, "GET", path, host=host, timeout=10).status
            if last < 500:
                return
        except OSError as error:
            last = error
        time.sleep(0.2)
    shown = log.read_text(errors="replace") if log is not None else ""
    raise AssertionError(f"gunicorn never answered {path} ({last!r}):\n{shown}")


@contextmanager
def running(
    command: list[str],
    *,
    env: dict[str, str],
    log: Path,
    cwd: Path = CHECKOUT,
    ready_path: str = "/catalog/",
    host: str = HOST,
) -> Iterator[Gunicorn]:
    """Runs `command` (gunicorn, or something that ends in gunicorn, binding port 0) in its own
    process group until it answers `ready_path`; stops the group afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        port = wait_for_port(process, log)
        wait_until_answering(port, ready_path, host=host, process=process, log=log)
        yield Gunicorn(process=process, port=port, log=log)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """TERM to the process group (gunicorn stops its workers gracefully), KILL after 40 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

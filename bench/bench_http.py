"""HTTP: the service under gunicorn, as deployed (deploy/gunicorn.conf.py, 2 workers, DEBUG off,
behind a TLS proxy), on the run's database. 200 subscribers, each with their own personal feed
URL, poll their feeds on loopback the way calendar apps do: most polls are conditional
(If-None-Match with the ETag of the last copy, answered 304), one in FULL_EVERY is a full GET.

The floor is a bare Django view (bench/http_urls.py: no query, a small body) served by the same
gunicorn in the same run to the same 200 clients; the feeds must reach at least half its
requests per second. The two loads alternate (bare, feeds, bare, feeds) so the machine's noise
falls on both. The workers share the cache as deployed (deploy/env.example: Redis), so a feed one
worker rendered is served by the other, and by a worker gunicorn restarted after max_requests
(an in-memory cache would go with the worker). The benchmark owns one database of the machine's
Redis (BENCH_REDIS_URL, database 13 by default), emptied before and after.

The load client is the standard library: asyncio streams, one task per subscriber, HTTP/1.1
with keep-alive where the server keeps the connection open (sync workers close it after each
response, as they do behind nginx)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.urls import reverse

from calendars.models import FeedToken
from enrollment.choices import LIVE_STATUSES
from learning.choices import StaffStatus

from . import core
from .http_urls import BARE_PATH

CHECKOUT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = CHECKOUT / "deploy" / "gunicorn.conf.py"
HOST = "127.0.0.1"
WORKERS = 2
SUBSCRIBERS = 200
# Seconds of load for each of the two (feeds, bare view), split over ROUNDS alternating rounds.
DURATION = 20.0
QUICK_DURATION = 4.0
ROUNDS = 2
# Untimed load first: every subscriber's first poll renders their feed, once in each worker.
WARMUP = 10.0
QUICK_WARMUP = 5.0
# One poll in FULL_EVERY is a full GET (a client that lost its copy, or ignores ETags).
FULL_EVERY = 4
MIN_SHARE_OF_BARE = 0.5
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 60.0

FEEDS = f"HTTP personal feeds, {SUBSCRIBERS} subscribers, gunicorn {WORKERS} workers"
P50 = "HTTP personal feeds: p50 latency"
P99 = "HTTP personal feeds: p99 latency"
ERRORS = "HTTP personal feeds and bare view: errors"
FIGURES = (FEEDS, P50, P99, ERRORS)

LISTENING = re.compile(r"Listening at: http://[^:]+:(\d+)")


# The server


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


@contextmanager
def shared_cache() -> Iterator[str]:
    """The Redis database the servers share as their cache, empty before and after."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=10)
    client.flushdb()
    try:
        yield BENCH_REDIS_URL
    finally:
        client.flushdb()
        client.close()


def server_environment(database_url: str, cache_url: str) -> dict[str, str]:
    """The production environment (DEBUG off, a secret key, a TLS proxy in front, the shared
    cache), on the run's database, with the benchmark's URLconf."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CACHE_URL", "REDIS_URL"}
    }
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "WEB_CONCURRENCY": str(WORKERS),
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def gunicorn(database_url: str, workdir: Path, cache_url: str) -> Iterator[Server]:
    """gunicorn with the deployment's configuration on a free port (it binds port 0 and says
    which it got), until it answers; stopped (TERM, then KILL) afterwards."""
    log = workdir / "gunicorn-http.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(GUNICORN_CONFIG),
                "--bind",
                f"{HOST}:0",
                "--workers",
                str(WORKERS),
            ],
            cwd=CHECKOUT,
            env=server_environment(database_url, cache_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        server = Server(port=_wait_for_port(process, log), process=process, log=log)
        _wait_until_answering(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(process: subprocess.Popen, log: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return int(found[1])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _wait_until_answering(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            status, _, _ = asyncio.run(_fetch_once(server.port, BARE_PATH))
            if status == 200:
                return
            last = f"status {status}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn never answered ({last}):\n{server.log_tail()}")


# The load client


def request_bytes(path: str, etag: str | None = None) -> bytes:
    """A calendar app's poll, as the TLS proxy forwards it."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {HOST}",
        "User-Agent: bench-http (calendar subscriber)",
        "Accept: text/calendar, */*",
        "X-Forwarded-Proto: https",
        "X-Forwarded-For: 192.0.2.1",
    ]
    if etag is not None:
        lines.append(f"If-None-Match: {etag}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if status in (204, 304) or status < 200:
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


async def _fetch_once(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request_bytes(path))
        await writer.drain()
        return await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
    finally:
        writer.close()


@dataclass
class Subscriber:
    """One calendar app: its feed URL, the ETag of its copy, how many polls it made."""

    path: str
    etag: str | None = None
    polls: int = 0

    def next_etag(self) -> str | None:
        self.polls += 1
        if self.etag is None or self.polls % FULL_EVERY == 0:
            return None
        return self.etag


@dataclass
class Load:
    """What one load phase measured."""

    latencies: list[float] = field(default_factory=list)  # seconds, per answered request
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    body_bytes: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def add(self, other: Load) -> None:
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        self.seconds += other.seconds
        self.body_bytes += other.body_bytes

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[
            round(share * 100) - 1
        ]


async def _poll(port: int, subscriber: Subscriber, deadline: float, load: Load) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        etag = subscriber.next_etag()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            start = time.perf_counter()
            writer.write(request_bytes(subscriber.path, etag))
            await writer.drain()
            status, headers, body = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
            load.latencies.append(time.perf_counter() - start)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            load.errors[type(error).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        load.statuses[status] += 1
        load.body_bytes += len(body)
        if status == 200:
            subscriber.etag = headers.get("etag")
        elif not (status == 304 and etag is not None):
            load.errors[f"HTTP {status}"] += 1
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _run_load(port: int, subscribers: list[Subscriber], seconds: float) -> Load:
    load = Load()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_poll(port, s, deadline, load) for s in subscribers))
    load.seconds = time.perf_counter() - start
    return load


def run_load(port: int, subscribers: list[Subscriber], seconds: float) -> Load:
    return asyncio.run(_run_load(port, subscribers, seconds))


# The data


def subscriber_paths(count: int) -> list[str]:
    """The personal feed URLs of `count` people with live enrollments, spread evenly over the
    district (ordered by person)."""
    keys = list(
        FeedToken.objects.exclude(staff__status=StaffStatus.SEPARATED)
        .filter(staff__enrollments__status__in=LIVE_STATUSES)
        .distinct()
        .order_by("staff_id")
        .values_list("key", flat=True)
    )
    if len(keys) < count:
        raise RuntimeError(f"The district has {len(keys)} people with feeds, not {count}.")
    step = len(keys) // count
    return [reverse("calendars:feed", args=[key]) for key in keys[::step][:count]]


# The figures


def analyze_tables() -> None:
    """PostgreSQL's planner statistics, as autovacuum keeps them on a server in use: the
    district was just written in bulk, and without them the planner guesses table sizes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def figures(context: core.Context) -> Iterator[core.Figure]:
    context.district()
    analyze_tables()
    feed_paths = subscriber_paths(SUBSCRIBERS)
    feed_subscribers = [Subscriber(path) for path in feed_paths]
    bare_subscribers = [Subscriber(BARE_PATH) for _ in range(SUBSCRIBERS)]
    duration = QUICK_DURATION if context.quick else DURATION
    feeds, bare = Load(), Load()

    with (
        shared_cache() as cache_url,
        gunicorn(context.database_url, context.workdir, cache_url) as server,
    ):
        # Both loads run untimed first, so neither is measured on cold workers.
        warmup = QUICK_WARMUP if context.quick else WARMUP
        run_load(server.port, bare_subscribers, warmup / 2)
        run_load(server.port, feed_subscribers, warmup)
        for _ in range(ROUNDS):
            bare.add(run_load(server.port, bare_subscribers, duration / ROUNDS))
            feeds.add(run_load(server.port, feed_subscribers, duration / ROUNDS))
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped during the load:\n{server.log_tail()}")

    share = feeds.per_second / bare.per_second if bare.per_second else 0.0
    not_modified = feeds.statuses[304] / feeds.requests if feeds.requests else 0.0
    average_body = feeds.body_bytes / max(feeds.statuses[200], 1)
    yield core.Figure(
        FEEDS,
        feeds.per_second,
        "req/s",
        target=f">= {MIN_SHARE_OF_BARE:g}x floor",
        floor=bare.per_second,
        ratio=share,
        met=share >= MIN_SHARE_OF_BARE,
        note=(
            f"floor: a bare Django view on the same gunicorn; {duration:g} s of each on "
            f"{context.database_label}; {feeds.requests:,} feed requests, "
            f"{not_modified:.0%} answered 304, full feeds {average_body / 1024:.0f} KiB; "
            f"bare view p50 {bare.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {bare.percentile(0.99) * 1000:.1f} ms"
        ),
    )
    yield core.reported(P50, feeds.percentile(0.5) * 1000, unit="ms")
    yield core.reported(P99, feeds.percentile(0.99) * 1000, unit="ms")
    errors = feeds.errors + bare.errors
    yield core.at_most(
        ERRORS,
        float(sum(errors.values())),
        0,
        unit="",
        note=", ".join(f"{name}: {count}" for name, count in errors.most_common()),
    )

"""The harness of `make bench`: figures, timings against floors measured in the same run, peak
memory, query counts, and the throwaway databases the benchmarks run in.

A benchmark module is `bench/bench_<name>.py` with a generator `figures(context)` that yields
`Figure`s, and optionally `FIGURES`, the names it means to yield: should the module fail, the
names it did not reach are recorded as missing. `bench/run.py` finds the modules, runs them one
after the other in one process, prints a line per figure and writes `bench/results.json`.

The `context` a module gets (a `Context`):

- `vendor`: "sqlite" or "postgresql"; `database_label`: "SQLite" or "PostgreSQL".
- `database_url`: the URL of the run's throwaway database (a temp SQLite file, or `bench_<pid>`
  on the server of DATABASE_URL), for child processes (gunicorn, manage.py) to use. Django's
  default connection already points at it, migrated.
- `quick`: `--quick` was given: smaller sizes, for a smoke test.
- `staff`, `buildings`, `sessions`, `seed`: the shared district's sizes (25,000 / 60 / 3,000 / 1,
  or 2,000 / 10 / 300 / 1 with --quick).
- `district()`: builds the shared district with `demo.synthetic.generate_district` the first
  time it is called (in the run's database; on PostgreSQL then ANALYZE, as autovacuum would),
  then returns its counts. Every figure that reads the district calls it; nothing may change
  the district in ways other figures would see.
- `scratch_database()`: a context manager that points the default connection at a new, empty,
  migrated database (dropped afterwards) and back at the run's database when it exits; it
  yields the scratch database's URL. For work that needs an empty district (imports).
- `workdir`: a temp directory for files (roster files, logs), removed after the run.
- `shared`: a dict where modules may keep fixtures of their own for the rest of the run.

Helpers: `against_floor`, `at_most`, `at_least`, `reported` make figures; `timed` and `compare`
time calls; `peak_memory` (tracemalloc, in process) and `run_child` (a child's peak RSS)
measure memory; `count_queries` counts queries; `district_pd_client` logs in as district PD.

Timings are wall-clock seconds of `time.perf_counter`. The machines are shared and noisy:
`compare()` times subject and floor alternately (ABAB...) so noise falls on both, and the
figures that count are ratios against floors, not absolute times.

The in-process benchmarks run with DEBUG off (no query log), a local-memory cache (clearing a
shared Redis would throw away everyone's keys) and mail kept in memory.
"""

from __future__ import annotations

import gc
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MAX_RATIO = 1.3
MB = 1024 * 1024
# The throwaway databases' names start with this, and nothing else is ever dropped.
PREFIX = "bench_"


# Figures


@dataclass
class Figure:
    """One measured number. `target` says in words what it must reach ("<= 1.3x floor",
    "<= 500 ms"), None for a number only reported; `floor` (same unit) is the same work done by
    the bare library in the same run and `ratio` value / floor; `met` whether the target is
    reached (a figure with no target counts as met). `value` None: the figure is missing."""

    name: str
    value: float | None
    unit: str
    target: str | None
    floor: float | None = None
    ratio: float | None = None
    met: bool = False
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("value", "floor", "ratio"):
            if isinstance(data[key], float):
                data[key] = round(data[key], 4)
        return data


def against_floor(
    name: str,
    value: float,
    floor: float,
    *,
    unit: str,
    max_ratio: float = MAX_RATIO,
    note: str = "",
) -> Figure:
    """A figure whose target is at most `max_ratio` times its floor."""
    ratio = value / floor if floor > 0 else math.inf
    return Figure(
        name,
        value,
        unit,
        target=f"<= {max_ratio:g}x floor",
        floor=floor,
        ratio=ratio,
        met=ratio <= max_ratio,
        note=note,
    )


def at_most(name: str, value: float, limit: float, *, unit: str, note: str = "") -> Figure:
    return Figure(
        name,
        value,
        unit,
        target=f"<= {format_number(limit)} {unit}".strip(),
        met=value <= limit,
        note=note,
    )


def at_least(name: str, value: float, limit: float, *, unit: str, note: str = "") -> Figure:
    return Figure(
        name,
        value,
        unit,
        target=f">= {format_number(limit)} {unit}".strip(),
        met=value >= limit,
        note=note,
    )


def reported(name: str, value: float, *, unit: str, note: str = "") -> Figure:
    """A number shown without a target (requests per second, a size)."""
    return Figure(name, value, unit, target=None, met=True, note=note)


def missing(name: str, reason: str) -> Figure:
    return Figure(name, None, "", target=None, met=False, note=f"missing: {reason}")


def format_number(value: float | None) -> str:
    """Three significant digits, thousands separated: 0.0123, 1.23, 12.3, 1,234."""
    if value is None:
        return "-"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if math.isinf(value) or math.isnan(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def with_unit(value: float | None, unit: str) -> str:
    text = format_number(value)
    return f"{text} {unit}" if unit and value is not None else text


def status(figure: Figure) -> str:
    if figure.value is None:
        return "MISSING"
    if figure.target is None:
        return "INFO"
    return "PASS" if figure.met else "MISS"


def figure_line(figure: Figure) -> str:
    """name, value, target; floor and ratio where a floor applies; PASS/MISS."""
    parts = [f"{figure.name:<58}", f"{with_unit(figure.value, figure.unit):>14}"]
    parts.append(f"  target {figure.target or '-':<18}")
    if figure.floor is not None:
        parts.append(f"  floor {with_unit(figure.floor, figure.unit):>12}")
        parts.append(f"  ratio {format_number(figure.ratio):>5}")
    parts.append(f"  {status(figure)}")
    line = "".join(parts)
    if figure.note:
        line += f"\n    {figure.note}"
    return line


def results_json(figures: list[Figure], *, database: str) -> list[dict[str, Any]]:
    """bench/results.json: name, value, unit, target, floor, ratio, met (null where none
    applies), with the note and the database the run used."""
    return [figure.as_json() | {"database": database} for figure in figures]


# Timings


def _prepare(setup: Callable[[], object] | None) -> None:
    if setup is not None:
        setup()
    gc.collect()


def _summary(samples: list[float], stat: str) -> float:
    if stat == "min":
        return min(samples)
    if stat == "median":
        return statistics.median(samples)
    raise ValueError(f"stat must be 'min' or 'median', not {stat!r}")


def _sample(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def timed(
    fn: Callable[[], object],
    *,
    repeat: int = 5,
    warmup: int = 1,
    number: int = 1,
    setup: Callable[[], object] | None = None,
    stat: str = "min",
) -> float:
    """Seconds per call of `fn`: the best ("min") or median of `repeat` samples of `number`
    calls each, after `warmup` untimed samples. `setup` runs before every sample, untimed."""
    samples = []
    for index in range(warmup + repeat):
        _prepare(setup)
        seconds = _sample(fn, number)
        if index >= warmup:
            samples.append(seconds)
    return _summary(samples, stat)


def compare(
    subject: Callable[[], object],
    floor: Callable[[], object],
    *,
    repeat: int = 5,
    warmup: int = 1,
    number: int = 1,
    setup: Callable[[], object] | None = None,
    stat: str = "min",
) -> tuple[float, float]:
    """(subject seconds, floor seconds) per call, sampled alternately (subject, floor, subject,
    floor...) so that the machine's noise falls on both."""
    subject_samples, floor_samples = [], []
    for index in range(warmup + repeat):
        _prepare(setup)
        subject_seconds = _sample(subject, number)
        _prepare(setup)
        floor_seconds = _sample(floor, number)
        if index >= warmup:
            subject_samples.append(subject_seconds)
            floor_samples.append(floor_seconds)
    return _summary(subject_samples, stat), _summary(floor_samples, stat)


# Memory


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes of Python allocations while `fn` runs (tracemalloc), above what was allocated
    before. Tracing slows Python down several times: never time the same call."""
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return max(peak - base, 0)


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    seconds: float
    peak_rss: int  # bytes
    stdout: str
    stderr: str


# How often a child's memory is read while it runs.
POLL_SECONDS = 0.005


def _high_water_mark(pid: int) -> int | None:
    """A running process's own peak resident memory so far (VmHWM), in bytes; None once it has
    exited, or where there is no /proc."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def run_child(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
) -> ChildRun:
    """Run a program and measure its wall time and peak resident memory (the whole process:
    interpreter, libraries, data). Run the program itself, not a shell around it: the peak is
    the direct child's.

    The peak is the child's high-water mark, read from /proc every POLL_SECONDS while it runs
    (growth in its very last milliseconds would be missed), not the rusage wait4 reports: on
    Linux that also holds the parent's resident memory at the moment of fork and exec, which in
    a harness that has just built a district is hundreds of megabytes. Without /proc it falls
    back to that rusage, an upper bound."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        deadline = None if timeout is None else start + timeout
        peak = 0
        while True:
            mark = _high_water_mark(process.pid)
            if mark is not None:
                peak = max(peak, mark)
            pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                process.kill()
                pid, wait_status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - start
        # wait4 reaped it: tell Popen, so it does not wait again.
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            returncode=process.returncode,
            seconds=seconds,
            # Linux gives ru_maxrss in kilobytes.
            peak_rss=peak or usage.ru_maxrss * 1024,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# Queries


def count_queries(fn: Callable[[], object]) -> tuple[int, Any]:
    """How many queries `fn` makes on the default connection, and what it returned."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return len(captured.captured_queries), result


# Throwaway databases


def vendor_of(url: str | None) -> str:
    """ "postgresql" for a PostgreSQL DATABASE_URL, "sqlite" for SQLite or none."""
    scheme = urlsplit(url or "").scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql", "postgis"}:
        return "postgresql"
    if scheme in {"", "sqlite"}:
        return "sqlite"
    raise ValueError(f"The benchmarks run on SQLite or PostgreSQL, not {scheme!r}.")


def label_of(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[vendor]


def with_database_name(url: str, name: str) -> str:
    """The same server URL with another database name (the path), query kept."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class _SQLiteServer:
    """Databases as files in a temp directory."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="bench-"))

    def url(self, name: str) -> str:
        return f"sqlite:///{self.directory / (name + '.sqlite3')}"

    def where(self, name: str) -> str:
        return f"temp file {self.directory / (name + '.sqlite3')}"

    def create(self, name: str, *, template: str | None = None) -> None:
        path = self.directory / f"{name}.sqlite3"
        if template is None:
            path.touch()
            return
        source = sqlite3.connect(self.directory / f"{template}.sqlite3")
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (self.directory / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class _PostgreSQLServer:
    """Databases created and dropped on the server of DATABASE_URL. The harness connects only to
    the server's maintenance database and to the databases it creates, never to the one
    DATABASE_URL names."""

    def __init__(self, url: str) -> None:
        import dj_database_url

        self.base_url = url
        config = dj_database_url.parse(url)
        self.connect_args = {
            key: value
            for key, value in {
                "host": config["HOST"],
                "port": config["PORT"] or None,
                "user": config["USER"],
                "password": config["PASSWORD"],
            }.items()
            if value
        }
        self.connect_args.update(config.get("OPTIONS", {}))
        self.server = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"

    def _execute(self, sql) -> None:
        import psycopg

        last_error = None
        for maintenance in ("postgres", "template1"):
            try:
                with psycopg.connect(dbname=maintenance, autocommit=True, **self.connect_args) as c:
                    c.execute(sql)
                return
            except psycopg.OperationalError as error:  # that maintenance database is refused
                last_error = error
        raise last_error

    def url(self, name: str) -> str:
        return with_database_name(self.base_url, name)

    def where(self, name: str) -> str:
        return f"database {name} on {self.server}"

    def create(self, name: str, *, template: str | None = None) -> None:
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._execute(statement)

    def drop(self, name: str) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def close(self) -> None:
        pass


@dataclass
class ThrowawayDatabases:
    """The run's database and its scratch databases, all dropped at the end."""

    vendor: str
    name: str
    server: _SQLiteServer | _PostgreSQLServer
    created: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    @property
    def where(self) -> str:
        return self.server.where(self.name)

    def create(self, name: str, *, template: str | None = None) -> str:
        if not name.startswith(PREFIX):
            raise ValueError(f"Throwaway databases are named {PREFIX}..., not {name!r}.")
        # Never a drop first: a database of that name is not this run's to remove.
        self.server.create(name, template=template)
        self.created.append(name)
        return self.server.url(name)

    def drop(self, name: str) -> None:
        if name not in self.created:
            raise ValueError(f"{name!r} was not created by this run.")
        self.server.drop(name)
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)
        self.server.close()


def _point_default_at(name: str) -> None:
    """Close the default connection and give it another database; the next query opens it."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    # The same dict as settings.DATABASES["default"], as the test runner relies on.
    connection.settings_dict["NAME"] = name


def _database_name(databases: ThrowawayDatabases, name: str) -> str:
    """What Django's NAME is for one of the throwaway databases."""
    import dj_database_url

    return dj_database_url.parse(databases.server.url(name))["NAME"]


@contextmanager
def isolated_database(
    *, announce: Callable[[str], None] | None = None
) -> Iterator[ThrowawayDatabases]:
    """Set up Django on a throwaway database of the vendor DATABASE_URL names (SQLite when it is
    unset): a temp file, or `bench_<pid>` created on that server; migrated; dropped afterwards
    with every scratch database. It must run before anything sets up Django: the environment
    (DATABASE_URL, CACHE_URL, EMAIL_BACKEND) is changed for the settings to read, then
    restored."""
    from django.apps import apps

    if apps.ready:
        raise RuntimeError("isolated_database() must come before django.setup().")
    original_url = os.environ.get("DATABASE_URL", "").strip()
    vendor = vendor_of(original_url)
    server = _PostgreSQLServer(original_url) if vendor == "postgresql" else _SQLiteServer()
    databases = ThrowawayDatabases(vendor=vendor, name=f"{PREFIX}{os.getpid()}", server=server)
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "CACHE_URL", "EMAIL_BACKEND")}
    try:
        databases.create(databases.name)
        if announce is not None:
            announce(f"{label_of(vendor)} ({databases.where})")
        os.environ["DATABASE_URL"] = databases.url
        os.environ["CACHE_URL"] = ""
        os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning.settings")
        _setup_django()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", interactive=False, verbosity=0)
        connections.close_all()
        # An empty migrated copy, for scratch databases (a template is copied, not migrated).
        databases.create(f"{databases.name}_empty", template=databases.name)
        yield databases
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not have been set up
            pass
        databases.drop_all()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _setup_django() -> None:
    import django
    from django.conf import settings

    # The settings' development defaults (a local host, no HTTPS redirect) suit an in-process
    # client; DEBUG itself goes off once read, so no query log slows the code measured.
    os.environ["DEBUG"] = "true"
    django.setup()
    settings.DEBUG = False
    # What django.test's client sends as Host.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@contextmanager
def scratch_database(databases: ThrowawayDatabases) -> Iterator[str]:
    """Point the default connection at a new empty, migrated database for the block, then back
    at the run's database; the scratch database is dropped. Yields its URL."""
    number = sum(1 for name in databases.created if name.startswith(databases.name + "_s")) + 1
    name = f"{databases.name}_s{number}"
    url = databases.create(name, template=f"{databases.name}_empty")
    _point_default_at(_database_name(databases, name))
    try:
        yield url
    finally:
        _point_default_at(_database_name(databases, databases.name))
        databases.drop(name)


# The context the modules get


FULL_SIZES = {"staff": 25_000, "buildings": 60, "sessions": 3_000, "seed": 1}
QUICK_SIZES = {"staff": 2_000, "buildings": 10, "sessions": 300, "seed": 1}


@dataclass
class Context:
    """What every `figures(context)` gets; see the module docstring."""

    vendor: str
    database_url: str
    quick: bool
    staff: int
    buildings: int
    sessions: int
    seed: int
    workdir: Path
    databases: ThrowawayDatabases | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print
    district_counts: dict[str, int] | None = None
    district_seconds: float | None = None

    @property
    def database_label(self) -> str:
        return label_of(self.vendor)

    def district(self) -> dict[str, int]:
        """The shared district, built on first use."""
        if self.district_counts is None:
            from demo.synthetic import generate_district

            self.log(
                f"  (building the district: {self.staff:,} staff, {self.buildings} buildings, "
                f"{self.sessions:,} sessions)"
            )
            start = time.perf_counter()
            self.district_counts = generate_district(
                staff=self.staff,
                buildings=self.buildings,
                sessions=self.sessions,
                seed=self.seed,
            )
            self.district_seconds = time.perf_counter() - start
            if self.vendor == "postgresql":
                # A server in use has its statistics from autovacuum; right after a bulk load the
                # planner would still think the tables nearly empty.
                from django.db import connection

                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        return self.district_counts

    @contextmanager
    def scratch_database(self) -> Iterator[str]:
        if self.databases is None:
            raise RuntimeError("This context has no throwaway databases.")
        with scratch_database(self.databases) as url:
            yield url


# Logins


BENCH_USERNAME = "bench-district-pd"


def district_pd_client(username: str = BENCH_USERNAME):
    """A django.test.Client logged in as district PD (and HR, for the imports API): a login in
    both groups, made on first use in the current database (linked to no staff member unless a
    module links it)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from learning.access import DISTRICT_PD_GROUP, HR_GROUP

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(
            *(Group.objects.get_or_create(name=name)[0] for name in (DISTRICT_PD_GROUP, HR_GROUP))
        )
    client = Client()
    client.force_login(user)
    return client

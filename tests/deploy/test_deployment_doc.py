"""docs/deployment.md, followed as written: every block marked `<!-- checked: NAME -->` runs in
bash, in the guide's order, against a copy of the checkout, a PostgreSQL database and role of
the test's own (dropped afterwards) and gunicorn started from the systemd unit. The guide's
"What is tested" lists the substitutions (the names, sudo, systemctl, git pull, mail); this
module is where they are made. `make serve` is served from a copy of the checkout too.

PostgreSQL is the server of DATABASE_URL when it is one, else CI_POSTGRES_URL's (the one CI
always has); without it (or its client programs) the tests skip, except in CI, where they
fail."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from psycopg import sql

from tests.deploy import servers

DOC = servers.CHECKOUT / "docs" / "deployment.md"
UNIT = servers.CHECKOUT / "deploy" / "professional-learning.service"
WORKER_UNIT = servers.CHECKOUT / "deploy" / "professional-learning-worker.service"
CRON = servers.CHECKOUT / "deploy" / "professional-learning.cron"
# What the deployment files call the checkout and the environment file.
INSTALLED_CHECKOUT = "/srv/professional-learning"
INSTALLED_ENV_FILE = "/etc/professional-learning/env"
CHECKED_BLOCK = re.compile(r"<!-- checked: ([\w-]+) -->\n```sh\n(.*?)\n```", re.DOTALL)
# Not the example's own name, so that the guide's substitution shows.
SERVER_NAME = "learning.district.test"
# What gunicorn's master logs when it stops (after its "Listening at: ..." line).
GUNICORN_STOPPED = "Shutting down: Master"
DISTRICT = "Birmingham Public Schools"
PG_CLIENTS = ("psql", "createdb", "dropdb", "pg_dump", "pg_restore")
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules",
    "test-results", "results.json", "*.egg-info",
)  # fmt: skip

# The test's stand-ins for sudo, systemctl and git (see the guide's "What is tested"). The
# service is gunicorn as the unit starts it: its ExecStart in its WorkingDirectory with its
# EnvironmentFile, its ExecReload for reload.
SHIMS = r"""
sudo() {
  while [ $# -gt 0 ]; do
    case "$1" in -u|-g) shift 2 ;; -*) shift ;; *) break ;; esac
  done
  "$@"
}
git() {
  if [ "${1:-}" = pull ]; then echo "git pull: skipped, the copy is the code under test"
  else command git "$@"; fi
}
service_alive() {
  [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
service_start() {
  ( set -a; . "$SERVICE_ENV_FILE"; set +a; cd "$SERVICE_DIR"; exec $SERVICE_EXEC_START ) \
    </dev/null >>"$SERVICE_LOG" 2>&1 &
  echo $! >"$SERVICE_PID_FILE"
}
stop_pid_file() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 450); do
    service_alive "$pid" || return 0
    sleep 0.1
  done
  echo "systemctl (test): $2 $pid did not stop" >&2
  return 1
}
service_stop() { stop_pid_file "$SERVICE_PID_FILE" gunicorn; }
worker_start() {
  ( set -a; . "$SERVICE_ENV_FILE"; set +a; cd "$SERVICE_DIR"; exec $WORKER_EXEC_START ) \
    </dev/null >>"$WORKER_LOG" 2>&1 &
  echo $! >"$WORKER_PID_FILE"
}
worker_stop() { stop_pid_file "$WORKER_PID_FILE" worker; }
systemctl() {
  local action="$1" unit="${2%.service}"
  case "$action" in daemon-reload|enable) return 0 ;; esac
  if [ "$unit" = professional-learning-worker ]; then
    case "$action" in
      start) worker_start ;;
      stop) worker_stop ;;
      restart) worker_stop && worker_start ;;
      *) echo "systemctl (test): $action is not simulated" >&2; return 1 ;;
    esac
    return
  fi
  if [ "$unit" != professional-learning ]; then
    echo "systemctl (test): no unit $unit" >&2
    return 1
  fi
  case "$action" in
    start) service_start ;;
    stop) service_stop ;;
    restart) service_stop && service_start ;;
    reload) MAINPID=$(cat "$SERVICE_PID_FILE") eval "$SERVICE_EXEC_RELOAD" ;;
    *) echo "systemctl (test): $action is not simulated" >&2; return 1 ;;
  esac
}
"""


def checked_blocks() -> dict[str, str]:
    return dict(CHECKED_BLOCK.findall(DOC.read_text()))


def unit_settings(unit: Path = UNIT) -> dict[str, str]:
    values = {}
    for line in unit.read_text().splitlines():
        name, separator, value = line.partition("=")
        if separator and not line.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def cron_commands() -> list[tuple[str, str]]:
    """(user, command) of each job in the cron file."""
    jobs = []
    for line in CRON.read_text().splitlines():
        fields = line.split(None, 6)
        if not line.strip() or line.startswith("#") or "=" in fields[0]:
            continue
        jobs.append((fields[5], fields[6]))
    return jobs


def copy_checkout(target: Path) -> Path:
    """The code as a deployment gets it: the tree without the developer's files, with the
    checkout's virtualenv (make install then finds everything installed)."""
    shutil.copytree(servers.CHECKOUT, target, ignore=NOT_COPIED, symlinks=True)
    (target / ".venv").symlink_to(servers.CHECKOUT / ".venv")
    return target


def unavailable(reason: str):
    if servers.in_ci():
        pytest.fail(f"CI must run the deployment test: {reason}")
    pytest.skip(reason)


@dataclass
class PostgreSQL:
    host: str
    port: int
    user: str
    password: str

    def connect(self, dbname: str = "postgres", **kwargs):
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname,
            connect_timeout=10,
            **kwargs,
        )


@pytest.fixture
def postgresql() -> PostgreSQL:
    """The PostgreSQL server to deploy on, reached as a superuser at 127.0.0.1:5432 (where the
    guide's environment file points)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith(("postgres://", "postgresql://")):
        url = os.environ.get("CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    config = dj_database_url.parse(url)
    server = PostgreSQL(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or "",
    )
    if (server.host, server.port) not in {("127.0.0.1", 5432), ("localhost", 5432)}:
        unavailable(f"the guide's PostgreSQL is 127.0.0.1:5432, not {server.host}:{server.port}")
    missing = [name for name in PG_CLIENTS if shutil.which(name) is None]
    if missing:
        unavailable(f"PostgreSQL's client programs are missing: {', '.join(missing)}")
    try:
        # The maintenance database: the one DATABASE_URL names may exist only as test_<name>.
        server.connect().close()
    except psycopg.OperationalError as error:
        unavailable(f"no PostgreSQL at {server.host}:{server.port}: {error}")
    return server


class Deployment:
    """The guide's names, filled in with the test's own, and a bash to run its blocks in."""

    def __init__(self, root: Path, postgresql: PostgreSQL) -> None:
        self.postgresql = postgresql
        self.app_dir = copy_checkout(root / "srv" / "professional-learning")
        self.env_file = root / "etc" / "professional-learning" / "env"
        # What the guide's "System user and directories" makes.
        self.env_file.parent.mkdir(parents=True, mode=0o750)
        self.env_file.touch(mode=0o640)
        self.backup_dir = root / "backups"
        self.backup_dir.mkdir()
        self.run_dir = root / "run"
        self.run_dir.mkdir()
        self.db_name = self.db_user = f"deploycheck_{os.getpid()}_{secrets.token_hex(3)}"
        self.db_password = secrets.token_urlsafe(18)
        self.pid_file = self.run_dir / "gunicorn.pid"
        self.service_log = self.run_dir / "service.log"
        self.worker_log = self.run_dir / "worker.log"
        self.outputs: dict[str, str] = {}

    def installed(self, text: str) -> str:
        """A deployment file's paths, for this deployment."""
        return text.replace(INSTALLED_CHECKOUT, str(self.app_dir)).replace(
            INSTALLED_ENV_FILE, str(self.env_file)
        )

    names_template = """
APP_DIR={app_dir}
ENV_FILE={env_file}
SERVER_NAME={server_name}
DB_NAME={db_name}
DB_USER={db_user}
DB_PASSWORD={db_password}
BACKUP_DIR={backup_dir}
"""

    def names(self) -> str:
        return self.names_template.format(
            app_dir=self.app_dir,
            env_file=self.env_file,
            server_name=SERVER_NAME,
            db_name=self.db_name,
            db_user=self.db_user,
            db_password=self.db_password,
            backup_dir=self.backup_dir,
        )

    def environment(self) -> dict[str, str]:
        unit = unit_settings()
        assert unit["User"] == "pl" and unit["Type"] == "notify"
        worker = unit_settings(WORKER_UNIT)
        assert worker["User"] == "pl"
        assert worker["WorkingDirectory"] == unit["WorkingDirectory"]
        return servers.production_environment(
            PGHOST=self.postgresql.host,
            PGPORT=str(self.postgresql.port),
            PGUSER=self.postgresql.user,
            PGPASSWORD=self.postgresql.password,
            PL_ENV_FILE=str(self.env_file),
            BACKUP_DIR=str(self.backup_dir),
            # Port 0: gunicorn is given a free port and logs it (see `port`); a port chosen
            # beforehand could be taken by another process before the service binds it.
            GUNICORN_CMD_ARGS=f"--bind {servers.HOST}:0 --pid {self.pid_file}",
            SERVICE_DIR=self.installed(unit["WorkingDirectory"]),
            SERVICE_ENV_FILE=self.installed(unit["EnvironmentFile"]),
            SERVICE_EXEC_START=self.installed(unit["ExecStart"]),
            SERVICE_EXEC_RELOAD=unit["ExecReload"],
            SERVICE_PID_FILE=str(self.pid_file),
            SERVICE_LOG=str(self.service_log),
            WORKER_EXEC_START=self.installed(worker["ExecStart"]),
            WORKER_PID_FILE=str(self.run_dir / "worker.pid"),
            WORKER_LOG=str(self.worker_log),
        )

    def bash(self, script: str, *, name: str) -> str:
        """Runs `script` after the names and the stand-ins, in the checkout; its output."""
        result = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + self.names() + SHIMS + script],
            cwd=self.app_dir,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"the {name!r} step failed:\n{script}\n---\n{output}"
        self.outputs[name] = output
        return output

    def step(self, name: str) -> str:
        return self.bash(checked_blocks()[name], name=name)

    def get(self, path: str, **kwargs) -> servers.Response:
        return servers.request(self.port, "GET", path, host=SERVER_NAME, **kwargs)

    def _logged_port(self) -> int | None:
        """The port the running gunicorn logged it listens at; None while none runs (not yet,
        or stopped since: a restart logs a new port)."""
        log = self.service_log.read_text(errors="replace") if self.service_log.exists() else ""
        listening = list(servers.LISTENING.finditer(log))
        if not listening or GUNICORN_STOPPED in log[listening[-1].end() :]:
            return None
        return int(listening[-1][1])

    @property
    def port(self) -> int:
        port = self._logged_port()
        assert port is not None, f"gunicorn is not running:\n{self.service_log.read_text()}"
        return port

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + servers.START_TIMEOUT
        while self._logged_port() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        servers.wait_until_answering(self.port, "/catalog/", host=SERVER_NAME, log=self.service_log)

    def wait_until_worker_ready(self) -> None:
        """Readiness through the proxy says a worker is running (its first heartbeat)."""
        deadline = time.monotonic() + servers.START_TIMEOUT
        while time.monotonic() < deadline:
            ready = self.get("/health/ready")
            if ready.status == 200 and ready.json()["checks"]["worker"]["status"] == "ok":
                return
            time.sleep(0.2)
        log = self.worker_log.read_text() if self.worker_log.exists() else "(no log)"
        raise AssertionError(f"no worker is ready: {ready.body[:500]!r}\n{log}")

    def master_pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    def counts(self) -> tuple[int, int, int]:
        with self.postgresql.connect(self.db_name) as connection:
            return tuple(
                connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("learning_staffmember", "enrollment_enrollment", "catalog_meeting")
            )

    def stop_service(self) -> None:
        worker_pid_file = self.run_dir / "worker.pid"
        if worker_pid_file.exists():
            self._stop(int(worker_pid_file.read_text().strip()))
        if self.pid_file.exists():
            self._stop(self.master_pid())

    def _stop(self, pid: int) -> None:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
            if state == "Z":
                break
            time.sleep(0.1)

    def drop_database(self) -> None:
        with self.postgresql.connect(autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.db_name)
                )
            )
            connection.execute(
                sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.db_user))
            )


@pytest.fixture
def deployment(tmp_path, postgresql):
    deployment = Deployment(tmp_path, postgresql)
    try:
        yield deployment
    finally:
        deployment.stop_service()
        deployment.drop_database()


def test_the_guide_marks_the_steps_it_runs():
    assert list(checked_blocks()) == [
        "names",
        "database",
        "install",
        "environment",
        "migrate",
        "demo",
        "restore",
        "upgrade",
    ]
    assert [user for user, _ in cron_commands()] == ["pl", "pl", "pl"]
    # The test replaces the guide's names with its own: the same names.
    guide_names = re.findall(r"^(\w+)=", checked_blocks()["names"], re.MULTILINE)
    test_names = re.findall(r"^(\w+)=", Deployment.names_template, re.MULTILINE)
    assert guide_names == test_names


def stylesheet(page: bytes) -> str:
    found = re.search(rb'<link rel="stylesheet" href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    assert found, page[:2000]
    return found[1].decode()


def assert_serving_the_district(deployment: Deployment) -> bytes:
    catalog = deployment.get("/catalog/")
    assert catalog.status == 200, catalog.body[:2000]
    assert DISTRICT.encode() in catalog.body
    return catalog.body


def test_the_deployment_guide_as_written(deployment):
    deployment.step("database")
    deployment.step("install")
    deployment.step("environment")
    written = deployment.env_file.read_text()
    assert "change-me-to" not in written and "pd.example.org" not in written
    assert f"ALLOWED_HOSTS={SERVER_NAME}\n" in written
    assert stat.S_IMODE(deployment.env_file.stat().st_mode) == 0o640
    # The guide's one edit by hand: the example's SMTP server does not exist.
    with deployment.env_file.open("a") as env:
        env.write("EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend\n")

    checks = deployment.step("migrate")
    assert "System check identified no issues" in checks
    assert (deployment.app_dir / "var" / "static" / "staticfiles.json").exists()
    deployment.step("demo")

    # The units, as systemd would start them (and as systemd reads them, where systemd is).
    if shutil.which("systemd-analyze"):
        for source in (UNIT, WORKER_UNIT):
            unit = deployment.run_dir / source.name
            unit.write_text(deployment.installed(source.read_text()))
            verified = subprocess.run(
                ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
            )
            assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
    deployment.bash("systemctl start professional-learning", name="start")
    deployment.bash("systemctl start professional-learning-worker", name="start worker")
    deployment.wait_until_serving()
    deployment.wait_until_worker_ready()

    # What a visitor gets through the proxy.
    page = assert_serving_the_district(deployment)
    catalog = deployment.get("/catalog/")
    assert catalog.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    css = deployment.get(stylesheet(page), headers={"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["content-encoding"] == "gzip"
    assert "immutable" in css.headers["cache-control"]
    login = deployment.get("/accounts/login/")
    assert login.status == 200
    assert "secure" in login.headers["set-cookie"].lower()
    plain = deployment.get("/catalog/", https=False)
    assert (plain.status, plain.headers["location"]) == (301, f"https://{SERVER_NAME}/catalog/")
    foreign = servers.request(deployment.port, "GET", "/catalog/", host="elsewhere.example")
    assert foreign.status == 400
    missing = deployment.get("/no-such-page/")
    assert missing.status == 404
    assert b"URLconf" not in missing.body

    # Every job of the cron file, as cron runs it.
    for user, command in cron_commands():
        output = deployment.bash(deployment.installed(command), name=command)
        assert user == "pl"
        if "lapse_approval_holds" in command:
            assert "approval request(s) lapsed" in output
    backups = sorted(deployment.backup_dir.glob("professional_learning-*.dump"))
    assert len(backups) == 1
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    before = deployment.counts()
    assert all(before), before

    deployment.step("restore")
    deployment.wait_until_serving()
    assert deployment.counts() == before
    assert_serving_the_district(deployment)

    master = deployment.master_pid()
    deployment.step("upgrade")
    deployment.wait_until_serving()
    assert deployment.master_pid() == master
    assert "Handling signal: hup" in deployment.service_log.read_text()
    assert_serving_the_district(deployment)


def test_make_serve_serves_the_application(tmp_path):
    """`make serve` on a migrated database: static files collected, DEBUG off, the workers
    WEB_CONCURRENCY asks for, on the port asked for."""
    app_dir = copy_checkout(tmp_path / "checkout")
    env = servers.production_environment(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        SECRET_KEY=servers.new_secret_key(),
        ALLOWED_HOSTS=SERVER_NAME,
        BEHIND_TLS_PROXY="true",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="false",
        WEB_CONCURRENCY="2",
        PORT="0",
    )
    migrate = subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "migrate"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    command = ["make", "--no-print-directory", "-o", "install", "serve"]
    with servers.running(
        command, env=env, log=tmp_path / "serve.log", cwd=app_dir, host=SERVER_NAME
    ) as served:
        page = servers.request(served.port, "GET", "/catalog/", host=SERVER_NAME)
        css = servers.request(served.port, "GET", stylesheet(page.body), host=SERVER_NAME)
        log = served.log_text_once(lambda text: text.count("Booting worker") >= 2)

    assert page.status == 200
    assert css.status == 200
    assert "System check identified no issues" in log
    assert log.count("Booting worker") == 2
    assert "DEBUG=false" in log

"""The production configuration: `check --deploy` clean with the deployment's environment, the
shared cache chosen by CACHE_URL or REDIS_URL, gunicorn's configuration and `make serve`'s
refusals. Each case runs in a fresh process, so the settings are read anew."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.deploy.servers import (
    CHECKOUT,
    GUNICORN_CONFIG,
    in_ci,
    new_secret_key,
    production_environment,
)

ENV_EXAMPLE = CHECKOUT / "deploy" / "env.example"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def read_env_file(path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= (and a shell) read them: comments and
    blank lines skipped, surrounding quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def example_environment(tmp_path, **overrides: str) -> dict[str, str]:
    """deploy/env.example as a deployment fills it in: its own secret key, a database."""
    values = read_env_file(ENV_EXAMPLE) | {
        "SECRET_KEY": new_secret_key(),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    return production_environment(**(values | overrides))


def manage(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def django(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=CHECKOUT,
        env={**env, "DJANGO_SETTINGS_MODULE": "learning.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def security_checks(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"\((security\.\w+)\)", result.stdout + result.stderr))


# check --deploy


def test_the_example_environment_passes_check_deploy_without_a_warning(tmp_path):
    result = manage(example_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert security_checks(result) == set()
    assert "System check identified no issues" in result.stdout


def test_the_example_environment_is_production(tmp_path):
    result = django(
        example_environment(tmp_path),
        """
        from django.conf import settings as s
        print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,
              s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,
              s.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https"),
              s.STORAGES["staticfiles"]["BACKEND"].rsplit(".", 1)[-1],
              type(s.CACHES["default"]) and s.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1])
        """,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "False",
        "True",
        "CompressedManifestStaticFilesStorage",
        "RedisCache",
    ]


def test_check_deploy_names_the_hsts_choices_until_the_deployment_makes_them(tmp_path):
    undecided = example_environment(tmp_path)
    del undecided["SECURE_HSTS_INCLUDE_SUBDOMAINS"], undecided["SECURE_HSTS_PRELOAD"]
    declined = example_environment(
        tmp_path, SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="false"
    )
    both = example_environment(
        tmp_path, SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true"
    )

    assert security_checks(manage(undecided, "check", "--deploy")) == {
        "security.W005",
        "security.W021",
    }
    assert security_checks(manage(declined, "check", "--deploy")) == set()
    assert security_checks(manage(both, "check", "--deploy")) == set()


def test_check_deploy_still_catches_a_weak_key_and_debug(tmp_path):
    weak = manage(example_environment(tmp_path, SECRET_KEY="short"), "check", "--deploy")
    debug = manage(example_environment(tmp_path, DEBUG="true"), "check", "--deploy")

    assert security_checks(weak) == {"security.W009"}
    assert "security.W018" in security_checks(debug)


def test_the_example_environment_has_the_security_settings(tmp_path):
    """What tests/security checks by request, as the deployment's environment sets it."""
    result = django(
        example_environment(tmp_path),
        """
        import json
        from django.conf import settings as s
        print(json.dumps({
            "cookies": [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,
                        s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE,
                        s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE],
            "nosniff": s.SECURE_CONTENT_TYPE_NOSNIFF,
            "middleware": [m for m in s.MIDDLEWARE if m.startswith(("csp.", "axes."))],
            "last_middleware": s.MIDDLEWARE[-1],
            "policy": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "backends": s.AUTHENTICATION_BACKENDS,
            "axes": [s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(),
                     s.AXES_RESET_ON_SUCCESS, s.AXES_LOCKOUT_CALLABLE],
            "behind_proxy": [s.BEHIND_TLS_PROXY, s.TRUSTED_PROXY_COUNT],
        }))
        """,
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["cookies"] == [True, True, "Lax", True, True, "Lax"]
    assert values["nosniff"] is True
    assert values["middleware"] == [
        "csp.middleware.CSPMiddleware",
        "axes.middleware.AxesMiddleware",
    ]
    assert values["last_middleware"] == "axes.middleware.AxesMiddleware"
    assert values["policy"]["script-src"] == ["'self'"]
    assert values["policy"]["frame-ancestors"] == ["'none'"]
    assert values["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert values["axes"] == [5, 900.0, True, "core.lockout.lockout_response"]
    assert values["behind_proxy"] == [True, 1]


def test_the_login_limits_follow_the_environment(tmp_path):
    env = example_environment(tmp_path, LOGIN_FAILURE_LIMIT="10", LOGIN_LOCKOUT_MINUTES="30")

    result = django(
        env,
        "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)",
    )

    assert result.stdout.split() == ["10", "0:30:00"], result.stderr


def test_the_proxy_header_is_trusted_only_behind_a_tls_proxy(tmp_path):
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"

    direct = django(example_environment(tmp_path, BEHIND_TLS_PROXY="false"), code)
    proxied = django(example_environment(tmp_path), code)

    assert direct.stdout.strip() == "None", direct.stderr
    assert proxied.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", proxied.stderr


# PostgreSQL


def database_option(name: str, **variables: str) -> str:
    """The connection option `name` the settings give for this environment (on a PostgreSQL
    URL unless `variables` name another database)."""
    env = production_environment(
        DEBUG="true", **({"DATABASE_URL": "postgres://pl@db.internal:5432/pd"} | variables)
    )
    result = django(
        env,
        "from django.conf import settings\n"
        f'print(repr(settings.DATABASES["default"].get("OPTIONS", {{}}).get({name!r})))',
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "'-c jit=off'"),
        ({"POSTGRES_JIT": "true"}, "None"),
        (
            {"DATABASE_URL": "postgres://pl@db.internal:5432/pd?options=-c%20work_mem%3D8MB"},
            "'-c work_mem=8MB -c jit=off'",
        ),
    ],
    ids=["default", "jit-on", "merged"],
)
def test_postgresql_connections_run_without_jit_unless_told(variables, expected):
    """JIT compilation took 60 of the 68 ms of a personal feed's version query."""
    assert database_option("options", **variables) == expected


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "5"),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, "None"),
        ({"DATABASE_URL": "postgres://pl@db.internal:5432/pd?prepare_threshold=2"}, "2"),
    ],
    ids=["default", "off", "told"],
)
def test_postgresql_connections_allow_the_prepared_statements_asked_for_unless_told(
    variables, expected
):
    """Django turns psycopg's prepared statements off; the feed poll asks for one
    (core.db.compiled), which PgBouncer before 1.21 cannot carry in transaction mode."""
    assert database_option("prepare_threshold", **variables) == expected


@pytest.mark.parametrize("name", ["options", "prepare_threshold"])
def test_sqlite_takes_no_postgresql_options(tmp_path, name):
    sqlite = f"sqlite:///{tmp_path}/db.sqlite3"
    assert database_option(name, DATABASE_URL=sqlite) == "None"


# The cache

CACHE = """
from django.conf import settings
cache = settings.CACHES["default"]
print(cache["BACKEND"].rsplit(".", 1)[-1], cache.get("LOCATION", "-"))
"""
LOCAL_CACHE_SIZE = """
from django.core.cache import caches
cache = caches["default"]
print(type(cache).__name__, cache._max_entries)
"""


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "LocMemCache -"),
        (
            {"CACHE_URL": "redis://cache.internal:6379/0"},
            "RedisCache redis://cache.internal:6379/0",
        ),
        (
            {"REDIS_URL": "redis://cache.internal:6379/1"},
            "RedisCache redis://cache.internal:6379/1",
        ),
        (
            {"CACHE_URL": "redis://first:6379/0", "REDIS_URL": "redis://second:6379/0"},
            "RedisCache redis://first:6379/0",
        ),
        (
            {"CACHE_URL": "", "REDIS_URL": "rediss://tls.internal:6380/0"},
            "RedisCache rediss://tls.internal:6380/0",
        ),
    ],
    ids=["none", "cache-url", "redis-url", "cache-url-first", "empty-cache-url"],
)
def test_the_cache_is_redis_when_cache_url_or_redis_url_names_one(tmp_path, variables, expected):
    env = production_environment(
        DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", **variables
    )

    result = django(env, CACHE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_local_cache_holds_thousands_of_feeds_not_djangos_300_entries(tmp_path):
    env = production_environment(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")

    default = django(env, LOCAL_CACHE_SIZE)
    told = django(env | {"CACHE_MAX_ENTRIES": "900"}, LOCAL_CACHE_SIZE)

    assert default.stdout.split() == ["LocMemCache", "6000"], default.stderr
    assert told.stdout.split() == ["LocMemCache", "900"], told.stderr


def test_a_redis_url_that_is_not_a_cache_is_refused_by_name(tmp_path):
    env = production_environment(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        REDIS_URL="memcached://cache.internal:11211",
    )

    result = django(env, CACHE)

    assert result.returncode != 0
    assert "CACHE_URL (or REDIS_URL) must be a redis://" in result.stderr


def _redis_reachable() -> bool:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False
    return True


def test_processes_given_redis_url_share_one_cache(tmp_path):
    """What several app servers rely on: a value one process caches, another process reads."""
    if not _redis_reachable():
        if in_ci():
            pytest.fail(f"CI needs Redis at {TEST_REDIS_URL}.")
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    env = production_environment(
        DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", REDIS_URL=TEST_REDIS_URL
    )
    key = f"deploy-test-{os.getpid()}-{tmp_path.name}"

    written = django(env, f"from django.core.cache import cache; cache.set({key!r}, 'shared', 60)")
    read = django(
        env,
        f"from django.core.cache import cache; print(cache.get({key!r})); cache.delete({key!r})",
    )

    assert written.returncode == 0, written.stderr
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == "shared"


# gunicorn


def gunicorn_settings(tmp_path, **env: str) -> dict[str, str]:
    """The configuration gunicorn resolves (--print-config loads the application too)."""
    production = {
        "SECRET_KEY": new_secret_key(),
        "ALLOWED_HOSTS": "pd.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [str(CHECKOUT / ".venv" / "bin" / "gunicorn"), "-c", str(GUNICORN_CONFIG)]
        + ["--print-config"],
        cwd="/",
        env=production_environment(**production, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    settings = {}
    for line in result.stdout.splitlines():
        name, separator, value = line.partition("=")
        if separator:
            settings[name.strip()] = value.strip()
    return settings


def test_gunicorn_runs_two_workers_per_core_plus_one_unless_told(tmp_path):
    cores = len(os.sched_getaffinity(0))

    default = gunicorn_settings(tmp_path)
    told = gunicorn_settings(tmp_path, WEB_CONCURRENCY="3")

    assert default["workers"] == str(2 * cores + 1)
    assert told["workers"] == "3"
    assert default["wsgi_app"] == "learning.wsgi:application"
    assert default["chdir"] == str(CHECKOUT)
    assert default["bind"] == "['127.0.0.1:8000']"
    # Instances would share a control socket in the user's home directory.
    assert default["control_socket_disable"] == "True"
    assert "FeedKeyMaskingLogger" in default["logger_class"]


# make serve


def make_serve(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """`make serve` without reinstalling (-o install): only its refusals are tested here; the
    deployment test serves through it."""
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "serve"],
        cwd=CHECKOUT,
        env=production_environment(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_serve_refuses_without_a_secret_key(tmp_path):
    result = make_serve(tmp_path, ALLOWED_HOSTS="pd.example.org")

    assert result.returncode != 0
    assert "make serve: SECRET_KEY is not set" in result.stderr
    assert "gunicorn" not in result.stdout


def test_make_serve_refuses_without_allowed_hosts(tmp_path):
    result = make_serve(tmp_path, SECRET_KEY=new_secret_key())

    assert result.returncode != 0
    assert "make serve: ALLOWED_HOSTS is not set" in result.stderr


def test_make_serve_refuses_an_unmigrated_database(tmp_path):
    result = make_serve(tmp_path, SECRET_KEY=new_secret_key(), ALLOWED_HOSTS="pd.example.org")

    assert result.returncode != 0
    assert "make serve: the database is not migrated" in result.stderr
    assert "collectstatic" not in result.stdout

"""Settings come from the environment; each case runs Django in a fresh process so the settings
module is read anew."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "TIME_ZONE", "ALLOWED_HOSTS"}
    }
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "learning.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    result = run_django("", DEBUG="false", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_served_application_is_production_unless_told_otherwise(tmp_path):
    """Importing the WSGI application with nothing set: DEBUG off, so no SECRET_KEY, no start."""
    for module in ("learning.wsgi", "learning.asgi"):
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT,
            env={
                key: value
                for key, value in os.environ.items()
                if key not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
            }
            | {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0, module
        assert "SECRET_KEY is not set" in result.stderr, module


def test_developer_entry_points_default_to_debug(tmp_path):
    result = run_django(
        "from django.conf import settings; print(settings.DEBUG)",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_starts_with_secret_key_when_debug_is_off(tmp_path):
    result = run_django(
        "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)",
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="pd.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['pd.example.org']"


def test_refuses_to_start_without_allowed_hosts_when_debug_is_off(tmp_path):
    result = run_django(
        "", DEBUG="false", SECRET_KEY="x" * 50, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    """check --deploy with DEBUG off: nothing but the two HSTS scope choices (subdomains and
    preload), which each district makes for its own domain."""
    result = run_django(
        """
        from django.core.management import call_command
        call_command("check", "--deploy", "--fail-level", "ERROR")
        """,
        DEBUG="false",
        SECRET_KEY="a-long-random-production-key-" + "q7Zp3vR9xK2mW8nB4tY6" * 3,
        ALLOWED_HOSTS="pd.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    warnings = set(re.findall(r"\((security\.\w+)\)", output))
    assert warnings <= {"security.W005", "security.W021"}, output


def test_secure_cookies_and_https_by_default_when_debug_is_off(tmp_path):
    result = run_django(
        """
        from django.conf import settings as s
        print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,
              s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)
        """,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="pd.example.org",
        BEHIND_TLS_PROXY="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


def test_a_malformed_boolean_is_named(tmp_path):
    result = run_django("", DEBUG="maybe", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_defaults_time_zone_and_database(tmp_path):
    result = run_django(
        """
        from django.conf import settings
        db = settings.DATABASES["default"]
        print(settings.TIME_ZONE, db["ENGINE"], str(db["NAME"]).endswith("var/db.sqlite3"))
        """,
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["America/Detroit", "django.db.backends.sqlite3", "True"]


def test_postgresql_when_database_url_says_so():
    result = run_django(
        """
        from django.conf import settings
        db = settings.DATABASES["default"]
        print(db["ENGINE"], db["HOST"], db["NAME"])
        """,
        DEBUG="true",
        DATABASE_URL="postgres://postgres@db.internal:5432/pd",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "db.internal", "pd"]


def test_sqlite_uses_wal_and_immediate_transactions(tmp_path):
    result = run_django(
        """
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            timeout = cursor.fetchone()[0]
        print(mode, timeout, connection.settings_dict["OPTIONS"]["transaction_mode"])
        """,
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]


def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path):
    """Eight threads each read-then-write in 25 transactions against one SQLite file. With
    IMMEDIATE transactions and the busy timeout they queue; none sees "database is locked"."""
    database_url = f"sqlite:///{tmp_path}/db.sqlite3"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    result = run_django(
        """
        import threading
        from django.db import connection, transaction
        from learning.models import Building

        Building.objects.create(code="counter", name="0")
        errors = []

        def writer():
            try:
                for _ in range(25):
                    with transaction.atomic():
                        building = Building.objects.get(code="counter")
                        building.name = str(int(building.name) + 1)
                        building.save(update_fields=["name"])
            except Exception as error:
                errors.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=writer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(Building.objects.get(code="counter").name, len(errors), errors[:1])
        """,
        DEBUG="true",
        DATABASE_URL=database_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["200", "0"], result.stdout

"""check_health: readiness for monitoring scripts, exit status as Nagios reads it."""

import json

from django.core.management.base import BaseCommand

from worker import health

EXIT_STATUS = {health.OK: 0, health.DEGRADED: 1, health.FAIL: 2}


class Command(BaseCommand):
    help = (
        "Check the database, the cache, the worker, the task queue and the mail outbox, as "
        "/health/ready does. Prints one line per check (or JSON with --json) and exits 0 when all "
        "is well, 1 when background work is behind (no worker, a queue or outbox waiting too "
        "long), 2 when the service cannot serve (database or cache down)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, json: bool = False, **options):
        report = health.readiness()
        if json:
            self.stdout.write(_dumps({"status": report.status, "checks": report.checks}))
        else:
            self.stdout.write(f"{report.status.upper()}")
            for name, facts in report.checks.items():
                details = ", ".join(
                    f"{key} {value}" for key, value in facts.items() if key != "status"
                )
                self.stdout.write(
                    f"  {name}: {facts['status']}" + (f" ({details})" if details else "")
                )
        raise SystemExit(EXIT_STATUS[report.status])


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True)

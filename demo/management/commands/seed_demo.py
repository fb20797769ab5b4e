"""seed_demo: load the demo district (Birmingham Public Schools, "BPS, Better Together")."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import seed as demo

OUTCOME_MESSAGES = {
    demo.SeedOutcome.BUILT: "Loaded the demo district in {seconds:.1f} s.",
    demo.SeedOutcome.ALREADY_LOADED: "The demo is already loaded; nothing changed.",
    demo.SeedOutcome.REAL_DATA: (
        "Not loading the demo: this database holds {real} staff members that are not demo data."
    ),
}
STALE_HINT = (
    "The demo was built for {year}; run `python manage.py seed_demo --reset` to place it around "
    "today."
)
REFUSED_WITHOUT_DEBUG = (
    "Refusing to load the demo: DEBUG is off, so this may be a production server, and the demo "
    "logins (a superuser among them) share a password published in the README and printed by "
    "this command. To load it anyway, e.g. for a public demo site, run seed_demo "
    "--allow-without-debug."
)


class Command(BaseCommand):
    help = (
        "Load the demo district and its plan, placed around today. Does nothing when the demo "
        "is already loaded; --reset deletes it and builds it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Delete the demo and build it again (refused when real staff, or real logins "
                "with a demo username, are present)."
            ),
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help=(
                "Load the demo even though DEBUG is off, knowing that its logins share a "
                "published password (e.g. for a public demo site)."
            ),
        )

    def handle(self, *args, reset: bool = False, allow_without_debug: bool = False, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(REFUSED_WITHOUT_DEBUG)
        started = time.monotonic()
        try:
            outcome = demo.seed(reset=reset)
        except demo.DemoRefusedError as error:
            raise CommandError(str(error)) from error
        message = OUTCOME_MESSAGES[outcome].format(
            seconds=time.monotonic() - started, real=demo.real_staff_count()
        )
        if outcome == demo.SeedOutcome.BUILT:
            self.stdout.write(self.style.SUCCESS(message))
            self._write_counts()
        elif outcome == demo.SeedOutcome.REAL_DATA:
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(message)
            if year := demo.stale_middle_year():
                self.stdout.write(self.style.WARNING(STALE_HINT.format(year=year)))
        self._write_logins()

    def _write_counts(self) -> None:
        counts = demo.demo_counts()
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>6}")

    def _write_logins(self) -> None:
        logins = demo.demo_logins()
        if not logins:
            return
        rows = [("role", "username", "password", "who")]
        rows += [(login.role, login.username, login.password, login.who) for login in logins]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))

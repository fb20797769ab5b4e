"""generate_district: a synthetic district of any size, for benchmarks and load tests."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo import synthetic

MSG_ROSTER_ONLY_NEEDS_FILE = "--roster-only writes only the roster file: give it --roster-out."
MSG_ROSTER_SUFFIX = "The roster file must end in .xlsx or .csv: {path}"


class Command(BaseCommand):
    help = (
        "Build a deterministic synthetic district into an empty database (staff, buildings, "
        "groups, a plan with requirements, sessions around today, enrollments, completions and "
        "feed tokens), and optionally write the matching roster file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff", type=int, default=25_000, help="Staff members (25000).")
        parser.add_argument(
            "--buildings",
            type=int,
            default=60,
            help="Buildings, the central office among them (60).",
        )
        parser.add_argument("--sessions", type=int, default=3_000, help="Sessions (3000).")
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed on the same day: the same district."
        )
        parser.add_argument(
            "--roster-out",
            type=Path,
            metavar="FILE",
            help="Also write the district's staff roster to FILE (.xlsx or .csv).",
        )
        parser.add_argument(
            "--roster-only",
            action="store_true",
            help="Write only the roster file (--roster-out); leave the database alone.",
        )

    def handle(self, *args, **options):
        staff, buildings, seed = options["staff"], options["buildings"], options["seed"]
        roster_out: Path | None = options["roster_out"]
        if options["roster_only"] and roster_out is None:
            raise CommandError(MSG_ROSTER_ONLY_NEEDS_FILE)
        if roster_out is not None and roster_out.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError(MSG_ROSTER_SUFFIX.format(path=roster_out))
        if not options["roster_only"]:
            self._generate(staff, buildings, options["sessions"], seed)
        if roster_out is not None:
            started = time.monotonic()
            try:
                rows = synthetic.write_roster(
                    roster_out, staff=staff, buildings=buildings, seed=seed
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                self.style.SUCCESS(
                    f"Wrote the roster of {rows:,} staff to {roster_out} "
                    f"in {time.monotonic() - started:.1f} s."
                )
            )

    def _generate(self, staff: int, buildings: int, sessions: int, seed: int) -> None:
        started = time.monotonic()
        try:
            counts = synthetic.generate_district(
                staff=staff,
                buildings=buildings,
                sessions=sessions,
                seed=seed,
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated a synthetic district (seed {seed}) "
                f"in {time.monotonic() - started:.1f} s:"
            )
        )
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>9,}")

"""`make bench`: run every bench/bench_*.py module's figures on a throwaway database (SQLite, or
PostgreSQL when DATABASE_URL points at a server), print a line per figure and write
bench/results.json.

    python -m bench.run [--only feeds] [--quick] [--strict] [--output FILE]

A module that fails is reported with its error, its figures not reached are recorded as
missing, the others still run, and the exit status is 1. A missed target only fails the run
with --strict: these machines are noisy, and the figures are for reading.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from . import core

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
MODULE_PREFIX = "bench_"
DISTRICT_TARGET_SECONDS = 60


def discover(only: str | None = None) -> list[str]:
    """The benchmark modules' names (bench_feeds...), sorted; `only` picks one, given as
    "feeds", "bench_feeds" or "bench.bench_feeds"."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(BENCH_DIR)])
        if info.name.startswith(MODULE_PREFIX)
    )
    if only is None:
        return names
    wanted = only.removeprefix("bench.").removesuffix(".py")
    if not wanted.startswith(MODULE_PREFIX):
        wanted = MODULE_PREFIX + wanted
    if wanted not in names:
        raise SystemExit(f"No benchmark module {only!r}; there are: {', '.join(names)}.")
    return [wanted]


def run_module(
    name: str,
    load: Callable[[str], ModuleType],
    context: core.Context,
    emit: Callable[[core.Figure], None],
) -> tuple[list[core.Figure], str | None]:
    """The module's figures, each emitted as it comes, and its error (None when it ran to the
    end). On an error, every name of the module's FIGURES not yielded is a missing figure."""
    figures: list[core.Figure] = []
    module = None
    try:
        module = load(name)
        for figure in module.figures(context):
            figures.append(figure)
            emit(figure)
    except Exception as error:  # noqa: BLE001 - one module's failure must not stop the others
        reason = f"{type(error).__name__}: {error}"
        expected = list(getattr(module, "FIGURES", ()) or ())
        done = {figure.name for figure in figures}
        absent = [core.missing(figure_name, reason) for figure_name in expected]
        absent = [figure for figure in absent if figure.name not in done]
        if not expected:
            absent = [core.missing(f"{name}: its figures", reason)]
        for figure in absent:
            figures.append(figure)
            emit(figure)
        return figures, traceback.format_exc()
    return figures, None


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"bench.{name}")


def write_results(path: Path, figures: Iterable[core.Figure], *, database: str) -> None:
    path.write_text(json.dumps(core.results_json(list(figures), database=database), indent=2))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Run the benchmarks (bench/bench_*.py) on a throwaway database.",
    )
    parser.add_argument("--only", metavar="NAME", help="run one module, e.g. feeds")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, metavar="FILE", help="results file (JSON)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = discover(args.only)
    sizes = core.QUICK_SIZES if args.quick else core.FULL_SIZES
    figures: list[core.Figure] = []
    errors: dict[str, str] = {}

    def emit(figure: core.Figure) -> None:
        print(core.figure_line(figure), flush=True)

    def announce(database: str) -> None:
        print(f"Database: {database}", flush=True)

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-work-") as workdir,
        core.isolated_database(announce=announce) as databases,
    ):
        context = core.Context(
            vendor=databases.vendor,
            database_url=databases.url,
            quick=args.quick,
            workdir=Path(workdir),
            databases=databases,
            **sizes,
        )
        print(
            f"District: {context.staff:,} staff, {context.buildings} buildings, "
            f"{context.sessions:,} sessions (seed {context.seed})"
            + (" [--quick]" if args.quick else ""),
            flush=True,
        )
        for name in names:
            print(f"[{name.removeprefix(MODULE_PREFIX)}]", flush=True)
            module_figures, error = run_module(name, _load, context, emit)
            figures.extend(module_figures)
            if error is not None:
                errors[name] = error
                print(f"  {name} failed:\n{_indent(error)}", file=sys.stderr, flush=True)
        if context.district_seconds is not None:
            figure = core.at_most(
                f"generate_district, {context.staff:,} staff",
                context.district_seconds,
                DISTRICT_TARGET_SECONDS,
                unit="s",
                note=", ".join(f"{k} {v:,}" for k, v in (context.district_counts or {}).items()),
            )
            figures.append(figure)
            emit(figure)

    write_results(args.output, figures, database=context.database_label)
    missed = [figure for figure in figures if core.status(figure) in ("MISS", "MISSING")]
    print(
        f"{len(figures) - len(missed)} of {len(figures)} figures met their targets"
        f" in {time.perf_counter() - started:.0f} s; results in {_shown(args.output)}"
        + (f"; failed modules: {', '.join(errors)}" if errors else ""),
        flush=True,
    )
    if errors or (args.strict and missed):
        return 1
    return 0


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

"""export_completions: the completions workbook (.xlsx) or the Outstanding list (.csv) for the
whole district, as district PD sees it on /leaders/, with the same filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import progress
from core.ids import id_from_text
from learning.models import Building, PlanYear, Requirement
from plan.progress import (
    DISTRICT,
    Filters,
    PersonState,
    default_plan_year,
    next_sessions,
    progress_report,
)
from plan.seats import seats_against_plan
from plan.workbooks import CompletionsWorkbook, OutstandingExporter

FORMATS = {".xlsx": "the completions workbook", ".csv": "the Outstanding list"}


def _choices(values: list[str]) -> str:
    return ", ".join(values) if values else "none yet"


def _id(value: str) -> int | None:
    """A database id, or None for anything else (words, numbers beyond the column's range)."""
    return id_from_text(value.strip())


class Command(BaseCommand):
    help = (
        "Write the completions workbook (FILE.xlsx: summary, one sheet per building, "
        "outstanding, definitions) or the Outstanding list (FILE.csv) for the whole district. "
        "Filters as on /leaders/: plan year, buildings, requirement, as-of date."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, metavar="FILE", help="Where to write: .xlsx or .csv."
        )
        parser.add_argument(
            "--plan-year",
            metavar="NAME-or-ID",
            help='The plan year, by name ("2026-27") or id (default: the one holding today).',
        )
        parser.add_argument(
            "--building",
            nargs="+",
            action="extend",
            default=[],
            metavar="CODE",
            help="Only these buildings (codes; may repeat).",
        )
        parser.add_argument("--requirement", metavar="ID", help="Only this requirement (id).")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="Count as of this day (default: today)."
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        suffix = out.suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(
                f'Cannot write "{out.name}": the file must end in .xlsx (the workbook) or .csv '
                "(the Outstanding list)."
            )
        as_of = self._as_of(options["as_of"])
        requirement = self._requirement(options["requirement"])
        plan_year = self._plan_year(options["plan_year"])
        if requirement is not None:
            own_year = requirement.goal.plan_year
            if plan_year is not None and plan_year != own_year:
                raise CommandError(
                    f"Requirement {requirement.pk} belongs to plan year {own_year.name}, "
                    f"not {plan_year.name}."
                )
            plan_year = own_year
        if plan_year is None:
            plan_year = default_plan_year()
        filters = Filters(
            plan_year=plan_year,
            building_ids=frozenset(b.pk for b in self._buildings(options["building"])),
            requirement_id=requirement.pk if requirement is not None else None,
        )
        # Three steps, each long for a large district: a bar on a terminal, nothing in a file.
        steps = progress.bar(self.stdout, description="Exporting", unit="step", finished="")
        steps(0, 3)
        report = progress_report(scope=DISTRICT, filters=filters, as_of=as_of)
        steps(1, 3)
        sessions = next_sessions(item.requirement for item in report.requirements)
        steps(2, 3)
        if suffix == ".xlsx":
            export = CompletionsWorkbook(
                report, sessions=sessions, seats=seats_against_plan(report)
            ).xlsx()
        else:
            export = OutstandingExporter(report, sessions=sessions).csv()
        steps(3, 3)
        try:
            out.write_bytes(export.content)
        except OSError as error:
            raise CommandError(f'Cannot write "{out}": {error.strerror or error}.') from error

        outstanding = sum(
            1
            for item in report.requirements
            for entry in item.entries
            if entry.state in (PersonState.ENROLLED, PersonState.MISSING)
        )
        total = report.total
        rate = f"{total.percent:g}%" if total.percent is not None else "no one counted"
        year = plan_year.name if plan_year is not None else "no plan year"
        self.stdout.write(f"Wrote {FORMATS[suffix]} to {out}")
        self.stdout.write(
            f"{year}, as of {report.as_of.isoformat()}: {len(report.requirements)} "
            f"requirement(s), {total.completed} of {total.audience} completed ({rate}), "
            f"{outstanding} outstanding, {len(report.shown_buildings())} building(s)."
        )

    @staticmethod
    def _as_of(value: str | None) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                f'--as-of "{value}" is not a date: use YYYY-MM-DD, e.g. 2026-11-22.'
            ) from None

    @staticmethod
    def _plan_year(value: str | None) -> PlanYear | None:
        if value is None:
            return None
        years = list(PlanYear.objects.select_related("plan").order_by("starts_on"))
        matches = [y for y in years if y.name == value.strip()]
        if not matches and _id(value) is not None:
            matches = [y for y in years if y.pk == _id(value)]
        if len(matches) == 1:
            return matches[0]
        valid = _choices([f"{y.name} (id {y.pk}, {y.plan.name})" for y in years])
        if matches:
            raise CommandError(
                f'Plan year "{value}" names more than one plan year; give its id. Valid: {valid}.'
            )
        raise CommandError(f'Unknown plan year "{value}". Valid: {valid}.')

    @staticmethod
    def _buildings(codes: list[str]) -> list[Building]:
        if not codes:
            return []
        by_code = {b.code: b for b in Building.objects.order_by("code")}
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            names = ", ".join(f'"{code}"' for code in unknown)
            label = "building" if len(unknown) == 1 else "buildings"
            raise CommandError(f"Unknown {label} {names}. Valid codes: {_choices(list(by_code))}.")
        return [by_code[code] for code in codes]

    @staticmethod
    def _requirement(value: str | None) -> Requirement | None:
        if value is None:
            return None
        requirement = None
        if _id(value) is not None:
            requirement = (
                Requirement.objects.select_related("goal__plan_year").filter(pk=_id(value)).first()
            )
        if requirement is None:
            valid = _choices(
                [
                    f"{r.pk} ({r.goal.plan_year.name}: {r})"
                    for r in Requirement.objects.select_related(
                        "goal__plan_year", "course", "strand"
                    ).order_by("goal__plan_year__starts_on", "pk")
                ]
            )
            raise CommandError(f'Unknown requirement "{value}". Valid ids: {valid}.')
        return requirement

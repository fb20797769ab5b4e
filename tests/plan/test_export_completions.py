"""manage.py export_completions: the district's workbook or Outstanding CSV, with the filters of
/leaders/ and clear errors for values that name nothing."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from plan.workbooks import OUTSTANDING_HEADER
from tests.factories import GoalFactory, PlanYearFactory, RequirementFactory
from tests.plan.test_workbooks import build_district


@pytest.fixture
def district(db, settings):
    settings.DISTRICT_NAME = "Birmingham Public Schools"
    return build_district()


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_completions", *args, stdout=out)
    return out.getvalue()


def test_writes_the_workbook_and_a_summary_line(district, tmp_path):
    path = tmp_path / "completions.xlsx"
    output = export("--out", str(path), "--plan-year", "2026-27", "--as-of", "2026-11-22")
    assert output.splitlines() == [
        f"Wrote the completions workbook to {path}",
        "2026-27, as of 2026-11-22: 2 requirement(s), 3 of 8 completed (37.5%), "
        "4 outstanding, 3 building(s).",
    ]
    book = load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "@evil",
        "Maple Elementary",
        "Oak Middle",
        "Outstanding",
        "Seats",
        "Definitions",
    ]
    assert book["Summary"]["A3"].value == "Scope: District"
    assert book["Summary"]["A9"].value == "District total"


def test_plan_year_by_id_and_buildings_narrow_the_workbook(district, tmp_path):
    path = tmp_path / "oak.xlsx"
    export(
        "--out",
        str(path),
        "--plan-year",
        str(district.year.pk),
        "--building",
        "oak",
        "--as-of",
        "2026-11-22",
    )
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Oak Middle", "Outstanding", "Seats", "Definitions"]
    definitions = {row[0]: row[1] for row in book["Definitions"].iter_rows(values_only=True)}
    assert definitions["Buildings"] == "Oak Middle"


def test_csv_is_the_outstanding_list(district, tmp_path):
    path = tmp_path / "outstanding.csv"
    output = export(
        "--out", str(path), "--requirement", str(district.requirement_a.pk), "--as-of", "2026-11-22"
    )
    assert output.startswith(f"Wrote the Outstanding list to {path}\n")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == list(OUTSTANDING_HEADER)
    assert [row[0] for row in rows[1:]] == ["Evans", "Baker", "Hyper", "Diaz"]


def test_requirement_brings_its_own_plan_year(district, tmp_path):
    """Without --plan-year the default is the year holding today; a requirement of another year
    is still found, as on /leaders/."""
    other_year = PlanYearFactory(plan=district.year.plan, name="2027-28")
    other = RequirementFactory(goal=GoalFactory(plan_year=other_year), title="Next year")
    path = tmp_path / "next.xlsx"
    output = export("--out", str(path), "--requirement", str(other.pk), "--as-of", "2026-11-22")
    assert "2027-28, as of 2026-11-22: 1 requirement(s)" in output
    assert load_workbook(path)["Summary"]["B5"].value == "Next year"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan-year", "1999-00"], 'Unknown plan year "1999-00". Valid: 2026-27 (id '),
        (["--plan-year", "99999999999999999999999"], 'Unknown plan year "99999999999999999999999"'),
        (["--building", "oak", "nowhere"], 'Unknown building "nowhere". Valid codes: evil, maple'),
        (["--requirement", "abc"], 'Unknown requirement "abc". Valid ids: '),
        (["--as-of", "22/11/2026"], '--as-of "22/11/2026" is not a date: use YYYY-MM-DD'),
    ],
)
def test_unknown_values_are_named_with_the_valid_choices(district, tmp_path, args, message):
    path = tmp_path / "out.xlsx"
    with pytest.raises(CommandError) as error:
        export("--out", str(path), *args)
    assert message in str(error.value)
    assert not path.exists()


def test_requirement_list_in_the_error(district, tmp_path):
    with pytest.raises(CommandError) as error:
        export("--out", str(tmp_path / "out.xlsx"), "--requirement", "0")
    assert f"{district.requirement_a.pk} (2026-27: CRT for all)" in str(error.value)


def test_requirement_of_another_plan_year_is_refused(district, tmp_path):
    PlanYearFactory(plan=district.year.plan, name="2027-28")
    with pytest.raises(CommandError, match="belongs to plan year 2026-27, not 2027-28"):
        export(
            "--out",
            str(tmp_path / "out.xlsx"),
            "--plan-year",
            "2027-28",
            "--requirement",
            str(district.requirement_a.pk),
        )


def test_file_type_and_unwritable_paths_are_errors(district, tmp_path):
    with pytest.raises(CommandError, match=r'Cannot write "out.pdf": the file must end in \.xlsx'):
        export("--out", str(tmp_path / "out.pdf"))
    with pytest.raises(CommandError, match="Cannot write"):
        export("--out", str(tmp_path / "missing-folder" / "out.xlsx"))

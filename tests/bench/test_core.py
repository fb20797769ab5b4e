"""The benchmark harness (bench.core, bench.run): figures, targets against floors, the results
file, the timing and memory helpers' logic, module discovery and a failing module. Nothing here
asserts how fast anything is."""

import json
import sqlite3
import sys
import types

import pytest

from bench import core, run
from learning.models import Building

# Figures and targets


def test_a_figure_against_its_floor_is_met_up_to_the_ratio():
    figure = core.against_floor("feed", 13.0, 10.0, unit="ms")

    assert figure.ratio == pytest.approx(1.3)
    assert figure.met is True
    assert figure.target == "<= 1.3x floor"
    assert figure.floor == 10.0


def test_a_figure_above_the_ratio_misses():
    figure = core.against_floor("feed", 13.1, 10.0, unit="ms")

    assert figure.met is False
    assert core.status(figure) == "MISS"


def test_a_floor_of_zero_is_never_met():
    figure = core.against_floor("feed", 1.0, 0.0, unit="ms")

    assert figure.met is False


def test_a_custom_ratio_names_itself_in_the_target():
    figure = core.against_floor("import", 2.0, 1.0, unit="s", max_ratio=2)

    assert figure.target == "<= 2x floor"
    assert figure.met is True


def test_limits_at_most_and_at_least():
    assert core.at_most("json", 500, 500, unit="ms").met is True
    assert core.at_most("json", 501, 500, unit="ms").met is False
    assert core.at_most("json", 10, 500, unit="ms").target == "<= 500 ms"
    assert core.at_least("speedup", 10, 10, unit="x").met is True
    assert core.at_least("speedup", 9.9, 10, unit="x").met is False
    assert core.at_least("speedup", 12, 10, unit="x").target == ">= 10 x"


def test_a_reported_figure_has_no_target_and_counts_as_met():
    figure = core.reported("req/s", 812.5, unit="req/s")

    assert figure.target is None
    assert figure.met is True
    assert core.status(figure) == "INFO"


def test_a_missing_figure_has_no_value_and_says_why():
    figure = core.missing("feed", "RuntimeError: boom")

    assert figure.value is None
    assert figure.met is False
    assert core.status(figure) == "MISSING"
    assert "boom" in figure.note


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "0"),
        (25000, "25,000"),
        (3.0, "3"),
        (1234.56, "1,235"),
        (12.345, "12.3"),
        (1.2345, "1.23"),
        (0.012345, "0.0123"),
    ],
)
def test_numbers_are_shown_with_three_significant_digits(value, text):
    assert core.format_number(value) == text


def test_a_line_shows_floor_and_ratio_only_where_a_floor_applies():
    with_floor = core.figure_line(core.against_floor("personal feed", 12.5, 10.0, unit="ms"))
    without = core.figure_line(core.at_most("personal feed, warm", 2.5, 3, unit="ms"))

    assert "personal feed" in with_floor
    assert "12.5 ms" in with_floor
    assert "floor" in with_floor and "10 ms" in with_floor
    assert "ratio  1.25" in with_floor
    assert with_floor.endswith("PASS")
    assert "floor" not in without
    assert "ratio" not in without
    assert "<= 3 ms" in without


def test_a_note_goes_on_its_own_line():
    line = core.figure_line(core.at_most("x", 1, 2, unit="s", note="60 meetings"))

    assert line.splitlines()[1].strip() == "60 meetings"


# The results file


def test_the_results_are_a_list_of_objects_with_null_where_none_applies(tmp_path):
    figures = [
        core.against_floor("feed", 12.34567, 10.0, unit="ms"),
        core.Figure("queries", 0, "endpoints", target="0", met=True),
        core.missing("workbook", "boom"),
    ]
    path = tmp_path / "results.json"

    run.write_results(path, figures, database="PostgreSQL")
    data = json.loads(path.read_text())

    assert isinstance(data, list) and len(data) == 3
    expected_keys = {"name", "value", "unit", "target", "floor", "ratio", "met"}
    assert all(expected_keys <= set(item) for item in data)
    assert data[0]["value"] == 12.3457
    assert data[0]["ratio"] == pytest.approx(1.2346)
    assert data[0]["met"] is True
    assert data[1]["floor"] is None and data[1]["ratio"] is None
    assert data[2]["value"] is None and data[2]["met"] is False and data[2]["target"] is None
    assert {item["database"] for item in data} == {"PostgreSQL"}


# Timings and memory


class FakeClock:
    """perf_counter for the timing helpers: each call returns the next tick."""

    def __init__(self, ticks):
        self.ticks = iter(ticks)

    def __call__(self):
        return next(self.ticks)


def test_timed_skips_the_warmup_and_takes_the_best_sample(monkeypatch):
    # Samples (end - start): warmup 1.0, then 0.5, 0.2, 0.4.
    clock = FakeClock([0, 1.0, 10, 10.5, 20, 20.2, 30, 30.4])
    monkeypatch.setattr(core.time, "perf_counter", clock)
    setups = []

    best = core.timed(lambda: None, repeat=3, warmup=1, setup=lambda: setups.append(1))

    assert best == pytest.approx(0.2)
    assert len(setups) == 4


def test_timed_median_and_calls_per_sample(monkeypatch):
    # Three samples of two calls each: 1.0, 3.0, 2.0 seconds, so 0.5, 1.5, 1.0 per call.
    clock = FakeClock([0, 1.0, 10, 13.0, 20, 22.0])
    monkeypatch.setattr(core.time, "perf_counter", clock)
    calls = []

    median = core.timed(lambda: calls.append(1), repeat=3, warmup=0, number=2, stat="median")

    assert median == pytest.approx(1.0)
    assert len(calls) == 6


def test_compare_alternates_subject_and_floor():
    order = []

    core.compare(lambda: order.append("A"), lambda: order.append("B"), repeat=2, warmup=1)

    assert order == ["A", "B", "A", "B", "A", "B"]


def test_an_unknown_statistic_is_refused():
    with pytest.raises(ValueError, match="stat"):
        core.timed(lambda: None, repeat=1, warmup=0, stat="mean")


def test_peak_memory_sees_what_the_call_allocates():
    def allocate():
        block = bytearray(20 * core.MB)
        return len(block)

    peak = core.peak_memory(allocate)

    assert 20 * core.MB <= peak < 30 * core.MB


def test_a_child_process_is_measured_whole():
    child = core.run_child([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"])

    assert child.returncode == 3
    assert child.stdout.strip() == "out"
    assert child.peak_rss > 1 * core.MB
    assert child.seconds > 0


def test_a_child_peak_is_its_own_not_the_parents():
    parent = bytearray(300 * core.MB)
    parent[::4096] = b"x" * len(parent[::4096])  # resident, not only reserved
    code = (
        "import time; block = bytearray(80 * 2**20); "
        "block[::4096] = b'x' * len(block[::4096]); time.sleep(0.2)"
    )

    small = core.run_child([sys.executable, "-c", "pass"])
    large = core.run_child([sys.executable, "-c", code])

    assert small.peak_rss < 100 * core.MB
    assert 80 * core.MB < large.peak_rss < 200 * core.MB
    del parent


def test_count_queries_counts_the_default_connection(db):
    queries, result = core.count_queries(
        lambda: (Building.objects.count(), list(Building.objects.all()))
    )

    assert queries == 2
    assert result == (0, [])


# Throwaway databases


@pytest.mark.parametrize(
    ("url", "vendor"),
    [
        (None, "sqlite"),
        ("", "sqlite"),
        ("sqlite:///var/db.sqlite3", "sqlite"),
        ("postgres://postgres@127.0.0.1:5432/test", "postgresql"),
        ("postgresql://u:p@db/x", "postgresql"),
    ],
)
def test_the_vendor_comes_from_the_url(url, vendor):
    assert core.vendor_of(url) == vendor


def test_another_vendor_is_refused():
    with pytest.raises(ValueError, match="mysql"):
        core.vendor_of("mysql://root@localhost/x")


def test_a_throwaway_database_is_on_the_same_server_under_its_own_name():
    url = "postgres://postgres:secret@127.0.0.1:5432/test?sslmode=disable"

    assert core.with_database_name(url, "bench_42") == (
        "postgres://postgres:secret@127.0.0.1:5432/bench_42?sslmode=disable"
    )


def test_isolated_database_refuses_a_django_already_set_up():
    with pytest.raises(RuntimeError, match="before django.setup"):
        with core.isolated_database():
            pass


def test_throwaway_databases_are_named_bench_and_only_they_are_dropped():
    databases = core.ThrowawayDatabases(
        vendor="sqlite", name="bench_1", server=core._SQLiteServer()
    )
    try:
        with pytest.raises(ValueError, match="bench_"):
            databases.create("test")
        with pytest.raises(ValueError, match="not created"):
            databases.drop("bench_other")
    finally:
        databases.drop_all()


def test_a_scratch_sqlite_database_is_a_copy_of_its_template_and_all_go_at_the_end():
    server = core._SQLiteServer()
    databases = core.ThrowawayDatabases(vendor="sqlite", name="bench_1", server=server)
    databases.create("bench_1")
    with sqlite3.connect(server.directory / "bench_1.sqlite3") as connection:
        connection.execute("CREATE TABLE marker (id INTEGER)")
        connection.execute("INSERT INTO marker VALUES (7)")
    connection.close()

    url = databases.create("bench_1_s1", template="bench_1")
    copy = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        assert copy.execute("SELECT id FROM marker").fetchall() == [(7,)]
    finally:
        copy.close()

    databases.drop_all()
    assert not server.directory.exists()


# Running the modules


def test_discover_finds_the_modules_and_picks_one():
    names = run.discover()

    assert {"bench_feeds", "bench_reports", "bench_api"} <= set(names)
    assert names == sorted(names)
    assert run.discover("feeds") == ["bench_feeds"]
    assert run.discover("bench_feeds") == ["bench_feeds"]
    assert run.discover("bench.bench_api") == ["bench_api"]
    with pytest.raises(SystemExit):
        run.discover("nothing")


def _module(figures, names=None):
    module = types.ModuleType("bench_fake")
    module.figures = figures
    if names is not None:
        module.FIGURES = names
    return module


def test_a_module_that_fails_keeps_what_it_measured_and_the_rest_is_missing():
    def figures(context):
        yield core.at_most("first", 1, 2, unit="s")
        raise RuntimeError("the database went away")

    module = _module(figures, names=("first", "second", "third"))
    emitted = []

    figures_, error = run.run_module("bench_fake", lambda name: module, None, emitted.append)

    assert [figure.name for figure in figures_] == ["first", "second", "third"]
    assert figures_[0].met is True
    assert [figure.value for figure in figures_[1:]] == [None, None]
    assert all("the database went away" in figure.note for figure in figures_[1:])
    assert emitted == figures_
    assert "RuntimeError" in error


def test_a_module_without_names_that_fails_is_one_missing_figure():
    def figures(context):
        raise KeyError("staff")
        yield  # a generator

    figures_, error = run.run_module(
        "bench_fake", lambda name: _module(figures), None, lambda figure: None
    )

    assert [figure.name for figure in figures_] == ["bench_fake: its figures"]
    assert figures_[0].met is False
    assert error is not None


def test_a_module_that_cannot_be_imported_is_reported():
    def load(name):
        raise ImportError("no module named demo.synthetic")

    figures_, error = run.run_module("bench_fake", load, None, lambda figure: None)

    assert len(figures_) == 1 and figures_[0].value is None
    assert "ImportError" in error


def test_a_module_that_succeeds_has_no_error():
    def figures(context):
        assert context == "the context"
        yield core.reported("a", 1, unit="x")

    figures_, error = run.run_module(
        "bench_fake", lambda name: _module(figures, names=("a",)), "the context", lambda f: None
    )

    assert error is None
    assert [figure.name for figure in figures_] == ["a"]

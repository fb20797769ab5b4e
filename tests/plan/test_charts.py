"""The report charts' geometry and markup: bars proportional to the rate, the target where it
belongs, the trend and expected lines on the time axis, and names escaped."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from plan import charts
from plan.progress import TrendPoint

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_bar_length_is_proportional_to_the_rate():
    chart = charts.rate_bars(
        [("Maple", 3, 4), ("Oak", 1, 2), ("Pine", 0, 5), ("Elm", 7, 7)], target_percent=80
    )
    lengths = {bar.label: bar.length for bar in chart.bars}
    assert lengths["Elm"] == chart.plot_width
    assert lengths["Maple"] == pytest.approx(chart.plot_width * 0.75, abs=0.1)
    assert lengths["Oak"] == pytest.approx(chart.plot_width * 0.5, abs=0.1)
    assert lengths["Pine"] == 0
    assert [bar.percent for bar in chart.bars] == [75.0, 50.0, 0.0, 100.0]
    assert [bar.met for bar in chart.bars] == [False, False, False, True]


def test_bars_stack_downwards_and_the_chart_grows_with_them():
    few = charts.rate_bars([("A", 1, 2)], target_percent=50)
    many = charts.rate_bars([(f"B{n}", 1, 2) for n in range(10)], target_percent=50)
    ys = [bar.y for bar in many.bars]
    assert ys == sorted(ys) and len(set(ys)) == 10
    assert many.height > few.height
    assert all(bar.y + charts.BAR_HEIGHT <= many.plot_bottom for bar in many.bars)


def test_rows_without_anyone_counted_get_no_bar():
    chart = charts.rate_bars([("Empty", 0, 0), ("Full", 2, 2)], target_percent=90)
    assert [bar.label for bar in chart.bars] == ["Full"]


@pytest.mark.parametrize("target", [0, 25, 80, 100])
def test_target_marker_sits_at_the_target_share_of_the_plot(target):
    chart = charts.rate_bars([("A", 1, 2)], target_percent=target)
    assert chart.target_x == pytest.approx(chart.plot_left + chart.plot_width * target / 100)
    svg = parse(charts.bar_chart_svg(chart, chart_id="c", title="T", description="D"))
    marker = svg.find(f"{SVG}line[@class='chart__target']")
    assert float(marker.get("x1")) == pytest.approx(chart.target_x, abs=0.1)
    assert marker.get("x1") == marker.get("x2")


def test_bar_svg_draws_each_bar_with_its_length_and_words():
    chart = charts.rate_bars([("Maple", 3, 4), ("Oak", 2, 2)], target_percent=80)
    svg = parse(charts.bar_chart_svg(chart, chart_id="c", title="T", description="D"))
    bars = svg.findall(f".//{SVG}rect")
    drawn = [r for r in bars if "chart__bar " in r.get("class")]
    assert [float(r.get("width")) for r in drawn] == [bar.length for bar in chart.bars]
    assert [r.get("class") for r in drawn] == [
        "chart__bar chart__bar--below",
        "chart__bar chart__bar--met",
    ]
    values = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart__value"]
    assert values == ["75% (3/4), below target", "100% (2/2), target met"]


def test_svg_is_named_by_its_title_and_description():
    chart = charts.rate_bars([("Maple", 1, 2)], target_percent=50)
    svg = parse(
        charts.bar_chart_svg(chart, chart_id="chart-x", title="Rates", description="By building")
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-x-title chart-x-desc"
    assert svg.find(f"{SVG}title").get("id") == "chart-x-title"
    assert svg.find(f"{SVG}title").text == "Rates"
    assert svg.find(f"{SVG}desc").text == "By building"


def test_names_are_escaped():
    evil = '<script>alert("x")</script> & "Co"'
    chart = charts.rate_bars([(evil, 1, 2)], target_percent=50)
    markup = str(charts.bar_chart_svg(chart, chart_id="c", title=f"Rate: {evil}", description=evil))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    svg = parse(markup)  # still well-formed XML
    full_names = [t.text for t in svg.iter(f"{SVG}title")]
    assert evil in full_names
    assert svg.find(f"{SVG}title").text == f"Rate: {evil}"


def test_long_names_are_shortened_but_kept_whole_in_a_tooltip():
    name = "The Very Long Name of an Early Childhood Center"
    chart = charts.rate_bars([(name, 1, 2)], target_percent=50)
    bar = chart.bars[0]
    assert len(bar.short_label) <= charts.LABEL_CHARS and bar.short_label.endswith("…")
    svg = parse(charts.bar_chart_svg(chart, chart_id="c", title="T", description="D"))
    label = next(t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart__label")
    assert label.find(f"{SVG}title").text == name


def test_empty_bar_chart_says_so():
    chart = charts.rate_bars([], target_percent=50)
    markup = str(charts.bar_chart_svg(chart, chart_id="c", title="T", description="D"))
    assert "Nobody is counted." in markup


# The progress line.

START = dt.date(2026, 7, 1)
DUE = dt.date(2027, 6, 30)


def trend(*points):
    return [TrendPoint(day, completed, audience) for day, completed, audience in points]


def test_line_points_sit_on_the_time_and_percent_axes():
    chart = charts.progress_line(
        trend((dt.date(2026, 7, 31), 0, 10), (dt.date(2026, 8, 31), 5, 10)),
        starts_on=START,
        due_on=DUE,
        target_percent=80,
    )
    span = (DUE - START).days
    plot_width = chart.right - chart.left
    plot_height = chart.bottom - chart.top
    first, second = chart.points
    assert first.x == pytest.approx(chart.left + plot_width * 30 / span, abs=0.1)
    assert second.x == pytest.approx(chart.left + plot_width * 61 / span, abs=0.1)
    assert first.y == chart.bottom  # 0%
    assert second.y == pytest.approx(chart.bottom - plot_height * 0.5, abs=0.1)
    assert chart.polyline == f"{first.x:g},{first.y:g} {second.x:g},{second.y:g}"


def test_target_and_expected_lines():
    chart = charts.progress_line([], starts_on=START, due_on=DUE, target_percent=80)
    plot_height = chart.bottom - chart.top
    assert chart.target_y == pytest.approx(chart.bottom - plot_height * 0.8, abs=0.1)
    x1, y1, x2, y2 = chart.expected
    # From 0% on the plan year's first day to the target on the due date.
    assert (x1, y1) == (chart.left, chart.bottom)
    assert (x2, y2) == (chart.right, chart.target_y)
    svg = parse(charts.line_chart_svg(chart, chart_id="t", title="T", description="D"))
    expected = svg.find(f"{SVG}line[@class='chart__expected']")
    assert float(expected.get("x2")) == pytest.approx(chart.right)
    assert svg.find(f"{SVG}polyline") is None  # no months yet: no trend drawn


def test_month_labels_start_with_the_plan_year():
    chart = charts.progress_line([], starts_on=START, due_on=DUE, target_percent=80)
    labels = [label for _x, label in chart.x_ticks]
    assert labels[0] == "Jul" and labels[-1] == "Jun" and len(labels) == 12
    xs = [x for x, _label in chart.x_ticks]
    assert xs == sorted(xs) and xs[0] == chart.left


def test_line_svg_draws_the_trend_with_a_point_per_month():
    chart = charts.progress_line(
        trend(
            (dt.date(2026, 7, 31), 1, 10),
            (dt.date(2026, 8, 31), 3, 10),
            (dt.date(2026, 9, 15), 4, 10),
        ),
        starts_on=START,
        due_on=DUE,
        target_percent=90,
    )
    markup = str(charts.line_chart_svg(chart, chart_id="t", title="T", description="D"))
    svg = parse(markup)
    assert svg.find(f"{SVG}polyline").get("points") == chart.polyline
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == 3
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "Jul 31: 10%",
        "Aug 31: 30%",
        "Sep 15: 40%",
    ]
    assert re.search(r"Target 90%", markup)


def test_a_rate_shown_rounded_up_to_the_target_is_not_met():
    # 17 of 21 is 80.95%: shown as 81% but short of an 81% target.
    (bar,) = charts.rate_bars([("Maple", 17, 21)], target_percent=81).bars
    assert bar.percent == 81.0
    assert bar.met is False

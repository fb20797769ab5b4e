"""The report charts as server-drawn SVG: no chart library and no script, so they show in any
browser, print, and work on the district's closed networks.

Each chart is two steps: a pure function works out the geometry (tested on its numbers), and a
renderer writes it as SVG markup with format_html, so every name (building names are people's
input) is escaped. Colours come from CSS classes; every value is also written as text, and the
page puts a table with the same numbers beside each chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Bar chart: names on the left, bars in the middle, values on the right.
BAR_WIDTH = 760
BAR_LABEL_WIDTH = 200
BAR_VALUE_WIDTH = 210
BAR_PLOT_WIDTH = BAR_WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_WIDTH
BAR_HEIGHT = 22
BAR_GAP = 10
BAR_TOP = 28
BAR_BOTTOM = 30  # room for the target's label under the bars
LABEL_CHARS = 26

# Line chart.
LINE_WIDTH = 720
LINE_HEIGHT = 300
LINE_LEFT = 52
LINE_RIGHT = 24
LINE_TOP = 16
LINE_BOTTOM = 64


def _n(value: float) -> str:
    """A coordinate for SVG: one decimal at most, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent_text(percent: float | None) -> str:
    if percent is None:
        return "no one counted"
    return f"{_n(percent)}%"


def _shorten(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    completed: int
    audience: int
    percent: float
    met: bool
    y: float
    length: float

    @property
    def text(self) -> str:
        verdict = "target met" if self.met else "below target"
        return f"{_n(self.percent)}% ({self.completed}/{self.audience}), {verdict}"


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_width: int
    target_percent: float
    target_x: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]

    @property
    def plot_bottom(self) -> float:
        """Below the last bar: the grid and the target line end here."""
        return self.height - BAR_BOTTOM + 4


def rate_bars(rows: Sequence[tuple[str, int, int]], *, target_percent: float) -> BarChart:
    """Horizontal bars, one per (name, completed, audience) with anyone counted, their length
    proportional to the completion rate (100% fills the plot), and the target's x."""
    counted = [(name, completed, audience) for name, completed, audience in rows if audience > 0]
    bars = []
    for index, (name, completed, audience) in enumerate(counted):
        percent = round(completed * 100 / audience, 1)
        bars.append(
            Bar(
                label=name,
                short_label=_shorten(name),
                completed=completed,
                audience=audience,
                percent=percent,
                met=completed * 100 >= target_percent * audience,
                y=BAR_TOP + index * (BAR_HEIGHT + BAR_GAP),
                length=round(BAR_PLOT_WIDTH * completed / audience, 1),
            )
        )
    height = BAR_TOP + max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + BAR_BOTTOM
    return BarChart(
        width=BAR_WIDTH,
        height=height,
        plot_left=BAR_LABEL_WIDTH,
        plot_width=BAR_PLOT_WIDTH,
        target_percent=target_percent,
        target_x=round(BAR_LABEL_WIDTH + BAR_PLOT_WIDTH * float(target_percent) / 100, 1),
        bars=tuple(bars),
        ticks=tuple(
            (round(BAR_LABEL_WIDTH + BAR_PLOT_WIDTH * p / 100, 1), f"{p}%") for p in (0, 50, 100)
        ),
    )


def bar_chart_svg(chart: BarChart, *, chart_id: str, title: str, description: str) -> SafeString:
    """The bar chart as inline SVG, named by its <title> and <desc>."""
    ticks = format_html_join(
        "",
        '<line class="chart__grid" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>'
        '<text class="chart__tick" x="{0}" y="{3}" text-anchor="middle">{4}</text>',
        (
            (_n(x), _n(BAR_TOP - 6), _n(chart.plot_bottom), _n(BAR_TOP - 10), label)
            for x, label in chart.ticks
        ),
    )
    bars = format_html_join(
        "",
        "<g>"
        '<text class="chart__label" x="{0}" y="{1}" text-anchor="end">{2}<title>{3}</title></text>'
        '<rect class="chart__track" x="{4}" y="{5}" width="{6}" height="{7}"/>'
        '<rect class="chart__bar chart__bar--{8}" x="{4}" y="{5}" width="{9}" height="{7}"/>'
        '<text class="chart__value" x="{10}" y="{1}">{11}</text>'
        "</g>",
        (
            (
                _n(chart.plot_left - 8),
                _n(bar.y + BAR_HEIGHT / 2 + 5),
                bar.short_label,
                bar.label,
                _n(chart.plot_left),
                _n(bar.y),
                _n(chart.plot_width),
                _n(BAR_HEIGHT),
                "met" if bar.met else "below",
                _n(bar.length),
                _n(chart.plot_left + chart.plot_width + 8),
                bar.text,
            )
            for bar in chart.bars
        ),
    )
    empty = (
        format_html(
            '<text class="chart__label" x="{}" y="{}">Nobody is counted.</text>',
            _n(chart.plot_left + 8),
            _n(BAR_TOP + BAR_HEIGHT / 2 + 5),
        )
        if not chart.bars
        else SafeString("")
    )
    target = format_html(
        '<line class="chart__target" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>'
        '<text class="chart__target-label" x="{0}" y="{3}" text-anchor="middle">'
        "Target {4}%</text>",
        _n(chart.target_x),
        _n(BAR_TOP - 4),
        _n(chart.plot_bottom),
        _n(chart.plot_bottom + 18),
        _n(float(chart.target_percent)),
    )
    return _svg(
        chart_id, chart.width, chart.height, title, description, ticks + bars + empty + target
    )


@dataclass(frozen=True)
class LinePoint:
    day: dt.date
    completed: int
    audience: int
    percent: float | None
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    points: tuple[LinePoint, ...]
    target_percent: float
    target_y: float
    expected: tuple[float, float, float, float]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{_n(p.x)},{_n(p.y)}" for p in self.points if p.percent is not None)


def progress_line(
    trend: Sequence,
    *,
    starts_on: dt.date,
    due_on: dt.date,
    target_percent: float,
) -> LineChart:
    """The month-by-month completed share (trend points with month_end, completed, audience,
    percent) on a time axis from the plan year's first day to the due date (or the last point,
    if later), with the target as a level line and the expected straight line from 0% at the
    start to the target on the due date."""
    ends_on = max([due_on, *(point.month_end for point in trend)])
    span = max((ends_on - starts_on).days, 1)
    right = LINE_WIDTH - LINE_RIGHT
    bottom = LINE_HEIGHT - LINE_BOTTOM
    plot_width = right - LINE_LEFT
    plot_height = bottom - LINE_TOP

    def x_of(day: dt.date) -> float:
        return round(LINE_LEFT + plot_width * (day - starts_on).days / span, 1)

    def y_of(percent: float) -> float:
        return round(bottom - plot_height * min(max(percent, 0), 100) / 100, 1)

    points = tuple(
        LinePoint(
            day=point.month_end,
            completed=point.completed,
            audience=point.audience,
            percent=point.percent,
            x=x_of(point.month_end),
            y=y_of(point.percent or 0),
        )
        for point in trend
    )
    x_ticks = []
    year, month = starts_on.year, starts_on.month
    months = []
    while (year, month) <= (ends_on.year, ends_on.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    step = max(1, -(-len(months) // 12))  # at most about twelve labels
    for index, first in enumerate(months):
        if index % step == 0:
            x_ticks.append((x_of(max(first, starts_on)), f"{first:%b}"))
    return LineChart(
        width=LINE_WIDTH,
        height=LINE_HEIGHT,
        left=LINE_LEFT,
        right=right,
        top=LINE_TOP,
        bottom=bottom,
        points=points,
        target_percent=float(target_percent),
        target_y=y_of(float(target_percent)),
        expected=(x_of(starts_on), y_of(0), x_of(due_on), y_of(float(target_percent))),
        x_ticks=tuple(x_ticks),
        y_ticks=tuple((y_of(p), f"{p}%") for p in (0, 25, 50, 75, 100)),
    )


def line_chart_svg(chart: LineChart, *, chart_id: str, title: str, description: str) -> SafeString:
    """The progress line chart as inline SVG, named by its <title> and <desc>, with a legend."""
    grid = format_html_join(
        "",
        '<line class="chart__grid" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>'
        '<text class="chart__tick" x="{3}" y="{4}" text-anchor="end">{5}</text>',
        (
            (_n(chart.left), _n(y), _n(chart.right), _n(chart.left - 6), _n(y + 4), label)
            for y, label in chart.y_ticks
        ),
    )
    months = format_html_join(
        "",
        '<text class="chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_n(x), _n(chart.bottom + 18), label) for x, label in chart.x_ticks),
    )
    x1, y1, x2, y2 = chart.expected
    lines = format_html(
        '<line class="chart__axis" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>'
        '<line class="chart__target" x1="{0}" y1="{3}" x2="{2}" y2="{3}"/>'
        '<line class="chart__expected" x1="{4}" y1="{5}" x2="{6}" y2="{7}"/>',
        _n(chart.left),
        _n(chart.bottom),
        _n(chart.right),
        _n(chart.target_y),
        _n(x1),
        _n(y1),
        _n(x2),
        _n(y2),
    )
    trend = SafeString("")
    if chart.polyline:
        trend = format_html(
            '<polyline class="chart__trend" points="{}"/>{}',
            chart.polyline,
            format_html_join(
                "",
                '<circle class="chart__point" cx="{}" cy="{}" r="4"><title>{}: {}</title></circle>',
                (
                    (_n(p.x), _n(p.y), f"{p.day:%b} {p.day.day}", _percent_text(p.percent))
                    for p in chart.points
                    if p.percent is not None
                ),
            ),
        )
    legend_y = chart.height - 14
    legend = format_html(
        '<g class="chart__legend">'
        '<line class="chart__trend" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>'
        '<text x="{3}" y="{4}">Completed</text>'
        '<line class="chart__expected" x1="{5}" y1="{1}" x2="{6}" y2="{1}"/>'
        '<text x="{7}" y="{4}">Expected by then</text>'
        '<line class="chart__target" x1="{8}" y1="{1}" x2="{9}" y2="{1}"/>'
        '<text x="{10}" y="{4}">Target {11}%</text>'
        "</g>",
        _n(chart.left),
        _n(legend_y),
        _n(chart.left + 28),
        _n(chart.left + 34),
        _n(legend_y + 4),
        _n(chart.left + 140),
        _n(chart.left + 168),
        _n(chart.left + 174),
        _n(chart.left + 330),
        _n(chart.left + 358),
        _n(chart.left + 364),
        _n(chart.target_percent),
    )
    body = grid + months + lines + trend + legend
    return _svg(chart_id, chart.width, chart.height, title, description, body)


def _svg(
    chart_id: str, width: int, height: int, title: str, description: str, body: str
) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img" '
        'aria-labelledby="{2}-title {2}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{2}-title">{3}</title><desc id="{2}-desc">{4}</desc>{5}</svg>',
        width,
        height,
        chart_id,
        title,
        description,
        body,
    )

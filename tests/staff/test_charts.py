"""The queue's overview charts: Python places every shape from the numbers, the template only draws it."""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup

from clinic import create_app
from clinic.services.casework.queue import Overview, Week
from clinic.staff import charts
from clinic.triage.enums import Phq9Band, Priority
from tests.conftest import base_config

MONDAYS = [date(2026, 9, 7) + timedelta(weeks=i) for i in range(12)]
PLOT_BOTTOM, PLOT_HEIGHT = 216, 180


def week(monday: date, urgent: int = 0, high: int = 0, routine: int = 0) -> Week:
    return Week(monday, {Priority.URGENT: urgent, Priority.HIGH: high, Priority.ROUTINE: routine})


def overview(*weeks: Week, **bands: int) -> Overview:
    return Overview(weeks=list(weeks), bands={band: bands.get(band.value, 0) for band in Phq9Band})


@pytest.fixture(scope="module")
def macros():
    """The chart macros as the app's Jinja environment loads them (no database, no request needed)."""
    return create_app(base_config("sqlite://")).jinja_env.get_template("_macros/charts.html").module


@pytest.mark.parametrize(
    ("tallest", "top"), [(0, 4), (1, 4), (4, 4), (5, 8), (9, 20), (21, 40), (41, 80), (81, 100), (401, 800)]
)
def test_axis_top_is_round_and_never_below_the_tallest_bar(tallest, top):
    assert charts._nice_max(tallest) == top


def test_bars_stack_urgent_at_the_bottom_in_proportion_to_the_axis():
    chart = charts.weekly_bars(overview(week(MONDAYS[0], urgent=2, high=1, routine=1)))
    (column,) = chart.columns
    urgent, high, routine = column.segments
    assert [s.name for s in column.segments] == ["urgent", "high", "routine"]
    assert urgent.y + urgent.height == PLOT_BOTTOM  # the axis top is 4: 2 urgent fill half the plot
    assert (urgent.height, high.height, routine.height) == (90.0, 45.0, 45.0)
    assert high.y + high.height == urgent.y and routine.y + routine.height == high.y
    assert routine.y == PLOT_BOTTOM - PLOT_HEIGHT
    assert column.total == 4 and column.total_y == routine.y - 4
    assert urgent.colour == charts.PRIORITY_COLOURS[Priority.URGENT]
    assert urgent.label == "Week of Sep 7: 2 urgent" and column.label == "Sep 7"


def test_gridlines_label_the_axis_in_whole_steps():
    chart = charts.weekly_bars(overview(week(MONDAYS[0], routine=21)))
    assert [line.label for line in chart.gridlines] == ["0", "10", "20", "30", "40"]
    assert [line.y for line in chart.gridlines] == [216.0, 171.0, 126.0, 81.0, 36.0]
    assert all(line.label_y == line.y + 4 for line in chart.gridlines)


def test_a_quiet_week_has_no_bar_and_no_total_but_keeps_its_date():
    chart = charts.weekly_bars(overview(*(week(m, high=int(i == 11)) for i, m in enumerate(MONDAYS))))
    assert len(chart.columns) == 12 and chart.title == "Requests per week by priority, last 12 weeks"
    assert all(not c.segments and c.total == 0 for c in chart.columns[:11])
    assert [s.name for s in chart.columns[11].segments] == ["high"]
    centres = [c.centre for c in chart.columns]
    assert centres == sorted(centres) and chart.plot_left < centres[0] < centres[-1] < chart.plot_right


def test_no_weeks_draws_an_empty_chart():
    chart = charts.weekly_bars(overview())
    assert chart.columns == () and len(chart.gridlines) == 5 and len(chart.legend) == 3


def test_band_bars_scale_to_the_largest_band_with_count_and_share():
    chart = charts.band_mix(overview(minimal=1, mild=3, severe=4))
    rows = {row.name: row for row in chart.rows}
    assert [row.label for row in chart.rows] == [band.label for band in Phq9Band]
    assert rows["severe"].width == 480.0 and rows["mild"].width == 360.0 and rows["moderate"].width == 0
    assert (rows["minimal"].count, rows["minimal"].share) == (1, "12%")
    assert rows["severe"].share == "50%" and rows["severe"].value_x == 150 + 480 + 6


def test_no_requests_gives_empty_bands_at_zero_percent():
    chart = charts.band_mix(overview())
    assert all(row.width == 0 and row.share == "0%" for row in chart.rows)


def test_the_template_draws_each_shape_where_the_data_puts_it(macros):
    data = overview(week(MONDAYS[0], urgent=1, routine=2), week(MONDAYS[1]), mild=2, severe=1)
    weekly = charts.weekly_bars(data)
    svg = BeautifulSoup(str(macros.weekly_bars(weekly)), "html.parser").svg
    assert svg["role"] == "img" and svg["viewbox"] == "0 0 720 260"
    title, desc = svg.find("title", recursive=False), svg.find("desc", recursive=False)
    assert svg["aria-labelledby"] == f"{title['id']} {desc['id']}"
    assert title.get_text() == weekly.title and "table below" in desc.get_text()
    bars = svg.select("rect.bar")
    segments = weekly.columns[0].segments
    assert [(float(r["y"]), float(r["height"]), r["fill"]) for r in bars] == [
        (s.y, s.height, s.colour) for s in segments
    ]
    assert bars[0].title.get_text() == "Week of Sep 7: 1 urgent"
    texts = [t.get_text() for t in svg.find_all("text", recursive=False)]
    first, empty = weekly.columns
    totals = [t.get_text() for t in svg.find_all("text", y=str(first.total_y))]
    assert totals == ["3"] and not svg.find_all("text", y=str(empty.total_y))  # no total over an empty week
    assert "Sep 14" in texts and "Routine" in texts and "Week starting (Monday)" in texts

    bands = BeautifulSoup(str(macros.band_mix(charts.band_mix(data))), "html.parser").svg
    assert bands["role"] == "img" and bands.find("desc") is not None
    widths = {r["class"][1]: float(r["width"]) for r in bands.select("rect.bar")}
    assert widths == {
        "bar-minimal": 0,
        "bar-mild": 480,
        "bar-moderate": 0,
        "bar-moderately_severe": 0,
        "bar-severe": 240,
    }
    assert bands.select_one("rect.bar-mild title").get_text() == "Mild: 2 (67%)"


def test_labels_are_escaped_when_drawn(macros):
    chart = charts.band_mix(overview())
    hostile = charts.BandMix(
        **{**{f: getattr(chart, f) for f in chart.__slots__}, "title": "<script>x</script>"}
    )
    html = str(macros.band_mix(hostile))
    assert "<script>" not in html and "&lt;script&gt;" in html

"""The queue's 12-week overview as plain data for two SVG charts: no Flask, no markup, no JavaScript.

The functions here place every shape (coordinates, colours, labels) from the overview's numbers, and
`templates/_macros/charts.html` draws them, the way the hours page's chart works (`clinic/admin/charts.py`).
Each chart is an <svg role="img"> with a title and description; the page also shows the same numbers as a
table for screen readers and anyone who prefers numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clinic.triage.enums import Phq9Band, Priority

if TYPE_CHECKING:
    from clinic.services.casework.queue import Overview

PRIORITY_COLOURS = {Priority.URGENT: "#b42318", Priority.HIGH: "#c4570c", Priority.ROUTINE: "#667085"}
BAND_COLOURS = {
    Phq9Band.MINIMAL: "#b2ddff",
    Phq9Band.MILD: "#53b1fd",
    Phq9Band.MODERATE: "#1570ef",
    Phq9Band.MODERATELY_SEVERE: "#1849a9",
    Phq9Band.SEVERE: "#0b1f4d",
}
GRID_STEPS = 4


@dataclass(frozen=True, slots=True)
class Gridline:
    """A horizontal rule across the plot at `y`, its value written at the axis."""

    y: float
    label: str
    label_y: float


@dataclass(frozen=True, slots=True)
class Segment:
    """One priority's part of a week's bar."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    name: str  # the priority's value, for the CSS class
    label: str  # the segment in words


@dataclass(frozen=True, slots=True)
class Column:
    """One week: its stacked segments (urgent at the bottom), its total above them and its date below."""

    centre: float
    segments: tuple[Segment, ...]
    total: int
    total_y: float
    label: str


@dataclass(frozen=True, slots=True)
class LegendKey:
    x: int
    colour: str
    label: str


@dataclass(frozen=True, slots=True)
class WeeklyBars:
    id: str  # prefix of the title and description ids
    width: int
    height: int
    plot_left: int
    plot_right: int
    date_y: int  # baseline of the week labels
    footer_y: int
    title: str
    description: str
    gridlines: tuple[Gridline, ...]
    columns: tuple[Column, ...]
    legend: tuple[LegendKey, ...]


@dataclass(frozen=True, slots=True)
class BandRow:
    """One PHQ-9 band: its name at the left, a bar as long as its count, the count and share after it."""

    y: int
    label: str
    width: float
    colour: str
    name: str  # the band's value, for the CSS class
    count: int
    share: str
    value_x: float


@dataclass(frozen=True, slots=True)
class BandMix:
    id: str
    width: int
    height: int
    bar_left: int
    bar_height: int
    title: str
    description: str
    rows: tuple[BandRow, ...]


def _nice_max(value: int) -> int:
    """A round axis top at or above `value`, split into four whole steps (1, 2, 2.5 or 5 × 10^k)."""
    needed = max(1, -(-value // GRID_STEPS))
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude):
            if step >= needed:
                return GRID_STEPS * step
        magnitude *= 10


def _at(value: float) -> float:
    """A coordinate to a tenth of a unit: finer than any screen shows, and short in the markup."""
    return round(value, 1)


def weekly_bars(overview: Overview, *, chart_id: str = "chart-weeks") -> WeeklyBars:
    """Stacked bars: requests per week, urgent at the bottom of each bar so it is the first colour seen."""
    width, height = 720, 260
    left, right, top, bottom = 40, 12, 36, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    weeks = overview.weeks
    peak = _nice_max(max((w.total for w in weeks), default=0))
    step = plot_w / max(len(weeks), 1)
    bar_w = step * 0.62
    gridlines = []
    for i in range(GRID_STEPS + 1):
        y = top + plot_h - plot_h * i / GRID_STEPS
        gridlines.append(Gridline(_at(y), f"{peak * i / GRID_STEPS:g}", _at(y + 4)))
    columns = []
    for index, week in enumerate(weeks):
        x = left + step * index + (step - bar_w) / 2
        y = float(top + plot_h)
        segments = []
        for priority in Priority:
            count = week.by_priority.get(priority, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            segments.append(
                Segment(
                    _at(x),
                    _at(y),
                    _at(bar_w),
                    _at(h),
                    PRIORITY_COLOURS[priority],
                    priority.value,
                    f"Week of {week.starts_on:%b} {week.starts_on.day}: {count} {priority.value}",
                )
            )
        columns.append(
            Column(
                _at(x + bar_w / 2),
                tuple(segments),
                week.total,
                _at(y - 4),
                f"{week.starts_on:%b} {week.starts_on.day}",
            )
        )
    legend = tuple(
        LegendKey(left + 90 * index, PRIORITY_COLOURS[priority], priority.value.capitalize())
        for index, priority in enumerate(Priority)
    )
    return WeeklyBars(
        id=chart_id,
        width=width,
        height=height,
        plot_left=left,
        plot_right=width - right,
        date_y=top + plot_h + 16,
        footer_y=height - 6,
        title=f"Requests per week by priority, last {len(weeks)} weeks",
        description=(
            "Stacked bars, one per week starting Monday: urgent, high and routine requests. "
            "The table below gives the same numbers."
        ),
        gridlines=tuple(gridlines),
        columns=tuple(columns),
        legend=legend,
    )


def band_mix(overview: Overview, *, chart_id: str = "chart-bands") -> BandMix:
    """One horizontal bar per PHQ-9 band, with its count and share."""
    width, row_h, left, right = 720, 30, 150, 90
    total = overview.total
    peak = max(overview.bands.values(), default=0) or 1
    rows = []
    for index, band in enumerate(Phq9Band):
        count = overview.bands.get(band, 0)
        bar = (width - left - right) * count / peak
        rows.append(
            BandRow(
                y=8 + index * row_h,
                label=band.label,
                width=_at(bar),
                colour=BAND_COLOURS[band],
                name=band.value,
                count=count,
                share=f"{round(100 * count / total)}%" if total else "0%",
                value_x=_at(left + bar + 6),
            )
        )
    return BandMix(
        id=chart_id,
        width=width,
        height=row_h * len(Phq9Band) + 16,
        bar_left=left,
        bar_height=row_h - 10,
        title="PHQ-9 severity of requests, last 12 weeks",
        description=(
            "One bar per PHQ-9 band with its number of requests; the table below gives the same numbers."
        ),
        rows=tuple(rows),
    )

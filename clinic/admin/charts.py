"""The hours page's picture: the coming days as rows of offered slots, closures marked. Pure data for an SVG.

Slots are laid out from the schedule's own grid, so the picture shows exactly what patients will be offered
(before notice, horizon and bookings), and every shape comes with words for the text alternative.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from clinic.scheduling import Schedule
from clinic.scheduling.slots import local_instant

LABEL_WIDTH = 120
PLOT_WIDTH = 840
ROW_HEIGHT = 30
BAR_HEIGHT = 20
AXIS_HEIGHT = 24


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    width: float
    kind: str  # "slot" or "closure"
    label: str


@dataclass(slots=True)
class Row:
    day: date
    y: float
    label: str
    text: str  # the row in words, for the text alternative
    boxes: list[Box] = field(default_factory=list)
    note: str = ""  # shown in the plot for a day without slots


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class WeekChart:
    rows: list[Row]
    ticks: list[Tick]
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    summary: str


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def week_chart(schedule: Schedule, first: date, days: int = 14) -> WeekChart:
    """Rows for `days` days from `first`: each slot of the day's grid, part-day closures, closed days."""
    dates = [first + timedelta(days=offset) for offset in range(days)]
    open_days = [schedule.hours[d.weekday()] for d in dates if schedule.hours[d.weekday()] is not None]
    start = min((_minutes(h.opens) for h in open_days), default=8 * 60) // 60 * 60
    end = -(-max((_minutes(h.closes) for h in open_days), default=18 * 60) // 60) * 60
    end = max(end, start + 60)
    scale = PLOT_WIDTH / (end - start)

    def x_of(instant: datetime, day: date) -> float:
        local = instant.astimezone(schedule.tz)
        minutes = (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute
        return round(LABEL_WIDTH + (min(max(minutes, start), end) - start) * scale, 1)

    rows = []
    for index, day in enumerate(dates):
        row = Row(day=day, y=AXIS_HEIGHT + index * ROW_HEIGHT, label=f"{day:%a} {day:%b} {day.day}", text="")
        whole = next((c for c in schedule.closures if c.is_whole_day and c.covers(day)), None)
        hours = schedule.hours[day.weekday()]
        name = f"{day:%A} {day:%B} {day.day}"
        if whole is not None:
            row.note = f"Closed: {whole.reason}"
            row.boxes.append(Box(LABEL_WIDTH, PLOT_WIDTH, "closure", row.note))
            row.text = f"{name}: closed all day ({whole.reason})."
        elif hours is None:
            row.note = "Closed"
            row.text = f"{name}: closed."
        else:
            grid = schedule.grid(day)
            for slot in grid:
                x = x_of(slot.starts_at, day)
                row.boxes.append(
                    Box(
                        x,
                        round(x_of(slot.ends_at, day) - x, 1),
                        "slot",
                        f"{slot.starts_at.astimezone(schedule.tz):%H:%M}",
                    )
                )
            parts = []
            for closure in schedule.closures:
                if closure.is_whole_day or not closure.covers(day):
                    continue
                x = x_of(local_instant(day, closure.start_time, schedule.tz), day)
                width = round(x_of(local_instant(day, closure.end_time, schedule.tz), day) - x, 1)
                span = f"{closure.start_time:%H:%M}–{closure.end_time:%H:%M}"
                row.boxes.append(Box(x, width, "closure", f"Closed {span}: {closure.reason}"))
                parts.append(f"closed {span} ({closure.reason})")
            if grid:
                first_slot = grid[0].starts_at.astimezone(schedule.tz)
                last_slot = grid[-1].starts_at.astimezone(schedule.tz)
                plural = "s" if len(grid) != 1 else ""
                count = f"{len(grid)} slot{plural}, {first_slot:%H:%M} to {last_slot:%H:%M}"
            else:
                count = "no slots"
                row.note = "No slots"
            row.text = f"{name}: open {hours.opens:%H:%M}–{hours.closes:%H:%M}, {count}" + (
                f"; {'; '.join(parts)}." if parts else "."
            )
        rows.append(row)
    ticks = [
        Tick(round(LABEL_WIDTH + (minute - start) * scale, 1), f"{minute // 60:02d}:00")
        for minute in range(start, end + 1, 60 if end - start <= 12 * 60 else 120)
    ]
    open_count = sum(1 for row in rows if any(box.kind == "slot" for box in row.boxes))
    closure_count = sum(1 for row in rows if any(box.kind == "closure" for box in row.boxes))
    summary = (
        f"Offered slots for the {days} days from {first:%B} {first.day}: {open_count} days with slots, "
        f"{closure_count} with a closure."
    )
    return WeekChart(
        rows,
        ticks,
        LABEL_WIDTH + PLOT_WIDTH + 24,
        AXIS_HEIGHT + days * ROW_HEIGHT + 6,
        LABEL_WIDTH,
        PLOT_WIDTH,
        BAR_HEIGHT,
        summary,
    )

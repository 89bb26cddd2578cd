"""The day's chair board: chairs as columns, quarter hours as rows, each session drawn as its three phases.

Plain data in, plain data out, like `agenda`. A session covers the rows whose start falls inside it (its
start is on the grid, so its first row is its start and it covers exactly the quarter hours it claims);
each phase (dose, monitoring, turnover) covers the rows whose start falls inside that phase, so the table
can draw it as one cell spanning those rows. The rows run from opening (or the first session, if earlier)
to closing (or the end of the last turnover, if later), stepped in absolute time: a day after a DST change
still starts at its local opening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from clinic.scheduling.slots import DayHours, local_instant

T = TypeVar("T")
STEP = timedelta(minutes=15)
PHASES = ("dose", "monitoring", "turnover")


@dataclass(frozen=True, slots=True)
class BoardSession(Generic[T]):
    """A session's chair and phase boundaries (UTC), with whatever the page shows about it (`item`)."""

    chair_id: int
    starts_at: datetime
    dose_ends_at: datetime
    care_ends_at: datetime  # discharge not before
    ends_at: datetime  # the chair is free again
    item: T

    def phases(self) -> list[tuple[str, datetime, datetime]]:
        return [
            ("dose", self.starts_at, self.dose_ends_at),
            ("monitoring", self.dose_ends_at, self.care_ends_at),
            ("turnover", self.care_ends_at, self.ends_at),
        ]


@dataclass(frozen=True, slots=True)
class Cell(Generic[T]):
    """A phase of a session drawn from this row down over `rows` rows; `first` carries the details."""

    phase: str
    rows: int
    starts_at: datetime
    ends_at: datetime
    session: BoardSession[T]
    first: bool


FREE = "free"  # an empty cell: the chair is free this quarter hour
COVERED = None  # a row covered by a cell drawn above: nothing to emit


@dataclass(frozen=True, slots=True)
class Row(Generic[T]):
    starts_at: datetime  # UTC
    cells: tuple[Cell[T] | str | None, ...]  # one per chair, in the board's chair order
    is_open: bool  # inside the day's opening hours


@dataclass(frozen=True, slots=True)
class Board(Generic[T]):
    day: date
    chair_ids: tuple[int, ...]
    rows: tuple[Row[T], ...]
    hours: DayHours | None
    sessions: tuple[BoardSession[T], ...]
    # Sessions the grid could not draw (a chair no longer on the board, a clash): listed apart, never lost.
    undrawn: tuple[BoardSession[T], ...] = field(default=())


def _floor(instant: datetime, tz: ZoneInfo, day: date) -> datetime:
    """The quarter hour (local) at or before `instant`, as a UTC instant."""
    local = instant.astimezone(tz)
    minutes = (local.hour * 60 + local.minute) // 15 * 15
    if local.date() != day:
        return instant
    return local_instant(day, time(minutes // 60, minutes % 60), tz)


def lay_out(
    day: date,
    hours: DayHours | None,
    tz: ZoneInfo,
    chair_ids: Sequence[int],
    sessions: Sequence[BoardSession[T]],
) -> Board[T]:
    """The board of local `day`: `hours` None means closed (rows then only span the sessions, if any)."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.chair_id))
    opens = local_instant(day, hours.opens, tz) if hours else None
    closes = local_instant(day, hours.closes, tz) if hours else None
    edges = [s.starts_at for s in ordered] + ([opens] if opens else [])
    ends = [s.ends_at for s in ordered] + ([closes] if closes else [])
    if not edges:
        return Board(day, tuple(chair_ids), (), hours, ())
    first, last = _floor(min(edges), tz, day), max(ends)
    starts = []
    at = first
    while at < last:
        starts.append(at)
        at += STEP
    index = {start: i for i, start in enumerate(starts)}
    column = {chair: c for c, chair in enumerate(chair_ids)}
    grid: list[list[Cell[T] | str | None]] = [[FREE] * len(chair_ids) for _ in starts]
    undrawn = []
    for session in ordered:
        c = column.get(session.chair_id)
        covered = [i for i, start in enumerate(starts) if session.starts_at <= start < session.ends_at]
        if c is None or not covered or any(grid[i][c] != FREE for i in covered):
            undrawn.append(session)
            continue
        drawn_first = False
        for phase, begins, ends_at in session.phases():
            rows = [i for i in covered if begins <= starts[i] < ends_at]
            if not rows:
                continue  # a phase shorter than a quarter hour inside one: its times are in the details
            grid[rows[0]][c] = Cell(phase, len(rows), begins, ends_at, session, not drawn_first)
            drawn_first = True
            for i in rows[1:]:
                grid[i][c] = COVERED
    rows = tuple(
        Row(start, tuple(grid[index[start]]), bool(opens and closes and opens <= start < closes))
        for start in starts
    )
    return Board(day, tuple(chair_ids), rows, hours, tuple(ordered), tuple(undrawn))
